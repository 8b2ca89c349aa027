// fp4v_mma_dequant: an E2M1 code times its block scale, rounded to FP32
// (RNE): what a host reference computes before it multiplies (exact except
// past FLT_MAX, e.g. 6 x 2^127, which is Inf). The sign of a zero is the
// code's.
module fp4v_mma_dequant #(
  parameter int unsigned SCALE_FMT = fp4v_mma_pkg::ScaleUe4m3
) (
  input  logic [3:0]  code,
  input  logic [7:0]  scale,
  output logic [31:0] value
);
  localparam int unsigned ExpW = fp4v_mma_pkg::ExpW;
  logic signed [7:0] twice;
  logic [7:0] magnitude;  // |2 q| x sig <= 12 x 15
  logic [31:0] rounded;
  fp4v_mma_pkg::exp_t lsb_exp;

  always_comb begin
    twice = 8'(fp4v_mma_pkg::e2m1_twice(code));  // sign-extended
    magnitude = $unsigned(twice[7] ? -twice : twice) * 8'(fp4v_mma_pkg::scale_sig(scale, SCALE_FMT));
    lsb_exp = fp4v_mma_pkg::scale_exp(scale, SCALE_FMT, fp4v_mma_pkg::MutNone) - $signed(ExpW'(4));
  end

  // value = magnitude x 2^(exp - 3 - 1): sig has 3 fraction bits, 2 q one
  fp4v_mma_round_fp32 #(.W(8), .SIGNED_ZERO(1'b1)) u_round (
    .neg       (code[3]),
    .mag       (magnitude),
    .lsb_exp   (lsb_exp),
    .rne       (1'b1),
    .use_sticky(1'b1),
    .ftz       (1'b0),
    .result    (rounded)
  );

  assign value = magnitude == '0 ? {code[3], 31'b0} : rounded;
endmodule
