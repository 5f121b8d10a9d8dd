#pragma once
// Kernels<Cpu>: the kernel table on Eigen 3.4. Matrices are Eigen::Maps over tensor storage (no
// copies). Single-precision GEMM runs our AVX2/FMA kernel where the CPU has it (gemm_avx2.hpp),
// plain loops on older x86-64 CPUs (gemm_reference.hpp), Eigen's elsewhere and for double;
// element-wise maps are loops over the shared functors, or their vector forms where they have one
// (vector_math.hpp). Work big enough to pay for it is split over the thread pool. Maps, fills and
// optimizer updates cut chunks whose boundaries do not depend on the thread count, so their
// results are bit-identical for any AIGC_NUM_THREADS. GEMM gives each thread a few column chunks,
// so its split does depend on the count: our float kernels still give the same bits (each C
// element is the same sequence of operations in any chunk), Eigen's GEMM (double, and float off
// x86-64) does not. Reductions run on one thread.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <utility>
#include <vector>

#include "simd_headers.hpp"

#include "../core/kernels.hpp"
#include "vector_math.hpp"
#include "threads.hpp"

// One definition everywhere: this header compiles to the same code under g++ and under nvcc's
// host pass, so a program with .cu files links one Kernels<Cpu>, not a slow and a fast one (an
// ODR violation that once made CUDA-enabled builds 9x slower on the CPU). Nothing below may
// depend on __CUDACC__, and Eigen must not switch to its CUDA mode: the aigc::cuda target defines
// EIGEN_NO_CUDA for .cu files; tests/odr compares both compilers' symbols.
#if defined(__CUDACC__) && !defined(EIGEN_NO_CUDA)
#error "aigc: compile .cu files with -DEIGEN_NO_CUDA (the aigc::cuda target does), so the CPU backend is the same code as in .cpp files"
#endif

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && !defined(AIGC_NO_AVX2_GEMM)
#define AIGC_HAVE_AVX2_GEMM 1
#include "gemm_avx2.hpp"
#include "gemm_reference.hpp"
#include "philox_avx2.hpp"
#endif

namespace aigc {

template <>
struct Kernels<Cpu> {
    template <class T>
    using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    template <class T>
    using MapC = Eigen::Map<const Matrix<T>, Eigen::Unaligned>;
    template <class T>
    using Map = Eigen::Map<Matrix<T>, Eigen::Unaligned>;

    // C[m,n] = alpha op(A) op(B) + beta C; A is [m,k] ([k,m] if trans_a), B is [k,n] ([n,k] if trans_b).
    template <class T>
    static void gemm(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, T alpha, const T* a,
                     const T* b, T beta, T* c);

    // y[i,j] (+)= f(a[i,j], b[i,j], ...), operands broadcast by their strides.
    template <class T, class F>
    static void transform(index_t rows, index_t cols, F f, T* y, In<T> a, bool accumulate) {
        apply(rows, cols, f, y, accumulate, a);
    }
    template <class T, class F>
    static void transform(index_t rows, index_t cols, F f, T* y, In<T> a, In<T> b, bool accumulate) {
        apply(rows, cols, f, y, accumulate, a, b);
    }
    template <class T, class F>
    static void transform(index_t rows, index_t cols, F f, T* y, In<T> a, In<T> b, In<T> c, bool accumulate) {
        apply(rows, cols, f, y, accumulate, a, b, c);
    }

