// fp4v_mma_fp32_add: a + b in FP32, round to nearest even (IEEE 754 with
// subnormals; a NaN operand returns the first NaN, as x86 SSE does; Inf - Inf
// gives its default NaN 0xFFC00000). The finite sum is exact in a fixed-point
// window from 2^-149 to 2^129, then rounded once.
module fp4v_mma_fp32_add (
  input  logic [31:0] a,
  input  logic [31:0] b,
  output logic [31:0] s
);
  localparam int unsigned ExpW = fp4v_mma_pkg::ExpW;
  localparam int unsigned SW = 281;  // 2^-149 .. 2^130, signed
  localparam logic [31:0] DefaultNan = 32'hFFC0_0000;

  logic nan_a, nan_b, inf_a, inf_b;
  logic signed [SW-1:0] term_a, term_b, sum;
  logic [SW-1:0] magnitude;
  logic [31:0] rounded;

  // an FP32 value in units of 2^-149: its significand shifted by max(field, 1) - 1
  function automatic logic signed [SW-1:0] fixed(input logic [31:0] v);
    logic signed [SW-1:0] t;
    t = $signed(SW'({v[30:23] != 8'd0, v[22:0]}) << (v[30:23] == 8'd0 ? 8'd0 : v[30:23] - 8'd1));
    fixed = v[31] ? -t : t;
  endfunction

  always_comb begin
    nan_a = a[30:23] == 8'hFF && a[22:0] != '0;
    nan_b = b[30:23] == 8'hFF && b[22:0] != '0;
    inf_a = a[30:23] == 8'hFF && a[22:0] == '0;
    inf_b = b[30:23] == 8'hFF && b[22:0] == '0;
    term_a = fixed(a);
    term_b = fixed(b);
    sum = term_a + term_b;
    magnitude = sum[SW-1] ? SW'(-sum) : SW'(sum);
  end

  fp4v_mma_round_fp32 #(.W(SW), .SIGNED_ZERO(1'b1)) u_round (
    .neg       (sum[SW-1]),
    .mag       (magnitude),
    .lsb_exp   ($signed(ExpW'(-149))),
    .rne       (1'b1),
    .use_sticky(1'b1),
    .ftz       (1'b0),
    .result    (rounded)
  );

  always_comb begin
    if (nan_a) s = a | 32'h0040_0000;
    else if (nan_b) s = b | 32'h0040_0000;
    else if (inf_a && inf_b && a[31] != b[31]) s = DefaultNan;
    else if (inf_a) s = a;
    else if (inf_b) s = b;
    else if (sum == '0) s = {a[31] & b[31], 31'b0};  // x - x = +0; -0 + -0 = -0
    else s = rounded;
  end
endmodule
