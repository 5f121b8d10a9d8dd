#pragma once
// DataLoader<T, D>: mini-batches of a Mnist set as Tensor<T, D> images [batch, rows*cols] plus
// labels, reshuffled every epoch from the loader's own seeded Generator.
//
//     DataLoader<float> loader(train, {.batch_size = 128, .drop_last = true}, Generator(seed));
//     for (int epoch = 0; epoch < epochs; ++epoch)
//         for (const auto& batch : loader) step(batch.images, batch.labels);
//
// Randomness, in the order it is drawn from the generator: at the start of an epoch, one Fisher-Yates
// shuffle of 0..n-1 (n-1 calls to next_below); then for each batch, when binarising, one reserved
// stream of batch*features uniforms. So (seed, generator offset at the epoch's start, epoch, batch
// index) pins everything, which is what state()/restore() save for an exact resume mid-epoch.
//
// Data parallelism (LoaderOptions::rank, ranks): every rank shuffles the same permutation and a
// step takes one whole batch of batch_size * ranks samples from it, of which each rank gets its
// own consecutive rows (Batch::rows says which). The binarisation draws are the whole batch's,
// each rank using its rows, so N ranks at batch b see exactly the pixels one process at N b sees,
// and a checkpoint's position (in whole batches) resumes on any number of ranks.
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <numeric>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../core/generator.hpp"
#include "../cpu.hpp"
#include "mnist.hpp"
#include "pixels.hpp"

namespace aigc::data {

struct LoaderOptions {
    index_t batch_size = 64;
    bool shuffle = true;      // a fresh permutation every epoch; false keeps file order
    bool drop_last = false;   // drop the final batch when it is smaller than batch_size
    PixelScale scale = PixelScale::unit;
    // Dynamic binarisation: pixel p becomes 1 with probability p/255 (0 otherwise), drawn anew for
    // every batch, then mapped by `scale` (so {0, 1} or {-1, 1}).
    bool binarize = false;
    // This process's share of every batch: batch_size is per rank, a whole batch is
    // batch_size * ranks samples. Where the last whole batch has fewer samples than ranks, it is
    // dropped (a rank cannot take no samples).
    int rank = 0;
    int ranks = 1;
};

template <class T, class D = Cpu>
struct Batch {
    Tensor<T, D> images;           // [batch, rows*cols]
    std::vector<int> labels;       // [batch], 0..9
    std::vector<index_t> indices;  // [batch], position of each row in the data set
    SampleRows rows;               // these rows' place in the whole batch of all ranks
};

// What a checkpoint needs to continue a loader exactly where it stopped.
struct LoaderState {
    index_t epoch = 0;                // epochs started so far
    index_t next_batch = 0;           // whole batches (of all ranks) already taken from the current epoch
    std::uint64_t seed = 0;           // generator seed
    std::uint64_t epoch_offset = 0;   // generator offset when the current epoch started
    index_t batch_size = 0;           // of those whole batches; 0: the restoring loader's own (older states)
};

template <class T, class D = Cpu>
class DataLoader {
public:
    // Keeps a reference to `data`: the data set must outlive the loader.
    DataLoader(const Mnist& data, LoaderOptions options, Generator generator)
        : data_(&data), options_(options), generator_(generator), order_(static_cast<std::size_t>(data.size())) {
        AIGC_CHECK(options_.batch_size > 0, "DataLoader: batch size must be positive, given ", options_.batch_size);
        AIGC_CHECK(options_.ranks >= 1 && options_.rank >= 0 && options_.rank < options_.ranks, "DataLoader: rank ",
                   options_.rank, " of ", options_.ranks, " ranks");
        AIGC_CHECK(batches_per_epoch() > 0, "DataLoader: ", options_.drop_last ? "drop_last with " : "",
                   "batch size ", whole_batch(), options_.ranks > 1 ? " (all ranks)" : "", " and ", data.size(),
                   " images leaves no batch");
        for (int p = 0; p < 256; ++p) value_of_[p] = pixel_to_value<T>(static_cast<std::uint8_t>(p), options_.scale);
        std::iota(order_.begin(), order_.end(), index_t{0});
        epoch_offset_ = generator_.offset();
    }
    DataLoader(Mnist&&, LoaderOptions, Generator) = delete;  // would dangle

