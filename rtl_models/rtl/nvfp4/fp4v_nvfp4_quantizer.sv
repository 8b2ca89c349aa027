// NVFP4 block quantizer behind the stream contract (rtl_models/README.md):
// one block (1x16, or a 16x16 tile) per beat, one beat per cycle.
// Beat layouts: fp4v_nvfp4_pkg.
//
// Two arithmetics (ARITH):
//   ArithExact  nvfp4.46, .mae, .abs_max: every quantity a real number
//               rounded once, in integers (scale: fp4v_nvfp4_exact_scales,
//               elements and 4/6 errors: fp4v_nvfp4_exact_elements).
//   ArithTe     nvfp4.te: TransformerEngine's FP32 operations, each rounded
//               as in software (fp4v_nvfp4_te_scale, fp4v_nvfp4_te_elements);
//               static 6 only.
//
// Pipeline cut points, PIPE of them from the output back:
//   input -> [cut 2] -> block amax, scales -> [cut 1] -> elements, 4/6
//   decision -> [cut 0] -> output
module fp4v_nvfp4_quantizer #(
  parameter int unsigned ARITH      = fp4v_nvfp4_pkg::ArithExact,
  parameter int unsigned SELECTION  = fp4v_nvfp4_pkg::SelMse,
  parameter int unsigned TILE_2D    = 0,     // 16x16 tiles (256 lanes) instead of 1x16
  parameter int unsigned IN_FMT     = fp4v_nvfp4_pkg::FmtFp32,
  parameter int unsigned STOCHASTIC = 0,     // TE only: stochastic element rounding
  parameter int unsigned PIPE       = 1,     // 0 to 3 pipeline registers
  parameter int unsigned MUTANT     = 0,     // planted bug, fp4v_nvfp4_pkg Mut*
  // Derived: the stream widths.
  parameter int unsigned LANES      = TILE_2D != 0 ? 256 : 16,
  parameter int unsigned LANE_W     = IN_FMT == fp4v_nvfp4_pkg::FmtFp32 ? 32 : 16,
  parameter int unsigned IN_W       = LANES * LANE_W + (ARITH == fp4v_nvfp4_pkg::ArithTe ? 64 : 32) +
                                      (STOCHASTIC != 0 ? 8 * LANES : 0),
  parameter int unsigned OUT_W      = LANES * 4 + 9
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
  localparam bit Te = ARITH == fp4v_nvfp4_pkg::ArithTe;
  localparam int unsigned RandomW = STOCHASTIC != 0 ? 8 * LANES : 1;
  // What stage 1 hands to stage 2: elements (FP32), the tensor operands,
  // random bits, amax-derived scale fields.
  localparam int unsigned MidW = LANES * 32 + 64 + RandomW + 7 + 7 + 32;

  // ---------------------------------------------------------------- stage 1
  logic             s1_valid, s1_ready;
  logic [IN_W-1:0]  s1_data;

  fp4v_nvfp4_pipe_reg #(.WIDTH(IN_W), .ENABLE(PIPE >= 3)) u_cut2 (
    .clk, .rst_n, .in_valid, .in_ready, .in_data,
    .out_valid(s1_valid), .out_ready(s1_ready), .out_data(s1_data)
  );

  logic [LANES*32-1:0] elements;
  logic [63:0]         tensor_operands;  // S_enc (exact), or {fl(1/S_enc), fl(S_enc/6)} (TE)
  logic [RandomW-1:0]  random_bits;
  logic [31:0]         block_amax;
  logic [6:0]          scale6, scale4;
  logic [31:0]         multiplier;

  for (genvar i = 0; i < LANES; i++) begin : g_convert
    assign elements[32*i +: 32] =
        fp4v_nvfp4_pkg::to_fp32(32'(s1_data[LANE_W*i +: LANE_W]), IN_FMT);
  end
  if (Te) begin : g_te_operands
    assign tensor_operands = s1_data[LANES*LANE_W +: 64];
  end else begin : g_exact_operand
    assign tensor_operands = {32'd0, s1_data[LANES*LANE_W +: 32]};
  end
  if (STOCHASTIC != 0) begin : g_random
    assign random_bits = s1_data[IN_W-1 -: RandomW];
  end else begin : g_no_random
    assign random_bits = 1'b0;
  end

  fp4v_nvfp4_block_amax #(.LANES(LANES), .MUTANT(MUTANT)) u_amax (
    .elements, .amax(block_amax)
  );

  if (Te) begin : g_te_scale
    fp4v_nvfp4_te_scale #(.MUTANT(MUTANT)) u_scale (
      .amax(block_amax), .block_factor(tensor_operands[31:0]), .s_dec(tensor_operands[63:32]),
      .scale(scale6), .multiplier
    );
    assign scale4 = 7'd0;
  end else begin : g_exact_scales
    fp4v_nvfp4_exact_scales #(.MUTANT(MUTANT)) u_scales (
      .amax(block_amax), .s_enc(tensor_operands[31:0]), .scale6, .scale4
    );
    assign multiplier = 32'd0;
  end

  // ---------------------------------------------------------------- stage 2
  logic             s2_valid, s2_ready;
  logic [MidW-1:0]  s2_data;

  fp4v_nvfp4_pipe_reg #(.WIDTH(MidW), .ENABLE(PIPE >= 2)) u_cut1 (
    .clk, .rst_n, .in_valid(s1_valid), .in_ready(s1_ready),
    .in_data({multiplier, scale4, scale6, random_bits, tensor_operands, elements}),
    .out_valid(s2_valid), .out_ready(s2_ready), .out_data(s2_data)
  );

  logic [LANES*32-1:0] s2_elements;
  logic [63:0]         s2_operands;
  logic [RandomW-1:0]  s2_random;
  logic [6:0]          s2_scale6, s2_scale4;
  logic [31:0]         s2_multiplier;
  logic [LANES*4-1:0]  codes;
  logic [6:0]          scale;
  logic                chose_four;

  assign {s2_multiplier, s2_scale4, s2_scale6, s2_random, s2_operands, s2_elements} = s2_data;

  if (Te) begin : g_te_elements
    logic [LANES*8-1:0] lane_random;
    if (STOCHASTIC != 0) begin : g_random
      assign lane_random = s2_random;
    end else begin : g_nearest
      assign lane_random = '0;
      logic unused_random;
      assign unused_random = ^s2_random;
    end
    fp4v_nvfp4_te_elements #(.LANES(LANES), .STOCHASTIC(STOCHASTIC), .MUTANT(MUTANT)) u_elements (
      .elements(s2_elements), .multiplier(s2_multiplier), .random(lane_random), .codes
    );
    assign scale = s2_scale6;
    assign chose_four = 1'b0;
    logic unused_te;
    assign unused_te = ^{s2_operands, s2_scale4};
  end else begin : g_exact_elements
    fp4v_nvfp4_exact_elements #(.LANES(LANES), .SELECTION(SELECTION), .MUTANT(MUTANT)) u_elements (
      .elements(s2_elements), .s_enc(s2_operands[31:0]), .scale6(s2_scale6), .scale4(s2_scale4),
      .codes, .scale, .chose_four
    );
    logic unused_exact;
    assign unused_exact = ^{s2_operands[63:32], s2_random, s2_multiplier};
  end

  // Output packing; MutNibbleSwap exchanges the codes of elements 2i and 2i+1.
  logic [LANES*4-1:0] packed_codes;
  for (genvar i = 0; i < LANES; i++) begin : g_pack
    localparam int unsigned Source = MUTANT == fp4v_nvfp4_pkg::MutNibbleSwap ? i ^ 1 : i;
    assign packed_codes[4*i +: 4] = codes[4*Source +: 4];
  end

  // ---------------------------------------------------------------- output
  fp4v_nvfp4_pipe_reg #(.WIDTH(OUT_W), .ENABLE(PIPE >= 1)) u_cut0 (
    .clk, .rst_n, .in_valid(s2_valid), .in_ready(s2_ready),
    .in_data({chose_four, 1'b0, scale, packed_codes}),
    .out_valid, .out_ready, .out_data
  );
endmodule
