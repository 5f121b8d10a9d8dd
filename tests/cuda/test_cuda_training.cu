// Training on the CUDA backend: the fused optimizer steps against Kernels<Cpu>, the caching
// allocator, errors, and the same autograd code on Tensor<float, Cpu> and Tensor<float, Cuda>
// (identical weights and data on both devices; losses, gradients and Adam-updated weights compared).
// Tolerances:
//   optimizer kernels  1e-6 + 1e-5 |p|: sqrt and division are correctly rounded on both devices,
//                      only the fusion of multiply-adds differs
//   losses             1e-5 relative
//   gradients          2e-6 + 1e-4 |g| (sums of a few hundred products in different orders)
//   weights after Adam 1e-5 absolute (an Adam step moves a weight by at most lr = 1e-3, in the
//                      direction of its gradient's sign, which both devices agree on)
// Dropout masks are identical on both devices (uniform fills agree bit for bit); normal noise
// agrees to an ulp or two.
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "compare.hpp"

using namespace aigc;
using aigc::test::check_close;
using aigc::test::check_equal;
using aigc::test::random_values;
using aigc::test::upload;
using aigc::test::UseCublas;
using CudaKernels = Kernels<Cuda>;
using CpuKernels = Kernels<Cpu>;

// ---- fused optimizer steps --------------------------------------------------------------------

namespace {

// The same parameter set on both devices: param, grad and three state buffers per slot.
struct OptimizerState {
    std::vector<index_t> lengths;
    std::vector<std::vector<float>> host[5];  // param, grad, state0, state1, state2
    std::vector<Tensor<float, Cuda>> device[5];

    explicit OptimizerState(std::vector<index_t> slot_lengths) : lengths(std::move(slot_lengths)) {
        std::uint64_t seed = 7000;
        for (index_t n : lengths)
            for (int b = 0; b < 5; ++b) {
                // params and grads random; state buffers start at 0 (as PyTorch's), except the
                // square averages which must stay >= 0: also 0.
                std::vector<float> values = b < 2 ? random_values(n, seed++) : std::vector<float>(static_cast<std::size_t>(n), 0.f);
                host[b].push_back(values);
                device[b].push_back(upload(values));
            }
    }
    // Slots on either device; `with` says which state buffers the optimizer gets (others null).
    std::vector<ParamSlot<float>> cpu_slots(const bool (&with)[3]) {
        std::vector<ParamSlot<float>> slots;
        for (std::size_t i = 0; i < lengths.size(); ++i)
            slots.push_back({host[0][i].data(), host[1][i].data(), with[0] ? host[2][i].data() : nullptr,
                             with[1] ? host[3][i].data() : nullptr, with[2] ? host[4][i].data() : nullptr, lengths[i]});
        return slots;
    }
    std::vector<ParamSlot<float>> cuda_slots(const bool (&with)[3]) {
        std::vector<ParamSlot<float>> slots;
        for (std::size_t i = 0; i < lengths.size(); ++i)
            slots.push_back({device[0][i].data(), device[1][i].data(), with[0] ? device[2][i].data() : nullptr,
                             with[1] ? device[3][i].data() : nullptr, with[2] ? device[4][i].data() : nullptr,
                             lengths[i]});
        return slots;
    }
    // New gradients for the next step, identical on both devices.
    void new_gradients(std::uint64_t seed) {
        for (std::size_t i = 0; i < lengths.size(); ++i) {
            host[1][i] = random_values(lengths[i], seed + i);
            device[1][i] = upload(host[1][i]);
        }
    }
    void check(const std::string& what) {
        const char* names[5] = {"param", "grad", "state0", "state1", "state2"};
        for (std::size_t i = 0; i < lengths.size(); ++i)
            for (int b : {0, 2, 3, 4})
                check_close(device[b][i].to_vector(), host[b][i], 1e-6, 1e-5,
                            what + " slot " + std::to_string(i) + " " + names[b]);
    }
};

// Sizes: awkward, an empty slot in the middle, and 5000 (two 4096-element chunks).
const std::vector<index_t> slot_sizes = {7, 0, 4097, 1, 5000, 100};

}  // namespace

