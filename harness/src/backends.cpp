#include <filesystem>
#include <stdexcept>

#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/block_quantize.h"
#include "fp4v/golden/layout.h"
#include "fp4v/harness/backend.h"
#include "fp4v/harness/mutants.h"
#include "golden_runs.h"
#include "rtl_backend.h"

#if FP4V_WITH_CUDA
#include "cuda_mma_recipe.h"
#include "cuda_recipe.h"
#include "fp4v/gpu/block_mma.h"
#include "fp4v/gpu/block_mma_bf16.h"
#include "fp4v/gpu/block_mma_cublaslt.h"
#endif

namespace fp4v::harness {
namespace {

using vectors::VectorSet;

// The golden model itself: the reference every other backend is compared with.
class GoldenBackend : public Backend {
 public:
  std::string name() const override { return "golden"; }
  std::string cannot_run(const VectorSet&) const override { return ""; }
  Outputs run(const VectorSet& set, const std::string&) const override {
    return set.operation() == "quantize" ? quantize_outputs(golden_quantize(set))
                                         : mma_outputs(set, golden::find_mma_recipe(set.recipe()));
  }
};

// The golden model with one mutant's perturbation (mutants.h) on the sets
// of its base recipe; golden's outputs for the others.
class MutantBackend : public Backend {
 public:
  explicit MutantBackend(const Mutant& mutant) : mutant_(mutant) {}
  std::string name() const override { return "mutant:" + std::string(mutant_.name); }
  std::string cannot_run(const VectorSet&) const override { return ""; }
  Outputs run(const VectorSet& set, const std::string&) const override { return mutant_outputs(mutant_, set); }

 private:
  const Mutant& mutant_;
};

// Someone else's outputs: PATH/<the set's file name> (PATH itself when it is
// a file), in the layout vectors::read_observed accepts.
class FileBackend : public Backend {
 public:
  FileBackend(std::filesystem::path dir, vectors::ScaleLayout scale_layout)
      : dir_(std::move(dir)), scale_layout_(scale_layout) {}
  std::string name() const override { return "file:" + dir_.string(); }
  std::string cannot_run(const VectorSet&) const override { return ""; }
  Outputs run(const VectorSet& set, const std::string& set_file) const override {
    const std::filesystem::path observed =
        std::filesystem::is_directory(dir_) ? dir_ / std::filesystem::path(set_file).filename() : dir_;
    if (!std::filesystem::exists(observed)) {
      throw NoOutput("no observed output for set " + set_name(set, set_file) + ": expected " + observed.string());
    }
    return vectors::read_observed(observed, set, scale_layout_);
  }

 private:
  std::filesystem::path dir_;
  vectors::ScaleLayout scale_layout_;
};


#if FP4V_WITH_CUDA
// The CUDA kernels of gpu/ on the first CUDA device. The mma sets go to the
// bit-exact emulation (backend cuda), to cuBLASLt's block-scaled FP4 GEMM
// (cuda:cublaslt: sm_100 / sm_120; blackwell.* recipes of its two scale
// modes) or to the BF16 fast path (cuda:bf16: not bit-exact; its mismatches
// against each recipe are what the replay measures).
enum class CudaMma : uint8_t { kEmulation, kCublasLt, kBf16 };

class CudaBackend : public Backend {
 public:
  explicit CudaBackend(CudaMma mma = CudaMma::kEmulation) : mma_(mma) { gpu::quantize_device_available(&no_device_); }
  std::string name() const override {
    switch (mma_) {
      case CudaMma::kCublasLt: return "cuda:cublaslt";
      case CudaMma::kBf16: return "cuda:bf16";
      case CudaMma::kEmulation: break;
    }
    return "cuda";
  }
  std::string cannot_run(const VectorSet& set) const override {
    if (!no_device_.empty()) return no_device_;
    std::string why;
    if (set.operation() == "mma" && mma_ == CudaMma::kCublasLt) {
      if (set.recipe() != "blackwell.mxf4nvf4.ue4m3x16" && set.recipe() != "blackwell.mxf4.ue8m0x32" &&
          set.recipe() != "blackwell.mxf4nvf4.ue8m0x32") {
        return "cuBLASLt computes the blackwell.* recipes with UE4M3 x16 or E8M0 x32 scales only";
      }
      return gpu::cublaslt_unavailable();
    }
    if (set.operation() == "mma") {
      cuda_mma_recipe(golden::find_mma_recipe(set.recipe()), why);
      if (mma_ == CudaMma::kBf16 && why.empty()) return gpu::bf16_unavailable();
      return why.empty() ? "" : "not implemented in the CUDA GEMM kernels: " + why;
    }
    if (set.operation() != "quantize") return "the cuda backend runs quantize and mma sets only (" + set.operation() + ")";
    const gpu::Recipe r = cuda_recipe(golden::find_block_recipe(set.recipe()), why);
    if (why.empty()) why = gpu::unsupported(r, cuda_options(set));
    return why.empty() ? "" : "not implemented in the CUDA kernels: " + why;
  }
  Outputs run(const VectorSet& set, const std::string&) const override {
    if (set.operation() == "mma") return run_mma(set);
    std::string why;
    const gpu::Recipe r = cuda_recipe(golden::find_block_recipe(set.recipe()), why);
    const gpu::Options o = cuda_options(set);
    const vectors::Tensor& x = set.tensor("x");
    const std::vector<uint8_t> input = native_input(x.as<float>(), o.input);
    std::vector<uint32_t> random;
    if (o.stochastic) random = set.tensor("random").as<uint32_t>();
    const gpu::Result q = gpu::quantize(r, o, input.data(), static_cast<size_t>(x.shape[0]),
                                        static_cast<size_t>(x.shape[1]), random.data(), random.size());
    using vectors::DType;
    using vectors::Tensor;
    const auto rows = static_cast<int64_t>(q.rows), cols = static_cast<int64_t>(q.cols);
    Outputs out;
    out["codes"] = Tensor::of(DType::kU8, {rows, cols / 2}, q.codes);
    out["scales"] = Tensor::of(DType::kU8, {rows, cols / r.block_cols}, q.scales);
    out["amax"] = Tensor::of(DType::kF32, {1}, std::vector<float>{q.amax});
    if (!q.macro_scales.empty()) out["macro_scales"] = Tensor::of(DType::kU8, {rows, cols / 128}, q.macro_scales);
    if (o.row_scaled) {
      out["row_amax"] = Tensor::of(DType::kF32, {rows}, q.row_amax);
      out["row_tensor_scales"] = Tensor::of(DType::kF32, {rows}, q.row_tensor_scales);
    }
    return out;
  }

