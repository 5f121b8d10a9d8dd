#pragma once
// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011). Value i of a fill depends only
// on (seed, offset, i), so the CPU loop and a CUDA thread computing element i produce the same
// stream, and a checkpoint only needs (seed, offset) to resume it exactly.
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "device.hpp"
#include "error.hpp"
#include "shape.hpp"

namespace aigc {

namespace philox {

struct Block {
    std::uint32_t v[4];
};

AIGC_HD std::uint32_t mulhilo(std::uint32_t a, std::uint32_t b, std::uint32_t& hi) {
    std::uint64_t product = static_cast<std::uint64_t>(a) * b;
    hi = static_cast<std::uint32_t>(product >> 32);
    return static_cast<std::uint32_t>(product);
}

// Ten rounds of Philox4x32 on counter `block` with a 64-bit key.
AIGC_HD Block generate(std::uint64_t key, std::uint64_t block) {
    std::uint32_t c0 = static_cast<std::uint32_t>(block), c1 = static_cast<std::uint32_t>(block >> 32);
    std::uint32_t c2 = 0, c3 = 0;
    std::uint32_t k0 = static_cast<std::uint32_t>(key), k1 = static_cast<std::uint32_t>(key >> 32);
    for (int round = 0; round < 10; ++round) {
        std::uint32_t hi0, hi1;
        std::uint32_t lo0 = mulhilo(0xD2511F53u, c0, hi0);
        std::uint32_t lo1 = mulhilo(0xCD9E8D57u, c2, hi1);
        std::uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    return Block{{c0, c1, c2, c3}};
}

// Uniform in (0, 1]: never 0, so log(u) in Box-Muller is finite.
template <class T>
AIGC_HD T to_unit(std::uint32_t bits) {
    return (static_cast<T>(bits >> 8) + T(1)) * T(5.9604644775390625e-8);  // 2^-24
}

// shift + scale * x with one rounding. Fills use it to move a unit value to (low, high] or a
// standard normal to N(mean, stddev^2); as an fma it rounds the same on every backend and under
// every flag, where a separate multiply and add is fused or not depending on -ffp-contract and
// -march (g++) or --fmad (nvcc) -- so a seeded fill is bit-identical on the CPU and the GPU.
template <class T>
AIGC_HD T affine(T x, T scale, T shift) {
    return std::fma(scale, x, shift);
}

// Four values per counter block: element i uses block offset + i/4, lane i%4.
template <class T>
AIGC_HD T uniform_at(std::uint64_t seed, std::uint64_t offset, std::uint64_t i) {
    return to_unit<T>(generate(seed, offset + i / 4).v[i % 4]);
}

// Box-Muller on lane pairs (0,1) and (2,3) of the same block.
template <class T>
AIGC_HD T normal_at(std::uint64_t seed, std::uint64_t offset, std::uint64_t i) {
    Block b = generate(seed, offset + i / 4);
    unsigned lane = static_cast<unsigned>(i % 4), pair = lane & ~1u;
    T u1 = to_unit<T>(b.v[pair]), u2 = to_unit<T>(b.v[pair + 1]);
    T radius = std::sqrt(T(-2) * std::log(u1));
    T angle = T(6.283185307179586) * u2;
    return (lane & 1u) ? radius * std::sin(angle) : radius * std::cos(angle);
}

}  // namespace philox

// A slice of a Philox stream reserved for one fill: element i of the fill reads uniform_at(seed, offset, i).
struct RandomStream {
    std::uint64_t seed = 0;
    std::uint64_t offset = 0;
};

// Which rows of a whole batch one process's part of it is, for the draws that belong to samples
// (noise, dropout masks). Under data parallelism N processes each take `count` rows of a batch of
// `total`; a draw of [count, ...] made with these rows set (SampleRowsScope) holds rows
// [first, first + count) of the [total, ...] draw one process at the whole batch would make, and
// moves the generator as far as that draw would. So every rank draws the numbers one process
// would, whatever the number of ranks. `copies` > 1 is a batch stacked that many times, as a
// GAN's real and fake rows through D: local rows [c count, (c+1) count) are rows
// [c total + first, c total + first + count) of the whole draw.
struct SampleRows {
    index_t first = 0;
    index_t count = 0;
    index_t total = 0;
    index_t copies = 1;

