#pragma once
// All differentiable ops.
#include "var.hpp"
#include "broadcast.hpp"
#include "ops_arith.hpp"
#include "ops_unary.hpp"
#include "ops_linalg.hpp"
#include "ops_reduce.hpp"
#include "ops_shape.hpp"
#include "ops_random.hpp"
#include "losses.hpp"
#include "grad.hpp"

// Compiled mode (core/compiled.hpp): the graph types and every op and loss, each with its
// backward closure.
#define AIGC_INSTANTIATE_AUTOGRAD(EXTERN, T)                                                              \
    EXTERN template struct Node<T, Cpu>;                                                                  \
    EXTERN template class Var<T, Cpu>;                                                                    \
    EXTERN template std::shared_ptr<Node<T, Cpu>> detail::result_node(Tensor<T, Cpu>, const char*,         \
                                                                      std::span<const Var<T, Cpu>>);      \
    EXTERN template Var<T, Cpu> add(const Var<T, Cpu>&, const Var<T, Cpu>&);                              \
    EXTERN template Var<T, Cpu> sub(const Var<T, Cpu>&, const Var<T, Cpu>&);                              \
    EXTERN template Var<T, Cpu> mul(const Var<T, Cpu>&, const Var<T, Cpu>&);                              \
    EXTERN template Var<T, Cpu> div(const Var<T, Cpu>&, const Var<T, Cpu>&);                              \
    EXTERN template Var<T, Cpu> minimum(const Var<T, Cpu>&, const Var<T, Cpu>&);                          \
    EXTERN template Var<T, Cpu> maximum(const Var<T, Cpu>&, const Var<T, Cpu>&);                          \
    EXTERN template Var<T, Cpu> neg(const Var<T, Cpu>&);                                                  \
    EXTERN template Var<T, Cpu> add(const Var<T, Cpu>&, T);                                               \
    EXTERN template Var<T, Cpu> sub(const Var<T, Cpu>&, T);                                               \
    EXTERN template Var<T, Cpu> rsub(T, const Var<T, Cpu>&);                                              \
    EXTERN template Var<T, Cpu> mul(const Var<T, Cpu>&, T);                                               \
    EXTERN template Var<T, Cpu> div(const Var<T, Cpu>&, T);                                               \
    EXTERN template Var<T, Cpu> relu(const Var<T, Cpu>&);                                                 \
    EXTERN template Var<T, Cpu> leaky_relu(const Var<T, Cpu>&, T);                                        \
    EXTERN template Var<T, Cpu> abs(const Var<T, Cpu>&);                                                  \
    EXTERN template Var<T, Cpu> clamp(const Var<T, Cpu>&, T, T);                                          \
    EXTERN template Var<T, Cpu> sqrt(const Var<T, Cpu>&);                                                 \
    EXTERN template Var<T, Cpu> tanh(const Var<T, Cpu>&);                                                 \
    EXTERN template Var<T, Cpu> sigmoid(const Var<T, Cpu>&);                                              \
    EXTERN template Var<T, Cpu> exp(const Var<T, Cpu>&);                                                  \
    EXTERN template Var<T, Cpu> log(const Var<T, Cpu>&);                                                  \
    EXTERN template Var<T, Cpu> softplus(const Var<T, Cpu>&);                                             \
    EXTERN template Var<T, Cpu> square(const Var<T, Cpu>&);                                               \
    EXTERN template Var<T, Cpu> pow(const Var<T, Cpu>&, T);                                               \
    EXTERN template Var<T, Cpu> transpose(const Var<T, Cpu>&);                                            \
    EXTERN template Var<T, Cpu> matmul(const Var<T, Cpu>&, const Var<T, Cpu>&);                           \
    EXTERN template Var<T, Cpu> linear(const Var<T, Cpu>&, const Var<T, Cpu>&, const Var<T, Cpu>&);       \
    EXTERN template Var<T, Cpu> sum(const Var<T, Cpu>&);                                                  \
    EXTERN template Var<T, Cpu> sum(const Var<T, Cpu>&, int, bool);                                       \
    EXTERN template Var<T, Cpu> mean(const Var<T, Cpu>&);                                                 \
    EXTERN template Var<T, Cpu> mean(const Var<T, Cpu>&, int, bool);                                      \
    EXTERN template Var<T, Cpu> var(const Var<T, Cpu>&, int, bool, int);                                  \
    EXTERN template Var<T, Cpu> var(const Var<T, Cpu>&);                                                  \
    EXTERN template Var<T, Cpu> logsumexp(const Var<T, Cpu>&, int, bool);                                 \
    EXTERN template Var<T, Cpu> log_softmax(const Var<T, Cpu>&, int);                                     \
    EXTERN template Var<T, Cpu> detail::repeat(const Var<T, Cpu>&, const Shape&, int);                    \
    EXTERN template Var<T, Cpu> reshape(const Var<T, Cpu>&, const Shape&);                                \
    EXTERN template Var<T, Cpu> concat(std::span<const Var<T, Cpu>>, int);                                \
    EXTERN template Var<T, Cpu> slice(const Var<T, Cpu>&, int, index_t, index_t);                         \
    EXTERN template Var<T, Cpu> slice_cols(const Var<T, Cpu>&, index_t, index_t);                         \
    EXTERN template Var<T, Cpu> dropout(const Var<T, Cpu>&, double, bool, Generator&);                    \
    EXTERN template Var<T, Cpu> bce(const Var<T, Cpu>&, const Tensor<T, Cpu>&, Reduction);                \
    EXTERN template Var<T, Cpu> bce_with_logits(const Var<T, Cpu>&, const Tensor<T, Cpu>&, Reduction);    \
    EXTERN template Var<T, Cpu> mse(const Var<T, Cpu>&, const Tensor<T, Cpu>&, Reduction);                \
    EXTERN template Var<T, Cpu> cross_entropy(const Var<T, Cpu>&, const std::vector<int>&, Reduction);    \
    EXTERN template Var<T, Cpu> gaussian_kl(const Var<T, Cpu>&, const Var<T, Cpu>&, Reduction);          \
    EXTERN template std::vector<Var<T, Cpu>> grad(const Var<T, Cpu>&, const std::vector<Var<T, Cpu>>&,    \
                                                  GradOptions<T, Cpu>);
AIGC_EXTERN_INSTANTIATIONS(AIGC_INSTANTIATE_AUTOGRAD)
