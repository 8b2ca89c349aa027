// fp4v_mma_group_sum: the exact sum of G products of E2M1 codes, in units of
// 1/4 (each code is an integer number of halves, so a product is an integer
// number of quarters and the sum needs no rounding).
module fp4v_mma_group_sum #(
  parameter int unsigned G = 16,
  // |sum| <= 144 G quarters (6 x 6 = 36 = 144 / 4)
  parameter int unsigned QW = $clog2(144 * G + 1) + 1
) (
  input  logic [4*G-1:0]         a_codes,
  input  logic [4*G-1:0]         b_codes,
  output logic signed [QW-1:0]   quarters
);
  always_comb begin
    logic signed [QW-1:0] a, b;
    quarters = '0;
    for (int unsigned k = 0; k < G; k++) begin
      // widened before the multiply: 12 x 12 = 144 needs more than 5 bits
      a = QW'(fp4v_mma_pkg::e2m1_twice(a_codes[4*k +: 4]));
      b = QW'(fp4v_mma_pkg::e2m1_twice(b_codes[4*k +: 4]));
      quarters = quarters + a * b;
    end
  end
endmodule
