// A beta-VAE on MNIST in one file (Higgins et al. 2017) with KL warm-up (Bowman et al. 2016):
// the KL term's weight rises linearly from 0 to beta over the first steps, so the decoder learns
// to use the latent code before the prior pulls it in. Afterwards it decodes a straight line
// between the codes of two test images: a strip of ten images from one digit to the other.
//
//   build/examples/beta_vae data/mnist 5000 4.0 strip.png   # data, steps, beta, output strip
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include <aigc/aigc.hpp>
#include <aigc/data/data.hpp>
#include <aigc/io/io.hpp>

using namespace aigc;
using V = Var<float>;
using Tn = Tensor<float>;

constexpr index_t latent = 10;

struct BetaVae {
    explicit BetaVae(Generator& gen)
        : encoder(std::make_shared<nn::Linear<float>>(784, 400, gen), std::make_shared<nn::ReLU<float>>(),
                  std::make_shared<nn::Linear<float>>(400, 2 * latent, gen)),  // [mu, logvar]
          decoder(std::make_shared<nn::Linear<float>>(latent, 400, gen), std::make_shared<nn::ReLU<float>>(),
                  std::make_shared<nn::Linear<float>>(400, 784, gen)) {}  // Bernoulli logits

    std::vector<V> parameters() const {
        std::vector<V> all = encoder.parameters(), more = decoder.parameters();
        all.insert(all.end(), more.begin(), more.end());
        return all;
    }
    std::pair<V, V> encode(const V& x) {
        V stats = encoder(x);
        return {slice(stats, 1, 0, latent), slice(stats, 1, latent, latent)};
    }
    nn::Sequential<float> encoder, decoder;
};

int main(int argc, char** argv) {
    const char* data_dir = argc > 1 ? argv[1] : "data/mnist";
    const int steps = argc > 2 ? std::atoi(argv[2]) : 5000;
    const float beta = argc > 3 ? static_cast<float>(std::atof(argv[3])) : 4.0f;
    const char* strip_path = argc > 4 ? argv[4] : "beta_vae_strip.png";
    const int warmup = std::max(1, steps / 5);  // KL weight 0 -> beta over the first fifth
    const index_t batch = 128;
    try {
        Generator gen(1);
        auto train = data::Mnist::load(data_dir, data::Split::train);
        auto test = data::Mnist::load(data_dir, data::Split::test);
        data::DataLoader<float> loader(train, {.batch_size = batch, .drop_last = true}, Generator(2));
        BetaVae vae(gen);
        optim::Adam<float> opt(vae.parameters(), {.lr = 1e-3});

        int step = 0;
        while (step < steps) {
            for (auto& b : loader) {
                if (++step > steps) break;
                V x(b.images);
                auto [mu, logvar] = vae.encode(x);
                V z = mu + exp(logvar * 0.5f) * V(Tn::normal(mu.shape(), gen));  // reparameterised
                V reconstruction = bce_with_logits(vae.decoder(z), b.images, Reduction::sum);
                V kl = gaussian_kl(mu, logvar);
                const float weight = beta * std::min(1.0f, static_cast<float>(step) / static_cast<float>(warmup));
                V loss = (reconstruction + kl * weight) / static_cast<float>(batch);
                opt.zero_grad(true);
                loss.backward();
                opt.step();
                if (step % 500 == 0 || step == steps)
                    std::printf("step %d  kl weight %.2f  reconstruction %.2f  kl %.2f (nats per image)\n", step,
                                weight, reconstruction.item() / batch, kl.item() / batch);
            }
        }
        // Interpolate between the codes (means) of the first two test images of different digits.
        NoGrad no_grad;
        data::DataLoader<float> test_loader(test, {.batch_size = 64, .shuffle = false}, Generator(3));
        auto first = *test_loader.begin();
        std::size_t other = 1;
        while (other < first.labels.size() && first.labels[other] == first.labels[0]) ++other;
        Tn codes = vae.encode(V(first.images)).first.value();
        const float* from = codes.data();
        const float* to = codes.data() + static_cast<index_t>(other) * latent;
        std::vector<float> line;
        for (int i = 0; i < 10; ++i)
            for (index_t k = 0; k < latent; ++k) line.push_back(from[k] + (to[k] - from[k]) * static_cast<float>(i) / 9.0f);
        Tn images = sigmoid(vae.decoder(V(Tn::from_vector({10, latent}, line)))).value();
        io::write_image_grid(strip_path, images, {.columns = 10, .scale = data::PixelScale::unit});
        std::printf("interpolation from a %d to a %d: %s\n", first.labels[0], first.labels[other], strip_path);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "beta_vae: %s\n", e.what());
        return 1;
    }
}
