// A WGAN-GP on MNIST in one file (Gulrajani et al. 2017): a critic with no sigmoid, five critic
// steps per generator step, and a penalty that keeps the critic's gradient norm near 1 on random
// points between real and fake images. The penalty is a gradient of the critic by its input,
// built with aigc::grad(..., {.create_graph = true}) so that the critic's step differentiates it.
//
//   build/examples/wgan_gp data/mnist 3000 wgan.png    # data folder, generator steps, output grid
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <aigc/aigc.hpp>
#include <aigc/data/data.hpp>
#include <aigc/io/io.hpp>

using namespace aigc;
using V = Var<float>;
using Tn = Tensor<float>;

// 100-256-512-784 with LeakyReLU(0.2) and a tanh out (images in [-1, 1]).
std::shared_ptr<nn::Sequential<float>> make_generator(Generator& gen) {
    return std::make_shared<nn::Sequential<float>>(
        std::make_shared<nn::Linear<float>>(100, 256, gen), std::make_shared<nn::LeakyReLU<float>>(0.2f),
        std::make_shared<nn::Linear<float>>(256, 512, gen), std::make_shared<nn::LeakyReLU<float>>(0.2f),
        std::make_shared<nn::Linear<float>>(512, 784, gen), std::make_shared<nn::Tanh<float>>());
}

// 784-512-256-1: a score, not a probability (no sigmoid, no dropout, no batch norm -- the penalty
// is per sample, and batch norm would mix samples).
std::shared_ptr<nn::Sequential<float>> make_critic(Generator& gen) {
    return std::make_shared<nn::Sequential<float>>(
        std::make_shared<nn::Linear<float>>(784, 512, gen), std::make_shared<nn::LeakyReLU<float>>(0.2f),
        std::make_shared<nn::Linear<float>>(512, 256, gen), std::make_shared<nn::LeakyReLU<float>>(0.2f),
        std::make_shared<nn::Linear<float>>(256, 1, gen));
}

// lambda E (|grad critic(x_hat)|_2 - 1)^2 with x_hat = e real + (1 - e) fake, e ~ U(0, 1] per image.
V gradient_penalty(nn::Sequential<float>& critic, const Tn& real, const Tn& fake, Generator& gen) {
    V e(Tn::uniform({real.shape()[0], 1}, gen));
    V between((e * V(real) + (1.0f - e) * V(fake)).value(), true);  // a leaf: differentiate by it
    V slope = grad(sum(critic(between)), {between}, {.create_graph = true})[0];
    V norm = sqrt(sum(square(slope), 1) + 1e-12f);  // the epsilon keeps sqrt' finite at 0
    return mean(square(norm - 1.0f)) * 10.0f;
}

int main(int argc, char** argv) {
    const char* data_dir = argc > 1 ? argv[1] : "data/mnist";
    const int generator_steps = argc > 2 ? std::atoi(argv[2]) : 3000;
    const char* grid_path = argc > 3 ? argv[3] : "wgan_gp.png";
    const int critic_steps = 5, batch = 64;
    try {
        Generator gen(1);
        auto train = data::Mnist::load(data_dir, data::Split::train);
        data::DataLoader<float> loader(train, {.batch_size = batch, .drop_last = true, .scale = data::PixelScale::symmetric},
                                       Generator(2));
        auto G = make_generator(gen);
        auto critic = make_critic(gen);
        // The paper's Adam: lr 1e-4, beta1 0, beta2 0.9.
        optim::Adam<float> opt_g(G->parameters(), {.lr = 1e-4, .beta1 = 0.0, .beta2 = 0.9});
        optim::Adam<float> opt_c(critic->parameters(), {.lr = 1e-4, .beta1 = 0.0, .beta2 = 0.9});

        auto batches = loader.begin();
        auto next_real = [&]() -> Tn {
            if (batches == loader.end()) batches = loader.begin();  // a new epoch, reshuffled
            Tn images = (*batches).images;
            ++batches;
            return images;
        };
        for (int step = 1; step <= generator_steps; ++step) {
            V critic_loss;
            for (int k = 0; k < critic_steps; ++k) {
                Tn real = next_real();
                Tn fake = [&] {
                    NoGrad no_grad;  // the critic's step does not train G
                    return (*G)(V(Tn::normal({batch, 100}, gen))).value();
                }();
                // Wasserstein estimate E critic(fake) - E critic(real), plus the penalty.
                critic_loss = mean((*critic)(V(fake))) - mean((*critic)(V(real))) +
                              gradient_penalty(*critic, real, fake, gen);
                opt_c.zero_grad(true);
                critic_loss.backward();
                opt_c.step();
            }
            critic->set_requires_grad(false);  // G's step: no gradients for the critic's weights
            V g_loss = -mean((*critic)((*G)(V(Tn::normal({batch, 100}, gen)))));
            opt_g.zero_grad(true);
            g_loss.backward();
            opt_g.step();
            critic->set_requires_grad(true);
            if (step % 100 == 0 || step == generator_steps)
                std::printf("step %d  critic %.4f  generator %.4f\n", step, critic_loss.item(), g_loss.item());
        }
        NoGrad no_grad;
        Generator grid_gen(3);
        io::write_image_grid(grid_path, (*G)(V(Tn::normal({64, 100}, grid_gen))).value());
        std::printf("samples: %s\n", grid_path);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "wgan_gp: %s\n", e.what());
        return 1;
    }
}
