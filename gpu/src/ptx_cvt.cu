#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "fp4v/gpu/ptx_cvt.h"

namespace fp4v::gpu {
namespace {

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
  }
}

// Each thread converts a pair with one cvt: d[15:8] = cvt(a), d[7:0] = cvt(b).
__global__ void cvt_e4m3_satfinite_pairs(uint32_t first, uint32_t count, uint8_t* out) {
  const uint32_t pairs = (count + 1) / 2;
  for (uint32_t p = blockIdx.x * blockDim.x + threadIdx.x; p < pairs;
       p += gridDim.x * blockDim.x) {
    const uint32_t i = 2 * p;
    const float a = __uint_as_float(first + i + 1);
    const float b = __uint_as_float(first + i);
    uint16_t d;
    asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(d) : "f"(a), "f"(b));
    out[i] = static_cast<uint8_t>(d & 0xFF);
    if (i + 1 < count) out[i + 1] = static_cast<uint8_t>(d >> 8);
  }
}

}  // namespace

bool device_available(std::string* why) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess || count == 0) {
    if (why != nullptr) {
      *why = status != cudaSuccess ? std::string("no CUDA device: ") + cudaGetErrorString(status)
                                   : std::string("no CUDA device");
    }
    return false;
  }
  return true;
}

std::string device_description() {
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
  int driver = 0;
  check(cudaDriverGetVersion(&driver), "cudaDriverGetVersion");
  return std::string(prop.name) + ", sm_" + std::to_string(prop.major) +
         std::to_string(prop.minor) + ", CUDA driver API " + std::to_string(driver);
}

void cvt_e4m3_satfinite_bit_range(uint32_t first, uint32_t count, uint8_t* out) {
  uint8_t* device_out = nullptr;
  check(cudaMalloc(&device_out, count), "cudaMalloc");
  cvt_e4m3_satfinite_pairs<<<1024, 256>>>(first, count, device_out);
  cudaError_t status = cudaGetLastError();
  if (status == cudaSuccess) status = cudaMemcpy(out, device_out, count, cudaMemcpyDeviceToHost);
  cudaFree(device_out);
  check(status, "cvt_e4m3_satfinite_pairs");
}

}  // namespace fp4v::gpu
