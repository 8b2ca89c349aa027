// rcp.approx.ftz.f32 as one GPU computes it. PTX bounds this instruction's
// error (1 ulp) but does not fix its bits; FlashInfer's fast-math 4/6 path
// and vLLM's NVFP4 KV cache take their reciprocals from it, so their bits are
// the GPU's. Measured, not derived: see docs/recipes.md.
#pragma once

namespace fp4v::golden {

// rcp.approx.ftz.f32 (SASS MUFU.RCP) as measured on an NVIDIA H200 (sm_90,
// driver 580.159.04, 2026-11-30): every mantissa at [1, 2), and all 2^32
// inputs checked against the rule below on the GPU with 0 differences
// (reports/gpu/2026-11-30-wild3-h200.md). Blackwell's MUFU was NOT measured:
// recipes for SM100 kernels that use this assume it equals Hopper's.
//
// The rule: subnormal and zero inputs give Inf of their sign; Inf gives 0 of
// its sign; NaN gives 0x7FFFFFFF; otherwise the result for the input's
// mantissa at [1, 2), scaled by the input's power of two, flushed to zero of
// its sign where it would be subnormal.
float rcp_approx_ftz_sm90(float x);

// The size of the stored table in bytes (one bit per mantissa: 2^20).
unsigned long rcp_approx_table_bytes();

}  // namespace fp4v::golden
