// The dtype a kernel reads its input in. A quantize set's x tensor is always
// F32 (every reader handles it); its metadata "input_dtype" says which values
// it may hold: every value is exactly representable in that dtype.
#pragma once

#include <string>
#include <string_view>

namespace fp4v::vectors {

enum class InputDtype { kFp32, kBf16, kFp16 };

std::string_view input_dtype_name(InputDtype d);  // "fp32" | "bf16" | "fp16"
// The dtype of a name; std::invalid_argument (one line) for another name.
InputDtype parse_input_dtype(std::string_view name);

// v rounded to the nearest value of the dtype (ties to even), finite values
// beyond its range saturated to its largest finite value (a kernel's input
// holds no Inf here: the recipes define no result for it).
float round_to_input_dtype(double v, InputDtype d);
bool representable_in(float v, InputDtype d);
// The finite dtype value k ulps further from zero than v (k < 0: toward zero),
// same sign, stopping at zero and at the largest finite value. v must be a
// value of the dtype.
float step_input_value(float v, InputDtype d, int k);

}  // namespace fp4v::vectors
