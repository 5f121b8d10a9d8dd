// The file formats in header-only use. Every other test program links aigc::compiled, where the
// non-template code (safetensors JSON, PNG, IDX, CRC-32C, SummaryWriter) comes from the library's src/io.cpp and
// src/data.cpp; this one links only aigc::aigc, so that code is compiled here from the *_impl.hpp
// headers, as a user without the compiled library gets it. Exits 0 when every round trip holds.
#include <aigc/all.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace {

int failures = 0;

void expect(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "header-only file formats: FAILED: %s\n", what);
        ++failures;
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <scratch folder>\n", argv[0]);
        return 2;
    }
    using namespace aigc;
    const std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);

    // safetensors: the JSON header is written and parsed by the inline definitions.
    nn::NamedTensors<float> saved{{"weight", Tensor<float>::from_vector({2, 3}, {1, 2, 3, 4, 5, 6})},
                                  {"bias", Tensor<float>::from_vector({3}, {-1, 0, 1})}};
    io::Metadata metadata;
    metadata.set("step", "12");
    io::save_safetensors(dir / "state.safetensors", saved, metadata);
    auto loaded = io::load_safetensors<float>(dir / "state.safetensors");
    expect(loaded.size() == 2, "two tensors come back");
    expect(nn::find_tensor(loaded, "weight").to_vector() == std::vector<float>{1, 2, 3, 4, 5, 6},
           "weight round-trips");
    expect(io::read_safetensors_metadata(dir / "state.safetensors").get("step") == "12", "metadata round-trips");
    bool rejected = false;
    try {
        io::read_safetensors_header(dir / "missing.safetensors");
    } catch (const Error&) {
        rejected = true;
    }
    expect(rejected, "a missing file is an aigc::Error");

    // PNG through the private stb copy: the signature, then a whole file.
    io::GrayImage image{3, 2, {0, 64, 128, 192, 255, 32}};
    std::vector<unsigned char> png = io::encode_png(image);
    expect(png.size() > 8 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "encode_png writes a PNG signature");
    io::write_png(dir / "image.png", image);
    expect(std::filesystem::file_size(dir / "image.png") == png.size(), "write_png writes the encoded bytes");

    // IDX images and labels.
    data::IdxImages images{2, 2, 3, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}};
    data::write_idx_images(dir / "images.idx", images);
    data::IdxImages read_back = data::read_idx_images(dir / "images.idx");
    expect(read_back.count == 2 && read_back.rows == 2 && read_back.cols == 3 && read_back.pixels == images.pixels,
           "IDX images round-trip");
    data::write_idx_labels(dir / "labels.idx", {7, 3});
    expect(data::read_idx_labels(dir / "labels.idx") == std::vector<std::uint8_t>{7, 3}, "IDX labels round-trip");

    // TensorBoard events: CRC-32C and the SummaryWriter from their inline definitions.
    expect(io::crc32c("123456789") == 0xe3069283u, "crc32c of the check string");
    const std::filesystem::path run = dir / "events";
    std::filesystem::remove_all(run);
    {
        io::SummaryWriter writer(run);
        writer.add_scalar("loss", 0.5, 3);
        writer.add_image("grid", image, 3);
        writer.close();
    }
    auto files = io::list_events_files(run);
    expect(files.size() == 1, "one events file");
    if (files.size() == 1) {
        auto scan = io::read_tfrecords(files[0]);
        expect(scan.end == io::TfRecordScan::End::complete && scan.records.size() == 3, "three whole records");
        if (scan.records.size() == 3) expect(io::events::read_key(scan.records[1].data).step == 3, "the scalar's step");
    }

    if (failures == 0) std::puts("header-only file formats: safetensors, PNG, IDX and events round trips hold");
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
