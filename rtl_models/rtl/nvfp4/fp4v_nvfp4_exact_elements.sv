// The element stage of the exact recipes (nvfp4.46): every lane's codes
// under both candidates, the exact 4/6 decision (ties keep 6), and the
// chosen candidate.
//
// Per element (function lane below), everything is in units of 2^(e6 - 50),
// e6 the exponent of s6's LSB (s6 = m6 * 2^e6, m6 the 4-bit UE4M3
// significand). In these units y = |x| * S_enc is an integer wherever it
// matters: an element whose code is not 0 under a candidate has
// |y| > s/4 >= 2^(e6 - 2), and y has at most 48 significant bits. Smaller
// elements are truncated, which changes no decision (they round to 0 under
// both candidates and compare the same).
//
// E2M1 RNE of y / s is a comparison of y with the midpoints times s, an
// integer with 48 zero bits below it: the bits above 2^48 and an OR of the
// rest decide.
//
// The error terms are split at 2^49 (the value 2^(e6-1), where the
// dequantized values a = q6 * s6 and b = q4 * s4 are integers A and B):
// y = Y1 * 2^49 + Y0. For the sum of squares, (y - a)^2 - (y - b)^2 =
// (B - A)(2 y - A - B) = (B - A)(2 Y1 - A - B) 2^49 + (B - A) 2 Y0: the
// squares cancel, so every term stays below 2^60 instead of 2^120, and the
// sums of the two parts are joined once per block.
//
// The lanes are a loop over one function, not module instances, so that
// the Verilated model of a 256-lane tile stays one loop body (hardware:
// LANES copies either way).
module fp4v_nvfp4_exact_elements #(
  parameter int unsigned LANES     = 16,
  parameter int unsigned SELECTION = fp4v_nvfp4_pkg::SelMse,
  parameter int unsigned MUTANT    = 0
) (
  input  logic [LANES*32-1:0] elements,   // FP32 bits
  input  logic [31:0]         s_enc,
  input  logic [6:0]          scale6,
  input  logic [6:0]          scale4,
  output logic [LANES*4-1:0]  codes,
  output logic [6:0]          scale,
  output logic                chose_four
);
  localparam int unsigned HiW   = 24;                     // |(B-A)(2Y1-A-B)| < 360 * 2^11
  localparam int unsigned LoW   = 60;                     // |(B-A) 2 Y0| < 360 * 2^50
  localparam int unsigned AbsW  = 60;                     // |y - a| < 2^59
  localparam int unsigned LaneW = 8 + HiW + LoW + 2 * AbsW;
  localparam int unsigned SumW  = $clog2(LANES) + 1;      // growth of a sum of LANES terms
  localparam int unsigned DiffW = LoW + SumW + 1 > HiW + SumW + 50 ? LoW + SumW + 1 : HiW + SumW + 50;
  localparam int unsigned YW    = 59;  // |y| < 2^10 * 2^49: a scale rounds to within 1/16 of z / 6
  localparam bit FourOverSix = SELECTION != fp4v_nvfp4_pkg::SelStatic6;
  localparam bit TiesAway    = MUTANT == fp4v_nvfp4_pkg::MutE2m1TiesAway;
  localparam bit NoSat       = MUTANT == fp4v_nvfp4_pkg::MutNoElementSat;

  function automatic logic [3:0] significand(input logic [6:0] code);
    significand = {code[6:3] != 4'd0, code[2:0]};
  endfunction
  function automatic logic signed [11:0] lsb_exp(input logic [3:0] exponent);
    lsb_exp = 12'(signed'({8'd0, exponent == 4'd0 ? 4'd1 : exponent})) - 12'sd10;
  endfunction

  // E2M1 RNE magnitude of y / s, s = sig * 2^(e6 + up): y is compared with
  // midpoint * s, i.e. y's bits above 2^48 with midpoint * sig << up, the
  // rest breaking ties. A tie goes to the even code. A zero scale gives 0.
  function automatic logic [3:0] e2m1_magnitude(input logic [10:0] high, input logic rest,
                                                input logic [3:0] sig, input logic up);
    logic [10:0] threshold;
    logic [3:0]  count;
    count = 4'd0;
    for (int unsigned k = 0; k < 7; k++) begin
      threshold = (11'(fp4v_nvfp4_pkg::e2m1_midpoint_x4(k)) * 11'(sig)) << up;
      if (high > threshold || (high == threshold && (rest || TiesAway || k % 2 == 1))) count = count + 4'd1;
    end
    // Unsaturated rounding: past 7 * s the value rounds to 8 (planted bug).
    threshold = (11'd28 * 11'(sig)) << up;
    if (NoSat && (high > threshold || (high == threshold && rest))) count = count + 4'd1;
    e2m1_magnitude = sig == 4'd0 ? 4'd0 : count;
  endfunction

  // One element: {|y - b|, |y - a|, error below 2^49, error above, code4, code6}.
  function automatic logic [LaneW-1:0] lane(input logic [31:0] element);
    logic [47:0]            product;
    logic signed [11:0]     shift, lsb6, lsb4;
    logic [3:0]             sig6, sig4;
    logic                   up4;          // s4's LSB exponent is one above s6's
    logic [YW-1:0]          y;
    logic [3:0]             magnitude6, magnitude4, code6, code4;
    logic [9:0]             y1;
    logic [48:0]            y0;
    logic [9:0]             a, b;         // dequantized magnitudes in units of 2^(e6-1)
    logic signed [HiW-1:0]  b_minus_a, error_hi;
    logic signed [LoW-1:0]  error_lo;
    logic [9:0]             h6, h4;       // |y - a| = h * 2^49 + l, 0 <= l <= 2^49
    logic [49:0]            l6, l4;
    logic [AbsW-1:0]        abs6, abs4;
    sig6 = significand(scale6);
    sig4 = significand(scale4);
    lsb6 = lsb_exp(scale6[6:3]);
    lsb4 = lsb_exp(scale4[6:3]);
    up4 = lsb4 != lsb6;  // s4 / s6 < 2: at most one binade apart
    product = 48'(fp4v_nvfp4_pkg::fp32_mant(element)) * 48'(fp4v_nvfp4_pkg::fp32_mant(s_enc));
    shift = fp4v_nvfp4_pkg::fp32_lsb_exp(element) + fp4v_nvfp4_pkg::fp32_lsb_exp(s_enc) - lsb6 + 12'sd50;
    // Align the product to units of 2^(e6-50); saturate (a scale that does
    // not belong to this S_enc) rather than wrap.
    if (shift <= -12'sd48) begin
      y = '0;
    end else if (shift < 12'sd0) begin
      y = YW'(product) >> 6'(-shift);
    end else if (shift >= 12'sd11 && (shift >= 12'(YW) || (64'(product) >> 6'(12'(YW) - shift)) != 64'd0)) begin
      y = product == 48'd0 ? '0 : '1;
    end else begin
      y = YW'(product) << 6'(shift);
    end
    magnitude6 = e2m1_magnitude(y[YW-1:48], y[47:0] != 48'd0, sig6, 1'b0);
    magnitude4 = e2m1_magnitude(y[YW-1:48], y[47:0] != 48'd0, sig4, up4);
    code6 = {element[31], 3'd0} + magnitude6;  // 4-bit add: an unsaturated 8 wraps into the sign
    code4 = {element[31], 3'd0} + magnitude4;

    y1 = y[YW-1:49];
    y0 = y[48:0];
    a = 10'(fp4v_nvfp4_pkg::e2m1_twice(magnitude6[2:0])) * 10'(sig6);
    b = (10'(fp4v_nvfp4_pkg::e2m1_twice(magnitude4[2:0])) * 10'(sig4)) << up4;
    if (y1 >= a) begin h6 = y1 - a; l6 = 50'(y0); end
    else begin h6 = a - y1 - 10'd1; l6 = (50'd1 << 49) - 50'(y0); end
    if (y1 >= b) begin h4 = y1 - b; l4 = 50'(y0); end
    else begin h4 = b - y1 - 10'd1; l4 = (50'd1 << 49) - 50'(y0); end
    abs6 = (AbsW'(h6) << 49) + AbsW'(l6);
    abs4 = (AbsW'(h4) << 49) + AbsW'(l4);
    b_minus_a = HiW'(signed'({1'b0, b})) - HiW'(signed'({1'b0, a}));
    if (SELECTION == fp4v_nvfp4_pkg::SelMae) begin
      error_hi = HiW'(signed'({1'b0, h6})) - HiW'(signed'({1'b0, h4}));
      error_lo = LoW'(signed'({1'b0, l6})) - LoW'(signed'({1'b0, l4}));
    end else begin  // sum of squares
      error_hi = b_minus_a * (HiW'(signed'({1'b0, y1, 1'b0})) - HiW'(signed'({1'b0, a})) - HiW'(signed'({1'b0, b})));
      error_lo = LoW'(b_minus_a) * LoW'(signed'({1'b0, y0, 1'b0}));
    end
    lane = {abs4, abs6, error_lo, error_hi, code4, code6};
  endfunction

  logic [LANES*4-1:0]         codes6, codes4;
  logic [LaneW-1:0]           result;
  logic signed [HiW+SumW-1:0] sum_hi;
  logic signed [LoW+SumW-1:0] sum_lo;
  logic signed [DiffW-1:0]    difference;  // error(6) - error(4), in units of 2^(e6-50) (squares: 2^(2 e6 - 99))
  logic [AbsW-1:0]            max6, max4;

  always_comb begin
    sum_hi = '0;
    sum_lo = '0;
    max6 = '0;
    max4 = '0;
    for (int unsigned i = 0; i < LANES; i++) begin
      result = lane(elements[32*i +: 32]);
      codes6[4*i +: 4] = result[3:0];
      codes4[4*i +: 4] = result[7:4];
      sum_hi = sum_hi + (HiW+SumW)'(signed'(result[8 +: HiW]));
      sum_lo = sum_lo + (LoW+SumW)'(signed'(result[8+HiW +: LoW]));
      if (result[8+HiW+LoW +: AbsW] > max6) max6 = result[8+HiW+LoW +: AbsW];
      if (result[8+HiW+LoW+AbsW +: AbsW] > max4) max4 = result[8+HiW+LoW+AbsW +: AbsW];
    end
    // The fraction bits below 2^49 are dropped by the planted bug
    // MutErrorTruncated (an accumulator of whole units only).
    difference = (DiffW'(sum_hi) <<< 49) +
                 (MUTANT == fp4v_nvfp4_pkg::MutErrorTruncated ? '0 : DiffW'(sum_lo));
    chose_four = 1'b0;
    if (FourOverSix) begin
      if (SELECTION == fp4v_nvfp4_pkg::SelAbsMax) begin
        chose_four = max4 < max6 || (MUTANT == fp4v_nvfp4_pkg::MutTiesKeepFour && max4 == max6);
      end else begin
        chose_four = difference > 0 || (MUTANT == fp4v_nvfp4_pkg::MutTiesKeepFour && difference == 0);
      end
    end
    codes = chose_four ? codes4 : codes6;
    scale = chose_four ? scale4 : scale6;
  end
endmodule
