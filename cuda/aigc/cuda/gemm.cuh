#pragma once
// gemm: C[m,n] = alpha op(A) op(B) + beta C, row-major, op = transpose when the flag is set
// (A is [m,k], or [k,m] when trans_a; B is [k,n], or [n,k] when trans_b).
//
// Our kernel is the classic shared-memory SGEMM with register blocking (as in the CUTLASS
// "SIMT" path and Simon Boehm's walk-through): a block computes a BM x BN tile of C; per step it
// stages a BM x BK slice of op(A) and a BK x BN slice of op(B) in shared memory, both stored
// k-major so the inner loop reads one short row of each; every thread keeps a TM x TN block of C in
// registers and does TM*TN FMAs per TM+TN shared loads. Tiles that stick out of the matrix are
// zero-filled, so any m, n, k (including 1 and non-multiples of the tile) is exact. Global loads
// are float4 when every row of A and B starts 16-byte aligned (leading dimension % 4 == 0).
//
// When the tiles of C are too few to occupy the GPU (a batch of 64 rows times a layer of 1024 is
// 16 tiles for 132 SMs) and k is long, k is split: blockIdx.z computes the partial product of
// one k range into a scratch [splits, m, n], and a second kernel sums the splits in a fixed order
// and applies alpha and beta (deterministic, no atomics).
//
// set_gemm_backend(GemmBackend::cublas) routes every gemm to cuBLAS instead (full FP32, no TF32),
// the reference the tests and benchmarks compare against.
#include <atomic>
#include <cstdint>
#include <memory>
#include <type_traits>

#include <cublas_v2.h>

#include "common.cuh"
#include "memory.cuh"

