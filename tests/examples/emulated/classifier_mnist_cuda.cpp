// examples/classifier_mnist_cuda.cu compiled as C++ against the CUDA emulator.
#include "classifier_mnist_cuda.cu"
