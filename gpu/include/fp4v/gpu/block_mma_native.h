// Blackwell-native block-scaled MMA (sm_120a: mma.sync ... kind::mxf4nvf4 /
// kind::mxf4 .block_scale): the hardware's own accumulation, to be compared
// with golden's blackwell.* presets. Status: compiled (its SASS is checked
// by tests/gpu/gemm_sass_test.sh); NOT run on a GPU yet, and the fragment
// layouts (A, B, C and the scale registers) follow our reading of the PTX ISA
// without a device to confirm them: not used by the cuda backend until a run
// on an RTX 50 / RTX PRO Blackwell matches golden.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fp4v::gpu {

enum class NativeMmaKind : uint8_t {
  kNvf4Ue4m3x16,  // kind::mxf4nvf4.block_scale.scale_vec::4X ... .ue4m3
  kNvf4Ue8m0x32,  // kind::mxf4nvf4.block_scale.scale_vec::2X ... .ue8m0
  kMxf4Ue8m0x32,  // kind::mxf4.block_scale.scale_vec::2X ... .ue8m0
};

// Whether the first device runs the sm_120a code (compute capability 12.x);
// `why` says why not ("needs sm_120 ...").
bool native_mma_available(std::string* why);

// D = A B^T (+ C) as block_mma (block_mma.h), with PACKED codes (two per
// byte, element 2i in the low nibble, as the vector sets store them); m a
// multiple of 16, n of 8, k of 64. Throws std::runtime_error where the
// device cannot run it.
std::vector<float> block_mma_native(NativeMmaKind kind, size_t m, size_t n, size_t k,
                                    const uint8_t* a_packed, const uint8_t* b_packed,
                                    const uint8_t* a_scales, const uint8_t* b_scales, const float* c);

// sm_100a (B200, B300): tcgen05.mma ... kind::mxf4nvf4.block_scale, one
// 128 x 128 tile per CTA (block_mma_tcgen05.cu). Whether the first device is
// compute capability 10.x; `why` says why not ("not run: needs sm_100 ...").
// NOT run: no sm_100 device was available.
bool tcgen05_available(std::string* why);

// As block_mma_native: packed codes, UE4M3 scales per 16 (ue8m0 false) or
// E8M0 per 32 (true); any m, n; k a multiple of the block.
std::vector<float> block_mma_tcgen05(bool ue8m0, size_t m, size_t n, size_t k, const uint8_t* a_packed,
                                     const uint8_t* b_packed, const uint8_t* a_scales, const uint8_t* b_scales,
                                     const float* c);

}  // namespace fp4v::gpu
