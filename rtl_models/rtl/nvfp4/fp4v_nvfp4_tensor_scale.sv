// Tensor-scale unit: from the tensor amax A (one beat), what the NVFP4
// quantizer needs per tensor (fp4v_nvfp4_pkg beat layout):
//   S_enc           RULE = RuleFosFinite (nvfp4.46): fl(1536 / A), clamped to
//                   FLT_MAX (A below 1536 / FLT_MAX); A = 0 gives 1 (the
//                   blocks are all zero, their scales 0 whatever S_enc is).
//                   RULE = RuleTe (nvfp4.te): min(fl(2688 / A), FLT_MAX);
//                   A = 0 gives FLT_MAX.
//   fl(1/S_enc)     TE's s_dec
//   fl(S_enc * fl(1/6))  TE's block factor
// Both quotients are correctly rounded FP32 divisions (restoring array
// divider on the significands, remainder as sticky bit: fp4v_nvfp4_pkg).
// The unit runs once per tensor, so its two dividers are left unpipelined
// behind PIPE output registers.
module fp4v_nvfp4_tensor_scale #(
  parameter int unsigned RULE  = fp4v_nvfp4_pkg::RuleFosFinite,
  parameter int unsigned PIPE  = 1,
  parameter int unsigned IN_W  = 32,
  parameter int unsigned OUT_W = 96,
  parameter int unsigned MUTANT = fp4v_nvfp4_pkg::MutNone
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
  localparam logic [31:0] Numerator = RULE == fp4v_nvfp4_pkg::RuleTe ? 32'h4528_0000   // 2688 = 6 * 448
                                                                    : 32'h44C0_0000;  // 1536 = 6 * 256
  logic [31:0] amax, quotient, s_enc, s_dec, block_factor;

  always_comb begin
    amax = {1'b0, in_data[30:0]};
    quotient = fp4v_nvfp4_pkg::fp32_div(Numerator, amax, MUTANT == fp4v_nvfp4_pkg::MutSencTruncated);  // A = 0: Inf
    if (amax == 32'd0 && RULE == fp4v_nvfp4_pkg::RuleFosFinite) begin
      s_enc = fp4v_nvfp4_pkg::Fp32One;
    end else begin
      s_enc = quotient >= fp4v_nvfp4_pkg::Fp32Inf ? fp4v_nvfp4_pkg::Fp32Max : quotient;
    end
    s_dec = fp4v_nvfp4_pkg::fp32_div(fp4v_nvfp4_pkg::Fp32One, s_enc, 1'b0);
    block_factor = fp4v_nvfp4_pkg::fp32_mul(s_enc, fp4v_nvfp4_pkg::Fp32Sixth);
  end

  logic [PIPE:0]            stage_valid, stage_ready;
  logic [(PIPE+1)*OUT_W-1:0] stage_data;  // stage i at [OUT_W*i +: OUT_W]

  assign stage_valid[0] = in_valid;
  assign in_ready = stage_ready[0];
  assign stage_data[OUT_W-1:0] = OUT_W'({block_factor, s_dec, s_enc});
  for (genvar i = 0; i < PIPE; i++) begin : g_pipe
    fp4v_nvfp4_pipe_reg #(.WIDTH(OUT_W), .ENABLE(1'b1)) u_reg (
      .clk, .rst_n,
      .in_valid(stage_valid[i]), .in_ready(stage_ready[i]), .in_data(stage_data[OUT_W*i +: OUT_W]),
      .out_valid(stage_valid[i+1]), .out_ready(stage_ready[i+1]), .out_data(stage_data[OUT_W*(i+1) +: OUT_W])
    );
  end
  assign out_valid = stage_valid[PIPE];
  assign stage_ready[PIPE] = out_ready;
  assign out_data = stage_data[OUT_W*PIPE +: OUT_W];

  logic unused_sign;
  assign unused_sign = ^{in_data[IN_W-1:31], clk, rst_n};  // clk, rst_n: unused when PIPE = 0
endmodule
