// The element stage of TransformerEngine's NVFP4 recipe (nvfp4.te), per
// element: v = clamp(fl(x * m), -6, 6) (FP32 multiply, RNE), then E2M1: to
// nearest even, or stochastic (PTX cvt.rs: the top 8 discarded bits plus 8
// random bits, the carry rounds the magnitude up). The sign comes from
// v < 0 (TE's cast): -0.0 gives 0x0, a negative value that rounds to 0
// gives 0x8.
//
// The lanes are a loop over one function, not module instances, so that
// the Verilated model of a 256-lane tile stays one loop body.
module fp4v_nvfp4_te_elements #(
  parameter int unsigned LANES      = 16,
  parameter int unsigned STOCHASTIC = 0,
  parameter int unsigned MUTANT     = 0
) (
  input  logic [LANES*32-1:0] elements,    // FP32 bits
  input  logic [31:0]         multiplier,  // m, FP32 bits
  input  logic [LANES*8-1:0]  random,      // stochastic rounding bits, 8 per element
  output logic [LANES*4-1:0]  codes
);
  localparam bit TiesAway = MUTANT == fp4v_nvfp4_pkg::MutE2m1TiesAway;

  function automatic logic [3:0] lane(input logic [31:0] element, input logic [7:0] random_bits);
    logic [31:0]        scaled;
    logic [30:0]        magnitude;     // |v| before the clamp (the clamp moves it across no midpoint)
    logic [30:0]        clamped;
    logic [2:0]         nearest, whole, stochastic;
    logic signed [11:0] quantum_exp;   // E2M1 quantum: 0.5 below 2, 1 below 4, 2 up to 6
    logic signed [11:0] discarded;     // bits of |v| below the quantum
    logic [63:0]        wide;
    logic [7:0]         top;           // the 8 discarded bits below the quantum
    logic               carry;
    scaled = fp4v_nvfp4_pkg::fp32_mul(element, multiplier);
    magnitude = scaled[30:0];
    nearest = 3'd0;
    for (int unsigned k = 0; k < 7; k++) begin
      if (magnitude > fp4v_nvfp4_pkg::e2m1_midpoint_fp32(k) ||
          (magnitude == fp4v_nvfp4_pkg::e2m1_midpoint_fp32(k) && (TiesAway || k % 2 == 1))) begin
        nearest = nearest + 3'd1;
      end
    end

    clamped = magnitude > 31'h40C0_0000 ? 31'h40C0_0000 : magnitude;
    quantum_exp = clamped >= 31'h4080_0000 ? 12'sd1 : clamped >= 31'h4000_0000 ? 12'sd0 : -12'sd1;
    discarded = quantum_exp - fp4v_nvfp4_pkg::fp32_lsb_exp({1'b0, clamped});
    // 32 guard positions below the significand keep the top 8 discarded bits.
    wide = 64'(fp4v_nvfp4_pkg::fp32_mant({1'b0, clamped})) << 32;
    if (discarded >= 12'sd32) begin  // every significand bit lies below the top 8 discarded ones
      whole = 3'd0;
      top = 8'd0;
    end else begin
      whole = 3'(wide >> 6'(12'sd32 + discarded));
      top = 8'(wide >> 6'(12'sd24 + discarded));
    end
    carry = 9'(top) + 9'(random_bits) >= 9'd256;
    // Quanta to code: 0.5 t is code t; t is code t + 2; 2 t is code t + 4.
    stochastic = whole + 3'(carry) + (quantum_exp == 12'sd0 ? 3'd2 : quantum_exp == 12'sd1 ? 3'd4 : 3'd0);

    lane[2:0] = STOCHASTIC != 0 ? stochastic : nearest;
    lane[3] = MUTANT == fp4v_nvfp4_pkg::MutSignFromBit ? element[31] : scaled[31] && magnitude != 31'd0;
  endfunction

  always_comb begin
    for (int unsigned i = 0; i < LANES; i++) codes[4*i +: 4] = lane(elements[32*i +: 32], random[8*i +: 8]);
  end
endmodule