    // Whole batches, of all ranks.
    index_t batches_per_epoch() const { return batches_per_epoch(whole_batch()); }
    // Samples one step takes over all ranks.
    index_t whole_batch() const { return options_.batch_size * options_.ranks; }
    index_t epoch() const { return epoch_; }
    // True while the current epoch still has batches to give.
    bool in_epoch() const { return epoch_ > 0 && next_batch_ < batches_per_epoch(); }
    const Mnist& dataset() const { return *data_; }
    const LoaderOptions& options() const { return options_; }
    const Generator& generator() const { return generator_; }

    // Begins the next epoch: a new permutation when shuffling (Fisher-Yates from the identity, so the
    // order depends only on the generator state, not on earlier epochs).
    void start_epoch() {
        epoch_offset_ = generator_.offset();
        std::iota(order_.begin(), order_.end(), index_t{0});
        if (options_.shuffle)
            for (std::size_t i = order_.size() - 1; i > 0; --i)
                std::swap(order_[i], order_[static_cast<std::size_t>(generator_.next_below(i + 1))]);
        ++epoch_;
        next_batch_ = 0;
    }

    // The next batch of the current epoch, or nullopt when the epoch is done.
    std::optional<Batch<T, D>> next() {
        AIGC_CHECK(epoch_ > 0, "DataLoader::next: no epoch started; call start_epoch() or iterate the loader");
        if (next_batch_ >= batches_per_epoch()) return std::nullopt;
        const index_t first = next_batch_ * whole_batch();
        const index_t whole = std::min(whole_batch(), data_->size() - first);
        // This rank's rows of the whole batch: b each, or an even split of a short last batch.
        const index_t begin = whole * options_.rank / options_.ranks, end = whole * (options_.rank + 1) / options_.ranks;
        const index_t count = end - begin;
        const index_t features = data_->pixels_per_image();
        ++next_batch_;

        Batch<T, D> batch;
        batch.rows = {begin, count, whole, 1};
        batch.indices.assign(order_.begin() + first + begin, order_.begin() + first + end);
        batch.labels.resize(static_cast<std::size_t>(count));
        // On the CPU the values go straight into the batch tensor; other devices get a host copy.
        constexpr bool on_host = std::is_same_v<D, Cpu>;
        if constexpr (on_host) batch.images = Tensor<T, D>(Shape{count, features});
        else staging_.resize(static_cast<std::size_t>(count * features));
        T* values = on_host ? batch.images.data() : staging_.data();
        const RandomStream stream = options_.binarize ? generator_.reserve(static_cast<std::uint64_t>(whole * features))
                                                      : RandomStream{};
        for (index_t row = 0; row < count; ++row) {
            const index_t index = batch.indices[static_cast<std::size_t>(row)];
            batch.labels[static_cast<std::size_t>(row)] = data_->label(index);
            const std::uint8_t* pixels = data_->image(index);
            T* out = values + row * features;
            if (options_.binarize) {
                binarize_row(pixels, features, stream, static_cast<std::uint64_t>((begin + row) * features), out);
            } else {
                for (index_t j = 0; j < features; ++j) out[j] = value_of_[pixels[j]];
            }
        }
        if constexpr (!on_host) batch.images = Tensor<T, D>::from_vector(Shape{count, features}, staging_);
        return batch;
    }

    LoaderState state() const { return {epoch_, next_batch_, generator_.seed(), epoch_offset_, whole_batch()}; }

