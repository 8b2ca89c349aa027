// fp4v_mma_unit: an M x N tile of block-scaled E2M1 dot products of K codes
// per beat, behind the stream contract (rtl_models/README.md); the beat
// layouts are in fp4v_mma_pkg. One beat per cycle in (FP32 sequential: one
// per K / SEQ_ELEMS + 1 cycles), one M x N tile out per instruction (fused)
// or per dot product of many beats (exact, FP32 sequential).
module fp4v_mma_unit #(
  parameter int unsigned M = 2,
  parameter int unsigned N = 2,
  parameter int unsigned K = 64,                              // the instruction's K
  parameter int unsigned SCALE_FMT = fp4v_mma_pkg::ScaleUe4m3,
  parameter int unsigned BLOCK = 16,                          // codes per scale
  parameter int unsigned ACC = fp4v_mma_pkg::AccFused,
  parameter int unsigned G = 16,                              // fused: products per group
  parameter int unsigned F = 35,                              // fused: fraction bits after alignment
  parameter int unsigned RNE = 0,                             // final rounding: 0 toward zero, 1 nearest even
  parameter int unsigned PIPE = 1,                            // register stages after the datapath
  parameter int unsigned SEQ_ELEMS = 4,                       // FP32 sequential: elements per cycle
  parameter int unsigned MUTANT = fp4v_mma_pkg::MutNone,
  localparam int unsigned NB = K / BLOCK,
  localparam int unsigned IN_W = 4 * (M + N) * K + 8 * (M + N) * NB + 32 * M * N + 2,
  localparam int unsigned OUT_W = 32 * M * N
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
  localparam int unsigned BOff = 4 * M * K;
  localparam int unsigned SaOff = 4 * (M + N) * K;
  localparam int unsigned SbOff = SaOff + 8 * M * NB;
  localparam int unsigned COff = SbOff + 8 * N * NB;
  localparam int unsigned FirstBit = COff + 32 * M * N;
  localparam int unsigned LastBit = FirstBit + 1;

  logic [OUT_W-1:0] tile;
  logic tile_valid, tile_ready;
  // The beat the lanes read (the input beat; FP32 sequential: the beat held
  // while its elements go through) and their enable (exact: a beat is
  // taken; FP32 sequential: a step is taken; fused: combinational).
  localparam int unsigned Steps = K / SEQ_ELEMS;
  localparam int unsigned StepW = Steps > 1 ? $clog2(Steps) : 1;
  logic [IN_W-1:0] beat;
  logic lane_en;
  logic [StepW-1:0] step;

  if (ACC == fp4v_mma_pkg::AccExact) begin : gen_exact
    // The accumulators take a beat whenever the finished tile they hold has
    // left (or there is none); the last beat of a dot product finishes one.
    assign in_ready = !tile_valid || tile_ready;
    assign lane_en = in_valid && in_ready;
    assign beat = in_data;
    assign step = '0;
    always_ff @(posedge clk) begin
      if (!rst_n) tile_valid <= 1'b0;
      else if (lane_en && in_data[LastBit]) tile_valid <= 1'b1;
      else if (tile_ready) tile_valid <= 1'b0;
    end
  end else if (ACC == fp4v_mma_pkg::AccSeq) begin : gen_seq
    // A beat is held while its K elements go through the lanes, SEQ_ELEMS a
    // cycle (the sum is sequential); the last beat of a dot product finishes a tile.
    logic busy_q, tile_valid_q;
    logic [StepW-1:0] step_q;
    logic [IN_W-1:0] beat_q;
    assign in_ready = !busy_q && (!tile_valid_q || tile_ready);
    assign tile_valid = tile_valid_q;
    assign lane_en = busy_q;
    assign beat = beat_q;
    assign step = step_q;
    always_ff @(posedge clk) begin
      if (!rst_n) begin
        busy_q <= 1'b0;
        tile_valid_q <= 1'b0;
        step_q <= '0;
      end else begin
        if (tile_ready) tile_valid_q <= 1'b0;
        if (in_valid && in_ready) begin
          busy_q <= 1'b1;
          step_q <= '0;
        end else if (busy_q) begin
          step_q <= step_q + 1'b1;
          if (step_q == StepW'(Steps - 1)) begin
            busy_q <= 1'b0;
            if (beat_q[LastBit]) tile_valid_q <= 1'b1;
          end
        end
      end
    end
    always_ff @(posedge clk) begin
      if (in_valid && in_ready) beat_q <= in_data;
    end
  end else begin : gen_fused
    // One instruction per beat; C comes with every beat.
    assign tile_valid = in_valid;
    assign in_ready = tile_ready;
    assign beat = in_data;
    assign lane_en = 1'b0;
    assign step = '0;
  end

  // The M x N lanes, one dot product each, in the accumulation model ACC.
  for (genvar i = 0; i < M; i++) begin : gen_row
    for (genvar j = 0; j < N; j++) begin : gen_col
      logic [4*K-1:0] a_codes, b_codes;
      logic [8*NB-1:0] a_scales, b_scales;
      logic [31:0] c;
      assign a_codes = beat[4*K*i +: 4*K];
      assign b_codes = beat[BOff + 4*K*j +: 4*K];
      assign a_scales = beat[SaOff + 8*NB*i +: 8*NB];
      assign b_scales = beat[SbOff + 8*NB*j +: 8*NB];
      assign c = beat[COff + 32*(i*N + j) +: 32];
      if (ACC == fp4v_mma_pkg::AccExact) begin : gen_exact_dot
        fp4v_mma_exact_dot #(
          .K(K), .BLOCK(BLOCK), .SCALE_FMT(SCALE_FMT), .RNE(RNE), .MUTANT(MUTANT)
        ) u_dot (
          .clk(clk), .beat_en(lane_en), .first(beat[FirstBit]), .last(beat[LastBit]),
          .a_codes(a_codes), .b_codes(b_codes), .a_scales(a_scales), .b_scales(b_scales), .c(c),
          .d(tile[32*(i*N + j) +: 32])
        );
      end else if (ACC == fp4v_mma_pkg::AccSeq) begin : gen_seq_dot
        fp4v_mma_seq_dot #(.K(K), .BLOCK(BLOCK), .SCALE_FMT(SCALE_FMT), .ELEMS(SEQ_ELEMS)) u_dot (
          .clk(clk), .step_en(lane_en), .step(step), .first(beat[FirstBit]),
          .a_codes(a_codes), .b_codes(b_codes), .a_scales(a_scales), .b_scales(b_scales), .c(c),
          .d(tile[32*(i*N + j) +: 32])
        );
      end else begin : gen_fused_dot
        fp4v_mma_fused_dot #(
          .K(K), .BLOCK(BLOCK), .G(G), .F(F), .SCALE_FMT(SCALE_FMT), .RNE(RNE), .MUTANT(MUTANT)
        ) u_dot (
          .a_codes(a_codes), .b_codes(b_codes), .a_scales(a_scales), .b_scales(b_scales), .c(c),
          .d(tile[32*(i*N + j) +: 32])
        );
      end
    end
  end
  // The models that do not read them: the clock, the enable and step, first and last.
  logic unused_lane_inputs;
  assign unused_lane_inputs = ^{lane_en, step, beat[LastBit:FirstBit]};

  // Output registers (retimed into the datapath by synthesis).
  fp4v_stream_regs #(.WIDTH(OUT_W), .DEPTH(PIPE)) u_pipe (
    .clk      (clk),
    .rst_n    (rst_n),
    .in_valid (tile_valid),
    .in_ready (tile_ready),
    .in_data  (tile),
    .out_valid(out_valid),
    .out_ready(out_ready),
    .out_data (out_data)
  );
endmodule