    // The whole batch: nothing to select.
    bool whole() const { return first == 0 && count == total; }
    SampleRows stacked(index_t times) const { return {first, count, total, copies * times}; }
};

// A seeded Philox stream. Copies are snapshots (value semantics: a copy continues the same numbers
// on its own); share() hands out a second handle on the very same stream for code that must keep
// drawing from the caller's generator after construction (nn::Dropout), so that code co-owns the
// stream instead of pointing into a Generator its caller may destroy.
class Generator {
public:
    explicit Generator(std::uint64_t seed = 0x5EEDull) : stream_(std::make_shared<Stream>(Stream{seed, 0, {}})) {}
    Generator(const Generator& other) : stream_(std::make_shared<Stream>(*other.stream_)) {}
    // Overwrites the state in place, so the handles share() gave out follow (e.g. on resume).
    Generator& operator=(const Generator& other) {
        *stream_ = *other.stream_;
        return *this;
    }

    // A handle on this same stream, not a snapshot: a draw through either moves both on, and the
    // stream lives as long as any handle does.
    Generator share() { return Generator(stream_); }

    // Reserve n values; the generator moves past them so the next fill draws fresh numbers.
    RandomStream reserve(std::uint64_t n) {
        RandomStream stream{stream_->seed, stream_->offset};
        stream_->offset += (n + 3) / 4;
        return stream;
    }

    std::uint64_t seed() const { return stream_->seed; }
    std::uint64_t offset() const { return stream_->offset; }
    // Restores a saved state (checkpoint resume).
    void set_state(std::uint64_t seed, std::uint64_t offset) {
        stream_->seed = seed;
        stream_->offset = offset;
    }

    // The rows per-sample draws take (SampleRows); shared by every handle of the stream, so a
    // Dropout layer's handle follows what its trainer sets. Not part of the state: a step sets it.
    const std::optional<SampleRows>& sample_rows() const { return stream_->rows; }
    void set_sample_rows(const std::optional<SampleRows>& rows) {
        if (rows)
            AIGC_CHECK(rows->first >= 0 && rows->count > 0 && rows->copies > 0 && rows->first + rows->count <= rows->total,
                       "Generator: sample rows [", rows->first, ", ", rows->first + rows->count, ") x ", rows->copies,
                       " do not fit a batch of ", rows->total);
        stream_->rows = rows;
    }

    // Host-side draws for code that needs a few numbers (shuffles, init of tiny buffers).
    double next_uniform() { return philox::uniform_at<double>(stream_->seed, reserve(1).offset, 0); }
    std::uint64_t next_below(std::uint64_t bound) {
        AIGC_CHECK(bound > 0, "Generator::next_below: bound must be positive");
        philox::Block b = philox::generate(stream_->seed, reserve(4).offset);
        std::uint64_t bits = (static_cast<std::uint64_t>(b.v[0]) << 32) | b.v[1];
        return bits % bound;  // bias < bound / 2^64: negligible for data-set sizes
    }

private:
    struct Stream {
        std::uint64_t seed;
        std::uint64_t offset;
        std::optional<SampleRows> rows;
    };
    explicit Generator(std::shared_ptr<Stream> stream) : stream_(std::move(stream)) {}

    std::shared_ptr<Stream> stream_;
};

// Sets a generator's sample rows for a scope (a training step) and puts the previous ones back.
// An empty `rows` leaves the generator as it is: a model can stack its rows (GAN's D step)
// whether or not a trainer set any.
class SampleRowsScope {
public:
    SampleRowsScope(Generator& gen, const std::optional<SampleRows>& rows)
        : gen_(gen.share()), saved_(gen.sample_rows()), active_(rows.has_value()) {
        if (active_) gen_.set_sample_rows(rows);
    }
    SampleRowsScope(const SampleRowsScope&) = delete;
    SampleRowsScope& operator=(const SampleRowsScope&) = delete;
    ~SampleRowsScope() {
        if (active_) gen_.set_sample_rows(saved_);
    }

private:
    Generator gen_;
    std::optional<SampleRows> saved_;
    bool active_;
};

}  // namespace aigc
