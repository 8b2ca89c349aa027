// cuBLASLt block-scaled FP4 GEMM (block_mma_cublaslt.h), loaded with dlopen.
// Row-major D = A B^T is computed as column-major D^T = B A^T: cuBLASLt's A
// is our B (k x n column-major, transposed), its B is our A (k x m,
// not transposed), its D is n x m column-major = our m x n row-major.
#include "fp4v/gpu/block_mma_cublaslt.h"

#include <cublasLt.h>
#include <cuda_runtime.h>
#include <dlfcn.h>

#include <stdexcept>
#include <string>

namespace fp4v::gpu {
namespace {

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
}

// The entry points used, typed from cublasLt.h.
struct Lt {
  void* handle = nullptr;
  std::string error;
#define FP4V_LT(name) decltype(&::name) name = nullptr;
  FP4V_LT(cublasLtCreate)
  FP4V_LT(cublasLtDestroy)
  FP4V_LT(cublasLtMatmulDescCreate)
  FP4V_LT(cublasLtMatmulDescDestroy)
  FP4V_LT(cublasLtMatmulDescSetAttribute)
  FP4V_LT(cublasLtMatrixLayoutCreate)
  FP4V_LT(cublasLtMatrixLayoutDestroy)
  FP4V_LT(cublasLtMatmulPreferenceCreate)
  FP4V_LT(cublasLtMatmulPreferenceDestroy)
  FP4V_LT(cublasLtMatmulPreferenceSetAttribute)
  FP4V_LT(cublasLtMatmulAlgoGetHeuristic)
  FP4V_LT(cublasLtMatmul)
#undef FP4V_LT

  Lt() {
    handle = dlopen("libcublasLt.so.13", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      error = std::string("libcublasLt.so.13 not found: ") + dlerror();
      return;
    }
#define FP4V_LT(name)                                                      \
  name = reinterpret_cast<decltype(name)>(dlsym(handle, #name));            \
  if (!name) error = "libcublasLt.so.13 lacks " #name;
    FP4V_LT(cublasLtCreate)
    FP4V_LT(cublasLtDestroy)
    FP4V_LT(cublasLtMatmulDescCreate)
    FP4V_LT(cublasLtMatmulDescDestroy)
    FP4V_LT(cublasLtMatmulDescSetAttribute)
    FP4V_LT(cublasLtMatrixLayoutCreate)
    FP4V_LT(cublasLtMatrixLayoutDestroy)
    FP4V_LT(cublasLtMatmulPreferenceCreate)
    FP4V_LT(cublasLtMatmulPreferenceDestroy)
    FP4V_LT(cublasLtMatmulPreferenceSetAttribute)
    FP4V_LT(cublasLtMatmulAlgoGetHeuristic)
    FP4V_LT(cublasLtMatmul)
#undef FP4V_LT
  }
};

const Lt& lt() {
  static const Lt instance;
  return instance;
}

void check_lt(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS) throw std::runtime_error(std::string("cuBLASLt ") + what + ": status " + std::to_string(static_cast<int>(status)));
}

struct Buffer {
  void* p = nullptr;
  explicit Buffer(size_t bytes) { check(cudaMalloc(&p, bytes ? bytes : 1), "cudaMalloc"); }
  ~Buffer() { cudaFree(p); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
};

std::vector<uint8_t> swizzle(const uint8_t* scales, size_t rows, size_t cols) {
  const size_t padded_rows = (rows + 127) / 128 * 128, padded_cols = (cols + 3) / 4 * 4;
  std::vector<uint8_t> out(padded_rows * padded_cols, 0);
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols; ++c) out[swizzled_scale_offset(r, c, cols)] = scales[r * cols + c];
  return out;
}

}  // namespace

size_t swizzled_scale_offset(size_t row, size_t col, size_t cols) {
  const size_t tiles_per_row = (cols + 3) / 4;
  const size_t tile = (row / 128) * tiles_per_row + col / 4;
  return tile * 512 + (row % 32) * 16 + ((row % 128) / 32) * 4 + col % 4;
}

std::string cublaslt_unavailable() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) return "no CUDA device";
  cudaDeviceProp p{};
  if (cudaGetDeviceProperties(&p, 0) != cudaSuccess) return "no CUDA device properties";
  if (p.major != 10 && p.major != 12) {
    return "not run: needs sm_100/sm_120 (this device is sm_" + std::to_string(p.major * 10 + p.minor) + ")";
  }
  return lt().error;
}

