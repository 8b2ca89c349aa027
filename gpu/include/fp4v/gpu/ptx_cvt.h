// Hardware conversions through PTX cvt on the GPU (portable: sm_90 and later),
// for replaying golden vectors against the real instruction.
#pragma once

#include <cstdint>
#include <string>

namespace fp4v::gpu {

// True when a CUDA device can run the kernels; otherwise `why` says why not.
bool device_available(std::string* why);

// out[i] = cvt.rn.satfinite.e4m3x2.f32 of the FP32 bit pattern first + i.
// Throws std::runtime_error with the CUDA error text on failure.
void cvt_e4m3_satfinite_bit_range(uint32_t first, uint32_t count, uint8_t* out);

// Name of the device and driver version, for reports.
std::string device_description();

}  // namespace fp4v::gpu
