// fp4v_mma_fused_dot: one output element of one MMA instruction (K codes) in
// the fused dot-product model of the tensor cores (MMA-Sim,
// nv_fused_dot_add_with_block_scale): each group of G products is summed
// exactly and multiplied by its two scales; these group terms and C are
// aligned to the largest exponent among them (zero groups and a zero C take
// part: their exponents come from the scales, and -126 for a zero) and
// truncated toward zero to F fraction bits; the sum of the truncated terms is
// exact and is rounded once to FP32. Combinational.
module fp4v_mma_fused_dot #(
  parameter int unsigned K = 64,
  parameter int unsigned BLOCK = 16,
  parameter int unsigned G = 16,
  parameter int unsigned F = 35,
  parameter int unsigned SCALE_FMT = fp4v_mma_pkg::ScaleUe4m3,
  parameter int unsigned RNE = 0,
  parameter int unsigned MUTANT = fp4v_mma_pkg::MutNone,
  localparam int unsigned NB = K / BLOCK
) (
  input  logic [4*K-1:0]  a_codes,
  input  logic [4*K-1:0]  b_codes,
  input  logic [8*NB-1:0] a_scales,
  input  logic [8*NB-1:0] b_scales,
  input  logic [31:0]     c,
  output logic [31:0]     d
);
  localparam int unsigned ExpW = fp4v_mma_pkg::ExpW;
  localparam int unsigned GE = MUTANT == fp4v_mma_pkg::MutGroup8 ? 8 : G;       // the group size built
  localparam int unsigned FE = MUTANT == fp4v_mma_pkg::MutFracShort ? F - 1 : F; // fraction bits kept
  localparam int unsigned NG = K / GE;
  localparam int unsigned QW = $clog2(144 * GE + 1) + 1;
  localparam int unsigned PW = QW + 8;          // |quarters| x sig x sig
  localparam int unsigned MW = PW > 24 ? PW : 24;  // a term's or C's magnitude
  localparam int unsigned AW = MW + FE + 1;     // aligned, one bit below for the mutant's rounding
  localparam int unsigned SW = AW + $clog2(NG + 2) + 1;  // the signed sum of NG + 1 terms

  logic [NG*PW-1:0] products;  // group g: the term is product x 2^(exp - 8)
  logic [NG*ExpW-1:0] exponents;
  logic signed [PW-1:0] product [NG];
  fp4v_mma_pkg::exp_t term_exp [NG];
  fp4v_mma_pkg::exp_t c_exp, max_exp;
  logic [23:0] c_sig;
  logic c_nan, c_inf, scale_nan;
  logic signed [SW-1:0] total;
  logic [SW-1:0] magnitude;
  logic [31:0] rounded, result;
  logic [31:0] c_fused;  // the C that joins the alignment
  assign c_fused = MUTANT == fp4v_mma_pkg::MutCAfter ? 32'd0 : c;

  fp4v_mma_group_terms #(.K(K), .G(GE), .BLOCK(BLOCK), .SCALE_FMT(SCALE_FMT), .MUTANT(MUTANT))
    u_terms (a_codes, b_codes, a_scales, b_scales, products, exponents, scale_nan);

  always_comb begin
    logic [AW-1:0] shifted;
    logic [AW-1:0] aligned;
    logic [PW-1:0] pmag;
    fp4v_mma_pkg::exp_t distance;
    // C as c_sig x 2^(c_exp - 23): MMA-Sim's exponent is at least -126, and -126 for a zero
    c_nan = c[30:23] == 8'hFF && c[22:0] != '0;
    c_inf = c[30:23] == 8'hFF && c[22:0] == '0 && MUTANT != fp4v_mma_pkg::MutInfC;
    if (c_fused[30:23] == 8'd0) begin
      c_sig = MUTANT == fp4v_mma_pkg::MutCDaz ? 24'd0 : {1'b0, c_fused[22:0]};
      c_exp = $signed(ExpW'(-126));
    end else begin
      c_sig = {1'b1, c_fused[22:0]};
      c_exp = $signed(ExpW'({4'b0, c_fused[30:23]})) - $signed(ExpW'(127));
    end
    max_exp = c_exp;
    for (int unsigned g = 0; g < NG; g++) begin
      product[g] = $signed(products[PW*g +: PW]);
      term_exp[g] = $signed(exponents[ExpW*g +: ExpW]);
      // every group takes part, a zero one too (unless the mutant skips it)
      if (term_exp[g] > max_exp && (MUTANT != fp4v_mma_pkg::MutZeroGroupAlign || product[g] != '0)) max_exp = term_exp[g];
    end
    // Each term times 2^(FE - max_exp), its magnitude truncated toward zero
    // (one extra bit kept below, for the mutant that rounds instead).
    // C: c_sig x 2^(c_exp - 23 + FE - max_exp)
    distance = max_exp - c_exp + $signed(ExpW'(23));
    shifted = AW'(c_sig) << (FE + 1);
    aligned = shifted >> distance;
    if (MUTANT == fp4v_mma_pkg::MutAlignRound) aligned = aligned + AW'(1);
    total = SW'(aligned[AW-1:1]);
    if (c_fused[31]) total = -total;
    for (int unsigned g = 0; g < NG; g++) begin
      // product x 2^(term_exp - 8 + FE - max_exp)
      pmag = product[g][PW-1] ? PW'(-product[g]) : PW'(product[g]);
      distance = max_exp - term_exp[g] + $signed(ExpW'(8));
      shifted = AW'(pmag) << (FE + 1);
      aligned = shifted >> distance;
      if (MUTANT == fp4v_mma_pkg::MutAlignRound) aligned = aligned + AW'(1);
      if (product[g][PW-1]) total = total - SW'(aligned[AW-1:1]);
      else total = total + SW'(aligned[AW-1:1]);
    end
    magnitude = total[SW-1] ? SW'(-total) : SW'(total);
  end

  fp4v_mma_round_fp32 #(.W(SW), .SIGNED_ZERO(1'b0)) u_round (
    .neg       (total[SW-1]),
    .mag       (magnitude),
    .lsb_exp   (max_exp - $signed(ExpW'(FE))),
    .rne       (RNE != 0 || MUTANT == fp4v_mma_pkg::MutFinalRne),
    .use_sticky(1'b1),
    .ftz       (MUTANT == fp4v_mma_pkg::MutResultFtz),
    .result    (rounded)
  );

  if (MUTANT == fp4v_mma_pkg::MutCAfter) begin : gen_c_after
    // the products' sum without C, then an FP32 add (an epilogue adder)
    fp4v_mma_fp32_add u_add (.a(c), .b(rounded), .s(result));
  end else begin : gen_c_fused
    assign result = rounded;
  end

  // NaN scales, then NaN C, then infinite C decide before the sum (MMA-Sim)
  if (MUTANT == fp4v_mma_pkg::MutInfBeforeNan) begin : gen_inf_first
    assign d = c_inf ? c : (scale_nan || c_nan) ? fp4v_mma_pkg::CanonicalNan : result;
  end else begin : gen_nan_first
    assign d = (scale_nan || c_nan) ? fp4v_mma_pkg::CanonicalNan : c_inf ? c : result;
  end
endmodule
