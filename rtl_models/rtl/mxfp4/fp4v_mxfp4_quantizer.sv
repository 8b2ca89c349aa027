// MXFP4 block quantizer behind the stream contract (rtl_models/README.md):
// one block (or one MBS macro block of 8 blocks) per beat, one beat per
// cycle. Layout and parameter values: fp4v_mx_pkg.
//
//   A: lanes -> FP32; MBS: macro amax, macro byte m, x * (1 + m / 256)
//   B: block amax -> E8M0 scale byte
//   C: elements -> E2M1 codes
// PIPE registers: the first between B and C, the second between A and B,
// the rest after C.
module fp4v_mxfp4_quantizer #(
  parameter int unsigned RULE       = fp4v_mx_pkg::RuleOcpFloor,
  parameter int unsigned BLOCK      = 32,
  parameter int unsigned IN_FMT     = fp4v_mx_pkg::InFp32,
  parameter int unsigned STOCHASTIC = 0,
  parameter int unsigned PIPE       = 1,
  parameter int unsigned MUTANT     = fp4v_mx_pkg::MutNone,
  localparam int unsigned GROUPS  = RULE == fp4v_mx_pkg::RuleMbs ? fp4v_mx_pkg::MacroGroups : 1,
  localparam int unsigned ELEMS   = BLOCK * GROUPS,
  localparam int unsigned LANE_W  = IN_FMT == fp4v_mx_pkg::InFp32 ? 32 : 16,
  localparam int unsigned RAND_W  = STOCHASTIC != 0 ? 8 * ELEMS : 0,
  localparam int unsigned MACRO_W = RULE == fp4v_mx_pkg::RuleMbs ? 40 : 0,
  localparam int unsigned IN_W    = ELEMS * LANE_W + RAND_W,
  localparam int unsigned OUT_W   = 4 * ELEMS + 8 * GROUPS + MACRO_W
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

  localparam bit Mbs = RULE == fp4v_mx_pkg::RuleMbs;
  localparam bit AmaxSigned = MUTANT == fp4v_mx_pkg::MutBlockAmaxSigned;
  // Bits carried between stages: elements, random bytes (8 per element, or a
  // placeholder bit), macro byte and scaled macro amax (40 bits, 0 without MBS).
  localparam int unsigned ElemsW = 32 * ELEMS;
  localparam int unsigned RandW  = STOCHASTIC != 0 ? 8 * ELEMS : 1;
  localparam int unsigned StageAW = ElemsW + RandW + 40;
  localparam int unsigned StageBW = StageAW + 8 * GROUPS;

  // ---------------------------------------------------------------- stage A
  logic [ElemsW-1:0] a_elems;
  logic [RandW-1:0]  a_random;
  logic [7:0]        a_macro_byte;
  logic [31:0]       a_macro_amax;   // max |fl(x f)|, the tensor amax's input under MBS

  logic [ElemsW-1:0] a_inputs;
  for (genvar i = 0; i < ELEMS; i++) begin : g_unpack
    fp4v_mx_to_fp32 #(.IN_FMT(IN_FMT), .MUTANT(MUTANT)) u_to_fp32 (
      .lane(in_data[LANE_W*i +: LANE_W]),
      .fp32(a_inputs[32*i +: 32])
    );
  end

  if (STOCHASTIC != 0) begin : g_random
    assign a_random = in_data[ELEMS*LANE_W +: RandW];
  end else begin : g_no_random
    assign a_random = 1'b0;
  end

  if (Mbs) begin : g_mbs
    logic [30:0] macro_input_amax;
    always_comb begin
      macro_input_amax = '0;
      for (int i = 0; i < ELEMS; i++) begin
        if (a_inputs[32*i +: 31] > macro_input_amax) macro_input_amax = a_inputs[32*i +: 31];
      end
    end
    fp4v_mx_macro_factor #(.MUTANT(MUTANT)) u_factor (.amax(macro_input_amax), .macro_byte(a_macro_byte));
    for (genvar i = 0; i < ELEMS; i++) begin : g_scale
      fp4v_mx_macro_scale u_scale (.x(a_inputs[32*i +: 32]), .macro_byte(a_macro_byte), .y(a_elems[32*i +: 32]));
    end
    // f >= 1 and rounding are monotone, but the max of the results is what
    // golden reports; Inf (overflow) is a magnitude like any other here.
    always_comb begin
      a_macro_amax = '0;
      for (int i = 0; i < ELEMS; i++) begin
        if ({1'b0, a_elems[32*i +: 31]} > a_macro_amax) a_macro_amax = {1'b0, a_elems[32*i +: 31]};
      end
    end
  end else begin : g_no_mbs
    assign a_elems      = a_inputs;
    assign a_macro_byte = '0;
    assign a_macro_amax = '0;
  end

  logic               b_valid, b_ready;
  logic [StageAW-1:0] b_payload;
  fp4v_stream_regs #(.WIDTH(StageAW), .DEPTH(PIPE >= 2 ? 1 : 0)) u_regs_ab (
    .clk, .rst_n,
    .in_valid,
    .in_ready,
    .in_data  ({a_macro_amax, a_macro_byte, a_random, a_elems}),
    .out_valid(b_valid),
    .out_ready(b_ready),
    .out_data (b_payload)
  );

  // ---------------------------------------------------------------- stage B
  logic [ElemsW-1:0]    b_elems;
  logic [8*GROUPS-1:0]  b_scales;
  assign b_elems = b_payload[ElemsW-1:0];

  for (genvar g = 0; g < GROUPS; g++) begin : g_block
    logic [30:0] block_amax;
    always_comb begin
      logic [31:0] v, key, best;  // order key: |x|, or (mutant) the signed value's order
      best = '0;
      for (int i = 0; i < BLOCK; i++) begin
        v   = b_elems[32*(g*BLOCK+i) +: 32];
        key = AmaxSigned ? (v[31] ? ~v : {1'b1, v[30:0]}) : {1'b0, v[30:0]};
        if (key > best) best = key;
      end
      // The signed max's magnitude (0 for an all-negative block: +0 padding-free max)
      block_amax = AmaxSigned ? (best[31] ? best[30:0] : 31'b0) : best[30:0];
    end
    fp4v_mx_scale_byte #(.RULE(RULE), .MUTANT(MUTANT)) u_scale_byte (
      .amax(block_amax),
      .scale_byte(b_scales[8*g +: 8])
    );
  end

  logic               c_valid, c_ready;
  logic [StageBW-1:0] c_payload;
  fp4v_stream_regs #(.WIDTH(StageBW), .DEPTH(PIPE >= 1 ? 1 : 0)) u_regs_bc (
    .clk, .rst_n,
    .in_valid (b_valid),
    .in_ready (b_ready),
    .in_data  ({b_scales, b_payload}),
    .out_valid(c_valid),
    .out_ready(c_ready),
    .out_data (c_payload)
  );

  // ---------------------------------------------------------------- stage C
  logic [ElemsW-1:0]   c_elems;
  logic [RandW-1:0]    c_random;
  logic [39:0]         c_macro;
  logic [8*GROUPS-1:0] c_scales;
  logic [4*ELEMS-1:0]  c_codes;
  assign c_elems  = c_payload[ElemsW-1:0];
  assign c_random = c_payload[ElemsW +: RandW];
  assign c_macro  = c_payload[ElemsW + RandW +: 40];
  assign c_scales = c_payload[StageAW +: 8 * GROUPS];

  if (STOCHASTIC == 0) begin : g_no_random_c
    logic unused_random;  // the placeholder bit
    assign unused_random = ^c_random;
  end

  for (genvar i = 0; i < ELEMS; i++) begin : g_encode
    logic [7:0] random;
    if (STOCHASTIC != 0) begin : g_sr
      assign random = c_random[8*i +: 8];
    end else begin : g_rn
      assign random = '0;
    end
    // Nibble swap (mutant): element i's code lands in element i ^ 1's place.
    localparam int unsigned Slot = MUTANT == fp4v_mx_pkg::MutNibbleSwap ? i ^ 1 : i;
    fp4v_mx_e2m1_encode #(.RULE(RULE), .STOCHASTIC(STOCHASTIC), .MUTANT(MUTANT)) u_encode (
      .x         (c_elems[32*i +: 32]),
      .scale_byte(c_scales[8*(i/BLOCK) +: 8]),
      .random,
      .code      (c_codes[4*Slot +: 4])
    );
  end

  logic [OUT_W-1:0] c_result;
  if (Mbs) begin : g_out_mbs
    assign c_result = {c_macro, c_scales, c_codes};
  end else begin : g_out
    logic unused_macro;  // no macro fields without MBS
    assign unused_macro = ^c_macro;
    assign c_result = {c_scales, c_codes};
  end

  fp4v_stream_regs #(.WIDTH(OUT_W), .DEPTH(PIPE > 2 ? PIPE - 2 : 0)) u_regs_out (
    .clk, .rst_n,
    .in_valid (c_valid),
    .in_ready (c_ready),
    .in_data  (c_result),
    .out_valid,
    .out_ready,
    .out_data
  );

endmodule
