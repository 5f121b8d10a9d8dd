#pragma once
// nn::Embedding: a learned vector per index, as torch.nn.Embedding (weight [num, dim] ~ N(0, 1)).
// The lookup is one_hot(indices) . weight: for the few classes of a conditional model (10 digits)
// one small GEMM, differentiable to any order like every op; a vocabulary of thousands would want
// a gather kernel instead.
#include <cmath>
#include <span>
#include <vector>

#include "module.hpp"

namespace aigc::nn {

template <class T = float, class D = Cpu>
class Embedding : public Module<T, D> {
public:
    Embedding(index_t num_embeddings, index_t embedding_dim, Generator& gen) : num_(num_embeddings) {
        AIGC_CHECK(num_embeddings > 0 && embedding_dim > 0,
                   "Embedding: num_embeddings and embedding_dim must be positive, given ", num_embeddings, " and ",
                   embedding_dim);
        weight_ = this->register_parameter("weight", Tensor<T, D>::normal(Shape{num_embeddings, embedding_dim}, gen));
    }

    // indices [batch] -> [batch, dim]
    Var<T, D> lookup(std::span<const int> indices) const {
        return aigc::matmul(Var<T, D>(aigc::one_hot<T, D>(indices, num_)), weight_);
    }
    // The Module form, as PyTorch's: x [batch] holds the indices as values (whole numbers).
    Var<T, D> forward(const Var<T, D>& x) override {
        AIGC_CHECK(x.shape().rank() == 1, "Embedding: indices must be a vector [batch], given ", x.shape());
        std::vector<int> indices;
        for (T v : x.value().to_vector()) {
            AIGC_CHECK(v == std::floor(v), "Embedding: index ", v, " is not a whole number");
            indices.push_back(static_cast<int>(v));
        }
        return lookup(indices);
    }
    std::string type_name() const override { return "Embedding"; }

    const Var<T, D>& weight() const { return weight_; }  // [num, dim]

private:
    index_t num_;
    Var<T, D> weight_;
};

}  // namespace aigc::nn
