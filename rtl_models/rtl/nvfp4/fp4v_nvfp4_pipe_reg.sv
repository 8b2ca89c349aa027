// One optional pipeline register on a valid/ready stream. ENABLE = 0 is a
// wire, so a unit places its cut points by parameter and keeps one netlist
// per PIPE setting. ready stays combinational (a plain pipeline register,
// not a skid buffer): the stage accepts a beat whenever it is empty or its
// beat leaves in the same cycle, so a full pipeline takes one beat per cycle.
module fp4v_nvfp4_pipe_reg #(
  parameter int unsigned WIDTH  = 1,
  parameter bit          ENABLE = 1'b1
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
  if (ENABLE) begin : g_register
    logic             valid_q;
    logic [WIDTH-1:0] data_q;
    assign in_ready  = !valid_q || out_ready;
    assign out_valid = valid_q;
    assign out_data  = data_q;
    always_ff @(posedge clk) begin
      if (!rst_n) begin
        valid_q <= 1'b0;
      end else if (in_ready) begin
        valid_q <= in_valid;
      end
    end
    // The data register needs no reset: it is read only while valid_q is set.
    always_ff @(posedge clk) begin
      if (in_ready && in_valid) data_q <= in_data;
    end
  end else begin : g_wire
    logic unused_clock;
    assign unused_clock = clk ^ rst_n;
    assign in_ready  = out_ready;
    assign out_valid = in_valid;
    assign out_data  = in_data;
  end
endmodule
