// fl(x f), f = 1 + m / 256, rounded to nearest even FP32 (subnormal results
// and overflow to Inf included): the MBS macro factor applied to one element.
//
// The product of the 24-bit significand X and the 9-bit F = 256 + m is exact
// in 33 bits. f >= 1 keeps the exponent at or above x's, so the result's
// quantum is x's quantum times 2^8 (P < 2^32) or 2^9 (P >= 2^32): no
// normalisation shift is needed, not even for subnormal x (field 0 read as 1).
module fp4v_mx_macro_scale (
  input  logic [31:0] x,
  input  logic [7:0]  macro_byte,
  output logic [31:0] y
);

  always_comb begin
    logic        hidden;
    logic [23:0] significand;
    logic [32:0] product;
    logic        wide;         // product >= 2^32
    logic [24:0] kept;
    logic        round_bit, sticky;
    logic [24:0] rounded;
    integer          field;
    hidden      = x[30:23] != 0;
    significand = {hidden, x[22:0]};
    product     = 33'(significand) * 33'({1'b1, macro_byte});
    wide        = product[32];
    kept        = wide ? 25'(product[32:9]) : 25'(product[31:8]);
    round_bit   = wide ? product[8] : product[7];
    sticky      = wide ? product[7:0] != 0 : product[6:0] != 0;
    rounded     = kept + 25'(round_bit && (sticky || kept[0]));
    field       = (hidden ? $signed(32'(x[30:23])) : 1) + $signed(32'(wide));
    if (rounded[24]) begin  // the rounding carried into the next binade
      rounded = rounded >> 1;
      field   = field + 1;
    end
    if (field > 254) y = {x[31], 8'hFF, 23'b0};  // overflow: Inf
    else if (!rounded[23]) y = {x[31], 8'h00, rounded[22:0]};  // subnormal (x was)
    else y = {x[31], 8'(field), rounded[22:0]};
  end

endmodule
