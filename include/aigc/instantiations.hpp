#pragma once
// The instantiations that the optional compiled library (CMake target aigc::compiled, src/) holds
// for T = float and double on the CPU, listed once: the library expands each list with
// EXTERN = nothing (explicit instantiation definitions), and a program linked to it sees them
// with EXTERN = extern (explicit instantiation declarations), so its translation units skip
// instantiating, optimising and emitting them -- the bulk of a training program's compile time.
// Header-only use (the default) never expands them.
//
// Only non-inline templates belong here: GCC instantiates an inline function for inlining even
// when it is declared extern, so an extern declaration of one saves nothing. The ops are
// function templates; the class members listed are defined out of their class for this reason.

// autograd/: every differentiable op and loss (their backward closures are instantiated with them).
#define AIGC_INSTANTIATE_AUTOGRAD(EXTERN, T)                                                              \
    EXTERN template Var<T, Cpu> add(const Var<T, Cpu>&, const Var<T, Cpu>&);                              \
    EXTERN template Var<T, Cpu> sub(const Var<T, Cpu>&, const Var<T, Cpu>&);                              \
    EXTERN template Var<T, Cpu> mul(const Var<T, Cpu>&, const Var<T, Cpu>&);                              \
    EXTERN template Var<T, Cpu> div(const Var<T, Cpu>&, const Var<T, Cpu>&);                              \
    EXTERN template Var<T, Cpu> neg(const Var<T, Cpu>&);                                                  \
    EXTERN template Var<T, Cpu> add(const Var<T, Cpu>&, T);                                               \
    EXTERN template Var<T, Cpu> sub(const Var<T, Cpu>&, T);                                               \
    EXTERN template Var<T, Cpu> rsub(T, const Var<T, Cpu>&);                                              \
    EXTERN template Var<T, Cpu> mul(const Var<T, Cpu>&, T);                                               \
    EXTERN template Var<T, Cpu> div(const Var<T, Cpu>&, T);                                               \
    EXTERN template Var<T, Cpu> relu(const Var<T, Cpu>&);                                                 \
    EXTERN template Var<T, Cpu> leaky_relu(const Var<T, Cpu>&, T);                                        \
    EXTERN template Var<T, Cpu> tanh(const Var<T, Cpu>&);                                                 \
    EXTERN template Var<T, Cpu> sigmoid(const Var<T, Cpu>&);                                              \
    EXTERN template Var<T, Cpu> exp(const Var<T, Cpu>&);                                                  \
    EXTERN template Var<T, Cpu> log(const Var<T, Cpu>&);                                                  \
    EXTERN template Var<T, Cpu> softplus(const Var<T, Cpu>&);                                             \
    EXTERN template Var<T, Cpu> square(const Var<T, Cpu>&);                                               \
    EXTERN template Var<T, Cpu> pow(const Var<T, Cpu>&, T);                                               \
    EXTERN template Var<T, Cpu> matmul(const Var<T, Cpu>&, const Var<T, Cpu>&);                           \
    EXTERN template Var<T, Cpu> linear(const Var<T, Cpu>&, const Var<T, Cpu>&, const Var<T, Cpu>&);       \
    EXTERN template Var<T, Cpu> sum(const Var<T, Cpu>&);                                                  \
    EXTERN template Var<T, Cpu> sum(const Var<T, Cpu>&, int, bool);                                       \
    EXTERN template Var<T, Cpu> mean(const Var<T, Cpu>&);                                                 \
    EXTERN template Var<T, Cpu> mean(const Var<T, Cpu>&, int, bool);                                      \
    EXTERN template Var<T, Cpu> reshape(const Var<T, Cpu>&, const Shape&);                                \
    EXTERN template Var<T, Cpu> concat(const std::vector<Var<T, Cpu>>&);                                  \
    EXTERN template Var<T, Cpu> slice_cols(const Var<T, Cpu>&, index_t, index_t);                         \
    EXTERN template Var<T, Cpu> dropout(const Var<T, Cpu>&, double, bool, Generator&);                    \
    EXTERN template Var<T, Cpu> bce(const Var<T, Cpu>&, const Tensor<T, Cpu>&, Reduction);                \
    EXTERN template Var<T, Cpu> bce_with_logits(const Var<T, Cpu>&, const Tensor<T, Cpu>&, Reduction);    \
    EXTERN template Var<T, Cpu> mse(const Var<T, Cpu>&, const Tensor<T, Cpu>&, Reduction);                \
    EXTERN template Var<T, Cpu> cross_entropy(const Var<T, Cpu>&, const std::vector<int>&, Reduction);    \
    EXTERN template Var<T, Cpu> gaussian_kl(const Var<T, Cpu>&, const Var<T, Cpu>&, Reduction);           \
    EXTERN template void Var<T, Cpu>::backward(const aigc::Tensor<T, Cpu>&);
