// fp4v_mma_seq_dot: one output element in the FP32-sequential model of the
// CUTLASS / TransformerEngine host references: acc = C, then for each k in
// order acc = fl(acc + fl(fl(a_k sa) fl(b_k sb))), every operation FP32 RNE.
// ELEMS elements per step (clock edge); the accumulator carries across steps
// and across the beats from first to last.
module fp4v_mma_seq_dot #(
  parameter int unsigned K = 64,
  parameter int unsigned BLOCK = 16,
  parameter int unsigned SCALE_FMT = fp4v_mma_pkg::ScaleUe4m3,
  parameter int unsigned ELEMS = 4,
  localparam int unsigned NB = K / BLOCK,
  localparam int unsigned STEPS = K / ELEMS,
  localparam int unsigned StepW = STEPS > 1 ? $clog2(STEPS) : 1
) (
  input  logic             clk,
  input  logic             step_en,  // a step is taken this edge
  input  logic [StepW-1:0] step,     // elements ELEMS step .. ELEMS step + ELEMS - 1
  input  logic             first,    // the beat starts the dot product: step 0 reads C
  input  logic [4*K-1:0]   a_codes,
  input  logic [4*K-1:0]   b_codes,
  input  logic [8*NB-1:0]  a_scales,
  input  logic [8*NB-1:0]  b_scales,
  input  logic [31:0]      c,
  output logic [31:0]      d         // after the last step of the last beat: the result
);
  logic [31:0] acc [ELEMS+1];
  logic [31:0] acc_q, c_q;
  logic nan_q, c_inf_q, beat_nan, c_nan, c_inf, starts;

  assign starts = first && step == '0;
  assign acc[0] = starts ? c : acc_q;

  for (genvar e = 0; e < ELEMS; e++) begin : gen_elem
    logic [31:0] x, y, p;
    logic [$clog2(K)-1:0] k, blk;
    assign k = $clog2(K)'(step) * $clog2(K)'(ELEMS) + $clog2(K)'(e);
    assign blk = k / $clog2(K)'(BLOCK);
    fp4v_mma_dequant #(.SCALE_FMT(SCALE_FMT)) u_x (
      .code (a_codes[4*k +: 4]),
      .scale(a_scales[8*blk +: 8]),
      .value(x)
    );
    fp4v_mma_dequant #(.SCALE_FMT(SCALE_FMT)) u_y (
      .code (b_codes[4*k +: 4]),
      .scale(b_scales[8*blk +: 8]),
      .value(y)
    );
    fp4v_mma_fp32_mul u_mul (.x(x), .y(y), .p(p));
    fp4v_mma_fp32_add u_add (.a(acc[e]), .b(p), .s(acc[e+1]));
  end

  always_comb begin
    beat_nan = 1'b0;
    for (int unsigned b = 0; b < NB; b++) begin
      beat_nan = beat_nan | fp4v_mma_pkg::scale_is_nan(a_scales[8*b +: 8], SCALE_FMT) |
                 fp4v_mma_pkg::scale_is_nan(b_scales[8*b +: 8], SCALE_FMT);
    end
    c_nan = c[30:23] == 8'hFF && c[22:0] != '0;
    c_inf = c[30:23] == 8'hFF && c[22:0] == '0;
  end

  always_ff @(posedge clk) begin
    if (step_en) begin
      acc_q <= acc[ELEMS];
      if (starts) begin
        nan_q <= c_nan | beat_nan;
        c_inf_q <= c_inf;
        c_q <= c;
      end else if (step == '0) begin
        nan_q <= nan_q | beat_nan;
      end
    end
  end

  // NaN scales (any beat) or a NaN C give NaN, then an infinite C is the result
  assign d = nan_q ? fp4v_mma_pkg::CanonicalNan : c_inf_q ? c_q : acc_q;
endmodule
