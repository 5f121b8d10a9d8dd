#pragma once
// The named tensors a safetensors file holds are nn's NamedTensors (one definition, in
// nn/named_tensors.hpp); io:: names them too, so file code reads io::save_safetensors(path,
// io::NamedTensors<float>{...}) without reaching into nn::.
#include "../nn/named_tensors.hpp"

namespace aigc::io {

using nn::find_tensor;
using nn::NamedTensors;
using nn::take_prefix;
using nn::with_prefix;

}  // namespace aigc::io
