// One input lane (FP32, BF16 or FP16 bits) as the FP32 bits of the same
// value: every BF16 and FP16 value is exact in FP32 (FP16 subnormals become
// FP32 normals). Inf and NaN never arrive.
module fp4v_mx_to_fp32 #(
  parameter int unsigned IN_FMT = fp4v_mx_pkg::InFp32,
  parameter int unsigned MUTANT = fp4v_mx_pkg::MutNone,
  localparam int unsigned LANE_W = IN_FMT == fp4v_mx_pkg::InFp32 ? 32 : 16
) (
  input  logic [LANE_W-1:0] lane,
  output logic [31:0]       fp32
);

  if (IN_FMT == fp4v_mx_pkg::InFp32) begin : g_fp32
    assign fp32 = lane;
  end else if (IN_FMT == fp4v_mx_pkg::InBf16) begin : g_bf16
    assign fp32 = {lane, 16'b0};  // BF16 is the top half of FP32
  end else begin : g_fp16
    localparam bit FlushSubnormals = MUTANT == fp4v_mx_pkg::MutFp16SubnormalFlush;
    // FP16: bias 15, 10 mantissa bits. A subnormal m * 2^-24 with its leading
    // one at bit p is 2^(p - 24) (1 + ...): FP32 field p + 103.
    always_comb begin
      logic [4:0] field16;
      logic [9:0] mantissa16;
      logic [3:0] lead;
      field16    = lane[14:10];
      mantissa16 = lane[9:0];
      lead       = '0;
      for (int b = 0; b < 10; b++) if (mantissa16[b]) lead = 4'(b);
      if (field16 != 0) begin
        fp32 = {lane[15], 8'(field16) + 8'd112, mantissa16, 13'b0};
      end else if (mantissa16 == 0 || FlushSubnormals) begin
        fp32 = {lane[15], 31'b0};
      end else begin
        fp32 = {lane[15], 8'(lead) + 8'd103, 23'({mantissa16, 13'b0} << (4'd10 - lead))};
      end
    end
  end

endmodule
