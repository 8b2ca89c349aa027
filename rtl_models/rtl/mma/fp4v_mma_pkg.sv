// fp4v_mma_pkg: constants and decoders of the block-scaled MMA unit.
//
// Beat layouts of fp4v_mma_unit (LSB first; M x N tile, K codes per beat,
// NB = K / BLOCK scale bytes per row):
//   in_data  = { last, first, C[M*N], SB[N][NB], SA[M][NB], B[N][K], A[M][K] }
//     A[i][k]  : 4-bit E2M1 code at bit 4 (i K + k)                (A is M x K)
//     B[j][k]  : 4-bit E2M1 code at 4 M K + 4 (j K + k)            (B is N x K, K-major)
//     SA[i][b] : scale byte at 4 (M + N) K + 8 (i NB + b)
//     SB[j][b] : scale byte at 4 (M + N) K + 8 M NB + 8 (j NB + b)
//     C[i][j]  : FP32 bits at 4 (M + N) K + 8 (M + N) NB + 32 (i N + j)
//     first    : exact model: this beat starts the dot products (C is read)
//     last     : exact model: this beat ends them (one output beat follows)
//   out_data = { D[M*N] }, D[i][j] FP32 bits at 32 (i N + j)
// The fused model (ACC = AccFused) is one instruction per beat: every beat
// gives one output beat and first/last are not read; longer K is chained by
// the caller, who feeds D back as C (as software does with MMA instructions).
// The exact model keeps an exact fixed-point accumulator per element across
// the beats from first to last and rounds once; the FP32-sequential model
// keeps its FP32 accumulator across them, takes K / SEQ_ELEMS cycles per beat
// (in_ready low meanwhile) and also answers once per first .. last.
package fp4v_mma_pkg;

  // Scale formats (parameter SCALE_FMT).
  localparam int unsigned ScaleUe4m3 = 0;  // 7-bit UE4M3 (bit 7 ignored), NaN 0x7F
  localparam int unsigned ScaleE8m0 = 1;   // 2^(e - 127), NaN 0xFF

  // Accumulation models (parameter ACC).
  localparam int unsigned AccFused = 0;  // MMA-Sim fused dot product: align, truncate to F bits
  localparam int unsigned AccExact = 1;  // exact sum over all beats, one rounding
  localparam int unsigned AccSeq = 2;    // FP32 multiply and add per element in order (host references)

  // Planted bugs (parameter MUTANT), documented in rtl_models/mma/README.md.
  localparam int unsigned MutNone = 0;
  localparam int unsigned MutFracShort = 1;   // fused: alignment keeps F - 1 fraction bits
  localparam int unsigned MutAlignRound = 2;  // fused: aligned terms rounded (half away) not truncated
  localparam int unsigned MutFinalRne = 3;    // fused: final rounding RNE instead of RZ
  localparam int unsigned MutNoSticky = 4;    // exact: RNE without the sticky bit
  localparam int unsigned MutScaleSign = 5;   // UE4M3: scale bit 7 read as a sign
  localparam int unsigned MutE8m0Bias = 6;    // E8M0: bias 128 instead of 127
  localparam int unsigned MutGroup8 = 7;      // fused: groups of 8 products instead of G
  localparam int unsigned MutNibble = 8;      // A's codes read with the two nibbles of a byte swapped
  localparam int unsigned MutCDaz = 9;        // subnormal C read as zero
  localparam int unsigned MutResultFtz = 10;  // subnormal results flushed to +0
  localparam int unsigned MutInfC = 11;       // infinite C not special: read as 2^128
  localparam int unsigned MutCAfter = 12;     // fused: C added after the products, fl(C + fused(products))
  localparam int unsigned MutZeroGroupAlign = 13;  // fused: a group whose products sum to zero does not set the alignment
  localparam int unsigned MutUnsignedZero = 14;    // exact: a negative sum that rounds to zero gives +0
  localparam int unsigned MutInfBeforeNan = 15;    // fused: an infinite C wins over a NaN scale

  localparam logic [31:0] CanonicalNan = 32'h7FFF_FFFF;  // what the tensor cores return (MMA-Sim)

  // Exponents of the datapath (scale exponents, sums of two, FP32 fields).
  localparam int unsigned ExpW = 12;
  typedef logic signed [ExpW-1:0] exp_t;

  // Twice the value of an E2M1 code (an integer in -12 .. 12).
  function automatic logic signed [4:0] e2m1_twice(input logic [3:0] code);
    logic [4:0] mag;
    case (code[2:0])
      3'd0: mag = 5'd0;
      3'd1: mag = 5'd1;
      3'd2: mag = 5'd2;
      3'd3: mag = 5'd3;
      3'd4: mag = 5'd4;
      3'd5: mag = 5'd6;
      3'd6: mag = 5'd8;
      default: mag = 5'd12;
    endcase
    e2m1_twice = code[3] ? -$signed(mag) : $signed(mag);
  endfunction

  // Each decoder reads only the bits its format gives meaning to.
  /* verilator lint_off UNUSEDSIGNAL */

  // A scale byte as sig * 2^(exp - 3), sig 4 bits (1.mmm or, UE4M3
  // subnormal, 0.mmm with exponent -6); a zero scale has exponent -126 and
  // sig 0 (MMA-Sim's exponent of a zero); E8M0 sig is always 1.000.
  function automatic logic scale_is_nan(input logic [7:0] b, input int unsigned fmt);
    scale_is_nan = fmt == ScaleE8m0 ? (b == 8'hFF) : (b[6:0] == 7'h7F);
  endfunction

  function automatic exp_t scale_exp(input logic [7:0] b, input int unsigned fmt,
                                     input int unsigned mutant);
    if (fmt == ScaleE8m0) scale_exp = $signed(ExpW'({4'b0, b})) - $signed(ExpW'(mutant == MutE8m0Bias ? 128 : 127));
    else if (b[6:0] == 7'd0) scale_exp = $signed(ExpW'(-126));
    else if (b[6:3] == 4'd0) scale_exp = $signed(ExpW'(-6));
    else scale_exp = $signed(ExpW'({8'b0, b[6:3]})) - $signed(ExpW'(7));
  endfunction

  function automatic logic [3:0] scale_sig(input logic [7:0] b, input int unsigned fmt);
    scale_sig = fmt == ScaleE8m0 ? 4'd8 : {b[6:3] != 4'd0, b[2:0]};
  endfunction

  // The sign of a scale: none (7-bit UE4M3) unless the mutant reads bit 7.
  function automatic logic scale_neg(input logic [7:0] b, input int unsigned fmt,
                                     input int unsigned mutant);
    scale_neg = fmt == ScaleUe4m3 && mutant == MutScaleSign && b[7];
  endfunction

  /* verilator lint_on UNUSEDSIGNAL */

  // The E2M1 code of element k of a row (element k in nibble k; the mutant
  // swaps the two nibbles of each byte).
  function automatic int unsigned code_index(input int unsigned k, input int unsigned mutant);
    code_index = mutant == MutNibble ? (k ^ 1) : k;
  endfunction

endpackage
