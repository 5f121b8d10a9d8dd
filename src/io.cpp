// aigc::compiled: the safetensors header's JSON (nlohmann/json) and PNG encoding (stb_image_write),
// compiled once: programs linked to aigc::compiled see only the declarations in
// <aigc/io/safetensors_header.hpp> and <aigc/io/png.hpp> (see include/aigc/core/compiled.hpp).
#include <aigc/io/png_impl.hpp>
#include <aigc/io/safetensors_header_impl.hpp>
