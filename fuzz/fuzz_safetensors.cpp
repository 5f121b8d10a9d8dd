// libFuzzer target: the safetensors loader and the training-checkpoint reader on arbitrary bytes.
// Contract under test: any input either loads or throws aigc::Error; a crash, a sanitizer report,
// any other exception (nlohmann::json, std::bad_alloc, std::length_error ...) or an allocation far
// beyond the file size is a bug the fuzzer reports.
#include <cstddef>
#include <cstdint>

#include <aigc/io/safetensors.hpp>
#include <aigc/models/checkpoint.hpp>

#include "memory_file.hpp"

namespace {

using aigc::Tensor;

// What a tiny model would expect: load_matching/load_into compare the file against it.
const aigc::io::NamedTensors<float>& expected_state() {
    static const aigc::io::NamedTensors<float> state{
        {"0.weight", Tensor<float>::zeros({2, 3})},
        {"0.bias", Tensor<float>::zeros({2})},
    };
    return state;
}

template <class F>
void expect_only_aigc_errors(F&& load) {
    try {
        load();
    } catch (const aigc::Error&) {
    }
}

// Every loaded tensor must agree with its header entry.
template <class T>
void check_loaded(const aigc::io::NamedTensors<T>& tensors, const aigc::io::SafetensorsHeader& header) {
    if (tensors.size() != header.tensors.size()) __builtin_trap();
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const aigc::io::TensorEntry& entry = header.tensors[i];
        const Tensor<T>& t = tensors[i].second;
        if (tensors[i].first != entry.name || t.rank() != static_cast<int>(entry.shape.size())) __builtin_trap();
        const std::uint64_t element = entry.dtype == "F64" ? 8 : 4;
        if (static_cast<std::uint64_t>(t.numel()) * element != entry.end - entry.begin) __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static MemoryFile file("safetensors");
    file.assign(data, size);
    const std::string& path = file.path();

    expect_only_aigc_errors([&] {
        aigc::io::SafetensorsHeader header = aigc::io::read_safetensors_header(path);
        if (header.header_bytes + 8 > size) __builtin_trap();
        check_loaded(aigc::io::load_safetensors<float>(path, {.convert_dtype = true}), header);
    });
    expect_only_aigc_errors([&] { aigc::io::load_safetensors<double>(path); });
    expect_only_aigc_errors([&] {
        aigc::io::NamedTensors<float> destination;
        for (const auto& [name, t] : expected_state()) destination.emplace_back(name, t.clone());
        aigc::io::load_into(path, destination);
    });
    // A training checkpoint: kind, counters and generator state parsed from the metadata strings.
    expect_only_aigc_errors([&] {
        auto [run, tensors] = aigc::models::load_checkpoint<float>(path, "gan", "gan latent 100 image 784");
        (void)run;
        (void)tensors;
    });
    return 0;
}
