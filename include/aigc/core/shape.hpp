#pragma once
// Shape: rank 0..4, row-major. A batch is [batch, features]; ops that think in matrices see any
// tensor as [rows, cols] with cols = last dimension (rank 0 and 1 have one row).
#include <array>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <sstream>
#include <string>

#include "error.hpp"

namespace aigc {

using index_t = std::int64_t;

class Shape {
public:
    static constexpr int max_rank = 4;

    Shape() = default;  // rank 0: a scalar
    Shape(std::initializer_list<index_t> dims) {
        AIGC_CHECK(dims.size() <= max_rank, "Shape: rank ", dims.size(), " exceeds the maximum of ", max_rank);
        for (index_t d : dims) push(d);
    }
    template <class It>
    Shape(It first, It last) {
        for (; first != last; ++first) {
            AIGC_CHECK(rank_ < max_rank, "Shape: rank exceeds the maximum of ", max_rank);
            push(static_cast<index_t>(*first));
        }
    }

    int rank() const { return rank_; }
    index_t operator[](int axis) const {
        AIGC_CHECK(axis >= 0 && axis < rank_, "Shape: axis ", axis, " out of range for ", str());
        return dims_[axis];
    }
    index_t numel() const {
        index_t n = 1;
        for (int i = 0; i < rank_; ++i) n *= dims_[i];
        return n;
    }
    // Matrix view used by the kernels: [rows, cols] with cols = last dim.
    index_t cols() const { return rank_ == 0 ? 1 : dims_[rank_ - 1]; }
    index_t rows() const { return cols() == 0 ? 0 : numel() / cols(); }

    bool operator==(const Shape& other) const {
        if (rank_ != other.rank_) return false;
        for (int i = 0; i < rank_; ++i)
            if (dims_[i] != other.dims_[i]) return false;
        return true;
    }

    std::string str() const {
        std::ostringstream out;
        out << '[';
        for (int i = 0; i < rank_; ++i) out << (i ? ", " : "") << dims_[i];
        out << ']';
        return out.str();
    }

private:
    void push(index_t d) {
        AIGC_CHECK(d >= 0, "Shape: negative dimension ", d);
        dims_[rank_++] = d;
    }
    std::array<index_t, max_rank> dims_{};
    int rank_ = 0;
};

inline std::ostream& operator<<(std::ostream& out, const Shape& s) { return out << s.str(); }

}  // namespace aigc
