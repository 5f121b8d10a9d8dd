// libFuzzer target: the IDX reader (MNIST images and labels files) on arbitrary bytes.
// Contract under test: any input either loads or throws aigc::Error; anything else (a crash, a
// sanitizer report, another exception type, a huge allocation) is a bug the fuzzer reports.
#include <cstddef>
#include <cstdint>

#include <aigc/data/mnist.hpp>

#include "memory_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static MemoryFile file("idx");
    file.assign(data, size);
    // The same bytes as an images file and as a labels file: each reader must reject the other's
    // magic number cleanly, and the labels go on through the class-range check of Mnist.
    try {
        aigc::data::IdxImages images = aigc::data::read_idx_images(file.path());
        if (images.pixels.size() != static_cast<std::size_t>(images.count * images.rows * images.cols)) __builtin_trap();
    } catch (const aigc::Error&) {
    }
    try {
        std::vector<std::uint8_t> labels = aigc::data::read_idx_labels(file.path());
        std::vector<std::uint8_t> pixels(labels.size(), 0);
        aigc::data::Mnist set(1, 1, std::move(pixels), std::move(labels), "fuzz");
        for (aigc::index_t i = 0; i < set.size(); ++i)
            if (set.label(i) < 0 || set.label(i) >= aigc::data::Mnist::num_classes) __builtin_trap();
    } catch (const aigc::Error&) {
    }
    return 0;
}