    template <class T>
    static void sum_rows(index_t rows, index_t cols, const T* x, T* y, bool accumulate) {
        if (rows == 0) return;
        Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>> Y(y, rows);
        if (cols == 0) {
            if (!accumulate) Y.setZero();
            return;
        }
        if (accumulate) Y += MapC<T>(x, rows, cols).rowwise().sum();
        else Y = MapC<T>(x, rows, cols).rowwise().sum();
    }
    template <class T>
    static void sum_cols(index_t rows, index_t cols, const T* x, T* y, bool accumulate) {
        if (cols == 0) return;
        Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>> Y(y, cols);
        if (rows == 0) {
            if (!accumulate) Y.setZero();
            return;
        }
        if (accumulate) Y += MapC<T>(x, rows, cols).colwise().sum();
        else Y = MapC<T>(x, rows, cols).colwise().sum();
    }
    template <class T>
    static void sum_all(index_t n, const T* x, T* y, bool accumulate) {
        T total = n == 0 ? T(0) : Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(x, n).sum();
        *y = accumulate ? *y + total : total;
    }
    template <class T>
    static void max_rows(index_t rows, index_t cols, const T* x, T* y) {
        if (rows == 0) return;
        AIGC_CHECK(cols > 0, "max_rows: a row maximum of zero columns is undefined");
        Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>(y, rows) = MapC<T>(x, rows, cols).rowwise().maxCoeff();
    }

    template <class T>
    static void fill(index_t n, T value, T* y) {
        detail::parallel_ranges(n, fill_grain, [&](index_t begin, index_t end) { std::fill(y + begin, y + end, value); });
    }
    // Philox values are generated a block of four at a time (eight blocks per AVX2 step), not once
    // per element, and converted exactly as philox::uniform_at / normal_at do.
    template <class T>
    static void fill_uniform(index_t n, RandomStream s, T low, T high, T* y);
    // Box-Muller on lanes (0, 1) and (2, 3) of each block, i.e. on consecutive element pairs.
    template <class T>
    static void fill_normal(index_t n, RandomStream s, T mean, T stddev, T* y);

    template <class T>
    static void copy_block(index_t rows, index_t cols, const T* src, index_t src_pitch, T* dst, index_t dst_pitch,
                           bool accumulate) {
        for (index_t i = 0; i < rows; ++i) {
            const T* s = src + i * src_pitch;
            T* d = dst + i * dst_pitch;
            if (accumulate) for (index_t j = 0; j < cols; ++j) d[j] += s[j];
            else std::copy(s, s + cols, d);
        }
    }
    template <class T>
    static void copy(index_t n, const T* src, T* dst) { if (n) std::memcpy(dst, src, n * sizeof(T)); }
    template <class T>
    static void to_host(index_t n, const T* src, T* host) { copy(n, src, host); }
    template <class T>
    static void from_host(index_t n, const T* host, T* dst) { copy(n, host, dst); }

    // Memory-bound (Adam reads p, g, m, v and writes p, m, v: 28 bytes per parameter for ~3M GAN
    // parameters), so one pass over blocks of `optimizer_block` elements that stay in L1 while the
    // update's statements run on them, with its block form where it has one (core/optim_math.hpp);
    // blocks are shared over the threads.
    template <class T, class Update>
    static void apply_update(std::span<const ParamSlot<T>> slots, Update update) {
        check_update_slots(slots, update);
        for_slot_blocks(slots, [&](const ParamSlot<T>& s, index_t begin, index_t end) {
            if constexpr (requires(SlotBlock<T>& b) { update.apply_block(b); }) {
                index_t n = end - begin;
                T scratch[optimizer_block];
                auto block_of = [&](T* buffer) { return detail::ArrayMap<T>(buffer ? buffer + begin : nullptr, n); };
                SlotBlock<T> b{block_of(s.param), detail::ArrayMapC<T>(s.grad + begin, n), block_of(s.state0),
                               block_of(s.state1), block_of(s.state2), detail::ArrayMap<T>(scratch, n)};
                update.apply_block(b);
            } else {
                for (index_t i = begin; i < end; ++i) update.apply_at(s, i);
            }
        });
    }

    static void synchronize() {}

private:
    // Elements per chunk of an element-wise map: a libm-class functor (SIMD exp, tanh...) costs
    // several times a plain one, so its maps are split finer. A [64, 1024] activation of plain
    // maps stays on one thread: each split is one more point where a preempted worker can stall.
    template <class F, class T, class... Operands>
    static constexpr index_t map_grain = detail::has_array_form<F, T, Operands...> ? 16384 : 65536;
    static constexpr index_t fill_grain = 65536;      // elements per chunk of a fill
    static constexpr index_t optimizer_block = 512;   // elements per optimizer block (L1-resident)
    static constexpr index_t optimizer_chunk = 32768; // elements per optimizer chunk (a thread's share)