 private:
  Outputs run_mma(const VectorSet& set) const {
    std::vector<float> d;
    size_t m = 0, n = 0;
    if (mma_ == CudaMma::kCublasLt) {
      const golden::MmaRecipe& g = golden::find_mma_recipe(set.recipe());
      const std::vector<uint8_t> a = set.tensor("a_codes").as<uint8_t>(), b = set.tensor("b_codes").as<uint8_t>();
      const std::vector<uint8_t> sa = set.tensor("a_scales").as<uint8_t>(), sb = set.tensor("b_scales").as<uint8_t>();
      const std::vector<float> c = set.tensor("c").as<float>();
      m = static_cast<size_t>(set.tensor("a_codes").shape[0]);
      n = static_cast<size_t>(set.tensor("b_codes").shape[0]);
      const size_t k = static_cast<size_t>(set.tensor("a_codes").shape[1]) * 2;
      d = gpu::cublaslt_block_mma(g.block == 16, m, n, k, a.data(), b.data(), sa.data(), sb.data(),
                                  c.empty() ? nullptr : c.data());
    } else {
      std::string why;
      const gpu::mma::MmaRecipe r = cuda_mma_recipe(golden::find_mma_recipe(set.recipe()), why);
      const MmaOperands o = mma_operands(set);
      m = o.m;
      n = o.n;
      const float* c = o.c.empty() ? nullptr : o.c.data();
      d = mma_ == CudaMma::kBf16
              ? gpu::block_mma_bf16(r, o.m, o.n, o.k, o.a_codes.data(), o.b_codes.data(), o.a_scales.data(),
                                    o.b_scales.data(), c)
              : gpu::block_mma(r, o.m, o.n, o.k, o.a_codes.data(), o.b_codes.data(), o.a_scales.data(),
                               o.b_scales.data(), c);
    }
    Outputs out;
    out["d"] = vectors::Tensor::of(vectors::DType::kF32, {static_cast<int64_t>(m), static_cast<int64_t>(n)}, d);
    return out;
  }

  CudaMma mma_;
  std::string no_device_;
};
#endif

}  // namespace

std::string set_name(const VectorSet& set, const std::filesystem::path& file) {
  const auto it = set.metadata.find("name");
  return it != set.metadata.end() ? it->second : file.stem().string();
}

std::vector<BackendInfo> list_backends() {
  std::vector<BackendInfo> infos = {
      {"golden", true, "the fp4v golden model"},
      {"file:PATH", true, "outputs written by another implementation, one file per vector set"},
      {"mutant:NAME", true, "the golden model with a deliberate bug (fp4v mutate --list names them)"},
  };
  for (BackendInfo& b : rtl_backend_infos()) infos.push_back(std::move(b));
#if FP4V_WITH_CUDA
  infos.push_back({"cuda", true, "CUDA kernels (gpu/) on the first CUDA device: quantize sets, mma sets (bit-exact emulation)"});
  infos.push_back({"cuda:cublaslt", true,
                   "as cuda, the mma sets through cuBLASLt's NVFP4/MXFP4 GEMM (sm_100/sm_120; not yet run on a GPU)"});
  infos.push_back({"cuda:bf16", true,
                   "as cuda, the mma sets through the BF16 fast path (dequantize + cuBLASLt BF16 GEMM): not bit-exact"});
#else
  infos.push_back({"cuda", false, "CUDA kernels: not built (nvcc was not found when this build was configured)"});
#endif
  return infos;
}

std::unique_ptr<Backend> make_backend(const std::string& spec, const BackendOptions& options) {
  if (spec == "golden") return std::make_unique<GoldenBackend>();
  if (spec.rfind("file:", 0) == 0 && spec.size() > 5) {
    const std::filesystem::path path = spec.substr(5);
    if (!std::filesystem::exists(path)) throw std::invalid_argument(spec + ": no such file or directory");
    return std::make_unique<FileBackend>(path, options.scale_layout);
  }
#if FP4V_WITH_CUDA
  if (spec == "cuda") return std::make_unique<CudaBackend>();
  if (spec == "cuda:cublaslt") return std::make_unique<CudaBackend>(CudaMma::kCublasLt);
  if (spec == "cuda:bf16") return std::make_unique<CudaBackend>(CudaMma::kBf16);
#endif
  if (spec.rfind("mutant:", 0) == 0) return std::make_unique<MutantBackend>(find_mutant(spec.substr(7)));
  if (auto rtl = make_rtl_backend(spec)) return rtl;
  for (const BackendInfo& b : list_backends()) {
    if (b.name == spec && !b.present) throw std::invalid_argument("backend '" + spec + "' is not available: " + b.note);
  }
  throw std::invalid_argument("unknown backend '" + spec + "' (known: golden, file:PATH, mutant:NAME, rtl[:mutant=CONFIG], systemc[:OPTIONS]; see fp4v list)");
}

}  // namespace fp4v::harness
