// The CPU kernels a training program instantiates, compiled twice by tests/odr: once by the host
// compiler (this file) and once by nvcc (cpu_kernels_probe.cu includes it). One definition rule:
// both must produce the same functions, or a program with .cu files links two different
// Kernels<Cpu> and the linker keeps whichever it meets first (it once kept a version without
// the AVX2/AVX-512 GEMM, 9x slower). compare_symbols.cmake checks the two objects.
#include <aigc/cpu.hpp>

namespace aigc::odr_probe {

template <class T>
void instantiate(T* y, const T* a, const T* b, const T* c) {
    using K = Kernels<Cpu>;
    K::gemm(false, true, 4, 4, 4, T(1), a, b, T(0), y);
    K::transform(2, 2, fn::Tanh{}, y, In<T>::full(a, 2), false);                          // Eigen array form
    K::transform(2, 2, fn::LeakyRelu<T>{T(0.2)}, y, In<T>::full(a, 2), true);             // lane form
    K::transform(2, 2, fn::Add{}, y, In<T>::full(a, 2), In<T>::row(b), false);            // plain loop
    K::transform(2, 2, fn::BceWithLogitsGrad{}, y, In<T>::full(a, 2), In<T>::full(b, 2),  // three operands
                 In<T>::full(c, 2), false);
    K::sum_rows(2, 2, a, y, false);
    K::sum_cols(2, 2, a, y, true);
    K::sum_all(4, a, y, false);
    K::max_rows(2, 2, a, y);
    K::fill(4, T(1), y);
    K::fill_uniform(4, RandomStream{1, 0}, T(0), T(1), y);
    K::fill_normal(4, RandomStream{1, 0}, T(0), T(1), y);
    // The fused optimizer update, with a block form (Adam) and without (SGD).
    T m[4] = {}, v[4] = {};
    ParamSlot<T> slot{y, a, m, v, nullptr, 4};
    K::apply_update(std::span<const ParamSlot<T>>(&slot, 1),
                    AdamUpdate<T>{T(0.9), T(0.1), T(0.999), T(0.001), T(1e-8), T(0), T(1), T(1e-3), T(1)});
    ParamSlot<T> plain{y, a, nullptr, nullptr, nullptr, 4};
    K::apply_update(std::span<const ParamSlot<T>>(&plain, 1), SgdUpdate<T>{T(0.1), T(0), T(1), T(0), false, true});
}

template void instantiate<float>(float*, const float*, const float*, const float*);
template void instantiate<double>(double*, const double*, const double*, const double*);

}  // namespace aigc::odr_probe
