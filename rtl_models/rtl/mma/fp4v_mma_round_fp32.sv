// fp4v_mma_round_fp32: (-1)^neg * mag * 2^lsb_exp rounded to FP32, toward
// zero or to nearest even, subnormals kept; a result of 2^128 or more is Inf
// in both modes (MMA-Sim's conversion, and IEEE's under RNE).
module fp4v_mma_round_fp32 #(
  parameter int unsigned W = 64,            // magnitude bits
  parameter bit          SIGNED_ZERO = 1'b0 // a nonzero value rounded to zero keeps its sign
) (
  input  logic                      neg,
  input  logic [W-1:0]              mag,
  input  fp4v_mma_pkg::exp_t        lsb_exp,    // the weight of mag[0]
  input  logic                      rne,        // 0: toward zero
  input  logic                      use_sticky, // 0: RNE ignores the bits below the round bit (a mutant)
  input  logic                      ftz,        // subnormal results become +0 (a mutant)
  output logic [31:0]               result
);
  localparam int unsigned ExpW = fp4v_mma_pkg::ExpW;
  // Wide enough for lsb_exp + W + 150 and its negation.
  localparam int unsigned XW = fp4v_mma_pkg::ExpW + $clog2(W + 200) + 2;
  localparam int unsigned EW = W + 24;  // mag with 24 zero bits below: every shift is a right shift
  typedef logic signed [XW-1:0] x_t;

  logic [$clog2(W)-1:0] lead;
  x_t drop, shr, field;
  logic [EW-1:0] ext;
  logic [23:0] kept;
  logic round_bit, sticky, round_up;
  logic [30:0] magnitude_bits;

  always_comb begin
    lead = '0;
    for (int unsigned i = 0; i < W; i++) begin
      if (mag[i]) lead = i[$clog2(W)-1:0];
    end
    // bits dropped: down to 24 significant bits, but no quantum below 2^-149
    drop = $signed(XW'({1'b0, lead})) - $signed(XW'(23));
    if ($signed(XW'(-149)) - $signed(XW'(lsb_exp)) > drop) drop = $signed(XW'(-149)) - $signed(XW'(lsb_exp));
    shr = drop + $signed(XW'(24));  // >= 1, since drop >= -23
    ext = {mag, 24'b0};
    kept = 24'(ext >> shr);
    // the round bit is ext[shr - 1]; the sticky bit ORs everything below it
    round_bit = 1'b0;
    sticky = 1'b0;
    if (shr <= $signed(XW'(EW))) begin
      round_bit = 1'(ext >> (shr - $signed(XW'(1))));
      sticky = (ext << ($signed(XW'(EW)) - shr + $signed(XW'(1)))) != '0;
    end else begin
      sticky = ext != '0;
    end
    round_up = rne && round_bit && ((use_sticky && sticky) || kept[0]);
    // a normal result has its leading one at kept[23]; its field is
    // lsb_exp + drop + 23 + 127
    field = kept[23] ? $signed(XW'(lsb_exp)) + drop + $signed(XW'(150)) : $signed(XW'(0));
    if (field >= $signed(XW'(255))) magnitude_bits = 31'h7F80_0000;
    else magnitude_bits = {field[7:0], kept[22:0]} + 31'(round_up);  // a carry may make it Inf
    if (mag == '0) begin
      result = 32'h0000_0000;
    end else if (magnitude_bits == '0 || (ftz && magnitude_bits[30:23] == 8'd0)) begin
      result = {SIGNED_ZERO && neg && !ftz, 31'b0};
    end else begin
      result = {neg, magnitude_bits};
    end
  end
endmodule
