// A test-only top for the stream engines (not a unit under test): a pipeline
// of DEPTH stages with one global stall (back-pressure from out_ready), on
// wide ports (96 bits in and out: Verilator's VlWide and SystemC's sc_bv).
// in_data = {c, b, a} (32 bits each); out_data = {a ^ b, a + b + c, index},
// where index counts the beats taken since reset.
// BUG (a build-time mutant): 1 drops the carry out of bit 15 of the sum.
module stream_adder #(
  parameter int DEPTH = 3,
  parameter int BUG = 0
) (
  input  logic        clk,
  input  logic        rst_n,
  input  logic        in_valid,
  output logic        in_ready,
  input  logic [95:0] in_data,
  output logic        out_valid,
  input  logic        out_ready,
  output logic [95:0] out_data
);
  logic [DEPTH-1:0] valid;
  logic [95:0] stage [DEPTH];
  logic [31:0] count;
  logic advance;
  logic [31:0] a, b, c, sum;

  assign advance = !(valid[DEPTH-1] && !out_ready);
  assign in_ready = advance;
  assign a = in_data[31:0];
  assign b = in_data[63:32];
  assign c = in_data[95:64];
  always_comb begin
    sum = a + b + c;
    if (BUG == 1) sum[31:16] = a[31:16] + b[31:16] + c[31:16];
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      valid <= '0;
      count <= '0;
    end else if (advance) begin
      valid <= {valid[DEPTH-2:0], in_valid};
      stage[0] <= {a ^ b, sum, count};
      for (int i = 1; i < DEPTH; ++i) stage[i] <= stage[i-1];
      if (in_valid) count <= count + 1;
    end
  end

  assign out_valid = valid[DEPTH-1];
  assign out_data = stage[DEPTH-1];
endmodule
