// The CPU caching allocator (cpu/allocator.hpp): freed tensor storage is reused by size
// bucket, so steady-state training steps of the reference GAN and VAE reach the system allocator
// zero times (cpu::allocator_stats().system_allocations stays constant) and hold no more memory
// after a step than before it.
#include <catch2/catch.hpp>

#include <aigc/models/gan.hpp>
#include <aigc/models/vae.hpp>

using namespace aigc;
using Tn = Tensor<float, Cpu>;

namespace {

Tn pixels(index_t batch, index_t features, bool symmetric) {
    std::vector<float> values(static_cast<std::size_t>(batch * features));
    for (std::size_t i = 0; i < values.size(); ++i) {
        float s = float(std::sin(0.37 * double(i) + 0.1));
        values[i] = symmetric ? s : 0.5f + 0.5f * s;
    }
    return Tn::from_vector(Shape{batch, features}, values);
}

// Runs `step` `count` times after `warmup` steps; returns the allocator's counters around them.
template <class Step>
std::pair<cpu::AllocatorStats, cpu::AllocatorStats> steady_state(Step step, int warmup, int count) {
    for (int i = 0; i < warmup; ++i) step();
    cpu::AllocatorStats before = cpu::allocator_stats();
    for (int i = 0; i < count; ++i) step();
    return {before, cpu::allocator_stats()};
}

}  // namespace

TEST_CASE("allocator: bucket sizes round up by at most 12.5% and stay 64-byte multiples", "[allocator]") {
    using A = cpu::CachingAllocator;
    CHECK(A::bucket_size(1) == 64);
    CHECK(A::bucket_size(64) == 64);
    CHECK(A::bucket_size(65) == 128);
    CHECK(A::bucket_size(4096) == 4096);
    CHECK(A::bucket_size(4097) == 4096 + 512);
    CHECK(A::bucket_size(64 * 1024 * 4) == 64 * 1024 * 4);  // a [64, 1024] float tensor: exact
    for (std::size_t bytes : {100ul, 5000ul, 200704ul, 3211264ul, 12345678ul}) {
        std::size_t bucket = A::bucket_size(bytes);
        INFO(bytes << " bytes -> bucket " << bucket);
        CHECK(bucket >= bytes);
        CHECK(bucket % 64 == 0);
        CHECK(double(bucket) <= double(bytes) * 1.125 + 64);
    }
}

TEST_CASE("allocator: freed storage is reused, counted, and returned by empty_cache", "[allocator]") {
    cpu::AllocatorStats start = cpu::allocator_stats();
    const Shape odd{7, 1231};  // a bucket no other test uses
    const float* first_address = nullptr;
    {
        Tn a(odd);
        first_address = a.data();
        CHECK(reinterpret_cast<std::uintptr_t>(a.data()) % 64 == 0);
    }
    cpu::AllocatorStats after_first = cpu::allocator_stats();
    CHECK(after_first.system_allocations == start.system_allocations + 1);
    {
        Tn b(odd);  // same bucket: served from the cache, same block
        CHECK(b.data() == first_address);
        cpu::AllocatorStats during = cpu::allocator_stats();
        CHECK(during.system_allocations == after_first.system_allocations);
        CHECK(during.cache_hits == after_first.cache_hits + 1);
        CHECK(during.bytes_in_use >= after_first.bytes_in_use + 7 * 1231 * sizeof(float));
        Tn c(odd);  // the cached block is taken: a real allocation
        CHECK(cpu::allocator_stats().system_allocations == after_first.system_allocations + 1);
    }
    CHECK(cpu::allocator_stats().bytes_in_use == after_first.bytes_in_use);
    cpu::empty_cache();
    cpu::AllocatorStats emptied = cpu::allocator_stats();
    CHECK(emptied.bytes_reserved == emptied.bytes_in_use);
    CHECK(emptied.system_frees >= start.system_frees + 2);
    Tn d(odd);  // nothing cached any more
    CHECK(cpu::allocator_stats().system_allocations == emptied.system_allocations + 1);
}

TEST_CASE("GAN: steady-state training steps allocate nothing from the system", "[models][gan][allocator]") {
    for (int threads : {1, 2}) {
        INFO(threads << " threads");
        int saved = num_threads();
        set_num_threads(threads);
        Generator gen(7);
        models::Gan<float> gan({}, gen);  // the seed GAN: 100-256-512-1024-784 and 784-1024-512-256-1
        Tn real = pixels(32, 784, true);
        auto [before, after] = steady_state([&] { gan.train_step(real, gen); }, 2, 4);
        CHECK(after.system_allocations == before.system_allocations);
        CHECK(after.cache_hits > before.cache_hits + 4 * 50);  // every step does take tensors from the cache
        CHECK(after.bytes_in_use == before.bytes_in_use);       // and gives them all back
        set_num_threads(saved);
    }
}

TEST_CASE("VAE: steady-state training steps allocate nothing from the system", "[models][vae][allocator]") {
    for (int threads : {1, 2}) {
        INFO(threads << " threads");
        int saved = num_threads();
        set_num_threads(threads);
        Generator gen(7);
        models::VaeTrainer<float> vae({}, gen);  // PyTorch's examples/vae: 784-400-20-400-784
        Tn x = pixels(32, 784, false);
        auto [before, after] = steady_state([&] { vae.train_step(x, gen); }, 2, 4);
        CHECK(after.system_allocations == before.system_allocations);
        CHECK(after.cache_hits > before.cache_hits + 4 * 30);
        CHECK(after.bytes_in_use == before.bytes_in_use);
        set_num_threads(saved);
    }
}

TEST_CASE("allocator: a batch of a new size allocates once, then is steady again", "[models][vae][allocator]") {
    Generator gen(3);
    models::VaeTrainer<float> vae({}, gen);
    Tn small = pixels(16, 784, false), large = pixels(48, 784, false);
    auto [warm_before, warm_after] = steady_state([&] { vae.train_step(small, gen); }, 2, 3);
    CHECK(warm_after.system_allocations == warm_before.system_allocations);
    // The first steps at a larger batch need bigger activations: real allocations...
    cpu::AllocatorStats before_large = cpu::allocator_stats();
    vae.train_step(large, gen);
    CHECK(cpu::allocator_stats().system_allocations > before_large.system_allocations);
    // ...after which alternating batch sizes finds every bucket cached.
    auto [mixed_before, mixed_after] = steady_state(
        [&] {
            vae.train_step(large, gen);
            vae.train_step(small, gen);
        },
        1, 3);
    CHECK(mixed_after.system_allocations == mixed_before.system_allocations);
}
