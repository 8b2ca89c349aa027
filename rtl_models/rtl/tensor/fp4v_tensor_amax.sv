// Tensor amax: max |x| over every FP32 lane of the beats up to and including
// one marked `last`, one result beat per `last` beat. Layout: fp4v_tensor_pkg.
//
// |x| of a finite FP32 value orders like its bits with the sign cleared, so
// the reduction is an unsigned integer max (NaN and Inf never arrive).
// A beat's 16 lanes are reduced by a comparator tree, PIPE registers follow,
// then the accumulator; one beat per cycle at any PIPE.
module fp4v_tensor_amax #(
  parameter int unsigned PIPE   = 1,
  parameter int unsigned MUTANT = fp4v_tensor_pkg::MutNone,
  localparam int unsigned IN_W  = fp4v_tensor_pkg::InWidth,
  localparam int unsigned OUT_W = fp4v_tensor_pkg::OutWidth
) (
  input  logic             clk,
  input  logic             rst_n,
  input  logic             in_valid,
  output logic             in_ready,
  input  logic [IN_W-1:0]  in_data,
  output logic             out_valid,
  input  logic             out_ready,
  output logic [OUT_W-1:0] out_data
);

  localparam int unsigned W       = fp4v_tensor_pkg::Fp32Width;
  localparam int unsigned Lanes   = fp4v_tensor_pkg::Lanes;
  localparam int unsigned LastBit = fp4v_tensor_pkg::LastBit;
  localparam bit          Signed  = MUTANT == fp4v_tensor_pkg::MutAmaxSigned;

  // Order key of a lane: |x| as an unsigned integer, or (mutant) the signed
  // value's total order (negative values below every positive one).
  function automatic logic [W-1:0] order_key(input logic [W-1:0] bits);
    order_key = Signed ? (bits[31] ? ~bits : {1'b1, bits[30:0]}) : {1'b0, bits[30:0]};
  endfunction

  function automatic logic [W-1:0] key_to_bits(input logic [W-1:0] key);
    key_to_bits = Signed ? (key[31] ? {1'b0, key[30:0]} : ~key) : key;
  endfunction

  // ---- lane reduction: a balanced tree of maxima, in place (node n of a
  // level is the max of nodes 2n and 2n+1 of the level before)
  logic [W-1:0] beat_max_key;
  always_comb begin
    logic [Lanes*W-1:0] node;
    for (int i = 0; i < Lanes; i++) node[W*i +: W] = order_key(in_data[W*i +: W]);
    for (int width = Lanes / 2; width >= 1; width = width / 2) begin
      for (int n = 0; n < width; n++) begin
        node[W*n +: W] =
            node[W*(2*n) +: W] > node[W*(2*n+1) +: W]
                ? node[W*(2*n) +: W] : node[W*(2*n+1) +: W];
      end
    end
    beat_max_key = node[W-1:0];
  end

  // ---- PIPE registers between the tree and the accumulator
  logic                 beat_valid, beat_ready, beat_last;
  logic [W-1:0] beat_key;
  fp4v_stream_regs #(.WIDTH(W + 1), .DEPTH(PIPE)) u_regs (
    .clk, .rst_n,
    .in_valid,
    .in_ready,
    .in_data  ({in_data[LastBit], beat_max_key}),
    .out_valid(beat_valid),
    .out_ready(beat_ready),
    .out_data ({beat_last, beat_key})
  );

  // ---- accumulator: the running key since the last `last`; 0 orders below every lane
  logic [W-1:0] running_key, merged_key;
  assign merged_key = beat_key > running_key ? beat_key : running_key;
  // The result register frees up this cycle when its beat is taken.
  assign beat_ready = !out_valid || out_ready;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      running_key <= '0;
      out_valid   <= 1'b0;
      out_data    <= '0;
    end else begin
      if (out_valid && out_ready) out_valid <= 1'b0;
      if (beat_valid && beat_ready) begin
        if (beat_last) begin
          running_key <= '0;
          out_valid   <= 1'b1;
          out_data    <= key_to_bits(merged_key);
        end else begin
          running_key <= merged_key;
        end
      end
    end
  end

endmodule
