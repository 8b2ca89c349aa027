// The block scale of TransformerEngine's NVFP4 recipe (nvfp4.te), with the
// FP32 operations it prescribes, each rounded as software rounds it:
//   s_hp = fl(a * fl(S_enc * fl(1/6)))            FP32 multiply, RNE
//   s    = UE4M3_RNE(min(s_hp, 448))             a second rounding of s_hp
//   m    = min(fl(1 / fl(s * fl(1/S_enc))), FLT_MAX)
// The reciprocal must be correctly rounded to match CUDA's IEEE division:
// an approximate reciprocal (Newton-Raphson, a table) differs in the last
// bit on some divisors and so moves elements across E2M1 midpoints. It is
// computed per block (not per element) by a restoring array divider of 27
// rows on the 24-bit significand with the remainder as sticky bit
// (fp4v_nvfp4_pkg::fp32_div); one block per cycle needs it unrolled.
module fp4v_nvfp4_te_scale #(
  parameter int unsigned MUTANT = 0
) (
  input  logic [31:0] amax,          // block amax, FP32 bits
  input  logic [31:0] block_factor,  // fl(S_enc * fl(1/6)), FP32 bits
  input  logic [31:0] s_dec,         // fl(1/S_enc), FP32 bits
  output logic [6:0]  scale,         // UE4M3 code
  output logic [31:0] multiplier     // m, FP32 bits
);
  localparam logic [1:0] Rounding =
      MUTANT == fp4v_nvfp4_pkg::MutScaleTowardZero ? fp4v_nvfp4_pkg::RoundTowardZero :
      MUTANT == fp4v_nvfp4_pkg::MutStickyDropped   ? fp4v_nvfp4_pkg::RoundNoSticky :
                                                     fp4v_nvfp4_pkg::RoundNearestEven;
  localparam logic [6:0] Largest =
      MUTANT == fp4v_nvfp4_pkg::MutScaleClampLow ? 7'h77 : fp4v_nvfp4_pkg::Ue4m3Max;

  logic [31:0] scale_hp, clamped, field, divisor, reciprocal;

  always_comb begin
    scale_hp = fp4v_nvfp4_pkg::fp32_mul(amax, block_factor);
    clamped = scale_hp[30:0] > fp4v_nvfp4_pkg::Fp32E4m3Max[30:0] ? fp4v_nvfp4_pkg::Fp32E4m3Max : scale_hp;
    field = fp4v_nvfp4_pkg::round_float(64'(fp4v_nvfp4_pkg::fp32_mant(clamped)),
                                        fp4v_nvfp4_pkg::fp32_lsb_exp(clamped), 1'b0, 3, 7, Rounding);
    scale = field > 32'(Largest) ? Largest : field[6:0];
    if (MUTANT == fp4v_nvfp4_pkg::MutSubnormalFlush && scale[6:3] == 4'd0) scale = 7'd0;
    divisor = fp4v_nvfp4_pkg::fp32_mul(fp4v_nvfp4_pkg::ue4m3_to_fp32(scale), s_dec);
    reciprocal = fp4v_nvfp4_pkg::fp32_div(fp4v_nvfp4_pkg::Fp32One, divisor,
                                          MUTANT == fp4v_nvfp4_pkg::MutRecipTruncated);
    // A zero scale gives 1/0 = Inf, clamped to FLT_MAX as TE does.
    multiplier = reciprocal[30:0] >= fp4v_nvfp4_pkg::Fp32Inf[30:0] ? fp4v_nvfp4_pkg::Fp32Max : reciprocal;
  end
endmodule
