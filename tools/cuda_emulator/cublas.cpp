// The emulated cuBLAS GEMMs (see include/cublas_v2.h). Column-major throughout, as cuBLAS is:
// C[i + j ldc] = alpha sum_l op(A)(i, l) op(B)(l, j) + beta C[i + j ldc].
#include <cublas_v2.h>

#include <mutex>
#include <sstream>

#include "device_heap.hpp"
#include "runtime_state.hpp"

struct cublasContext {
    cudaStream_t stream = nullptr;
    cublasMath_t math = CUBLAS_DEFAULT_MATH;
};

namespace {

using namespace aigc_cuda_emulator;

// A column-major matrix of `rows` x `cols` with leading dimension ld occupies this many elements.
std::size_t extent(int rows, int cols, int ld) {
    return rows == 0 || cols == 0 ? 0 : static_cast<std::size_t>(cols - 1) * static_cast<std::size_t>(ld) + rows;
}

template <class T>
cublasStatus_t gemm(const char* name, cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                    int m, int n, int k, const T* alpha, const T* a, int lda, const T* b, int ldb, const T* beta,
                    T* c, int ldc) {
    if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
    auto valid_op = [](cublasOperation_t op) { return op == CUBLAS_OP_N || op == CUBLAS_OP_T || op == CUBLAS_OP_C; };
    int a_rows = transa == CUBLAS_OP_N ? m : k, a_cols = transa == CUBLAS_OP_N ? k : m;
    int b_rows = transb == CUBLAS_OP_N ? k : n, b_cols = transb == CUBLAS_OP_N ? n : k;
    auto at_least_one = [](int x) { return x > 1 ? x : 1; };
    if (!valid_op(transa) || !valid_op(transb) || m < 0 || n < 0 || k < 0 || lda < at_least_one(a_rows) ||
        ldb < at_least_one(b_rows) || ldc < at_least_one(m) || !alpha || !beta) {
        std::ostringstream out;
        out << name << ": invalid arguments (m=" << m << " n=" << n << " k=" << k << " lda=" << lda << " ldb=" << ldb
            << " ldc=" << ldc << ")";
        diagnose(out.str());
        return CUBLAS_STATUS_INVALID_VALUE;
    }
    if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
    std::lock_guard<std::mutex> lock(device_mutex());
    if (sticky_status() != cudaSuccess) return CUBLAS_STATUS_EXECUTION_FAILED;
    DeviceHeap& heap = DeviceHeap::instance();
    bool need_ab = k > 0 && *alpha != T(0);
    if ((need_ab && (!heap.holds(a, extent(a_rows, a_cols, lda) * sizeof(T)) ||
                     !heap.holds(b, extent(b_rows, b_cols, ldb) * sizeof(T)))) ||
        !heap.holds(c, extent(m, n, ldc) * sizeof(T))) {
        diagnose(std::string(name) + ": an operand is not (wholly) device memory");
        record_sticky(cudaErrorIllegalAddress);
        return CUBLAS_STATUS_EXECUTION_FAILED;
    }
    T alpha_value = *alpha, beta_value = *beta;
    DeviceAccess access;
    for (int j = 0; j < n; ++j)
        for (int i = 0; i < m; ++i) {
            T sum = T(0);
            if (need_ab)
                for (int l = 0; l < k; ++l) {
                    T a_il = transa == CUBLAS_OP_N ? a[i + static_cast<std::size_t>(l) * lda]
                                                   : a[l + static_cast<std::size_t>(i) * lda];
                    T b_lj = transb == CUBLAS_OP_N ? b[l + static_cast<std::size_t>(j) * ldb]
                                                   : b[j + static_cast<std::size_t>(l) * ldb];
                    sum += a_il * b_lj;
                }
            T& out = c[i + static_cast<std::size_t>(j) * ldc];
            out = beta_value == T(0) ? alpha_value * sum : alpha_value * sum + beta_value * out;
        }
    return CUBLAS_STATUS_SUCCESS;
}

}  // namespace

const char* cublasGetStatusName(cublasStatus_t status) {
    switch (status) {
        case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
        case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
        case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
        case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
        case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
        case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
        case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
        case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
        case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    }
    return "CUBLAS_STATUS_UNKNOWN";
}

const char* cublasGetStatusString(cublasStatus_t status) {
    switch (status) {
        case CUBLAS_STATUS_SUCCESS: return "success";
        case CUBLAS_STATUS_NOT_INITIALIZED: return "the library was not initialized";
        case CUBLAS_STATUS_INVALID_VALUE: return "an invalid numeric value was used as an argument";
        case CUBLAS_STATUS_EXECUTION_FAILED: return "the GPU program failed to execute";
        default: return "an error occurred in the emulated cuBLAS";
    }
}

cublasStatus_t cublasCreate(cublasHandle_t* handle) {
    if (!handle) return CUBLAS_STATUS_INVALID_VALUE;
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) return CUBLAS_STATUS_NOT_INITIALIZED;
    *handle = new cublasContext();
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy(cublasHandle_t handle) {
    if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
    delete handle;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream) {
    if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
    handle->stream = stream;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
    if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
    handle->math = mode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSgemm(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
                           int k, const float* alpha, const float* a, int lda, const float* b, int ldb,
                           const float* beta, float* c, int ldc) {
    return gemm("cublasSgemm", handle, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

cublasStatus_t cublasDgemm(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
                           int k, const double* alpha, const double* a, int lda, const double* b, int ldb,
                           const double* beta, double* c, int ldc) {
    return gemm("cublasDgemm", handle, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
