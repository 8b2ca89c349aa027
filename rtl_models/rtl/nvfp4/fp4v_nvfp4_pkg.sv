// Types, constants and arithmetic helpers of the NVFP4 units (block quantizer
// and tensor-scale unit). Beat layouts are documented here and mirrored by
// rtl_models/nvfp4/nvfp4_quantizer.cpp.
//
// Yosys 0.23 reads packages but not `import` clauses, `return` or `break`:
// modules call these functions as fp4v_nvfp4_pkg::name, and functions assign
// their own name.
//
// ---------------------------------------------------------------- beats
// Quantizer (fp4v_nvfp4_quantizer), LANES = 16 (1x16) or 256 (16x16 tile,
// row-major inside the tile), W = lane width of the input format:
//   in_data  [LANES*W-1:0]        element i at [i*W +: W] (FP32, BF16 or FP16 bits)
//            exact recipes (nvfp4.46*):
//            [LANES*W +: 32]      S_enc (FP32 bits)
//            TE recipe (nvfp4.te):
//            [LANES*W +: 32]      fl(S_enc * fl(1/6)) (FP32 bits)
//            [LANES*W+32 +: 32]   fl(1/S_enc) (FP32 bits)
//            [LANES*W+64 +: 8*LANES] stochastic rounding: the low byte of
//                                  element i's random word at [8i +: 8]
//                                  (only when STOCHASTIC = 1)
//   out_data [LANES*4-1:0]        E2M1 code of element i at [4i +: 4]
//            [LANES*4 +: 8]       UE4M3 block scale
//            [LANES*4+8]          1: the 4-candidate was kept
// Tensor-scale unit (fp4v_nvfp4_tensor_scale):
//   in_data  [31:0]  tensor amax A (FP32 bits, non-negative, finite)
//   out_data [31:0]  S_enc, [63:32] fl(1/S_enc), [95:64] fl(S_enc * fl(1/6))
package fp4v_nvfp4_pkg;
  // Helpers read the fields of their operands they need.
  /* verilator lint_off UNUSEDSIGNAL */

  // Block-scale selection rule (parameter SELECTION).
  localparam int unsigned SelStatic6 = 0;  // one candidate: block amax maps to 6
  localparam int unsigned SelMse     = 1;  // Four Over Six, sum of squared errors
  localparam int unsigned SelMae     = 2;  // Four Over Six, sum of absolute errors
  localparam int unsigned SelAbsMax  = 3;  // Four Over Six, largest absolute error

  // Arithmetic (parameter ARITH).
  localparam int unsigned ArithExact = 0;  // nvfp4.46: real results rounded once
  localparam int unsigned ArithTe    = 1;  // nvfp4.te: TransformerEngine's FP32 operations

  // Input element format (parameter IN_FMT).
  localparam int unsigned FmtFp32 = 0;
  localparam int unsigned FmtBf16 = 1;
  localparam int unsigned FmtFp16 = 2;

  // Tensor-scale rule (parameter RULE of the tensor-scale unit).
  localparam int unsigned RuleFosFinite = 0;  // nvfp4.46: fl(1536/A) clamped to FLT_MAX; A = 0 gives 1
  localparam int unsigned RuleTe        = 1;  // nvfp4.te: min(fl(2688/A), FLT_MAX); A = 0 gives FLT_MAX

  // Planted bugs (parameter MUTANT; 0 = none). rtl_models/nvfp4/README.md
  // says what each does.
  localparam int unsigned MutNone             = 0;
  localparam int unsigned MutE2m1TiesAway     = 1;   // element ties round away from zero
  localparam int unsigned MutNoElementSat     = 2;   // |x|/s >= 7 rounds to "8", wrapping into the sign bit
  localparam int unsigned MutTiesKeepFour     = 3;   // equal 4/6 errors keep 4
  localparam int unsigned MutScaleTowardZero  = 4;   // block scale truncated instead of RNE
  localparam int unsigned MutScaleClampLow    = 5;   // scale saturates one binade low (240, not 448)
  localparam int unsigned MutNibbleSwap       = 6;   // codes of elements 2i and 2i+1 swapped
  localparam int unsigned MutStickyDropped    = 7;   // block scale rounding ignores the sticky bit (bits below the guard)
  localparam int unsigned MutErrorTruncated   = 8;   // 4/6 error accumulated without its fraction bits
  localparam int unsigned MutSubnormalFlush   = 9;   // subnormal block scales flushed to zero
  localparam int unsigned MutAmaxSkipsLast    = 10;  // block amax ignores the last lane
  localparam int unsigned MutRecipTruncated   = 11;  // TE: fl(1/d) truncated instead of RNE
  localparam int unsigned MutSignFromBit      = 12;  // TE: element sign from the sign bit (-0 gives 0x8)
  localparam int unsigned MutRemainderDropped = 13;  // exact s6: the remainder of a * S_enc / 3 left out of the sticky bit
  localparam int unsigned MutSencTruncated    = 14;  // tensor scale: S_enc = N / A truncated instead of RNE

  localparam logic [31:0] Fp32Max   = 32'h7F7F_FFFF;  // FLT_MAX
  localparam logic [31:0] Fp32Inf   = 32'h7F80_0000;
  localparam logic [31:0] Fp32One   = 32'h3F80_0000;
  localparam logic [31:0] Fp32Sixth = 32'h3E2A_AAAB;  // fl(1/6)
  localparam logic [31:0] Fp32E4m3Max = 32'h43E0_0000;  // 448
  localparam logic [6:0]  Ue4m3Max  = 7'h7E;          // 448; 0x7F is NaN

  // E2M1 rounding midpoints times 4 (0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5):
  // code k+1 starts above midpoint k; a tie goes to the even code (odd k).
  function automatic logic [4:0] e2m1_midpoint_x4(input int unsigned k);
    case (k)
      0: e2m1_midpoint_x4 = 5'd1;
      1: e2m1_midpoint_x4 = 5'd3;
      2: e2m1_midpoint_x4 = 5'd5;
      3: e2m1_midpoint_x4 = 5'd7;
      4: e2m1_midpoint_x4 = 5'd10;
      5: e2m1_midpoint_x4 = 5'd14;
      default: e2m1_midpoint_x4 = 5'd20;
    endcase
  endfunction

  // The same midpoints as FP32 bit patterns (non-negative FP32 values order
  // like their bits, so the TE path compares integers).
  function automatic logic [30:0] e2m1_midpoint_fp32(input int unsigned k);
    case (k)
      0: e2m1_midpoint_fp32 = 31'h3E80_0000;  // 0.25
      1: e2m1_midpoint_fp32 = 31'h3F40_0000;  // 0.75
      2: e2m1_midpoint_fp32 = 31'h3FA0_0000;  // 1.25
      3: e2m1_midpoint_fp32 = 31'h3FE0_0000;  // 1.75
      4: e2m1_midpoint_fp32 = 31'h4020_0000;  // 2.5
      5: e2m1_midpoint_fp32 = 31'h4060_0000;  // 3.5
      default: e2m1_midpoint_fp32 = 31'h40A0_0000;  // 5
    endcase
  endfunction

  // Twice the E2M1 magnitude of a 3-bit code: 0, 1, 2, 3, 4, 6, 8, 12.
  function automatic logic [3:0] e2m1_twice(input logic [2:0] magnitude);
    case (magnitude)
      3'd0: e2m1_twice = 4'd0;
      3'd1: e2m1_twice = 4'd1;
      3'd2: e2m1_twice = 4'd2;
      3'd3: e2m1_twice = 4'd3;
      3'd4: e2m1_twice = 4'd4;
      3'd5: e2m1_twice = 4'd6;
      3'd6: e2m1_twice = 4'd8;
      default: e2m1_twice = 4'd12;
    endcase
  endfunction

  // An input element as FP32 bits (BF16 and FP16 values are exact in FP32).
  function automatic logic [31:0] to_fp32(input logic [31:0] lane, input int unsigned fmt);
    logic [4:0] e16;
    logic [9:0] m16;
    logic [4:0] shift;
    logic       found;
    to_fp32 = lane;
    if (fmt == FmtBf16) begin
      to_fp32 = {lane[15:0], 16'h0};
    end else if (fmt == FmtFp16) begin
      e16 = lane[14:10];
      m16 = lane[9:0];
      if (e16 == 5'd31) begin
        to_fp32 = {lane[15], 8'hFF, m16, 13'h0};
      end else if (e16 != 5'd0) begin
        to_fp32 = {lane[15], 8'(e16) + 8'd112, m16, 13'h0};
      end else if (m16 == 10'd0) begin
        to_fp32 = {lane[15], 31'h0};
      end else begin
        // FP16 subnormal m * 2^-24: normal in FP32, normalised here.
        shift = 5'd0;
        found = 1'b0;
        for (int i = 9; i >= 0; i--) begin
          if (m16[i] && !found) begin
            shift = 5'(10 - i);
            found = 1'b1;
          end
        end
        to_fp32 = {lane[15], 8'd113 - 8'(shift), 10'(m16 << shift), 13'h0};
      end
    end
  endfunction

  // Significand (with the hidden bit) and the exponent of its LSB of a finite
  // FP32 value: |v| = mant * 2^lsb_exp.
  function automatic logic [23:0] fp32_mant(input logic [31:0] v);
    fp32_mant = {v[30:23] != 8'd0, v[22:0]};
  endfunction
  function automatic logic signed [11:0] fp32_lsb_exp(input logic [31:0] v);
    fp32_lsb_exp = 12'(signed'({4'd0, v[30:23] == 8'd0 ? 8'd1 : v[30:23]})) - 12'sd150;
  endfunction

  // Position of the leading one of a 64-bit value (0 for 0).
  function automatic logic [5:0] msb64(input logic [63:0] v);
    logic [5:0]  pos;
    logic [63:0] t;
    // Binary search: 6 steps, a log-depth priority encoder.
    pos = 6'd0;
    t = v;
    if (t[63:32] != 32'd0) begin pos[5] = 1'b1; t = t >> 32; end
    if (t[31:16] != 16'd0) begin pos[4] = 1'b1; t = t >> 16; end
    if (t[15:8]  != 8'd0)  begin pos[3] = 1'b1; t = t >> 8;  end
    if (t[7:4]   != 4'd0)  begin pos[2] = 1'b1; t = t >> 4;  end
    if (t[3:2]   != 2'd0)  begin pos[1] = 1'b1; t = t >> 2;  end
    if (t[1]) pos[0] = 1'b1;
    msb64 = pos;
  endfunction

  // Rounding modes of round_float.
  localparam logic [1:0] RoundNearestEven = 2'd0;
  localparam logic [1:0] RoundTowardZero  = 2'd1;
  localparam logic [1:0] RoundNoSticky    = 2'd2;  // RNE that ignores the bits below the guard bit (planted bug)

  // Rounds (mant + f) * 2^lsb_exp, 0 <= f < 1 with f != 0 iff sticky_in, to a
  // float of MAN_BITS mantissa bits and bias BIAS, and returns the magnitude
  // field {exponent, mantissa}. One rounder serves FP32 and UE4M3: the
  // biased exponent is at least 1 (subnormals share exponent 1), so
  // ((exp - 1) << MAN_BITS) + significand also carries a rounding overflow
  // into the exponent. mode: RNE, truncation, or RNE without sticky. Overflow is the
  // caller's (the field passes the largest finite code).
  function automatic logic [31:0] round_float(input logic [63:0] mant, input logic signed [11:0] lsb_exp,
                                              input logic sticky_in, input int unsigned man_bits,
                                              input int unsigned bias, input logic [1:0] mode);
    logic [5:0]         lead;
    logic signed [11:0] biased, shift;
    logic [63:0]        kept, below;
    logic               guard, sticky, up;
    logic [11:0]        field_exp;
    if (mant == 64'd0) begin
      round_float = 32'd0;
    end else begin
      lead = msb64(mant);
      biased = 12'(signed'({6'd0, lead})) + lsb_exp + 12'(signed'(bias));
      // Right shift that leaves man_bits + 1 significant bits, or the
      // subnormal quantum when the exponent is below 1.
      shift = 12'(signed'({6'd0, lead})) - 12'(signed'(man_bits)) + (biased < 12'sd1 ? 12'sd1 - biased : 12'sd0);
      if (shift <= 12'sd0) begin
        kept = mant << 6'(-shift);
        guard = 1'b0;
        sticky = sticky_in;
      end else if (shift > 12'sd64) begin
        kept = 64'd0;
        guard = 1'b0;
        sticky = 1'b1;
      end else begin
        kept = shift == 12'sd64 ? 64'd0 : mant >> 6'(shift);
        guard = mant[6'(shift - 12'sd1)];
        below = shift == 12'sd1 ? 64'd0 : mant << 6'(12'sd65 - shift);
        sticky = sticky_in || below != 64'd0;
      end
      up = mode != RoundTowardZero && guard && ((sticky && mode != RoundNoSticky) || kept[0]);
      field_exp = biased < 12'sd1 ? 12'd0 : 12'(biased - 12'sd1);
      round_float = (32'(field_exp) << man_bits) + 32'(kept) + 32'(up);
    end
  endfunction

  // FP32 RNE of a product of two finite FP32 values; overflow gives Inf.
  function automatic logic [31:0] fp32_mul(input logic [31:0] a, input logic [31:0] b);
    logic [31:0] magnitude;
    magnitude = round_float(64'(fp32_mant(a)) * 64'(fp32_mant(b)), fp32_lsb_exp(a) + fp32_lsb_exp(b),
                            1'b0, 23, 127, RoundNearestEven);
    if (magnitude >= Fp32Inf) magnitude = Fp32Inf;
    fp32_mul = {a[31] ^ b[31], magnitude[30:0]};
  endfunction

  // floor(n * 2^26 / d) and whether a remainder is left, for significands
  // n, d in [2^23, 2^24): a restoring array divider, one quotient bit per
  // row. 27 rows give the 24 significand bits, a guard bit and one spare;
  // the remainder is the sticky bit, so the quotient rounds correctly.
  function automatic logic [27:0] mant_quotient(input logic [23:0] n, input logic [23:0] d,
                                                input logic want_sticky);
    logic [25:0] remainder;
    logic [26:0] quotient;
    remainder = 26'(n);
    quotient = 27'd0;
    for (int row = 0; row < 27; row++) begin
      quotient = quotient << 1;
      if (remainder >= 26'(d)) begin
        remainder = remainder - 26'(d);
        quotient[0] = 1'b1;
      end
      remainder = remainder << 1;
    end
    mant_quotient = {want_sticky && remainder != 26'd0, quotient};
  endfunction

  // A significand normalised to [2^23, 2^24) and its LSB exponent.
  function automatic logic [35:0] fp32_normalised(input logic [31:0] v);
    logic [23:0] m;
    logic [5:0]  lead;
    m = fp32_mant(v);
    lead = msb64(64'(m));
    fp32_normalised = {fp32_lsb_exp(v) - 12'(signed'({6'd0, 6'd23 - lead})), m << (6'd23 - lead)};
  endfunction

  // FP32 n / d of finite non-negative values, correctly rounded (RNE, or
  // truncated with toward_zero); d = 0 or overflow gives Inf.
  function automatic logic [31:0] fp32_div(input logic [31:0] n, input logic [31:0] d, input logic toward_zero);
    logic [35:0] nn, dn;
    logic [27:0] q;
    logic [31:0] magnitude;
    if (d[30:0] == 31'd0) begin
      fp32_div = Fp32Inf;
    end else if (n[30:0] == 31'd0) begin
      fp32_div = 32'd0;
    end else begin
      nn = fp32_normalised(n);
      dn = fp32_normalised(d);
      q = mant_quotient(nn[23:0], dn[23:0], 1'b1);
      magnitude = round_float(64'(q[26:0]), nn[35:24] - dn[35:24] - 12'sd26, q[27], 23, 127,
                              toward_zero ? RoundTowardZero : RoundNearestEven);
      fp32_div = magnitude >= Fp32Inf ? Fp32Inf : magnitude;
    end
  endfunction

  // A UE4M3 code as FP32 bits (exact).
  function automatic logic [31:0] ue4m3_to_fp32(input logic [6:0] code);
    logic [5:0] lead;
    if (code[6:3] != 4'd0) begin
      ue4m3_to_fp32 = {1'b0, 8'(code[6:3]) + 8'd120, code[2:0], 20'd0};
    end else if (code[2:0] == 3'd0) begin
      ue4m3_to_fp32 = 32'd0;
    end else begin
      lead = msb64(64'(code[2:0]));  // m * 2^-9
      ue4m3_to_fp32 = {1'b0, 8'(lead) + 8'd118, 23'(code[2:0]) << (6'd23 - lead) & 23'h7F_FFFF};
    end
  endfunction

  /* verilator lint_on UNUSEDSIGNAL */
endpackage