TEST_CASE("apply_update with Adam and AdamW updates every slot like the CPU backend", "[cuda][optim][adam][adamw]") {
    for (bool decoupled : {false, true}) {
        OptimizerState state(slot_sizes);
        const bool with[3] = {true, true, false};
        for (int t = 1; t <= 3; ++t) {
            const double lr = 1e-2, weight_decay = 0.01;
            AdamUpdate<float> update{.beta1 = 0.9f,
                                     .one_minus_beta1 = 0.1f,
                                     .beta2 = 0.999f,
                                     .one_minus_beta2 = float(1.0 - 0.999),
                                     .eps = 1e-8f,
                                     .weight_decay = decoupled ? 0.0f : float(weight_decay),
                                     .decay = decoupled ? float(1.0 - lr * weight_decay) : 1.0f,
                                     .step_size = float(lr / (1.0 - std::pow(0.9, t))),
                                     .bias_correction2_sqrt = float(std::sqrt(1.0 - std::pow(0.999, t)))};
            auto cpu = state.cpu_slots(with);
            auto gpu = state.cuda_slots(with);
            CpuKernels::apply_update<float>(cpu, update);
            CudaKernels::apply_update<float>(gpu, update);
            state.new_gradients(100 * t);
        }
        state.check(decoupled ? "adamw" : "adam");
    }
}

TEST_CASE("apply_update with SGD, with and without momentum, updates every slot like the CPU backend",
          "[cuda][optim][sgd]") {
    for (float momentum : {0.0f, 0.9f}) {
        OptimizerState state(slot_sizes);
        const bool with[3] = {momentum != 0.0f, false, false};
        for (int t = 1; t <= 3; ++t) {
            SgdUpdate<float> update{.lr = 0.05f,
                                    .momentum = momentum,
                                    .one_minus_dampening = 0.9f,
                                    .weight_decay = 1e-3f,
                                    .nesterov = momentum != 0.0f,
                                    .first_step = t == 1};
            auto cpu = state.cpu_slots(with);
            auto gpu = state.cuda_slots(with);
            CpuKernels::apply_update<float>(cpu, update);
            CudaKernels::apply_update<float>(gpu, update);
            state.new_gradients(200 * t);
        }
        state.check("sgd momentum=" + std::to_string(momentum));
    }
}

TEST_CASE("apply_update with RMSprop (plain and centered with momentum) updates every slot like the CPU backend",
          "[cuda][optim][rmsprop]") {
    for (bool centered : {false, true}) {
        OptimizerState state(slot_sizes);
        float momentum = centered ? 0.5f : 0.0f;
        const bool with[3] = {true, momentum > 0.0f, centered};
        for (int t = 1; t <= 3; ++t) {
            RmspropUpdate<float> update{.lr = 1e-2f,
                                        .alpha = 0.99f,
                                        .one_minus_alpha = float(1.0 - 0.99),
                                        .eps = 1e-8f,
                                        .weight_decay = 0.0f,
                                        .momentum = momentum,
                                        .centered = centered};
            auto cpu = state.cpu_slots(with);
            auto gpu = state.cuda_slots(with);
            CpuKernels::apply_update<float>(cpu, update);
            CudaKernels::apply_update<float>(gpu, update);
            state.new_gradients(300 * t);
        }
        state.check(centered ? "rmsprop centered" : "rmsprop");
    }
}

