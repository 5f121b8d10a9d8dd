// examples/gan_mnist_cuda.cu compiled as C++ against the CUDA emulator.
#include "gan_mnist_cuda.cu"
