// fp4v_mma_unit: an M x N tile of block-scaled E2M1 dot products of K codes
// per beat, behind the stream contract (rtl_models/README.md); the beat
// layouts are in fp4v_mma_pkg. One beat per cycle in, one M x N tile out per
// instruction (fused) or per dot product of many beats (exact).
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

  if (ACC == fp4v_mma_pkg::AccExact) begin : gen_exact
    // The accumulators take a beat whenever the finished tile they hold has
    // left (or there is none); the last beat of a dot product finishes one.
    logic beat_en;
    assign in_ready = !tile_valid || tile_ready;
    assign beat_en = in_valid && in_ready;
    always_ff @(posedge clk) begin
      if (!rst_n) tile_valid <= 1'b0;
      else if (beat_en && in_data[LastBit]) tile_valid <= 1'b1;
      else if (tile_ready) tile_valid <= 1'b0;
    end
    for (genvar i = 0; i < M; i++) begin : gen_row
      for (genvar j = 0; j < N; j++) begin : gen_col
        fp4v_mma_exact_dot #(
          .K(K), .BLOCK(BLOCK), .SCALE_FMT(SCALE_FMT), .RNE(RNE), .MUTANT(MUTANT)
        ) u_dot (
          .clk     (clk),
          .beat_en (beat_en),
          .first   (in_data[FirstBit]),
          .last    (in_data[LastBit]),
          .a_codes (in_data[4*K*i +: 4*K]),
          .b_codes (in_data[BOff + 4*K*j +: 4*K]),
          .a_scales(in_data[SaOff + 8*NB*i +: 8*NB]),
          .b_scales(in_data[SbOff + 8*NB*j +: 8*NB]),
          .c       (in_data[COff + 32*(i*N + j) +: 32]),
          .d       (tile[32*(i*N + j) +: 32])
        );
      end
    end
  end else begin : gen_fused
    // One instruction per beat; C comes with every beat.
    assign tile_valid = in_valid;
    assign in_ready = tile_ready;
    for (genvar i = 0; i < M; i++) begin : gen_row
      for (genvar j = 0; j < N; j++) begin : gen_col
        fp4v_mma_fused_dot #(
          .K(K), .BLOCK(BLOCK), .G(G), .F(F), .SCALE_FMT(SCALE_FMT), .RNE(RNE), .MUTANT(MUTANT)
        ) u_dot (
          .a_codes (in_data[4*K*i +: 4*K]),
          .b_codes (in_data[BOff + 4*K*j +: 4*K]),
          .a_scales(in_data[SaOff + 8*NB*i +: 8*NB]),
          .b_scales(in_data[SbOff + 8*NB*j +: 8*NB]),
          .c       (in_data[COff + 32*(i*N + j) +: 32]),
          .d       (tile[32*(i*N + j) +: 32])
        );
      end
    end
    // first/last belong to the exact model's protocol
    logic unused_flags;
    assign unused_flags = ^in_data[LastBit:FirstBit];
  end

  // Output registers (retimed into the datapath by synthesis).
  fp4v_mma_pipe #(.WIDTH(OUT_W), .DEPTH(PIPE)) u_pipe (
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