TEST_CASE("optimizer steps reject slots without the buffers they need", "[cuda][optim][adam][errors]") {
    OptimizerState state({7});
    const bool none[3] = {false, false, false};
    auto slots = state.cuda_slots(none);
    AdamUpdate<float> update{.beta1 = 0.9f,
                             .one_minus_beta1 = 0.1f,
                             .beta2 = 0.999f,
                             .one_minus_beta2 = 0.001f,
                             .eps = 1e-8f,
                             .weight_decay = 0.0f,
                             .decay = 1.0f,
                             .step_size = 1e-2f,
                             .bias_correction2_sqrt = 0.0316f};
    CHECK_THROWS_WITH(CudaKernels::apply_update<float>(slots, update), Catch::Contains("apply_update (Adam): slot 0"));
}

// ---- allocator and errors ---------------------------------------------------------------------

TEST_CASE("allocator buckets round up by at most 12.5% and reuse freed blocks", "[cuda][memory][allocator]") {
    using cuda::CachingAllocator;
    CHECK(CachingAllocator::bucket_size(1) == 512);
    CHECK(CachingAllocator::bucket_size(512) == 512);
    CHECK(CachingAllocator::bucket_size(513) == 1024);
    CHECK(CachingAllocator::bucket_size(std::size_t(1) << 20) == std::size_t(1) << 20);
    CHECK(CachingAllocator::bucket_size((std::size_t(1) << 20) + 1) == (std::size_t(1) << 20) + (std::size_t(1) << 17));
    for (std::size_t bytes = 1000; bytes < (std::size_t(1) << 34); bytes = bytes * 3 / 2 + 7) {
        std::size_t bucket = CachingAllocator::bucket_size(bytes);
        INFO("bytes " << bytes << " bucket " << bucket);
        CHECK(bucket >= bytes);
        CHECK(bucket - bytes <= std::max<std::size_t>(511, bytes / 8));
    }

    auto first = Memory<Cuda>::allocate(1000);
    void* address = first.get();
    first.reset();
    auto before = cuda::allocator_stats();
    auto second = Memory<Cuda>::allocate(900);  // same 1024-byte bucket
    auto after = cuda::allocator_stats();
    CHECK(second.get() == address);
    CHECK(after.device_mallocs == before.device_mallocs);
    CHECK(after.cache_hits == before.cache_hits + 1);
}

TEST_CASE("a steady-state training step calls cudaMalloc zero times", "[cuda][memory][allocator]") {
    using V = Var<float, Cuda>;
    Generator gen(3);
    nn::Sequential<float, Cuda> model(std::make_shared<nn::Linear<float, Cuda>>(20, 32, gen),
                                      std::make_shared<nn::LeakyReLU<float, Cuda>>(0.2),
                                      std::make_shared<nn::Dropout<float, Cuda>>(0.3, gen),
                                      std::make_shared<nn::Linear<float, Cuda>>(32, 1, gen));
    optim::Adam<float, Cuda> adam(model.parameters(), {.lr = 2e-4, .beta1 = 0.5});
    auto x = Tensor<float, Cuda>::normal({64, 20}, gen);
    auto target = Tensor<float, Cuda>::uniform({64, 1}, gen);
    auto step = [&] {
        adam.zero_grad();
        V loss = bce_with_logits(model(V(x)), target);
        loss.backward();
        adam.step();
        return loss.item();
    };
    step();
    step();
    auto before = cuda::allocator_stats();
    float loss = 0.0f;
    for (int t = 0; t < 5; ++t) loss = step();
    auto after = cuda::allocator_stats();
    INFO("cudaMalloc calls before " << before.device_mallocs << ", after " << after.device_mallocs);
    CHECK(after.device_mallocs == before.device_mallocs);
    CHECK(after.cache_hits > before.cache_hits);
    CHECK(std::isfinite(loss));
}

