// MXFP4 block quantizer: parameter values, beat layouts and the mutant list
// (C++ mirror: rtl_models/mxfp4/mxfp4_quantizer.cpp).
//
// A beat is one block (ocp, oas) or one 1x128 macro block of 8 blocks (mbs):
// ELEMS = BLOCK * GROUPS elements, GROUPS = 8 for MBS, else 1.
//
// in_data  [LANE_W i +: LANE_W]            element i (FP32, BF16 or FP16 bits)
//          [ELEMS LANE_W + 8 i +: 8]        STOCHASTIC: low 8 bits of element i's random word
// out_data [4 i +: 4]                       E2M1 code of element i (sign in bit 3)
//          [4 ELEMS + 8 g +: 8]             E8M0 scale byte of block g
//          [4 ELEMS + 8 GROUPS +: 8]        MBS: macro byte m (f = 1 + m / 256)
//          [4 ELEMS + 8 GROUPS + 8 +: 32]   MBS: max |fl(x f)| over the macro block (FP32 bits)
package fp4v_mx_pkg;

  // Scale rules (RULE).
  localparam int unsigned RuleOcpFloor     = 0;  // 2^(floor(log2 a) - 2), clamped at 2^-127   OCP MX v1.0
  localparam int unsigned RuleOverflowAware = 1; // one binade up when a's significand > 1.75  OAS
  localparam int unsigned RuleMbs          = 2;  // 1x128 macro factor, then OAS on 1x16 blocks
  localparam int unsigned RuleTorchaoFloor = 3;  // OCP floor, element divisor at least 2^-126   torchao FLOOR

  // Input formats (IN_FMT).
  localparam int unsigned InFp32 = 0;
  localparam int unsigned InBf16 = 1;
  localparam int unsigned InFp16 = 2;

  localparam int unsigned MacroGroups = 8;        // 1x16 blocks per 1x128 macro block
  localparam int unsigned OasZeroBlockByte = 127; // OAS: an all-zero block gets 2^0
  localparam logic [22:0] OasBumpAbove = 23'h600000;  // significand 1.75

  // Bugs the MUTANT parameter plants (rtl_models/mxfp4/README.md). 0: none.
  localparam int unsigned MutNone               = 0;
  localparam int unsigned MutE2m1TiesAway       = 1;   // element ties round away from zero
  localparam int unsigned MutNoSaturation       = 2;   // element magnitudes past 6 wrap instead of saturating
  localparam int unsigned MutScaleClampOffByOne = 3;   // smallest scale byte 1 (2^-126), not 0
  localparam int unsigned MutOasThresholdGe     = 4;   // OAS bumps at significand >= 1.75, not >
  localparam int unsigned MutMbsFactorShort     = 5;   // macro byte keeps 7 quotient bits, not 8
  localparam int unsigned MutMbsCarryIgnored    = 6;   // macro byte from the truncated quotient (no rounding carry)
  localparam int unsigned MutNibbleSwap         = 7;   // codes of elements 2i and 2i+1 swapped
  localparam int unsigned MutScaleCeil          = 8;   // scale exponent from ceil(log2 a), not floor
  localparam int unsigned MutBlockAmaxSigned    = 9;   // block amax is max x, not max |x|
  localparam int unsigned MutStickyDropped      = 10;  // element rounding ignores the sticky bits (false ties)
  localparam int unsigned MutOasZeroBlockByte0  = 11;  // OAS all-zero block gets byte 0, not 127
  localparam int unsigned MutSubnormalHiddenBit = 12;  // subnormal elements decoded with a hidden 1
  localparam int unsigned MutFp16SubnormalFlush = 13;  // FP16 subnormal inputs flushed to zero

endpackage
