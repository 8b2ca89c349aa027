// fp4v_mma_pipe: DEPTH valid/ready register stages (0: a wire). A stage takes
// a new beat when it is empty or its beat leaves this cycle, so a full pipe
// moves one beat per cycle and a stalled output stalls it without loss.
module fp4v_mma_pipe #(
  parameter int unsigned WIDTH = 32,
  parameter int unsigned DEPTH = 1
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
  if (DEPTH == 0) begin : gen_wire
    assign out_valid = in_valid;
    assign in_ready = out_ready;
    assign out_data = in_data;
    logic unused_clock;
    assign unused_clock = clk ^ rst_n;
  end else begin : gen_regs
    logic [WIDTH-1:0] data_q [DEPTH];
    logic [DEPTH-1:0] valid_q, take;
    // stage s takes a beat when it is empty or its own beat moves on: when
    // the output is taken or some stage from s on is empty
    always_comb begin
      logic full_from;
      full_from = 1'b1;
      for (int s = DEPTH - 1; s >= 0; s--) begin
        full_from = full_from && valid_q[s];
        take[s] = out_ready || !full_from;
      end
    end
    assign in_ready = take[0];
    assign out_valid = valid_q[DEPTH-1];
    assign out_data = data_q[DEPTH-1];
    always_ff @(posedge clk) begin
      if (!rst_n) valid_q <= '0;
      else begin
        for (int unsigned s = 0; s < DEPTH; s++) begin
          if (take[s]) valid_q[s] <= s == 0 ? in_valid : valid_q[s-1];
        end
      end
    end
    always_ff @(posedge clk) begin
      for (int unsigned s = 0; s < DEPTH; s++) begin
        if (take[s]) data_q[s] <= s == 0 ? in_data : data_q[s-1];
      end
    end
  end
endmodule
