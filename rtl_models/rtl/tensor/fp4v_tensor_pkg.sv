// Tensor amax unit: beat layouts and constants (C++ mirror:
// rtl_models/tensor/tensor_amax.cpp).
//
// in_data  [32 i + 31 : 32 i]  FP32 lane i, i = 0..15 (lanes past the tensor's end hold +0)
//          [512]               last: this beat ends the tensor
// out_data [31:0]              FP32 bits of max |x| over the tensor's lanes (one beat per `last`)
package fp4v_tensor_pkg;

  localparam int unsigned Fp32Width = 32;
  localparam int unsigned Lanes = 16;
  localparam int unsigned LastBit = Lanes * Fp32Width;
  localparam int unsigned InWidth = LastBit + 1;
  localparam int unsigned OutWidth = Fp32Width;

  // Bugs the MUTANT parameter plants (rtl_models/tensor/README.md). 0: none.
  localparam int unsigned MutNone = 0;
  localparam int unsigned MutAmaxSigned = 1;  // max x, not max |x|

endpackage
