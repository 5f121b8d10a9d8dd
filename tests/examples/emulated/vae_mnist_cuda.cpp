// examples/vae_mnist_cuda.cu compiled as C++ against the CUDA emulator.
#include "vae_mnist_cuda.cu"