    // Elements [begin, end) of a slot's buffers as Eigen arrays (a null buffer stays null), and a
    // scratch array of the same length, for an update's block form.
    template <class T>
    struct SlotBlock {
        detail::ArrayMap<T> param;
        detail::ArrayMapC<T> grad;
        detail::ArrayMap<T> state0, state1, state2, scratch;
    };

    // Columns [j0, j1) of C by Eigen (single-threaded here: the pool owns the cores).
    template <class T>
    static void eigen_gemm_columns(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, T alpha, const T* a,
                                   const T* b, T beta, T* c, index_t j0, index_t j1) {
        index_t w = j1 - j0;
        Eigen::Map<Matrix<T>, Eigen::Unaligned, Eigen::OuterStride<>> C(c + j0, m, w, Eigen::OuterStride<>(n));
        MapC<T> A(a, trans_a ? k : m, trans_a ? m : k);
        if (beta == T(0)) C.setZero();
        else if (beta != T(1)) C *= beta;
        // Four spellings so Eigen picks its transposed GEMM kernels instead of materialising A^T.
        if (!trans_b) {
            MapC<T> B(b, k, n);
            if (trans_a) C.noalias() += alpha * A.transpose() * B.middleCols(j0, w);
            else C.noalias() += alpha * A * B.middleCols(j0, w);
        } else {
            MapC<T> B(b, n, k);
            if (trans_a) C.noalias() += alpha * A.transpose() * B.middleRows(j0, w).transpose();
            else C.noalias() += alpha * A * B.middleRows(j0, w).transpose();
        }
    }

    // A dense operand reads p[i * cols + j]; a row operand (col_stride 1) is contiguous within a
    // row; a column or scalar operand (col_stride 0) is one value per row.
    template <class T>
    static bool dense(const In<T>& in, index_t cols) { return in.col_stride == 1 && in.row_stride == cols; }

    // Row i of an operand as a contiguous pointer: itself, or its `cols` values gathered into this
    // thread's scratch row `slot` (col_stride 0: one value repeated, as broadcasts are).
    template <class T>
    static const T* row_pointer(const In<T>& in, index_t i, index_t cols, int slot) {
        const T* p = in.p + i * in.row_stride;
        if (in.col_stride == 1) return p;
        thread_local std::vector<T> scratch[3];
        std::vector<T>& row = scratch[slot];
        if (static_cast<index_t>(row.size()) < cols) row.resize(static_cast<std::size_t>(cols));
        if (in.col_stride == 0) std::fill(row.begin(), row.begin() + cols, *p);
        else
            for (index_t j = 0; j < cols; ++j) row[static_cast<std::size_t>(j)] = p[j * in.col_stride];
        return row.data();
    }

    // All arities: one flat map when every operand is dense; else row by row, with broadcast and
    // strided operands gathered into contiguous rows, so each functor is compiled into two loops.
    template <class T, class F, class... Ins>
    static void apply(index_t rows, index_t cols, F f, T* y, bool accumulate, Ins... ins) {
        index_t n = rows * cols;
        if (n == 0) return;
        if ((dense(ins, cols) && ...)) {
            detail::parallel_ranges(n, map_grain<F, T, Ins...>, [&](index_t begin, index_t end) {
                detail::map_contiguous(end - begin, f, y + begin, accumulate, (ins.p + begin)...);
            });
            return;
        }
        apply_rows(rows, cols, f, y, accumulate, std::index_sequence_for<Ins...>{}, ins...);
    }

    template <class T, class F, std::size_t... Slot, class... Ins>
    static void apply_rows(index_t rows, index_t cols, F f, T* y, bool accumulate, std::index_sequence<Slot...>,
                           Ins... ins) {
        index_t rows_per_chunk = std::max<index_t>(1, map_grain<F, T, Ins...> / cols);
        detail::parallel_ranges(rows, rows_per_chunk, [&](index_t begin, index_t end) {
            for (index_t i = begin; i < end; ++i)
                detail::map_contiguous(cols, f, y + i * cols, accumulate, row_pointer(ins, i, cols, int(Slot))...);
        });
    }

