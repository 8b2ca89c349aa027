// The E8M0 scale byte of a block from its amax a (FP32 magnitude bits; the
// MBS path may bring Inf, field 255). The floor rules read a's exponent field
// directly: floor(log2 a) - 2 is field - 2 - 127 (2 is E2M1's emax), so the
// byte is field - 2, clamped at 0 (2^-127) for zero and tiny blocks.
module fp4v_mx_scale_byte #(
  parameter int unsigned RULE   = fp4v_mx_pkg::RuleOcpFloor,
  parameter int unsigned MUTANT = fp4v_mx_pkg::MutNone
) (
  input  logic [30:0] amax,
  output logic [7:0]  scale_byte
);

  localparam bit Oas = RULE == fp4v_mx_pkg::RuleOverflowAware || RULE == fp4v_mx_pkg::RuleMbs;
  localparam int MinByte = MUTANT == fp4v_mx_pkg::MutScaleClampOffByOne ? 1 : 0;

  always_comb begin
    logic [7:0]  field;
    logic [22:0] mantissa;
    logic        bump;
    integer          exponent;
    field    = amax[30:23];
    mantissa = amax[22:0];
    // OAS: a significand above 1.75 would round past 6 under 2^(floor - 2);
    // one binade up keeps it inside (arXiv 2603.08713).
    if (MUTANT == fp4v_mx_pkg::MutOasThresholdGe) bump = Oas && mantissa >= fp4v_mx_pkg::OasBumpAbove;
    else bump = Oas && mantissa > fp4v_mx_pkg::OasBumpAbove;
    exponent = $signed(32'(field)) - 2 + $signed(32'(bump));
    if (MUTANT == fp4v_mx_pkg::MutScaleCeil) exponent = $signed(32'(field)) - 2 + $signed(32'(mantissa != 0));
    if (exponent < MinByte) exponent = MinByte;
    if (exponent > 254) exponent = 254;
    scale_byte = 8'(exponent);
    if (Oas && amax == 0) begin
      scale_byte = MUTANT == fp4v_mx_pkg::MutOasZeroBlockByte0 ? 8'd0 : 8'(fp4v_mx_pkg::OasZeroBlockByte);
    end
  end

endmodule
