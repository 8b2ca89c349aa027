// The largest magnitude of a block's FP32 elements. Finite non-negative
// FP32 values order like their bit patterns, so this is an integer maximum
// of the 31 magnitude bits.
module fp4v_nvfp4_block_amax #(
  parameter int unsigned LANES  = 16,
  parameter int unsigned MUTANT = 0
) (
  input  logic [LANES*32-1:0] elements,  // FP32 bits, element i at [32i +: 32]
  output logic [31:0]         amax       // FP32 bits
);
  // The planted bug MutAmaxSkipsLast stops one lane early.
  localparam int unsigned Counted =
      MUTANT == fp4v_nvfp4_pkg::MutAmaxSkipsLast ? LANES - 1 : LANES;

  always_comb begin
    amax = 32'd0;
    for (int unsigned i = 0; i < Counted; i++) begin
      if (elements[32*i +: 31] > amax[30:0]) amax = {1'b0, elements[32*i +: 31]};
    end
  end
endmodule