TEST_CASE("CUDA failures become aigc::Error naming the operation", "[cuda][errors]") {
    auto d = upload(std::vector<float>(4, 0.f));
    // 2048 threads per block is an invalid launch on every GPU.
    CHECK_THROWS_WITH(cuda::launch("fill (deliberately 2048 threads)", cuda::fill_detail::fill_kernel<float>, dim3(1),
                                   dim3(2048), index_t(4), 1.0f, d.data()),
                      Catch::Contains("kernel 'fill (deliberately 2048 threads)'"));
    CudaKernels::fill(4, 3.0f, d.data());  // a bad launch configuration does not poison later work
    check_equal(d.to_vector(), std::vector<float>(4, 3.0f), "fill after a failed launch");

    CHECK_THROWS_WITH(CudaKernels::max_rows(3, 0, d.data(), d.data()), Catch::Contains("max_rows"));
    CHECK_THROWS_WITH(Memory<Cuda>::allocate(std::size_t(1) << 50), Catch::Contains("out of memory"));
    CudaKernels::synchronize();
}

// ---- speed (hidden: run with `test_cuda "[.speed]"`, as scripts/gpu-check.sh does) ------------

namespace {

// Milliseconds per call of `work`, timed with CUDA events on the backend's stream over `reps` calls
// after 3 warm-up calls.
template <class Work>
double milliseconds_per_call(int reps, Work work) {
    for (int i = 0; i < 3; ++i) work();
    cudaEvent_t start, stop;
    cuda::check(cudaEventCreate(&start), "cudaEventCreate");
    cuda::check(cudaEventCreate(&stop), "cudaEventCreate");
    cuda::check(cudaEventRecord(start, cuda::stream()), "cudaEventRecord");
    for (int i = 0; i < reps; ++i) work();
    cuda::check(cudaEventRecord(stop, cuda::stream()), "cudaEventRecord");
    cuda::check(cudaEventSynchronize(stop), "cudaEventSynchronize");
    float total = 0.0f;
    cuda::check(cudaEventElapsedTime(&total, start, stop), "cudaEventElapsedTime");
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    return static_cast<double>(total) / reps;
}

}  // namespace

