// compare_weights A.safetensors B.safetensors TOLERANCE: how close two runs' tensors are. For
// each tensor, the largest difference relative to the tensor's largest magnitude in A; prints
// one line per tensor and the worst, and exits 1 when a model weight (not optimizer state) is
// further apart than TOLERANCE or the two files hold different tensors.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <string>

#include <aigc/all.hpp>

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: compare_weights A.safetensors B.safetensors TOLERANCE\n";
        return 2;
    }
    try {
        const auto a = aigc::io::load_safetensors<float>(argv[1]);
        const auto b = aigc::io::load_safetensors<float>(argv[2]);
        const double tolerance = std::strtod(argv[3], nullptr);
        if (a.size() != b.size()) {
            std::cerr << "compare_weights: " << a.size() << " tensors against " << b.size() << "\n";
            return 1;
        }
        double worst_weight = 0;
        std::size_t bitwise = 0;
        for (std::size_t i = 0; i < a.size(); ++i) {
            const auto& [name, ta] = a[i];
            const auto& [name_b, tb] = b[i];
            if (name != name_b || ta.shape() != tb.shape()) {
                std::cerr << "compare_weights: tensor " << i << " is " << name << " " << ta.shape() << " against "
                          << name_b << " " << tb.shape() << "\n";
                return 1;
            }
            const auto va = ta.to_vector(), vb = tb.to_vector();
            double scale = 0, diff = 0;
            for (std::size_t j = 0; j < va.size(); ++j) {
                scale = std::max(scale, std::abs(double(va[j])));
                diff = std::max(diff, std::abs(double(va[j]) - double(vb[j])));
            }
            const double relative = scale > 0 ? diff / scale : diff;
            const bool optimizer = name.rfind("opt", 0) == 0 || name.find(".opt") != std::string::npos ||
                                   name.rfind("optimizer.", 0) == 0;
            if (!optimizer) worst_weight = std::max(worst_weight, relative);
            bitwise += va == vb;
            std::cout << name << " " << relative << (optimizer ? " (optimizer state)" : "") << "\n";
        }
        std::cout << "worst weight difference: " << worst_weight << " of the tensor's largest magnitude (tolerance "
                  << tolerance << "); " << bitwise << " of " << a.size() << " tensors bit-identical\n";
        return worst_weight <= tolerance ? 0 : 1;
    } catch (const aigc::Error& e) {
        std::cerr << "compare_weights: " << e.what() << "\n";
        return 1;
    }
}