    // out[4 q + lane] = philox::generate(seed, first + q).v[lane] for q < blocks.
    static void philox_bits(std::uint64_t seed, std::uint64_t first, index_t blocks, std::uint32_t* out) {
        index_t q = 0;
#if defined(AIGC_HAVE_AVX2_GEMM)
        if (detail::avx2::philox_supported())
            for (; q + 8 <= blocks; q += 8) {
                std::uint64_t counter = first + static_cast<std::uint64_t>(q);
                if ((counter & 0xFFFFFFFFu) > 0xFFFFFFFFu - 7u) break;  // the low word wraps: scalar from here
                detail::avx2::philox8(seed, counter, out + 4 * q);
            }
#endif
        for (; q < blocks; ++q) {
            philox::Block block = philox::generate(seed, first + static_cast<std::uint64_t>(q));
            for (int lane = 0; lane < 4; ++lane) out[4 * q + lane] = block.v[lane];
        }
    }

    // convert(bits, count, out) turns the stream's values [i, i + count) into y[i, i + count), in
    // batches of 256 values; the batches are shared over the threads (each value depends only on
    // its index, so the split changes nothing).
    template <class T, class Convert>
    static void for_philox_bits(index_t n, RandomStream s, T* y, Convert convert) {
        constexpr index_t batch_blocks = 64;
        index_t blocks = (n + 3) / 4;
        detail::parallel_ranges(blocks, fill_grain / 4, [&](index_t begin, index_t end) {
            std::uint32_t bits[4 * batch_blocks];
            for (index_t q = begin; q < end; q += batch_blocks) {
                index_t count = std::min(batch_blocks, end - q);
                philox_bits(s.seed, s.offset + static_cast<std::uint64_t>(q), count, bits);
                convert(bits, std::min(4 * count, n - 4 * q), y + 4 * q);
            }
        });
    }

