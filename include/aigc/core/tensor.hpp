#pragma once
// Tensor<T, D>: a dense, contiguous, row-major array on device D with shared storage. Copies of a
// Tensor share memory (like a PyTorch tensor handle); clone() makes an independent copy.
// Written against Memory<D> and Kernels<D> only; a program gets them for the CPU from
// <aigc/cpu.hpp> (or <aigc/aigc.hpp>) and for CUDA from <aigc/cuda.cuh>.
#include <initializer_list>
#include <memory>
#include <type_traits>
#include <vector>

#include "device.hpp"
#include "kernels.hpp"
#include "shape.hpp"

namespace aigc {

template <class T, class D = Cpu>
class Tensor {
public:
    using value_type = T;
    using device_type = D;
    using K = Kernels<D>;

    Tensor() = default;  // undefined: no storage (see defined())

    // Uninitialised storage of the given shape.
    explicit Tensor(const Shape& shape)
        : shape_(shape), storage_(Memory<D>::allocate(static_cast<std::size_t>(shape.numel()) * sizeof(T))),
          data_(static_cast<T*>(storage_.get())), defined_(true) {}

    static Tensor zeros(const Shape& shape) { return full(shape, T(0)); }
    static Tensor ones(const Shape& shape) { return full(shape, T(1)); }
    static Tensor full(const Shape& shape, T value) {
        Tensor t(shape);
        K::fill(t.numel(), value, t.data());
        return t;
    }
    static Tensor scalar(T value) { return full(Shape{}, value); }
    static Tensor from_vector(const Shape& shape, const std::vector<T>& values) {
        AIGC_CHECK(static_cast<index_t>(values.size()) == shape.numel(), "Tensor::from_vector: shape ", shape,
                   " needs ", shape.numel(), " values, got ", values.size());
        Tensor t(shape);
        K::from_host(t.numel(), values.data(), t.data());
        return t;
    }
    static Tensor from_vector(const Shape& shape, std::initializer_list<T> values) {
        return from_vector(shape, std::vector<T>(values));
    }
    // Random fills. While the generator has sample rows set (SampleRows), the first dimension is
    // samples and the values are those rows of the whole batch's draw.
    static Tensor uniform(const Shape& shape, Generator& gen, T low = T(0), T high = T(1)) {
        Tensor t(shape);
        t.fill_drawn(gen, "uniform", [&](index_t n, RandomStream s, T* y) { K::fill_uniform(n, s, low, high, y); });
        return t;
    }
    static Tensor normal(const Shape& shape, Generator& gen, T mean = T(0), T stddev = T(1)) {
        Tensor t(shape);
        t.fill_drawn(gen, "normal", [&](index_t n, RandomStream s, T* y) { K::fill_normal(n, s, mean, stddev, y); });
        return t;
    }

    bool defined() const { return defined_; }
    const Shape& shape() const { return shape_; }
    int rank() const { return shape_.rank(); }
    index_t numel() const { return shape_.numel(); }
    index_t rows() const { return shape_.rows(); }
    index_t cols() const { return shape_.cols(); }
    T* data() { return data_; }
    const T* data() const { return data_; }
    bool shares_storage_with(const Tensor& other) const { return storage_ == other.storage_; }

    // Same storage, new shape with the same number of elements.
    Tensor reshape(const Shape& shape) const {
        AIGC_CHECK(shape.numel() == numel(), "reshape: cannot view ", shape_, " (", numel(), " elements) as ", shape,
                   " (", shape.numel(), " elements)");
        Tensor view = *this;
        view.shape_ = shape;
        return view;
    }

    Tensor clone() const {
        Tensor copy(shape_);
        K::copy(numel(), data_, copy.data_);
        return copy;
    }
    // Overwrites this tensor's elements with other's (same shape; storage stays shared with views).
    void copy_from(const Tensor& other) {
        AIGC_CHECK(other.shape() == shape_, "copy_from: expected shape ", shape_, ", given ", other.shape());
        K::copy(numel(), other.data_, data_);
    }
    void fill(T value) { K::fill(numel(), value, data_); }

    std::vector<T> to_vector() const {
        std::vector<T> host(static_cast<std::size_t>(numel()));
        K::to_host(numel(), data_, host.data());
        return host;
    }
    T item() const {
        AIGC_CHECK(numel() == 1, "item: tensor has ", numel(), " elements ", shape_, ", expected exactly 1");
        T value;
        K::to_host(1, data_, &value);
        return value;
    }

    // Explicit copy to another device, through host memory (to_vector / from_vector).
    template <class D2>
    Tensor<T, D2> to() const {
        if constexpr (std::is_same_v<D, D2>) {
            return *this;
        } else {
            return Tensor<T, D2>::from_vector(shape_, to_vector());
        }
    }

    // Operands for the kernel table.
    In<T> in() const { return In<T>::full(data_, cols()); }

private:
    // fill(n, stream, out) writes values [0, n) of `stream`. Value i of a fill sits in lane i % 4 of
    // Philox block i / 4 (normals pair lanes 0-1 and 2-3), so rows that start inside a block are
    // drawn from the block's start and the first (start % 4) values dropped: the values are then
    // exactly the whole draw's.
    template <class Fill>
    void fill_drawn(Generator& gen, const char* what, Fill fill) {
        const auto& rows = gen.sample_rows();
        if (!rows) {
            fill(numel(), gen.reserve(static_cast<std::uint64_t>(numel())), data_);
            return;
        }
        AIGC_CHECK(rank() >= 1 && shape_[0] == rows->count * rows->copies, "Tensor::", what, ": a draw of shape ",
                   shape_, " while the generator takes sample rows [", rows->first, ", ", rows->first + rows->count,
                   ") x ", rows->copies, " of ", rows->total, ": per-sample draws must have ", rows->count * rows->copies,
                   " rows");
        const index_t per_row = numel() / shape_[0];
        const index_t whole = rows->total * rows->copies * per_row;
        const RandomStream stream = gen.reserve(static_cast<std::uint64_t>(whole));
        if (rows->whole()) {
            fill(numel(), stream, data_);
            return;
        }
        const index_t n = rows->count * per_row;
        for (index_t c = 0; c < rows->copies; ++c) {
            const index_t start = (c * rows->total + rows->first) * per_row;
            const index_t skip = start % 4;
            const RandomStream from{stream.seed, stream.offset + static_cast<std::uint64_t>((start - skip) / 4)};
            T* out = data_ + c * n;
            if (skip == 0) {
                fill(n, from, out);
            } else {
                Tensor padded(Shape{n + skip});
                fill(n + skip, from, padded.data());
                K::copy(n, padded.data() + skip, out);
            }
        }
    }

    Shape shape_;
    std::shared_ptr<void> storage_;
    T* data_ = nullptr;
    bool defined_ = false;
};

}  // namespace aigc
