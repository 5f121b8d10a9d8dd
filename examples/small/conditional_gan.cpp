// A conditional GAN on MNIST in one file (Mirza & Osindero 2014): the digit's label, one-hot,
// is concatenated to the generator's noise and to the discriminator's image, so G learns to draw
// the digit it is asked for. The result is a class grid: row k holds ten samples of digit k.
//
//   build/examples/conditional_gan data/mnist 3000 cgan.png   # data folder, steps, output grid
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

constexpr index_t latent = 100, classes = 10;

std::shared_ptr<nn::Sequential<float>> mlp(Generator& gen, index_t in, index_t out, bool tanh_out) {
    auto net = std::make_shared<nn::Sequential<float>>();
    for (index_t width : {256, 512}) {
        net->push_back(std::make_shared<nn::Linear<float>>(in, width, gen));
        net->push_back(std::make_shared<nn::LeakyReLU<float>>(0.2f));
        in = width;
    }
    net->push_back(std::make_shared<nn::Linear<float>>(in, out, gen));
    if (tanh_out) net->push_back(std::make_shared<nn::Tanh<float>>());
    return net;
}

// [z, one_hot(label)] -> an image; [image, one_hot(label)] -> a logit.
V generate(nn::Sequential<float>& G, const std::vector<int>& labels, Generator& gen) {
    V z(Tn::normal({static_cast<index_t>(labels.size()), latent}, gen));
    return G(concat({z, V(one_hot<float>(labels, classes))}));
}
V judge(nn::Sequential<float>& D, const V& images, const std::vector<int>& labels) {
    return D(concat({images, V(one_hot<float>(labels, classes))}));
}

int main(int argc, char** argv) {
    const char* data_dir = argc > 1 ? argv[1] : "data/mnist";
    const int steps = argc > 2 ? std::atoi(argv[2]) : 3000;
    const char* grid_path = argc > 3 ? argv[3] : "conditional_gan.png";
    const index_t batch = 64;
    try {
        Generator gen(1);
        auto train = data::Mnist::load(data_dir, data::Split::train);
        data::DataLoader<float> loader(train, {.batch_size = batch, .drop_last = true, .scale = data::PixelScale::symmetric},
                                       Generator(2));
        auto G = mlp(gen, latent + classes, 784, true);
        auto D = mlp(gen, 784 + classes, 1, false);
        optim::Adam<float> opt_g(G->parameters(), {.lr = 2e-4, .beta1 = 0.5});
        optim::Adam<float> opt_d(D->parameters(), {.lr = 2e-4, .beta1 = 0.5});
        auto ones = Tn::ones({batch, 1}), zeros = Tn::zeros({batch, 1});

        int step = 0;
        while (step < steps) {
            for (auto& real : loader) {
                if (++step > steps) break;
                // Fakes of random digits; D learns whether an image is a real one of its label.
                std::vector<int> wanted(static_cast<std::size_t>(batch));
                for (int& label : wanted) label = static_cast<int>(gen.next_below(classes));
                V fake = generate(*G, wanted, gen);
                V d_loss = bce_with_logits(judge(*D, V(real.images), real.labels), ones) +
                           bce_with_logits(judge(*D, fake.detach(), wanted), zeros);
                opt_d.zero_grad(true);
                d_loss.backward();
                opt_d.step();

                D->set_requires_grad(false);
                V g_loss = bce_with_logits(judge(*D, fake, wanted), ones);  // non-saturating
                opt_g.zero_grad(true);
                g_loss.backward();
                opt_g.step();
                D->set_requires_grad(true);
                if (step % 200 == 0 || step == steps)
                    std::printf("step %d  D %.4f  G %.4f\n", step, d_loss.item(), g_loss.item());
            }
        }
        // Row k: ten samples of digit k.
        NoGrad no_grad;
        std::vector<int> rows;
        for (int digit = 0; digit < classes; ++digit)
            for (int i = 0; i < 10; ++i) rows.push_back(digit);
        Generator grid_gen(3);
        io::write_image_grid(grid_path, generate(*G, rows, grid_gen).value(), {.columns = 10});
        std::printf("class grid (row k = digit k): %s\n", grid_path);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "conditional_gan: %s\n", e.what());
        return 1;
    }
}
