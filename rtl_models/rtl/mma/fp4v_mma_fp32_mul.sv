// fp4v_mma_fp32_mul: x * y in FP32, round to nearest even (IEEE 754 with
// subnormals, x86 SSE's default NaN 0xFFC00000 for Inf x 0); neither input is
// NaN (the sequential lane decides NaN scales and a NaN C before).
module fp4v_mma_fp32_mul (
  input  logic [31:0] x,
  input  logic [31:0] y,
  output logic [31:0] p
);
  localparam int unsigned ExpW = fp4v_mma_pkg::ExpW;
  localparam logic [31:0] DefaultNan = 32'hFFC0_0000;

  logic [23:0] sig_x, sig_y;
  logic [47:0] product;
  fp4v_mma_pkg::exp_t exp_x, exp_y;
  logic inf_x, inf_y, neg, zero;
  logic [31:0] rounded;

  always_comb begin
    inf_x = x[30:23] == 8'hFF;
    inf_y = y[30:23] == 8'hFF;
    sig_x = {x[30:23] != 8'd0, x[22:0]};
    sig_y = {y[30:23] != 8'd0, y[22:0]};
    // the weight of the significand's last bit: 2^(max(field, 1) - 150)
    exp_x = $signed(ExpW'({4'b0, x[30:23] == 8'd0 ? 8'd1 : x[30:23]})) - $signed(ExpW'(150));
    exp_y = $signed(ExpW'({4'b0, y[30:23] == 8'd0 ? 8'd1 : y[30:23]})) - $signed(ExpW'(150));
    product = 48'(sig_x) * 48'(sig_y);
    neg = x[31] ^ y[31];
    zero = x[30:0] == '0 || y[30:0] == '0;
  end

  fp4v_mma_round_fp32 #(.W(48), .SIGNED_ZERO(1'b1)) u_round (
    .neg       (neg),
    .mag       (product),
    .lsb_exp   (exp_x + exp_y),
    .rne       (1'b1),
    .use_sticky(1'b1),
    .ftz       (1'b0),
    .result    (rounded)
  );

  assign p = (inf_x || inf_y) ? (zero ? DefaultNan : {neg, 31'h7F80_0000})
           : zero ? {neg, 31'b0} : rounded;
endmodule