    // visit(slot, begin, end) over every slot in pieces of at most optimizer_block elements,
    // grouped into chunks of about optimizer_chunk elements for the threads.
    template <class T, class Visit>
    static void for_slot_blocks(std::span<const ParamSlot<T>> slots, Visit visit) {
        struct Piece {
            std::size_t slot;
            index_t begin, end;
        };
        thread_local std::vector<Piece> reused;  // no allocation per step
        std::vector<Piece>& pieces = reused;      // the caller's list, also inside the workers
        pieces.clear();
        for (std::size_t i = 0; i < slots.size(); ++i)
            for (index_t begin = 0; begin < slots[i].n; begin += optimizer_chunk)
                pieces.push_back({i, begin, std::min(slots[i].n, begin + optimizer_chunk)});
        auto run = [&](index_t piece) {
            const Piece& p = pieces[static_cast<std::size_t>(piece)];
            for (index_t begin = p.begin; begin < p.end; begin += optimizer_block)
                visit(slots[p.slot], begin, std::min(p.end, begin + optimizer_block));
        };
        index_t count = static_cast<index_t>(pieces.size());
        if (count <= detail::ThreadPool::max_chunks) {
            detail::cpu_pool().parallel_for(count, run);
        } else {  // over 2^31 elements: in rounds of the most chunks one call takes
            for (index_t first = 0; first < count; first += detail::ThreadPool::max_chunks)
                detail::cpu_pool().parallel_for(std::min(detail::ThreadPool::max_chunks, count - first),
                                                [&](index_t piece) { run(first + piece); });
        }
    }
};

// The entries with the most code, defined out of the struct so they are not inline: compiled
// mode's extern declarations (core/compiled.hpp) keep programs from compiling them again.

template <class T>
void Kernels<Cpu>::gemm(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, T alpha, const T* a,
                       const T* b, T beta, T* c) {
    if (m == 0 || n == 0) return;
    if (k == 0) {  // C = beta C, where beta = 0 clears C even of NaN
        for (index_t i = 0; i < m * n; ++i) c[i] = beta == T(0) ? T(0) : beta * c[i];
        return;
    }
    // Column chunks of whole 16-wide panels; a few per thread so a preempted thread does not
    // hold the others up. Below ~2 MFLOP waking a second thread costs more than it saves. Chunks
    // wider than two panels are whole groups of four, the AVX-512 kernel's widest tile: 784
    // columns in 8 chunks of 7 panels ran as 4 + 2 + 1 panel tiles at 196 GFLOP/s, in chunks of
    // 8 panels as 4 + 4 at 240 (G's last layer, batch 64; bench_kernels).
    constexpr index_t panel = 16;
    index_t panels = (n + panel - 1) / panel;
    double flops = 2.0 * double(m) * double(n) * double(k);
    index_t threads = flops < 2.0e6 ? 1 : detail::cpu_pool().threads();
    // While other processes keep the cores busy the pool runs chunks serially (cpu/contention.hpp),
    // and one chunk is then fastest. Only for float: each of its elements is the same FMA sequence
    // whatever the split; double goes through Eigen, whose rounding follows the split, and must
    // not give different bits depending on the machine's load.
    if (std::is_same_v<T, float> && detail::cpu_pool().serial_now()) threads = 1;
    index_t chunks = std::min<index_t>(panels, threads == 1 ? 1 : 4 * threads);
    index_t width = (panels + chunks - 1) / chunks * panel;
    if (width > 2 * panel) width = (width + 4 * panel - 1) / (4 * panel) * (4 * panel);
    chunks = (n + width - 1) / width;
    auto parallel = [](index_t count, auto&& f) { detail::cpu_pool().parallel_for(count, f); };
    // Eigen's product in an `else`, not after an early return: code after an `if constexpr` is
    // instantiated for float too, and Eigen's float product is ~1.5 s of every program's compile.
#if defined(AIGC_HAVE_AVX2_GEMM)
    if constexpr (std::is_same_v<T, float>) {
        if (detail::avx2::enabled()) {
            detail::avx2::gemm(trans_a, trans_b, m, n, k, alpha, a, b, beta, c, chunks, width, parallel);
        } else {
            parallel(chunks, [&](index_t chunk) {
                index_t j0 = chunk * width;
                detail::reference_gemm_columns(trans_a, trans_b, m, n, k, alpha, a, b, beta, c, j0,
                                               std::min(n, j0 + width));
            });
        }
    } else
#endif
    {
        parallel(chunks, [&](index_t chunk) {
            index_t j0 = chunk * width;
            eigen_gemm_columns(trans_a, trans_b, m, n, k, alpha, a, b, beta, c, j0, std::min(n, j0 + width));
        });
    }
}

template <class T>
void Kernels<Cpu>::fill_uniform(index_t n, RandomStream s, T low, T high, T* y) {
    for_philox_bits(n, s, y, [&](const std::uint32_t* bits, index_t count, T* out) {
        for (index_t k = 0; k < count; ++k) out[k] = philox::affine(philox::to_unit<T>(bits[k]), high - low, low);
    });
}
template <class T>
void Kernels<Cpu>::fill_normal(index_t n, RandomStream s, T mean, T stddev, T* y) {
    for_philox_bits(n, s, y, [&](const std::uint32_t* bits, index_t count, T* out) {
        for (index_t k = 0; k < count; k += 2) {
            T u1 = philox::to_unit<T>(bits[k]), u2 = philox::to_unit<T>(bits[k + 1]);
            T radius = std::sqrt(T(-2) * std::log(u1));
            T angle = T(6.283185307179586) * u2;
            out[k] = philox::affine(radius * std::cos(angle), stddev, mean);
            if (k + 1 < count) out[k + 1] = philox::affine(radius * std::sin(angle), stddev, mean);
        }
    });
}

static_assert(KernelTable<Kernels<Cpu>, float>);
static_assert(KernelTable<Kernels<Cpu>, double>);

}  // namespace aigc
