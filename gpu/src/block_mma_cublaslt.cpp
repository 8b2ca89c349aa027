// cuBLASLt block-scaled FP4 GEMM (block_mma_cublaslt.h) and the BF16 GEMM
// of the fast path (cublaslt_matmul.h), loaded with dlopen.
// Row-major D = A B^T is computed as column-major D^T = B A^T: cuBLASLt's A
// is our B (k x n column-major, transposed), its B is our A (k x m,
// not transposed), its D is n x m column-major = our m x n row-major.
#include "device_gemm.h"
#include "fp4v/gpu/block_mma_cublaslt.h"

#include "cublaslt_matmul.h"

#include <cublasLt.h>
#include <cuda_runtime.h>
#include <dlfcn.h>

#include <mutex>
#include <stdexcept>
#include <string>

namespace fp4v::gpu {
namespace {

// The entry points used, typed from cublasLt.h: one list, declared and loaded.
#define FP4V_LT_ENTRY_POINTS(X) \
  X(cublasLtCreate) \
  X(cublasLtDestroy) \
  X(cublasLtMatmulDescCreate) \
  X(cublasLtMatmulDescDestroy) \
  X(cublasLtMatmulDescSetAttribute) \
  X(cublasLtMatrixLayoutCreate) \
  X(cublasLtMatrixLayoutDestroy) \
  X(cublasLtMatmulPreferenceCreate) \
  X(cublasLtMatmulPreferenceDestroy) \
  X(cublasLtMatmulPreferenceSetAttribute) \
  X(cublasLtMatmulAlgoGetHeuristic) \
  X(cublasLtMatmul)

struct Lt {
  void* handle = nullptr;
  std::string error;
#define FP4V_LT_DECLARE(name) decltype(&::name) name = nullptr;
  FP4V_LT_ENTRY_POINTS(FP4V_LT_DECLARE)
#undef FP4V_LT_DECLARE

