// The two Four Over Six scale candidates of the exact recipes (nvfp4.46):
// s6 = UE4M3_RNE(a * S_enc / 6) and s4 = UE4M3_RNE(a * S_enc / 4), each
// rounded once from the exact value (s4 is not derived from s6).
//
// z = a * S_enc is exact as a 48-bit product of the significands. z / 4 is
// an exponent change. z / 6 = (z / 3) / 2: the product is divided by the
// constant 3 with its remainder, and the remainder joins the sticky bit, so
// the rounding of the quotient equals the rounding of the real value (the
// quotient keeps at least 21 bits above the UE4M3 rounding position).
module fp4v_nvfp4_exact_scales #(
  parameter int unsigned MUTANT = 0
) (
  input  logic [31:0] amax,    // block amax, FP32 bits
  input  logic [31:0] s_enc,   // per-tensor scale, FP32 bits (positive, finite)
  output logic [6:0]  scale6,  // UE4M3 codes
  output logic [6:0]  scale4
);
  localparam logic [1:0] Rounding =
      MUTANT == fp4v_nvfp4_pkg::MutScaleTowardZero ? fp4v_nvfp4_pkg::RoundTowardZero :
      MUTANT == fp4v_nvfp4_pkg::MutStickyDropped   ? fp4v_nvfp4_pkg::RoundNoSticky :
                                                     fp4v_nvfp4_pkg::RoundNearestEven;
  localparam logic [6:0] Largest =
      MUTANT == fp4v_nvfp4_pkg::MutScaleClampLow ? 7'h77 : fp4v_nvfp4_pkg::Ue4m3Max;

  logic [47:0]        product;
  logic signed [11:0] product_exp;
  logic [47:0]        third;
  logic [1:0]         third_remainder;
  logic [31:0]        field6, field4;

  // Saturating UE4M3 (E4M3 satfinite): past 448 the largest finite code.
  function automatic logic [6:0] saturate(input logic [31:0] field);
    logic [6:0] code;
    code = field > 32'(Largest) ? Largest : field[6:0];
    if (MUTANT == fp4v_nvfp4_pkg::MutSubnormalFlush && code[6:3] == 4'd0) code = 7'd0;
    saturate = code;
  endfunction

  always_comb begin
    product = 48'(fp4v_nvfp4_pkg::fp32_mant(amax)) * 48'(fp4v_nvfp4_pkg::fp32_mant(s_enc));
    product_exp = fp4v_nvfp4_pkg::fp32_lsb_exp(amax) + fp4v_nvfp4_pkg::fp32_lsb_exp(s_enc);
    third = product / 48'd3;
    third_remainder = 2'(product - 48'd3 * third);
    field6 = fp4v_nvfp4_pkg::round_float(64'(third), product_exp - 12'sd1,
                                         third_remainder != 2'd0 && MUTANT != fp4v_nvfp4_pkg::MutRemainderDropped,
                                         3, 7, Rounding);
    field4 = fp4v_nvfp4_pkg::round_float(64'(product), product_exp - 12'sd2, 1'b0, 3, 7, Rounding);
    scale6 = saturate(field6);
    scale4 = saturate(field4);
  end
endmodule
