// MBS macro byte: m = bits 22..15 of fl(6 / a), the FP32 quotient rounded to
// nearest even, for the macro block amax a (FP32 magnitude bits); m = 0 when
// a is 0, or the quotient overflows to Inf (a subnormal or just above).
//
// With a = A 2^(e - 23), A in [2^23, 2^24): 6 / a has the significand 1.5 / (A / 2^23)
// when A <= 1.5 2^23, else 3 / (A / 2^23), in [1, 2). D = floor(2^24 Q) gives
// the 23 mantissa bits, the round bit and, with the remainder, the sticky
// bit. The rounding carry reaches bit 15 only when bits 14..0 are all ones
// and it rounds up; it then carries out of bit 22 (mantissa 0, m = 0).
module fp4v_mx_macro_factor #(
  parameter int unsigned MUTANT = fp4v_mx_pkg::MutNone
) (
  input  logic [30:0] amax,
  output logic [7:0]  macro_byte
);

  always_comb begin
    logic [7:0]  field;
    logic [23:0] significand;
    logic        upper_half;   // A > 1.5 2^23: quotient significand 3 / A, one binade lower
    logic [48:0] dividend;
    logic [23:0] quotient;     // floor(2^24 Q) without its leading 1: 23 mantissa bits, then the round bit
    logic [23:0] remainder;
    logic        round_up, carry_to_bit15;
    integer          quotient_field;
    field       = amax[30:23];
    significand = {1'b1, amax[22:0]};
    upper_half  = significand > 24'hC00000;
    // 2^24 Q = 3 2^46 / A (lower half) or 3 2^47 / A, in [2^24, 2^25): the
    // cast drops the leading 1. Synthesis makes an array divider of it.
    dividend    = upper_half ? 49'h3 << 47 : 49'h3 << 46;
    quotient    = 24'(dividend / 49'(significand));
    remainder   = 24'(dividend % 49'(significand));
    // Ties cannot happen (A would divide 3 2^k with an odd quotient); RNE anyway.
    round_up    = quotient[0] && (remainder != 0 || quotient[1]);
    if (MUTANT == fp4v_mx_pkg::MutMbsCarryIgnored) round_up = 1'b0;
    // The carry reaches bit 15 only through mantissa bits 14..0 all ones; past
    // bit 22 it wraps m to 0, as the carry into the exponent leaves mantissa 0.
    carry_to_bit15 = round_up && &quotient[15:1];
    // Field of 6 / a: 127 - (field - 127) + 2 (lower half) or + 1.
    quotient_field = 254 - $signed(32'(field)) + (upper_half ? 1 : 2);
    if (field == 0 || quotient_field > 254) macro_byte = 8'd0;  // 0 or Inf
    else macro_byte = quotient[23:16] + 8'(carry_to_bit15);
    if (MUTANT == fp4v_mx_pkg::MutMbsFactorShort) macro_byte[0] = 1'b0;
  end

endmodule
