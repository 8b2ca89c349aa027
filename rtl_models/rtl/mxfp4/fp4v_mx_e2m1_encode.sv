// One element: the E2M1 code of x / 2^(scale_byte - 127), rounded to nearest
// even (or PTX-style stochastically) and saturated to 6. Exact: the division
// is exponent arithmetic and the rounding looks at x's own bits.
//
// With x = X 2^(E - 150) (X the 24-bit significand, E the field, 1 for
// subnormals) the scaled value has exponent ev = E - byte (for X >= 2^23).
// E2M1's quantum is 0.5 below 2 and 2^(ev - 1) above, so n = X >> sh
// (sh = 22 for ev > 0, 22 - ev otherwise) rounded is the value in quanta,
// and the code is n + 2 max(ev, 0): a rounding carry steps into the next
// binade by itself, and 8 (n = 4 at ev = 2) or more saturates to 7.
module fp4v_mx_e2m1_encode #(
  parameter int unsigned RULE       = fp4v_mx_pkg::RuleOcpFloor,
  parameter int unsigned STOCHASTIC = 0,
  parameter int unsigned MUTANT     = fp4v_mx_pkg::MutNone
) (
  input  logic [31:0] x,           // FP32 bits (Inf only from MBS overflow)
  input  logic [7:0]  scale_byte,  // E8M0
  input  logic [7:0]  random,      // STOCHASTIC: added to the top 8 discarded bits
  output logic [3:0]  code
);

  localparam bit TiesAway     = MUTANT == fp4v_mx_pkg::MutE2m1TiesAway;
  localparam bit NoSaturation = MUTANT == fp4v_mx_pkg::MutNoSaturation;
  localparam bit StickyDropped = MUTANT == fp4v_mx_pkg::MutStickyDropped;
  localparam bit SubnormalHidden = MUTANT == fp4v_mx_pkg::MutSubnormalHiddenBit;
  // torchao FLOOR divides by max(2^e, 2^-126): byte 0 divides as byte 1.
  localparam int MinDivisorByte = RULE == fp4v_mx_pkg::RuleTorchaoFloor ? 1 : 0;

  always_comb begin
    logic        hidden, is_inf;
    logic [23:0] significand;
    logic [63:0] aligned;       // significand at [63:40], shifted to the quantum at bit 40
    logic [23:0] quanta;        // truncated value in quanta
    logic        round_bit, sticky, round_up;
    integer          divisor_byte, ev, positive_ev, shift, magnitude;
    hidden       = x[30:23] != 0 || SubnormalHidden;
    is_inf       = x[30:23] == 8'hFF;
    significand  = {hidden, x[22:0]};
    divisor_byte = $signed(32'(scale_byte)) < MinDivisorByte ? MinDivisorByte : $signed(32'(scale_byte));
    ev           = (x[30:23] != 0 ? $signed(32'(x[30:23])) : 1) - divisor_byte;
    // A subnormal x has no exponent above its field's: below 2 after scaling.
    positive_ev  = hidden && ev > 0 ? ev : 0;
    shift        = 22 + positive_ev - ev;
    if (shift > 63) shift = 63;  // past 32 every kept, round and random bit is 0
    aligned      = {significand, 40'b0} >> shift;
    quanta       = aligned[63:40];
    round_bit    = aligned[39];
    sticky       = aligned[38:0] != 0;
    if (STOCHASTIC != 0) begin
      // PTX cvt.rs: the top 8 discarded bits plus 8 random bits; the carry rounds up.
      round_up = 9'(aligned[39:32]) + 9'(random) > 9'd255;
    end else if (TiesAway) begin
      round_up = round_bit;
    end else if (StickyDropped) begin
      round_up = round_bit && quanta[0];
    end else begin
      round_up = round_bit && (sticky || quanta[0]);
    end
    magnitude = $signed(32'(quanta)) + $signed(32'(round_up)) + 2 * positive_ev;
    if (NoSaturation) magnitude = magnitude % 8;
    else if (is_inf || magnitude > 7) magnitude = 7;
    code = {x[31], 3'(magnitude)};
  end

endmodule
