// Writes into a tensor's storage after the tensor is gone. The caching allocator keeps the block
// for reuse instead of freeing it, so AddressSanitizer only sees this use after free because the
// allocator poisons cached blocks. Built and run only under -fsanitize=address, where CTest expects
// the report; printing "not reported" means the poisoning is gone (or a build mixes instrumented
// and uninstrumented allocator code, the bug this guards).
#include <aigc/cpu.hpp>

#include <cstdio>

int main() {
    float* storage = nullptr;
    {
        aigc::Tensor<float, aigc::Cpu> released(aigc::Shape{16});
        storage = released.data();
    }
    volatile float* stale = storage;
    stale[1] = 2.0f;
    std::puts("not reported: a write into a cached block went unnoticed");
    return 0;
}