namespace aigc::cuda {

enum class GemmBackend { ours, cublas };

namespace detail {
inline std::atomic<GemmBackend>& gemm_backend_state() {
    static std::atomic<GemmBackend> backend{GemmBackend::ours};
    return backend;
}
}  // namespace detail

// Chooses the implementation of Kernels<Cuda>::gemm for the whole process.
inline void set_gemm_backend(GemmBackend backend) { detail::gemm_backend_state().store(backend); }
inline GemmBackend gemm_backend() { return detail::gemm_backend_state().load(); }

inline void check_cublas(cublasStatus_t status, const char* operation) {
    if (status != CUBLAS_STATUS_SUCCESS)
        fail(aigc::detail::concat("cuda: ", operation, " failed: ", cublasGetStatusName(status), " (",
                                  cublasGetStatusString(status), ")"));
}

// One cuBLAS handle per device, bound to that device's stream.
inline cublasHandle_t cublas_handle() {
    DeviceContext& ctx = context();
    return detail::per_device<cublasHandle_t>(ctx.device, [&ctx] {
        auto handle = std::make_unique<cublasHandle_t>(nullptr);
        check_cublas(cublasCreate(handle.get()), "cublasCreate");
        check_cublas(cublasSetStream(*handle, ctx.stream), "cublasSetStream");
        check_cublas(cublasSetMathMode(*handle, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
        return handle;
    });
}

namespace gemm_detail {

// Tile shapes: BM x BN outputs per block, BK deep per shared-memory step, TM x TN per thread.
template <int BM_, int BN_, int BK_, int TM_, int TN_>
struct Tile {
    static constexpr int BM = BM_, BN = BN_, BK = BK_, TM = TM_, TN = TN_;
    static constexpr int threads_x = BN / TN, threads_y = BM / TM, threads = threads_x * threads_y;
    static_assert(TM % 4 == 0 && TN % 4 == 0, "a thread's rows and columns come in groups of 4");
    static_assert(BK % 4 == 0 && BM % 4 == 0 && BN % 4 == 0, "tiles are loaded in pieces of 4 elements");
};
using LargeTile = Tile<128, 128, 8, 8, 8>;  // 256 threads x 64 outputs: large matrices
using SmallTile = Tile<64, 64, 16, 4, 4>;   // 256 threads x 16 outputs: more blocks for small ones

// Rows of a shared tile are padded by 4 elements: the transposing stores of load_tile then hit
// 32 different banks, and every row still starts 16-byte aligned for float4 reads.
constexpr int pad = 4;

// tile[kk][x] = X(x0 + x, k0 + kk) for x < Extent, kk < BK, zero outside x_extent x k_extent.
// In memory X(x, k) is src[x * ld + k] (ContiguousAlongK) or src[k * ld + x]. Each thread moves
// pieces of 4 elements adjacent in memory; Vec reads a piece as one float4, which needs ld % 4 == 0
// and an aligned src (then a piece is either wholly inside the matrix or wholly outside).
template <class T, int Extent, int BK, int Threads, bool ContiguousAlongK, bool Vec>
__device__ void load_tile(T (&tile)[BK][Extent + pad], const T* __restrict__ src, index_t ld, int x_extent,
                          int k_extent, int x0, int k0) {
    constexpr int pieces = Extent * BK / 4;
    for (int piece = static_cast<int>(threadIdx.x); piece < pieces; piece += Threads) {
        int x, kk;
        if constexpr (ContiguousAlongK) {
            x = piece / (BK / 4);
            kk = piece % (BK / 4) * 4;
        } else {
            kk = piece / (Extent / 4);
            x = piece % (Extent / 4) * 4;
        }
        int gx = x0 + x, gk = k0 + kk;
        T v[4];
        if constexpr (Vec) {
            static_assert(std::is_same_v<T, float>, "vector loads are for float");
            float4 q = make_float4(0.f, 0.f, 0.f, 0.f);
            if (gx < x_extent && gk < k_extent)
                q = *reinterpret_cast<const float4*>(ContiguousAlongK ? src + gx * ld + gk : src + gk * ld + gx);
            v[0] = q.x;
            v[1] = q.y;
            v[2] = q.z;
            v[3] = q.w;
        } else {
            for (int e = 0; e < 4; ++e) {
                int ex = ContiguousAlongK ? gx : gx + e, ek = ContiguousAlongK ? gk + e : gk;
                v[e] = (ex < x_extent && ek < k_extent) ? (ContiguousAlongK ? src[ex * ld + ek] : src[ek * ld + ex])
                                                        : T(0);
            }
        }
        for (int e = 0; e < 4; ++e) {
            if constexpr (ContiguousAlongK) tile[kk + e][x] = v[e];
            else tile[kk][x + e] = v[e];
        }
    }
}

// Four consecutive shared-memory values (one 128-bit load for float).
template <class T>
__device__ void read4(const T* p, T* out) {
    if constexpr (std::is_same_v<T, float>) {
        float4 q = *reinterpret_cast<const float4*>(p);
        out[0] = q.x;
        out[1] = q.y;
        out[2] = q.z;
        out[3] = q.w;
    } else {
        for (int e = 0; e < 4; ++e) out[e] = p[e];
    }
}

// grid = [ceil(m / BM), ceil(n / BN), splits], block = Cfg::threads. Block z covers
// k in [z * k_per_split, (z + 1) * k_per_split) and writes C + z * m * n (one split: all of k,
// into C itself; k_per_split is a multiple of BK). Thread (tx, ty) owns rows
// {g * 4 * threads_y + 4 ty + e} and columns {g * 4 * threads_x + 4 tx + e} of the block's tile
// (groups g of 4 adjacent indices): neighbouring threads read neighbouring float4s of shared
// memory (no bank conflicts) and write neighbouring columns of C.
template <class T, class Cfg, bool TransA, bool TransB, bool Vec>
__global__ void __launch_bounds__(Cfg::threads)
    gemm_kernel(int m, int n, int k, int k_per_split, T alpha, const T* __restrict__ a, const T* __restrict__ b,
                T beta, T* __restrict__ c) {
    constexpr int BM = Cfg::BM, BN = Cfg::BN, BK = Cfg::BK, TM = Cfg::TM, TN = Cfg::TN;
    __shared__ __align__(16) T a_tile[BK][BM + pad];  // a_tile[kk][i] = op(A)(m0 + i, k0 + kk)
    __shared__ __align__(16) T b_tile[BK][BN + pad];  // b_tile[kk][j] = op(B)(k0 + kk, n0 + j)
    const int tx = static_cast<int>(threadIdx.x) % Cfg::threads_x, ty = static_cast<int>(threadIdx.x) / Cfg::threads_x;
    const int m0 = static_cast<int>(blockIdx.x) * BM, n0 = static_cast<int>(blockIdx.y) * BN;
    // op(A)(i, kk): A [m,k] row-major is contiguous along k; trans_a stores A^T as [k,m], contiguous along i.
    const index_t lda = TransA ? m : k;
    // op(B)(kk, j): B [k,n] is contiguous along j; trans_b stores B^T as [n,k], contiguous along kk.
    const index_t ldb = TransB ? k : n;

    T acc[TM][TN];
    for (int i = 0; i < TM; ++i)
        for (int j = 0; j < TN; ++j) acc[i][j] = T(0);

    // This block's k range; loads treat k_end as the end of the matrix (zero-fill past it).
    const int k_begin = static_cast<int>(blockIdx.z) * k_per_split;
    const int k_end = k - k_begin > k_per_split ? k_begin + k_per_split : k;
    c += static_cast<index_t>(blockIdx.z) * m * n;

    for (int k0 = k_begin; k0 < k_end; k0 += BK) {
        load_tile<T, BM, BK, Cfg::threads, !TransA, Vec>(a_tile, a, lda, m, k_end, m0, k0);
        load_tile<T, BN, BK, Cfg::threads, TransB, Vec>(b_tile, b, ldb, n, k_end, n0, k0);
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < BK; ++kk) {
            T a_frag[TM], b_frag[TN];
#pragma unroll
            for (int g = 0; g < TM / 4; ++g) read4(&a_tile[kk][g * 4 * Cfg::threads_y + 4 * ty], a_frag + 4 * g);
#pragma unroll
            for (int g = 0; g < TN / 4; ++g) read4(&b_tile[kk][g * 4 * Cfg::threads_x + 4 * tx], b_frag + 4 * g);
#pragma unroll
            for (int i = 0; i < TM; ++i)
#pragma unroll
                for (int j = 0; j < TN; ++j) acc[i][j] += a_frag[i] * b_frag[j];
        }
        __syncthreads();
    }

    for (int i = 0; i < TM; ++i) {
        int row = m0 + (i / 4) * 4 * Cfg::threads_y + 4 * ty + i % 4;
        if (row >= m) continue;
        T* c_row = c + static_cast<index_t>(row) * n;
        for (int j = 0; j < TN; ++j) {
            int col = n0 + (j / 4) * 4 * Cfg::threads_x + 4 * tx + j % 4;
            if (col >= n) continue;
            T value = alpha * acc[i][j];
            if (beta != T(0)) value += beta * c_row[col];  // beta == 0 never reads C (it may hold NaN)
            c_row[col] = value;
        }
    }
}

// c[i] = alpha * sum_z partial[z, i] + beta * c[i] over mn = m * n elements, splits summed in order.
template <class T>
__global__ void split_k_sum_kernel(index_t mn, int splits, const T* __restrict__ partial, T alpha, T beta,
                                   T* __restrict__ c) {
    index_t stride = static_cast<index_t>(gridDim.x) * blockDim.x;
    for (index_t i = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < mn; i += stride) {
        T total = T(0);
        for (int z = 0; z < splits; ++z) total += partial[z * mn + i];
        T value = alpha * total;
        if (beta != T(0)) value += beta * c[i];
        c[i] = value;
    }
}

// How many k ranges: enough blocks for every SM, each range at least 128 deep (shorter ones
// spend more on the scratch round trip than they save), at most 16.
template <class Cfg>
int split_count(index_t m, index_t n, index_t k) {
    index_t tiles = ceil_div(m, Cfg::BM) * ceil_div(n, Cfg::BN);
    index_t sms = context().sm_count;
    if (tiles >= sms || k < 256) return 1;
    index_t splits = ceil_div(sms, tiles);
    splits = splits < k / 128 ? splits : k / 128;
    return static_cast<int>(splits < 16 ? splits : 16);
}

template <class T, class Cfg, bool TransA, bool TransB, bool Vec>
void launch_ours(index_t m, index_t n, index_t k, T alpha, const T* a, const T* b, T beta, T* c) {
    auto kernel = gemm_kernel<T, Cfg, TransA, TransB, Vec>;
    dim3 tiles(static_cast<unsigned>(ceil_div(m, Cfg::BM)), static_cast<unsigned>(ceil_div(n, Cfg::BN)));
    int splits = split_count<Cfg>(m, n, k);
    int mi = static_cast<int>(m), ni = static_cast<int>(n), ki = static_cast<int>(k);
    if (splits == 1) {
        launch("gemm", kernel, tiles, dim3(Cfg::threads), mi, ni, ki, ki, alpha, a, b, beta, c);
        return;
    }
    int k_per_split = static_cast<int>(ceil_div(ceil_div(k, splits), Cfg::BK) * Cfg::BK);
    splits = static_cast<int>(ceil_div(k, k_per_split));
    auto scratch = Memory<Cuda>::allocate(static_cast<std::size_t>(splits) * m * n * sizeof(T));  // [splits, m, n]
    T* partial = static_cast<T*>(scratch.get());
    launch("gemm (split k)", kernel, dim3(tiles.x, tiles.y, static_cast<unsigned>(splits)), dim3(Cfg::threads), mi,
           ni, ki, k_per_split, T(1), a, b, T(0), partial);
    launch("gemm (sum of k splits)", split_k_sum_kernel<T>, dim3(grid_for(m * n, 256)), dim3(256), m * n, splits,
           static_cast<const T*>(partial), alpha, beta, c);
}

template <class T, class Cfg, bool Vec>
void dispatch_transposes(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, T alpha, const T* a,
                         const T* b, T beta, T* c) {
    if (!trans_a && !trans_b) launch_ours<T, Cfg, false, false, Vec>(m, n, k, alpha, a, b, beta, c);
    else if (trans_a && !trans_b) launch_ours<T, Cfg, true, false, Vec>(m, n, k, alpha, a, b, beta, c);
    else if (!trans_a && trans_b) launch_ours<T, Cfg, false, true, Vec>(m, n, k, alpha, a, b, beta, c);
    else launch_ours<T, Cfg, true, true, Vec>(m, n, k, alpha, a, b, beta, c);
}

inline bool aligned16(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; }

template <class T>
void gemm_ours(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, T alpha, const T* a, const T* b, T beta,
               T* c) {
    index_t lda = trans_a ? m : k, ldb = trans_b ? k : n;
    if constexpr (std::is_same_v<T, float>) {
        bool vec = lda % 4 == 0 && ldb % 4 == 0 && aligned16(a) && aligned16(b);
        // The large tile only when it still gives every SM a block; otherwise more, smaller blocks.
        bool large = ceil_div(m, LargeTile::BM) * ceil_div(n, LargeTile::BN) >= context().sm_count;
        if (large) {
            if (vec) dispatch_transposes<T, LargeTile, true>(trans_a, trans_b, m, n, k, alpha, a, b, beta, c);
            else dispatch_transposes<T, LargeTile, false>(trans_a, trans_b, m, n, k, alpha, a, b, beta, c);
        } else {
            if (vec) dispatch_transposes<T, SmallTile, true>(trans_a, trans_b, m, n, k, alpha, a, b, beta, c);
            else dispatch_transposes<T, SmallTile, false>(trans_a, trans_b, m, n, k, alpha, a, b, beta, c);
        }
    } else {
        // double: the same kernel on the small tile with scalar loads (gradcheck runs on the CPU;
        // this path exists so Tensor<double, Cuda> works, not to be fast).
        dispatch_transposes<T, SmallTile, false>(trans_a, trans_b, m, n, k, alpha, a, b, beta, c);
    }
}

// Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: call cuBLAS with the operands
// swapped and each matrix's row-major leading dimension.
template <class T>
void gemm_cublas(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, T alpha, const T* a, const T* b, T beta,
                 T* c) {
    int lda = static_cast<int>(trans_a ? m : k), ldb = static_cast<int>(trans_b ? k : n);
    cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    int mi = static_cast<int>(m), ni = static_cast<int>(n), ki = static_cast<int>(k);
    // cuBLAS needs leading dimensions >= 1 even when a matrix is empty.
    lda = lda < 1 ? 1 : lda;
    ldb = ldb < 1 ? 1 : ldb;
    if constexpr (std::is_same_v<T, float>)
        check_cublas(cublasSgemm(cublas_handle(), op_b, op_a, ni, mi, ki, &alpha, b, ldb, a, lda, &beta, c, ni),
                     "cublasSgemm");
    else
        check_cublas(cublasDgemm(cublas_handle(), op_b, op_a, ni, mi, ki, &alpha, b, ldb, a, lda, &beta, c, ni),
                     "cublasDgemm");
}

}  // namespace gemm_detail

template <class T>
void gemm(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, T alpha, const T* a, const T* b, T beta, T* c) {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "gemm: float or double");
    AIGC_CHECK(m >= 0 && n >= 0 && k >= 0, "gemm: negative size m=", m, " n=", n, " k=", k);
    constexpr index_t int_limit = 0x7fffffff;
    AIGC_CHECK(m <= int_limit && n <= int_limit && k <= int_limit, "gemm: sizes must fit in 32 bits, given m=", m,
               " n=", n, " k=", k);
    AIGC_CHECK(ceil_div(n, gemm_detail::SmallTile::BN) <= 65535, "gemm: n=", n, " exceeds the largest grid (",
               65535 * gemm_detail::SmallTile::BN, " columns)");
    if (m == 0 || n == 0) return;
    if (gemm_backend() == GemmBackend::cublas) gemm_detail::gemm_cublas(trans_a, trans_b, m, n, k, alpha, a, b, beta, c);
    else gemm_detail::gemm_ours(trans_a, trans_b, m, n, k, alpha, a, b, beta, c);
}

}  // namespace aigc::cuda