    // Puts the loader where state() was taken: replays the epoch's shuffle and skips the generator
    // past the binarisation draws of the batches already taken, so the next batch is identical.
    // The position counts samples, so a state taken with another batch size continues from exactly
    // the next unseen sample when that is a multiple of this loader's batch size; otherwise this
    // batch size cannot continue the epoch exactly and restore() refuses, saying which would.
    // Batch sizes here are whole batches (of all ranks): any number of ranks at the same whole
    // batch continues exactly.
    void restore(LoaderState state) {
        const index_t saved_batch = state.batch_size > 0 ? state.batch_size : whole_batch();
        const index_t saved_batches = batches_per_epoch(saved_batch);
        AIGC_CHECK(state.epoch >= 0 && state.next_batch >= 0 && state.next_batch <= saved_batches &&
                       (state.epoch > 0 || state.next_batch == 0),
                   "DataLoader::restore: state (epoch ", state.epoch, ", batch ", state.next_batch,
                   ") does not fit a loader with ", saved_batches, " batches per epoch (of ", saved_batch, " images)");
        if (saved_batch != whole_batch()) {
            if (state.next_batch == saved_batches) {
                state.next_batch = batches_per_epoch();  // that epoch is over, whatever the batch size
            } else {
                const index_t sample = state.next_batch * saved_batch;
                AIGC_CHECK(sample % whole_batch() == 0, "DataLoader::restore: the run stopped after sample ", sample,
                           " of epoch ", state.epoch, " (", state.next_batch, " batches of ", saved_batch,
                           "); batch size ", whole_batch(), options_.ranks > 1 ? " (all ranks)" : "",
                           " cannot continue from exactly there. Resume with a batch size that divides ", sample, " (",
                           saved_batch, " does), or with batch size ", saved_batch, " until the epoch ends");
                state.next_batch = sample / whole_batch();
            }
        }
        generator_.set_state(state.seed, state.epoch_offset);
        epoch_offset_ = state.epoch_offset;
        epoch_ = state.epoch;
        next_batch_ = 0;
        if (state.epoch == 0) return;
        epoch_ = state.epoch - 1;
        start_epoch();
        for (; next_batch_ < state.next_batch; ++next_batch_) {
            const index_t first = next_batch_ * whole_batch();
            const index_t whole = std::min(whole_batch(), data_->size() - first);
            if (options_.binarize) generator_.reserve(static_cast<std::uint64_t>(whole * data_->pixels_per_image()));
        }
    }

    // Range-for over one epoch: continues an unfinished epoch (e.g. after restore()), otherwise
    // starts a new one, as iterating a PyTorch DataLoader does.
    class Iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = Batch<T, D>;
        using difference_type = std::ptrdiff_t;
        explicit Iterator(DataLoader* loader) : loader_(loader), current_(loader->next()) {}
        Batch<T, D>& operator*() { return *current_; }
        Batch<T, D>* operator->() { return &*current_; }
        Iterator& operator++() {
            current_ = loader_->next();
            return *this;
        }
        bool operator==(std::default_sentinel_t) const { return !current_.has_value(); }

    private:
        DataLoader* loader_;
        std::optional<Batch<T, D>> current_;
    };
    Iterator begin() {
        if (!in_epoch()) start_epoch();
        return Iterator(this);
    }
    std::default_sentinel_t end() const { return {}; }

private:
    // Whole batches of `whole` samples in an epoch. A short last batch needs a sample for every rank.
    index_t batches_per_epoch(index_t whole) const {
        const index_t n = data_->size(), full = n / whole, rest = n % whole;
        return full + (!options_.drop_last && rest >= options_.ranks ? 1 : 0);
    }

    // Bernoulli(p/255) per pixel from Philox uniforms u = (k+1) 2^-24 in (0, 1]: the pixel is on when
    // u <= p/255, tested exactly as 255 u <= p (255 (k+1) < 2^32 is exact in double). p = 0 is never
    // on and p = 255 always is. One Philox block serves four consecutive pixels.
    void binarize_row(const std::uint8_t* pixels, index_t features, RandomStream stream, std::uint64_t first,
                      T* out) const {
        const T off = value_of_[0], on = value_of_[255];
        for (index_t j = 0; j < features;) {
            const std::uint64_t i = first + static_cast<std::uint64_t>(j);
            const philox::Block block = philox::generate(stream.seed, stream.offset + i / 4);
            for (unsigned lane = static_cast<unsigned>(i % 4); lane < 4 && j < features; ++lane, ++j) {
                const double u = philox::to_unit<double>(block.v[lane]);
                out[j] = 255.0 * u <= static_cast<double>(pixels[j]) ? on : off;
            }
        }
    }

    const Mnist* data_;
    LoaderOptions options_;
    Generator generator_;
    std::vector<index_t> order_;  // [size] permutation of the current epoch
    std::vector<T> staging_;      // host buffer of one batch before it moves to a non-CPU device D
    T value_of_[256];             // pixel byte -> model value under options_.scale
    index_t epoch_ = 0;
    index_t next_batch_ = 0;
    std::uint64_t epoch_offset_ = 0;
};

}  // namespace aigc::data
