// DEPTH pipeline registers on a valid/ready stream (DEPTH = 0: a wire).
// Each stage takes a beat when it is empty or its beat moves on this cycle,
// so a full pipeline still moves one beat per cycle.
module fp4v_stream_regs #(
  parameter int unsigned WIDTH = 1,
  parameter int unsigned DEPTH = 0
) (
  input  logic             clk,
  input  logic             rst_n,
  input  logic             in_valid,
  output logic             in_ready,
  input  logic [WIDTH-1:0] in_data,
  output logic             out_valid,
  input  logic             out_ready,
  output logic [WIDTH-1:0] out_data
);

  if (DEPTH == 0) begin : g_wire
    logic unused_clock;  // no registers to clock
    assign unused_clock = clk ^ rst_n;
    assign out_valid = in_valid;
    assign in_ready  = out_ready;
    assign out_data  = in_data;
  end else begin : g_regs
    logic [DEPTH-1:0]       valid_q;   // stage s holds a beat
    logic [DEPTH*WIDTH-1:0] data_q;    // stage s at [WIDTH s +: WIDTH]
    logic [DEPTH-1:0]       load;      // stage s takes its input this cycle

    // A stage may load when it is empty or every stage after it moves on.
    always_comb begin
      logic moves;
      moves = out_ready;
      for (int s = DEPTH - 1; s >= 0; s--) begin
        moves   = !valid_q[s] || moves;
        load[s] = moves;
      end
    end

    always_ff @(posedge clk) begin
      if (!rst_n) begin
        valid_q <= '0;
      end else begin
        for (int s = 0; s < DEPTH; s++) begin
          if (load[s]) valid_q[s] <= s == 0 ? in_valid : valid_q[s-1];
        end
      end
    end

    // Data registers need no reset: valid says when they hold a beat.
    always_ff @(posedge clk) begin
      for (int s = 0; s < DEPTH; s++) begin
        if (load[s]) data_q[WIDTH*s +: WIDTH] <= s == 0 ? in_data : data_q[WIDTH*(s-1) +: WIDTH];
      end
    end

    assign in_ready  = load[0];
    assign out_valid = valid_q[DEPTH-1];
    assign out_data  = data_q[WIDTH*(DEPTH-1) +: WIDTH];
  end

endmodule