std::vector<float> cublaslt_block_mma(bool nvfp4, size_t m, size_t n, size_t k, const uint8_t* a_packed,
                                      const uint8_t* b_packed, const uint8_t* a_scales,
                                      const uint8_t* b_scales, const float* c, float alpha) {
  const std::string why = cublaslt_unavailable();
  if (!why.empty()) throw std::runtime_error(why);
  const Lt& f = lt();
  const size_t block = nvfp4 ? 16 : 32, groups = k / block;
  if (k % 32 != 0) throw std::invalid_argument("cublaslt_block_mma: k must be a multiple of 32");
  const std::vector<uint8_t> sa = swizzle(a_scales, m, groups), sb = swizzle(b_scales, n, groups);
  Buffer da(m * k / 2), db(n * k / 2), dsa(sa.size()), dsb(sb.size()), dc(m * n * 4), dd(m * n * 4),
      workspace(32 << 20);
  check(cudaMemcpy(da.p, a_packed, m * k / 2, cudaMemcpyHostToDevice), "copy A");
  check(cudaMemcpy(db.p, b_packed, n * k / 2, cudaMemcpyHostToDevice), "copy B");
  check(cudaMemcpy(dsa.p, sa.data(), sa.size(), cudaMemcpyHostToDevice), "copy A scales");
  check(cudaMemcpy(dsb.p, sb.data(), sb.size(), cudaMemcpyHostToDevice), "copy B scales");
  if (c) check(cudaMemcpy(dc.p, c, m * n * 4, cudaMemcpyHostToDevice), "copy C");
  else check(cudaMemset(dc.p, 0, m * n * 4), "zero C");

  cublasLtHandle_t handle;
  check_lt(f.cublasLtCreate(&handle), "create");
  cublasLtMatmulDesc_t desc;
  check_lt(f.cublasLtMatmulDescCreate(&desc, CUBLAS_COMPUTE_32F, CUDA_R_32F), "desc");
  const cublasOperation_t op_t = CUBLAS_OP_T, op_n = CUBLAS_OP_N;
  const int32_t mode = nvfp4 ? CUBLASLT_MATMUL_MATRIX_SCALE_VEC16_UE4M3 : CUBLASLT_MATMUL_MATRIX_SCALE_VEC32_UE8M0;
  const void* lt_a_scales = dsb.p;  // cuBLASLt's A is our B
  const void* lt_b_scales = dsa.p;
  check_lt(f.cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA, &op_t, sizeof op_t), "transa");
  check_lt(f.cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSB, &op_n, sizeof op_n), "transb");
  check_lt(f.cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_A_SCALE_MODE, &mode, sizeof mode), "a scale mode");
  check_lt(f.cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_B_SCALE_MODE, &mode, sizeof mode), "b scale mode");
  check_lt(f.cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &lt_a_scales, sizeof lt_a_scales), "a scales");
  check_lt(f.cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &lt_b_scales, sizeof lt_b_scales), "b scales");
  cublasLtMatrixLayout_t la, lb, lc, ld;
  check_lt(f.cublasLtMatrixLayoutCreate(&la, CUDA_R_4F_E2M1, k, n, k), "layout A");
  check_lt(f.cublasLtMatrixLayoutCreate(&lb, CUDA_R_4F_E2M1, k, m, k), "layout B");
  check_lt(f.cublasLtMatrixLayoutCreate(&lc, CUDA_R_32F, n, m, n), "layout C");
  check_lt(f.cublasLtMatrixLayoutCreate(&ld, CUDA_R_32F, n, m, n), "layout D");
  cublasLtMatmulPreference_t pref;
  check_lt(f.cublasLtMatmulPreferenceCreate(&pref), "preference");
  const size_t workspace_bytes = 32 << 20;
  check_lt(f.cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace_bytes,
                                                  sizeof workspace_bytes), "workspace");
  cublasLtMatmulHeuristicResult_t heuristic{};
  int found = 0;
  check_lt(f.cublasLtMatmulAlgoGetHeuristic(handle, desc, la, lb, lc, ld, pref, 1, &heuristic, &found), "heuristic");
  if (found == 0) throw std::runtime_error("cuBLASLt: no algorithm for this block-scaled GEMM");
  const float beta = 1.0f;
  check_lt(f.cublasLtMatmul(handle, desc, &alpha, db.p, la, da.p, lb, &beta, dc.p, lc, dd.p, ld, &heuristic.algo,
                            workspace.p, workspace_bytes, nullptr), "matmul");
  check(cudaDeviceSynchronize(), "cuBLASLt matmul");
  std::vector<float> out(m * n);
  check(cudaMemcpy(out.data(), dd.p, m * n * 4, cudaMemcpyDeviceToHost), "copy D");
  f.cublasLtMatmulPreferenceDestroy(pref);
  for (auto l : {la, lb, lc, ld}) f.cublasLtMatrixLayoutDestroy(l);
  f.cublasLtMatmulDescDestroy(desc);
  f.cublasLtDestroy(handle);
  return out;
}

}  // namespace fp4v::gpu
