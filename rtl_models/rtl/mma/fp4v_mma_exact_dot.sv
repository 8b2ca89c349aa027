// fp4v_mma_exact_dot: one output element in the exact model: every block's
// sum of products times its two scales, and C, added into a two's-complement
// fixed-point accumulator wide enough for all of them (no bit is ever lost),
// across the beats from first to last; the sum is rounded once (RNE, with a
// sticky bit) when the last beat has been added.
module fp4v_mma_exact_dot #(
  parameter int unsigned K = 64,
  parameter int unsigned BLOCK = 32,
  parameter int unsigned SCALE_FMT = fp4v_mma_pkg::ScaleE8m0,
  parameter int unsigned RNE = 1,
  parameter int unsigned CHAIN_BITS = 16,  // up to 2^CHAIN_BITS beats per dot product
  parameter int unsigned MUTANT = fp4v_mma_pkg::MutNone,
  localparam int unsigned NB = K / BLOCK
) (
  input  logic            clk,
  input  logic            beat_en,  // a beat is taken this edge
  input  logic            first,
  input  logic            last,
  input  logic [4*K-1:0]  a_codes,
  input  logic [4*K-1:0]  b_codes,
  input  logic [8*NB-1:0] a_scales,
  input  logic [8*NB-1:0] b_scales,
  input  logic [31:0]     c,
  output logic [31:0]     d         // the last finished dot product, held
);
  localparam int unsigned ExpW = fp4v_mma_pkg::ExpW;
  localparam int unsigned QW = $clog2(144 * BLOCK + 1) + 1;
  localparam int unsigned PW = QW + 8;
  // The accumulator's unit: the smallest quantum of a term or of C.
  // UE4M3 terms reach 2^(-6 - 6 - 8) only, C 2^-149; E8M0 terms 2^(-127 - 127 - 8).
  localparam int AccLsb = SCALE_FMT == fp4v_mma_pkg::ScaleE8m0 ? -262 : -149;
  localparam int TermTop = (SCALE_FMT == fp4v_mma_pkg::ScaleE8m0 ? 254 : 16) - 8 + PW + $clog2(NB + 1);
  localparam int AccTop = (TermTop > 129 ? TermTop : 129) + CHAIN_BITS + 1;
  localparam int unsigned AccW = AccTop - AccLsb + 1;
  typedef logic signed [AccW-1:0] acc_t;

  acc_t contribution, acc_q, res_q, sum;
  logic beat_nan, nan_q, res_nan_q, c_nan, c_inf, c_inf_q, res_inf_q;
  logic [31:0] c_q, res_c_q, rounded;
  logic [AccW-1:0] magnitude;
  logic [NB*PW-1:0] products;
  logic [NB*ExpW-1:0] exponents;

  // one term per block: its products' sum times its two scales
  fp4v_mma_group_terms #(.K(K), .G(BLOCK), .BLOCK(BLOCK), .SCALE_FMT(SCALE_FMT), .MUTANT(MUTANT))
    u_terms (a_codes, b_codes, a_scales, b_scales, products, exponents, beat_nan);

  always_comb begin
    logic [23:0] c_sig;
    fp4v_mma_pkg::exp_t c_exp, shift;
    acc_t term;
    contribution = '0;
    for (int unsigned b = 0; b < NB; b++) begin
      // product x 2^(exp_a + exp_b - 8); a zero scale gives a zero product,
      // whatever (negative) shift its exponent asks for
      shift = $signed(exponents[ExpW*b +: ExpW]) - $signed(ExpW'(8)) - $signed(ExpW'(AccLsb));
      term = AccW'($signed(products[PW*b +: PW]));
      contribution = contribution + (shift < 0 ? $signed(AccW'(0)) : term << shift);
    end
    // C, read on the first beat: c_sig x 2^(c_exp - 23)
    c_nan = c[30:23] == 8'hFF && c[22:0] != '0;
    c_inf = c[30:23] == 8'hFF && c[22:0] == '0 && MUTANT != fp4v_mma_pkg::MutInfC;
    if (c[30:23] == 8'd0) begin
      c_sig = MUTANT == fp4v_mma_pkg::MutCDaz ? 24'd0 : {1'b0, c[22:0]};
      c_exp = $signed(ExpW'(-126));
    end else begin
      c_sig = {1'b1, c[22:0]};
      c_exp = $signed(ExpW'({4'b0, c[30:23]})) - $signed(ExpW'(127));
    end
    shift = c_exp - $signed(ExpW'(23)) - $signed(ExpW'(AccLsb));
    term = $signed(AccW'(AccW'(c_sig) << shift));
    if (first) contribution = contribution + (c[31] ? -term : term);
    sum = (first ? $signed(AccW'(0)) : acc_q) + contribution;
  end

  always_ff @(posedge clk) begin
    if (beat_en) begin
      acc_q <= sum;
      nan_q <= (first ? c_nan : nan_q) | beat_nan;
      if (first) begin
        c_inf_q <= c_inf;
        c_q <= c;
      end
      if (last) begin
        res_q <= sum;
        res_nan_q <= (first ? c_nan : nan_q) | beat_nan;
        res_inf_q <= first ? c_inf : c_inf_q;
        res_c_q <= first ? c : c_q;
      end
    end
  end

  assign magnitude = res_q[AccW-1] ? AccW'(-res_q) : AccW'(res_q);

  fp4v_mma_round_fp32 #(.W(AccW), .SIGNED_ZERO(MUTANT != fp4v_mma_pkg::MutUnsignedZero)) u_round (
    .neg       (res_q[AccW-1]),
    .mag       (magnitude),
    .lsb_exp   ($signed(ExpW'(AccLsb))),
    .rne       (RNE != 0),
    .use_sticky(MUTANT != fp4v_mma_pkg::MutNoSticky),
    .ftz       (MUTANT == fp4v_mma_pkg::MutResultFtz),
    .result    (rounded)
  );

  // NaN scales (any beat) or a NaN C give NaN; otherwise an infinite C is the result
  assign d = res_nan_q ? fp4v_mma_pkg::CanonicalNan : res_inf_q ? res_c_q : rounded;
endmodule