TEST_CASE("speed of gemm (ours vs cuBLAS), maps, reductions and Adam", "[.speed]") {
    struct Case {
        const char* what;
        bool ta, tb;
        index_t m, n, k;
    };
    // The reference GAN's layers at batch 64 (forward x W^T, dX = G W, dW = G^T X), then squares.
    const std::vector<Case> cases = {{"D fc1 forward  x W^T", false, true, 64, 1024, 784},
                                     {"D fc1 dX       G W", false, false, 64, 784, 1024},
                                     {"D fc1 dW       G^T X", true, false, 1024, 784, 64},
                                     {"G fc3 forward  x W^T", false, true, 64, 1024, 512},
                                     {"square 1024", false, false, 1024, 1024, 1024},
                                     {"square 2048", false, false, 2048, 2048, 2048},
                                     {"square 4096", false, false, 4096, 4096, 4096},
                                     {"square 4096 A^T B^T", true, true, 4096, 4096, 4096},
                                     {"odd 4097x1023x517", false, false, 4097, 1023, 517}};
    std::printf("\n%-24s %6s %6s %6s %12s %12s %8s\n", "gemm", "m", "n", "k", "ours GF/s", "cuBLAS GF/s", "ratio");
    for (const Case& c : cases) {
        Generator gen(1);
        auto a = Tensor<float, Cuda>::normal({c.m * c.k}, gen), b = Tensor<float, Cuda>::normal({c.k * c.n}, gen);
        auto out = Tensor<float, Cuda>::zeros({c.m * c.n});
        double flops = 2.0 * static_cast<double>(c.m) * c.n * c.k;
        int reps = flops > 1e10 ? 10 : 50;
        auto run = [&] {
            CudaKernels::gemm(c.ta, c.tb, c.m, c.n, c.k, 1.0f, a.data(), b.data(), 0.0f, out.data());
        };
        double ours = milliseconds_per_call(reps, run), theirs = 0.0;
        {
            UseCublas cublas;
            theirs = milliseconds_per_call(reps, run);
        }
        std::printf("%-24s %6lld %6lld %6lld %12.0f %12.0f %8.2f\n", c.what, static_cast<long long>(c.m),
                    static_cast<long long>(c.n), static_cast<long long>(c.k), flops / ours * 1e-6,
                    flops / theirs * 1e-6, theirs / ours);
    }

    // Memory-bound kernels: effective bandwidth = bytes read + written per call / time.
    const index_t rows = 4096, cols = 4096, n = rows * cols;
    Generator gen(2);
    auto x = Tensor<float, Cuda>::normal({rows, cols}, gen), y = Tensor<float, Cuda>::normal({rows, cols}, gen);
    auto bias = Tensor<float, Cuda>::normal({cols}, gen), out = Tensor<float, Cuda>::zeros({rows, cols});
    auto col_out = Tensor<float, Cuda>::zeros({cols}), row_out = Tensor<float, Cuda>::zeros({rows});
    auto scalar = Tensor<float, Cuda>::zeros({1});
    auto m = Tensor<float, Cuda>::zeros({rows, cols}), v = Tensor<float, Cuda>::zeros({rows, cols});
    double bytes = static_cast<double>(n) * sizeof(float);
    struct Bandwidth {
        const char* what;
        double bytes;
        std::function<void()> work;
    };
    std::vector<ParamSlot<float>> slots = {{x.data(), y.data(), m.data(), v.data(), nullptr, n}};
    AdamUpdate<float> adam{.beta1 = 0.9f, .one_minus_beta1 = 0.1f, .beta2 = 0.999f, .one_minus_beta2 = 0.001f,
                           .eps = 1e-8f, .weight_decay = 0.0f, .decay = 1.0f, .step_size = 1e-3f,
                           .bias_correction2_sqrt = 1.0f};
    const std::vector<Bandwidth> kernels = {
        {"transform add (dense)", 3 * bytes,
         [&] { CudaKernels::transform(rows, cols, fn::Add{}, out.data(), x.in(), y.in(), false); }},
        {"transform + row bias", 2 * bytes,
         [&] {
             CudaKernels::transform(rows, cols, fn::Add{}, out.data(), x.in(), In<float>::row(bias.data()), false);
         }},
        {"bce_with_logits_grad (3 in)", 4 * bytes,
         [&] {
             CudaKernels::transform(rows, cols, fn::BceWithLogitsGrad{}, out.data(), x.in(), y.in(), x.in(), true);
         }},
        {"sum_rows", bytes, [&] { CudaKernels::sum_rows(rows, cols, x.data(), row_out.data(), false); }},
        {"sum_cols", bytes, [&] { CudaKernels::sum_cols(rows, cols, x.data(), col_out.data(), false); }},
        {"sum_all", bytes, [&] { CudaKernels::sum_all(n, x.data(), scalar.data(), false); }},
        {"fill_normal", bytes, [&] { CudaKernels::fill_normal(n, RandomStream{1, 0}, 0.0f, 1.0f, out.data()); }},
        {"apply_update Adam (16.8M params)", 7 * bytes, [&] { CudaKernels::apply_update<float>(slots, adam); }},
    };
    std::printf("\n%-32s %10s %10s\n", "memory-bound kernel", "ms", "GB/s");
    for (const Bandwidth& k : kernels) {
        double ms = milliseconds_per_call(20, k.work);
        std::printf("%-32s %10.3f %10.0f\n", k.what, ms, k.bytes / ms * 1e-6);
    }
    std::fflush(stdout);
}

// ---- autograd on both devices ----------------------------------------------------------------

