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
    static Tensor uniform(const Shape& shape, Generator& gen, T low = T(0), T high = T(1)) {
        Tensor t(shape);
        K::fill_uniform(t.numel(), gen.reserve(t.numel()), low, high, t.data());
        return t;
    }
    static Tensor normal(const Shape& shape, Generator& gen, T mean = T(0), T stddev = T(1)) {
        Tensor t(shape);
        K::fill_normal(t.numel(), gen.reserve(t.numel()), mean, stddev, t.data());
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
    Shape shape_;
    std::shared_ptr<void> storage_;
    T* data_ = nullptr;
    bool defined_ = false;
};

}  // namespace aigc
