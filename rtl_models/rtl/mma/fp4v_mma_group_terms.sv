// fp4v_mma_group_terms: the front end the fused and the exact dot products
// share. The K codes of A and B are cut into groups of G; each group's
// products are summed exactly (fp4v_mma_group_sum, in quarters) and
// multiplied by the significands of the group's two scale bytes: group g's
// term is product[g] x 2^(exponent[g] - 8), exponent[g] the sum of the two
// scale exponents (a zero scale: -126 each). `nan`: a NaN among the scale
// bytes. The planted bugs of the operands (nibble order, scale sign, E8M0
// bias) are read here, for both models. Combinational.
module fp4v_mma_group_terms #(
  parameter int unsigned K = 64,
  parameter int unsigned G = 16,        // codes per group (the fused G, or the exact model's BLOCK)
  parameter int unsigned BLOCK = 16,    // codes per scale byte (a multiple of G)
  parameter int unsigned SCALE_FMT = fp4v_mma_pkg::ScaleUe4m3,
  parameter int unsigned MUTANT = fp4v_mma_pkg::MutNone,
  localparam int unsigned NB = K / BLOCK,
  localparam int unsigned NG = K / G,
  localparam int unsigned QW = $clog2(144 * G + 1) + 1,
  localparam int unsigned PW = QW + 8,  // |quarters| x sig x sig
  localparam int unsigned ExpW = fp4v_mma_pkg::ExpW
) (
  input  logic [4*K-1:0]     a_codes,
  input  logic [4*K-1:0]     b_codes,
  input  logic [8*NB-1:0]    a_scales,
  input  logic [8*NB-1:0]    b_scales,
  output logic [NG*PW-1:0]   products,   // group g: signed, at [PW g +: PW]
  output logic [NG*ExpW-1:0] exponents,  // group g: signed, at [ExpW g +: ExpW]
  output logic               nan
);
  logic [4*K-1:0] a_read;
  logic [NG*QW-1:0] quarters;

  // A's codes, as the mutant may read them
  always_comb begin
    for (int unsigned k = 0; k < K; k++) a_read[4*k +: 4] = a_codes[4*fp4v_mma_pkg::code_index(k, MUTANT) +: 4];
  end

  for (genvar g = 0; g < NG; g++) begin : gen_group
    fp4v_mma_group_sum #(.G(G), .QW(QW)) u_sum (
      .a_codes (a_read[4*G*g +: 4*G]),
      .b_codes (b_codes[4*G*g +: 4*G]),
      .quarters(quarters[QW*g +: QW])
    );
  end

  always_comb begin
    logic [7:0] sa, sb;
    logic signed [PW-1:0] product;
    nan = 1'b0;
    for (int unsigned b = 0; b < NB; b++) begin
      nan = nan | fp4v_mma_pkg::scale_is_nan(a_scales[8*b +: 8], SCALE_FMT) |
            fp4v_mma_pkg::scale_is_nan(b_scales[8*b +: 8], SCALE_FMT);
    end
    for (int unsigned g = 0; g < NG; g++) begin
      sa = a_scales[8*((g*G)/BLOCK) +: 8];
      sb = b_scales[8*((g*G)/BLOCK) +: 8];
      product = PW'($signed(quarters[QW*g +: QW])) *
                PW'($signed({1'b0, fp4v_mma_pkg::scale_sig(sa, SCALE_FMT)})) *
                PW'($signed({1'b0, fp4v_mma_pkg::scale_sig(sb, SCALE_FMT)}));
      if (fp4v_mma_pkg::scale_neg(sa, SCALE_FMT, MUTANT) != fp4v_mma_pkg::scale_neg(sb, SCALE_FMT, MUTANT)) product = -product;
      products[PW*g +: PW] = product;
      exponents[ExpW*g +: ExpW] = fp4v_mma_pkg::scale_exp(sa, SCALE_FMT, MUTANT) + fp4v_mma_pkg::scale_exp(sb, SCALE_FMT, MUTANT);
    end
  end
endmodule
