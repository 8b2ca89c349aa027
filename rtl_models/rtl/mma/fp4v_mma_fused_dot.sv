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

  logic [4*K-1:0] a_read;
  logic signed [QW-1:0] quarters [NG];
  logic signed [PW-1:0] product [NG];  // quarters x sig_a x sig_b: the term is product x 2^(exp - 8)
  fp4v_mma_pkg::exp_t term_exp [NG];
  fp4v_mma_pkg::exp_t c_exp, max_exp;
  logic [23:0] c_sig;
  logic c_nan, c_inf, scale_nan;
  logic signed [SW-1:0] total;
  logic [SW-1:0] magnitude;
  logic [31:0] rounded;

  // A's codes, as the mutant may read them
  always_comb begin
    for (int unsigned k = 0; k < K; k++) a_read[4*k +: 4] = a_codes[4*fp4v_mma_pkg::code_index(k, MUTANT) +: 4];
  end

  for (genvar g = 0; g < NG; g++) begin : gen_group
    fp4v_mma_group_sum #(.G(GE), .QW(QW)) u_sum (
      .a_codes (a_read[4*GE*g +: 4*GE]),
      .b_codes (b_codes[4*GE*g +: 4*GE]),
      .quarters(quarters[g])
    );
  end

  always_comb begin
    logic [7:0] sa, sb;
    logic signed [PW-1:0] sig_product;
    logic [AW-1:0] shifted;
    logic [AW-1:0] aligned;
    logic [PW-1:0] pmag;
    fp4v_mma_pkg::exp_t distance;
    scale_nan = 1'b0;
    for (int unsigned b = 0; b < NB; b++) begin
      scale_nan = scale_nan | fp4v_mma_pkg::scale_is_nan(a_scales[8*b +: 8], SCALE_FMT) |
                  fp4v_mma_pkg::scale_is_nan(b_scales[8*b +: 8], SCALE_FMT);
    end
    // C as c_sig x 2^(c_exp - 23): MMA-Sim's exponent is at least -126, and -126 for a zero
    c_nan = c[30:23] == 8'hFF && c[22:0] != '0;
    c_inf = c[30:23] == 8'hFF && c[22:0] == '0 && MUTANT != fp4v_mma_pkg::MutInfC;
    if (c[30:23] == 8'd0) begin
      c_sig = MUTANT == fp4v_mma_pkg::MutCDaz ? 24'd0 : {1'b0, c[22:0]};
      c_exp = $signed(ExpW'(-126));
    end else begin
      c_sig = {1'b1, c[22:0]};
      c_exp = $signed(ExpW'({4'b0, c[30:23]})) - $signed(ExpW'(127));
    end
    max_exp = (MUTANT == fp4v_mma_pkg::MutCZeroExp && c_sig == '0) ? $signed(ExpW'(-1024)) : c_exp;
    for (int unsigned g = 0; g < NG; g++) begin
      sa = a_scales[8*((g*GE)/BLOCK) +: 8];
      sb = b_scales[8*((g*GE)/BLOCK) +: 8];
      sig_product = PW'($signed({1'b0, fp4v_mma_pkg::scale_sig(sa, SCALE_FMT)})) *
                    PW'($signed({1'b0, fp4v_mma_pkg::scale_sig(sb, SCALE_FMT)}));
      product[g] = PW'(quarters[g]) * sig_product;
      if (fp4v_mma_pkg::scale_neg(sa, SCALE_FMT, MUTANT) != fp4v_mma_pkg::scale_neg(sb, SCALE_FMT, MUTANT)) product[g] = -product[g];
      term_exp[g] = fp4v_mma_pkg::scale_exp(sa, SCALE_FMT, MUTANT) + fp4v_mma_pkg::scale_exp(sb, SCALE_FMT, MUTANT);
      if (term_exp[g] > max_exp) max_exp = term_exp[g];
    end
    // Each term times 2^(FE - max_exp), its magnitude truncated toward zero
    // (one extra bit kept below, for the mutant that rounds instead).
    // C: c_sig x 2^(c_exp - 23 + FE - max_exp)
    distance = max_exp - c_exp + $signed(ExpW'(23));
    shifted = AW'(c_sig) << (FE + 1);
    aligned = shifted >> distance;
    if (MUTANT == fp4v_mma_pkg::MutAlignRound) aligned = aligned + AW'(1);
    total = SW'(aligned[AW-1:1]);
    if (c[31]) total = -total;
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

  // NaN scales, then NaN C, then infinite C decide before the sum (MMA-Sim)
  assign d = (scale_nan || c_nan) ? fp4v_mma_pkg::CanonicalNan : c_inf ? c : rounded;
endmodule
