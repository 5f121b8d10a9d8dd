#pragma once
// The layers of the two reference models (DESIGN.md), as (in, out) feature counts: every GEMM a
// training step runs is one of three products of such a layer at some batch size b.
//   forward    y = x W^T    [b, in] x [out, in]^T -> [b, out]
//   grad_input dx = G W     [b, out] x [out, in]  -> [b, in]
//   grad_weight dW = G^T x  [b, out]^T x [b, in]  -> [out, in]
// The GAN's D step runs D on real and fake images stacked, i.e. at batch 2b.
#include <string>
#include <vector>

#include <aigc/core/shape.hpp>

namespace aigc::bench {

struct Layer {
    std::string name;  // e.g. "gan.D.0" (the PyTorch state_dict prefix)
    index_t in, out;
};

inline std::vector<Layer> model_layers() {
    return {
        {"gan.G.0", 100, 256},  {"gan.G.2", 256, 512},  {"gan.G.4", 512, 1024}, {"gan.G.6", 1024, 784},
        {"gan.D.0", 784, 1024}, {"gan.D.3", 1024, 512}, {"gan.D.6", 512, 256},  {"gan.D.9", 256, 1},
        {"vae.fc1", 784, 400},  {"vae.fc21", 400, 20},  {"vae.fc3", 20, 400},   {"vae.fc4", 400, 784},
    };
}

enum class Product { forward, grad_input, grad_weight };

inline const char* product_name(Product p) {
    switch (p) {
        case Product::forward: return "forward";
        case Product::grad_input: return "grad_input";
        case Product::grad_weight: return "grad_weight";
    }
    return "?";
}

// Arguments of Kernels<D>::gemm(trans_a, trans_b, m, n, k, ...) for a layer's product.
struct GemmShape {
    bool trans_a, trans_b;
    index_t m, n, k;
    double flops() const { return 2.0 * double(m) * double(n) * double(k); }
};

inline GemmShape gemm_shape(const Layer& l, Product p, index_t batch) {
    switch (p) {
        case Product::forward: return {false, true, batch, l.out, l.in};
        case Product::grad_input: return {false, false, batch, l.in, l.out};
        case Product::grad_weight: return {true, false, l.out, l.in, batch};
    }
    return {};
}

}  // namespace aigc::bench