namespace {

// x[i] = sin(0.37 i + phase): deterministic inputs without sharing a generator between devices.
std::vector<float> wave(index_t n, float phase, float scale = 1.0f, float shift = 0.0f) {
    std::vector<float> v(static_cast<std::size_t>(n));
    for (index_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = shift + scale * std::sin(0.37f * i + phase);
    return v;
}

template <class D>
Tensor<float, D> make(const Shape& shape, const std::vector<float>& values) {
    return Tensor<float, Cpu>::from_vector(shape, values).template to<D>();
}

// Weights drawn once on the CPU (same seed for both runs), moved to device D.
template <class D>
Var<float, D> weight(const Shape& shape, std::uint64_t seed, float stddev) {
    Generator gen(seed);
    return parameter(Tensor<float, Cpu>::normal(shape, gen, 0.0f, stddev).template to<D>());
}

// Adam with the GAN article's settings (lr 1e-3 here so the steps are visible, beta1 0.5).
template <class D>
optim::Adam<float, D> adam(std::vector<Var<float, D>> params) {
    return optim::Adam<float, D>(std::move(params), {.lr = 1e-3, .beta1 = 0.5});
}

struct Observed {
    std::vector<float> losses;
    std::vector<std::vector<float>> tensors;  // gradients or weights, in a fixed order
};

void compare(const Observed& cuda, const Observed& cpu, double tensor_atol, double tensor_rtol, const std::string& what) {
    check_close(cuda.losses, cpu.losses, 0.0, 1e-5, what + " losses");
    REQUIRE(cuda.tensors.size() == cpu.tensors.size());
    for (std::size_t i = 0; i < cpu.tensors.size(); ++i)
        check_close(cuda.tensors[i], cpu.tensors[i], tensor_atol, tensor_rtol, what + " tensor " + std::to_string(i));
}

// ---- one layer stack, forward and backward --------------------------------------------------

template <class D>
Observed linear_leaky_bce() {
    using V = Var<float, D>;
    const index_t batch = 64, in = 100, hidden = 33;
    V x(make<D>({batch, in}, wave(batch * in, 0.1f)), true);
    V w1 = weight<D>({hidden, in}, 1, 0.1f), b1 = weight<D>({hidden}, 2, 0.1f);
    V w2 = weight<D>({1, hidden}, 3, 0.2f), b2 = weight<D>({1}, 4, 0.1f);
    auto target = make<D>({batch, 1}, wave(batch, 0.7f, 0.5f, 0.5f));
    V loss = bce_with_logits(linear(leaky_relu(linear(x, w1, b1), 0.2f), w2, b2), target);
    loss.backward();
    return {{loss.item()},
            {x.grad().to_vector(), w1.grad().to_vector(), b1.grad().to_vector(), w2.grad().to_vector(),
             b2.grad().to_vector()}};
}

template <class D>
Observed cross_entropy_and_broadcasts() {
    using V = Var<float, D>;
    const index_t batch = 13, classes = 10;
    V logits(make<D>({batch, classes}, wave(batch * classes, 0.3f, 3.0f)), true);
    std::vector<int> labels;
    for (index_t i = 0; i < batch; ++i) labels.push_back(static_cast<int>((i * 7) % classes));
    V ce = cross_entropy(logits, labels);
    // centred rows: (x - mean over the row) squared, summed; exercises column broadcasts and sum_rows
    V centred = logits - mean(logits, 1, true);
    V spread = sum(square(centred)) / static_cast<float>(batch * classes);
    V total = ce + spread;
    total.backward();
    return {{ce.item(), spread.item()}, {logits.grad().to_vector()}};
}

template <class D>
Observed concat_and_slices() {
    using V = Var<float, D>;
    const index_t batch = 17;
    V z(make<D>({batch, 7}, wave(batch * 7, 0.2f)), true);
    V label(make<D>({batch, 3}, wave(batch * 3, 0.9f)), true);
    V w = weight<D>({5, 10}, 11, 0.3f);
    V joined = concat<float, D>({z, label});
    V out = linear(joined, w);
    V picked = slice_cols(out, 1, 3);
    V loss = sum(tanh(picked));
    loss.backward();
    return {{loss.item()}, {z.grad().to_vector(), label.grad().to_vector(), w.grad().to_vector()}};
}

// ---- a GAN step: D on real and detached fakes, then G through D ----------------------------

// The reference GAN's shape in miniature: LeakyReLU(0.2), Dropout(0.3) in D, Tanh out of G, D's
// sigmoid folded into bce_with_logits. nn::Linear draws its weights from the generator with a
// uniform fill, so both devices start from identical weights.
template <class D>
Observed gan_steps() {
    using V = Var<float, D>;
    using namespace nn;
    const index_t batch = 32, latent = 8, hidden = 16, features = 12;
    Generator init(5), dropout_gen(123), noise(99);
    Sequential<float, D> generator(std::make_shared<Linear<float, D>>(latent, hidden, init),
                                   std::make_shared<LeakyReLU<float, D>>(0.2),
                                   std::make_shared<Linear<float, D>>(hidden, features, init),
                                   std::make_shared<Tanh<float, D>>());
    Sequential<float, D> discriminator(std::make_shared<Linear<float, D>>(features, hidden, init),
                                       std::make_shared<LeakyReLU<float, D>>(0.2),
                                       std::make_shared<Dropout<float, D>>(0.3, dropout_gen),
                                       std::make_shared<Linear<float, D>>(hidden, 1, init));
    auto g_opt = adam<D>(generator.parameters());
    auto d_opt = adam<D>(discriminator.parameters());
    auto real = make<D>({batch, features}, wave(batch * features, 0.5f, 0.9f));
    auto ones = Tensor<float, D>::ones({batch, 1}), zeros = Tensor<float, D>::zeros({batch, 1});
    Observed seen;
    for (int iteration = 0; iteration < 2; ++iteration) {
        V z(Tensor<float, D>::normal({batch, latent}, noise));
        V fake = generator(z);
        d_opt.zero_grad();
        V d_loss = bce_with_logits(discriminator(V(real)), ones) + bce_with_logits(discriminator(fake.detach()), zeros);
        d_loss.backward();
        d_opt.step();

        g_opt.zero_grad();
        V g_loss = bce_with_logits(discriminator(generator(z)), ones);
        g_loss.backward();
        g_opt.step();
        seen.losses.push_back(d_loss.item());
        seen.losses.push_back(g_loss.item());
    }
    for (auto& p : generator.parameters()) seen.tensors.push_back(p.value().to_vector());
    for (auto& p : discriminator.parameters()) seen.tensors.push_back(p.value().to_vector());
    return seen;
}

// ---- a VAE step: reparameterised sample, Bernoulli decoder, BCE(sum) + KL ------------------

template <class D>
Observed vae_steps() {
    using V = Var<float, D>;
    const index_t batch = 24, features = 20, hidden = 16, latent = 4;
    std::vector<V> params = {weight<D>({hidden, features}, 31, 0.3f), weight<D>({hidden}, 32, 0.1f),
                             weight<D>({2 * latent, hidden}, 33, 0.3f), weight<D>({2 * latent}, 34, 0.1f),
                             weight<D>({hidden, latent}, 35, 0.3f), weight<D>({hidden}, 36, 0.1f),
                             weight<D>({features, hidden}, 37, 0.3f), weight<D>({features}, 38, 0.1f)};
    auto opt = adam<D>(params);
    Generator noise(7);
    auto x = make<D>({batch, features}, wave(batch * features, 0.4f, 0.5f, 0.5f));  // pixels in [0, 1]
    Observed seen;
    for (int iteration = 0; iteration < 2; ++iteration) {
        opt.zero_grad();
        V h = leaky_relu(linear(V(x), params[0], params[1]), 0.2f);
        V stats = linear(h, params[2], params[3]);
        V mu = slice_cols(stats, 0, latent), logvar = slice_cols(stats, latent, latent);
        V eps(Tensor<float, D>::normal({batch, latent}, noise));
        V z = mu + exp(logvar * 0.5f) * eps;  // z = mu + sigma * eps
        V logits = linear(leaky_relu(linear(z, params[4], params[5]), 0.2f), params[6], params[7]);
        V loss = (bce_with_logits(logits, x, Reduction::sum) + gaussian_kl(mu, logvar)) / static_cast<float>(batch);
        loss.backward();
        opt.step();
        seen.losses.push_back(loss.item());
    }
    for (auto& p : params) seen.tensors.push_back(p.value().to_vector());
    return seen;
}

// ---- second order: a WGAN-GP critic step with R1, and the ops built for it -------------------
// 17 x 23 inputs: awkward sizes for the transposes, the axis sums and the strided copies.

template <class D>
Observed critic_penalty_steps() {
    using V = Var<float, D>;
    const index_t batch = 17, in = 23, hidden = 9;
    V w1 = weight<D>({hidden, in}, 41, 0.3f), b1 = weight<D>({hidden}, 42, 0.1f);
    V w2 = weight<D>({1, hidden}, 43, 0.3f), b2 = weight<D>({1}, 44, 0.1f);
    auto opt = adam<D>({w1, b1, w2, b2});
    auto critic = [&](const V& x) { return linear(tanh(linear(x, w1, b1)), w2, b2); };
    Observed seen;
    for (int iteration = 0; iteration < 2; ++iteration) {
        V real(make<D>({batch, in}, wave(batch * in, 0.3f + iteration)), true);
        V fake(make<D>({batch, in}, wave(batch * in, 1.1f + iteration, 0.5f)));
        V slope = grad(sum(critic(real)), {real}, {.create_graph = true})[0];
        V penalty = mean(square(sqrt(sum(square(slope), 1) + 1e-12f) - 1.0f));
        V spread = logsumexp(concat({slope, transpose(transpose(slope))}, 0), 0) * 0.01f;
        V loss = mean(critic(fake)) - mean(critic(real)) + penalty * 10.0f + mean(clamp(spread, -1.0f, 1.0f)) +
                 mean(maximum(slope, abs(slope) * 0.5f)) + mean(var(slope, 1));
        opt.zero_grad();
        loss.backward();
        seen.tensors.push_back(w1.grad().to_vector());
        seen.tensors.push_back(w2.grad().to_vector());
        opt.step();
        seen.losses.push_back(loss.item());
    }
    for (const V& p : {w1, b1, w2, b2}) seen.tensors.push_back(p.value().to_vector());
    return seen;
}

}  // namespace

TEST_CASE("linear, leaky_relu and bce_with_logits: forward and backward agree on both devices",
          "[cuda][autograd][linear][leaky_relu][bce_with_logits]") {
    compare(linear_leaky_bce<Cuda>(), linear_leaky_bce<Cpu>(), 2e-6, 1e-4, "linear+leaky_relu+bce_with_logits");
}

TEST_CASE("cross_entropy and row broadcasts agree on both devices", "[cuda][autograd][cross_entropy][broadcast]") {
    compare(cross_entropy_and_broadcasts<Cuda>(), cross_entropy_and_broadcasts<Cpu>(), 2e-6, 1e-4,
            "cross_entropy + centred rows");
}

TEST_CASE("concat and slice_cols route gradients the same way on both devices",
          "[cuda][autograd][concat][slice_cols]") {
    compare(concat_and_slices<Cuda>(), concat_and_slices<Cpu>(), 2e-6, 1e-4, "concat + slice_cols");
}

TEST_CASE("two GAN steps (D, then G through D) give the same losses and weights on both devices",
          "[cuda][autograd][gan]") {
    compare(gan_steps<Cuda>(), gan_steps<Cpu>(), 1e-5, 0.0, "GAN steps");
}

TEST_CASE("two VAE steps give the same losses and weights on both devices", "[cuda][autograd][vae]") {
    compare(vae_steps<Cuda>(), vae_steps<Cpu>(), 1e-5, 0.0, "VAE steps");
}

TEST_CASE("a gradient penalty (second order) and the ops around it agree on both devices",
          "[cuda][autograd][grad][create_graph]") {
    compare(critic_penalty_steps<Cuda>(), critic_penalty_steps<Cpu>(), 1e-5, 1e-4, "critic steps with penalties");
}

