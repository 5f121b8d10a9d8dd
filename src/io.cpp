// aigc::compiled: the safetensors header's JSON (nlohmann/json), PNG encoding (stb_image_write),
// CRC-32C and the SummaryWriter, compiled once: programs linked to aigc::compiled see only the
// declarations in <aigc/io/...> (see include/aigc/core/compiled.hpp).
#include <aigc/io/crc32c_impl.hpp>
#include <aigc/io/png_impl.hpp>
#include <aigc/io/safetensors_header_impl.hpp>
#include <aigc/io/summary_writer_impl.hpp>
