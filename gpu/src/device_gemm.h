// Internal: what the GEMM kernels' host entry points share: CUDA error
// checks, device buffers, the operands of one GEMM copied to the device and
// D copied back, and the device-architecture check of the Blackwell kernels.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace fp4v::gpu {

inline void check_cuda(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
}

struct DeviceBuffer {
  void* p = nullptr;
  explicit DeviceBuffer(size_t bytes) { check_cuda(cudaMalloc(&p, bytes ? bytes : 1), "cudaMalloc"); }
  ~DeviceBuffer() { cudaFree(p); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  template <class T>
  T* as() const {
    return static_cast<T*>(p);
  }
};

// A (a_bytes), B (b_bytes), their scales, C (m x n FP32, or null) on the
// device, and room for D.
struct DeviceGemm {
  size_t m, n;
  DeviceBuffer a, b, sa, sb, c, d;
  bool has_c;
  DeviceGemm(size_t rows, size_t cols, size_t a_bytes, size_t b_bytes, size_t sa_bytes, size_t sb_bytes,
             const uint8_t* a_host, const uint8_t* b_host, const uint8_t* sa_host, const uint8_t* sb_host,
             const float* c_host)
      : m(rows), n(cols), a(a_bytes), b(b_bytes), sa(sa_bytes), sb(sb_bytes), c(c_host ? rows * cols * 4 : 0),
        d(rows * cols * 4), has_c(c_host != nullptr) {
    check_cuda(cudaMemcpy(a.p, a_host, a_bytes, cudaMemcpyHostToDevice), "copy A");
    check_cuda(cudaMemcpy(b.p, b_host, b_bytes, cudaMemcpyHostToDevice), "copy B");
    check_cuda(cudaMemcpy(sa.p, sa_host, sa_bytes, cudaMemcpyHostToDevice), "copy A scales");
    check_cuda(cudaMemcpy(sb.p, sb_host, sb_bytes, cudaMemcpyHostToDevice), "copy B scales");
    if (c_host) check_cuda(cudaMemcpy(c.p, c_host, rows * cols * 4, cudaMemcpyHostToDevice), "copy C");
  }
  const float* c_or_null() const { return has_c ? c.as<const float>() : nullptr; }
  std::vector<float> result() const {
    check_cuda(cudaGetLastError(), "GEMM launch");
    std::vector<float> out(m * n);
    check_cuda(cudaMemcpy(out.data(), d.p, m * n * 4, cudaMemcpyDeviceToHost), "copy D");
    return out;
  }
};

// "" when the first device has compute capability `major`.x, else why not:
// "no CUDA device", or "not run: needs sm_<needs> (this device is sm_XY)".
inline std::string device_major_mismatch(int major, const char* needs) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) return "no CUDA device";
  cudaDeviceProp p{};
  check_cuda(cudaGetDeviceProperties(&p, 0), "cudaGetDeviceProperties");
  if (p.major == major) return "";
  return std::string("not run: needs sm_") + needs + " (this device is sm_" + std::to_string(p.major * 10 + p.minor) + ")";
}

}  // namespace fp4v::gpu