  Lt() {
    handle = dlopen("libcublasLt.so.13", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      error = std::string("libcublasLt.so.13 not found: ") + dlerror();
      return;
    }
#define FP4V_LT_LOAD(name)                                         \
  name = reinterpret_cast<decltype(name)>(dlsym(handle, #name)); \
  if (!name) error = "libcublasLt.so.13 lacks " #name;
    FP4V_LT_ENTRY_POINTS(FP4V_LT_LOAD)
#undef FP4V_LT_LOAD
  }
};
#undef FP4V_LT_ENTRY_POINTS

const Lt& lt() {
  static const Lt instance;
  return instance;
}

constexpr size_t kWorkspaceBytes = 32 << 20;

void check_lt(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS) throw std::runtime_error(std::string("cuBLASLt ") + what + ": status " + std::to_string(static_cast<int>(status)));
}

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
  std::string why = device_major_mismatch(10, "100/sm_120");
  if (!why.empty() && device_major_mismatch(12, "120").empty()) why.clear();
  return why.empty() ? lt().error : why;
}

std::vector<float> cublaslt_block_mma(bool nvfp4, size_t m, size_t n, size_t k, const uint8_t* a_packed,
                                      const uint8_t* b_packed, const uint8_t* a_scales,
                                      const uint8_t* b_scales, const float* c, float alpha) {
  const std::string why = cublaslt_unavailable();
  if (!why.empty()) throw std::runtime_error(why);
  const size_t block = nvfp4 ? 16 : 32, groups = k / block;
  if (k % 32 != 0) throw std::invalid_argument("cublaslt_block_mma: k must be a multiple of 32");
  const std::vector<uint8_t> sa = swizzle(a_scales, m, groups), sb = swizzle(b_scales, n, groups);
  const DeviceGemm g(m, n, m * k / 2, n * k / 2, sa.size(), sb.size(), a_packed, b_packed, sa.data(), sb.data(), c);
  const LtScales scales{nvfp4 ? CUBLASLT_MATMUL_MATRIX_SCALE_VEC16_UE4M3 : CUBLASLT_MATMUL_MATRIX_SCALE_VEC32_UE8M0,
                        g.sa.p, g.sb.p};
  cublaslt_matmul(CUDA_R_4F_E2M1, m, n, k, g.a.p, g.b.p, &scales, g.c_or_null(), g.d.as<float>(), alpha);
  return g.result();
}

std::string cublaslt_load_error() { return lt().error; }

void cublaslt_matmul(cudaDataType_t type, size_t m, size_t n, size_t k, const void* a, const void* b,
                     const LtScales* scales, const float* c, float* d, float alpha) {
  const Lt& f = lt();
  if (!f.error.empty()) throw std::runtime_error(f.error);
  // One handle and workspace per process, used by one thread at a time (the
  // replay runs sets on several threads).
  static std::mutex one_at_a_time;
  const std::lock_guard<std::mutex> lock(one_at_a_time);
  static cublasLtHandle_t handle = nullptr;
  static DeviceBuffer workspace(kWorkspaceBytes);
  if (!handle) check_lt(f.cublasLtCreate(&handle), "create");
  cublasLtMatmulDesc_t desc;
  check_lt(f.cublasLtMatmulDescCreate(&desc, CUBLAS_COMPUTE_32F, CUDA_R_32F), "desc");
  const cublasOperation_t op_t = CUBLAS_OP_T, op_n = CUBLAS_OP_N;
  check_lt(f.cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA, &op_t, sizeof op_t), "transa");
  check_lt(f.cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSB, &op_n, sizeof op_n), "transb");
  if (scales) {
    // cuBLASLt's A is our B, its B our A.
    const struct { cublasLtMatmulDescAttributes_t mode, pointer; const void* data; } operands[] = {
        {CUBLASLT_MATMUL_DESC_A_SCALE_MODE, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, scales->b},
        {CUBLASLT_MATMUL_DESC_B_SCALE_MODE, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, scales->a}};
    for (const auto& o : operands) {
      check_lt(f.cublasLtMatmulDescSetAttribute(desc, o.mode, &scales->mode, sizeof scales->mode), "scale mode");
      check_lt(f.cublasLtMatmulDescSetAttribute(desc, o.pointer, &o.data, sizeof o.data), "scale pointer");
    }
  }
  cublasLtMatrixLayout_t la, lb, lc;
  check_lt(f.cublasLtMatrixLayoutCreate(&la, type, k, n, k), "layout A");
  check_lt(f.cublasLtMatrixLayoutCreate(&lb, type, k, m, k), "layout B");
  check_lt(f.cublasLtMatrixLayoutCreate(&lc, CUDA_R_32F, n, m, n), "layout C");
  cublasLtMatmulPreference_t pref;
  check_lt(f.cublasLtMatmulPreferenceCreate(&pref), "preference");
  const size_t workspace_bytes = kWorkspaceBytes;
  check_lt(f.cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace_bytes,
                                                  sizeof workspace_bytes), "workspace");
  cublasLtMatmulHeuristicResult_t heuristic{};
  int found = 0;
  check_lt(f.cublasLtMatmulAlgoGetHeuristic(handle, desc, la, lb, lc, lc, pref, 1, &heuristic, &found), "heuristic");
  if (found == 0) throw std::runtime_error("cuBLASLt: no algorithm for this GEMM");
  const float beta = c ? 1.0f : 0.0f;
  check_lt(f.cublasLtMatmul(handle, desc, &alpha, b, la, a, lb, &beta, c ? c : d, lc, d, lc, &heuristic.algo,
                            workspace.p, workspace_bytes, nullptr), "matmul");
  f.cublasLtMatmulPreferenceDestroy(pref);
  for (auto l : {la, lb, lc}) f.cublasLtMatrixLayoutDestroy(l);
  f.cublasLtMatmulDescDestroy(desc);
}

}  // namespace fp4v::gpu
