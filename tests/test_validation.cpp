// Input validation of the public API above the ops (the ops and losses themselves are in
// test_errors.cpp): layers, Sequential chains, models, data sets, loaders and optimizers. Every bad
// call must throw aigc::Error whose message names the operation and both the expected and the
// given value, so a user can fix the call without reading the library.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include <aigc/all.hpp>

using namespace aigc;
using Catch::Matchers::Contains;

namespace {

using Tn = Tensor<float>;
using V = Var<float>;
constexpr double inf_value = std::numeric_limits<double>::infinity();
constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();

V input(Shape shape) { return V(Tn::full(shape, 0.5f)); }

data::Mnist tiny_set(index_t n) {
    std::vector<std::uint8_t> pixels(static_cast<std::size_t>(n * 4), 100), labels;
    for (index_t i = 0; i < n; ++i) labels.push_back(static_cast<std::uint8_t>(i % 10));
    return data::Mnist(2, 2, std::move(pixels), std::move(labels), "tiny");
}

}  // namespace

TEST_CASE("Linear: sizes must be positive, inputs must be [batch, in]", "[validation][nn][linear]") {
    Generator gen(1);
    CHECK_THROWS_WITH(nn::Linear<float>(0, 4, gen),
                      Contains("Linear: in_features and out_features must be positive, given 0 and 4"));
    CHECK_THROWS_WITH(nn::Linear<float>(3, -2, gen),
                      Contains("Linear: in_features and out_features must be positive, given 3 and -2"));
    nn::Linear<float> layer(4, 2, gen);
    CHECK_THROWS_WITH(layer(input({2, 3})), Contains("linear: input has 3 features, weight expects 4 (input [2, 3])"));
    CHECK_THROWS_WITH(layer(input({4})), Contains("linear: input must be [batch, 4], given [4]"));
    CHECK_THROWS_WITH(layer(input({2, 2, 4})), Contains("linear: input must be [batch, 4], given [2, 2, 4]"));
    // An empty batch is a valid (empty) result, as in PyTorch.
    CHECK(layer(input({0, 4})).shape() == Shape{0, 2});
}

TEST_CASE("BatchNorm1d: sizes, eps, momentum, feature count and batch size", "[validation][nn][batchnorm]") {
    CHECK_THROWS_WITH(nn::BatchNorm1d<float>(0), Contains("BatchNorm1d: num_features must be positive, given 0"));
    CHECK_THROWS_WITH(nn::BatchNorm1d<float>(-3), Contains("BatchNorm1d: num_features must be positive, given -3"));
    CHECK_THROWS_WITH(nn::BatchNorm1d<float>(4, -1e-5), Contains("BatchNorm1d: eps must be non-negative, given -1e-05"));
    CHECK_THROWS_WITH(nn::BatchNorm1d<float>(4, 1e-5, 1.5), Contains("BatchNorm1d: momentum must be in [0, 1], given 1.5"));
    CHECK_THROWS_WITH(nn::BatchNorm1d<float>(4, 1e-5, nan_value), Contains("BatchNorm1d: momentum must be in [0, 1], given nan"));
    nn::BatchNorm1d<float> norm(4);
    CHECK_THROWS_WITH(norm(input({3, 5})), Contains("BatchNorm1d: input must be [batch, 4], given [3, 5]"));
    CHECK_THROWS_WITH(norm(input({4})), Contains("BatchNorm1d: input must be [batch, 4], given [4]"));
    CHECK_THROWS_WITH(norm(input({1, 4})),
                      Contains("BatchNorm1d: training needs more than 1 value per feature, given input [1, 4]"));
    CHECK_THROWS_WITH(norm(input({0, 4})),
                      Contains("BatchNorm1d: training needs more than 1 value per feature, given input [0, 4]"));
    norm.eval();  // evaluation uses the running statistics: one example is fine
    CHECK(norm(input({1, 4})).shape() == Shape{1, 4});
}

TEST_CASE("SpectralNorm: wrapped layer, iterations, eps and input shape", "[validation][nn][spectral_norm]") {
    Generator gen(2);
    CHECK_THROWS_WITH(nn::SpectralNorm<float>(nullptr, gen), Contains("SpectralNorm: the wrapped Linear is null"));
    auto linear = std::make_shared<nn::Linear<float>>(4, 3, gen);
    CHECK_THROWS_WITH(nn::spectral_norm(linear, gen, 0),
                      Contains("SpectralNorm: n_power_iterations must be positive, given 0"));
    CHECK_THROWS_WITH(nn::spectral_norm(linear, gen, 1, 0.0), Contains("SpectralNorm: eps must be positive, given 0"));
    auto layer = nn::spectral_norm(linear, gen);
    CHECK_THROWS_WITH((*layer)(input({2, 5})), Contains("linear: input has 5 features, weight expects 4 (input [2, 5])"));
    Tn u = Tn::ones({4}), v = Tn::ones({4});
    CHECK_THROWS_WITH(nn::power_iteration(linear->weight().value(), u, v, 1, 1e-12),
                      Contains("power_iteration: u and v must be [3] and [4] for weight [3, 4], given [4] and [4]"));
    CHECK_THROWS_WITH(nn::spectral_normalized(linear->weight(), Tn::ones({3}), Tn::ones({2})),
                      Contains("spectral_normalized: u and v must be [3] and [4] for weight [3, 4], given [3] and [2]"));
}

TEST_CASE("Sequential: a broken chain names the layer index and type", "[validation][nn][sequential]") {
    Generator gen(3);
    nn::Sequential<float> chain(std::make_shared<nn::Linear<float>>(4, 8, gen),
                                std::make_shared<nn::LeakyReLU<float>>(0.2),
                                std::make_shared<nn::Linear<float>>(7, 2, gen));
    CHECK_THROWS_WITH(chain(input({2, 4})), Contains("Sequential layer 2 (Linear): linear: input has 8 features, "
                                                     "weight expects 7 (input [2, 8])"));
    CHECK_THROWS_WITH(chain(input({2, 5})), Contains("Sequential layer 0 (Linear): linear: input has 5 features"));

    auto inner = std::make_shared<nn::Sequential<float>>(std::make_shared<nn::Linear<float>>(3, 2, gen));
    nn::Sequential<float> outer(std::make_shared<nn::Linear<float>>(4, 6, gen), inner);
    CHECK_THROWS_WITH(outer(input({5, 4})), Contains("Sequential layer 1 (Sequential): Sequential layer 0 (Linear): "
                                                     "linear: input has 6 features, weight expects 3"));
    nn::Sequential<float> empty;
    CHECK_THROWS_WITH(empty.push_back(std::shared_ptr<nn::Linear<float>>()),
                      Contains("Sequential::push_back: layer 0 is null"));
    CHECK_THROWS_WITH(chain[3], Contains("Sequential: index 3 is out of range for 3 layers"));
    CHECK_THROWS_WITH(chain[-1], Contains("Sequential: index -1 is out of range for 3 layers"));
}

TEST_CASE("Dropout: the probability must be in [0, 1]", "[validation][nn][dropout]") {
    Generator gen(4);
    CHECK_THROWS_WITH(nn::Dropout<float>(1.5, gen), Contains("Dropout: probability must be in [0, 1], given 1.5"));
    CHECK_THROWS_WITH(nn::Dropout<float>(-0.1, gen), Contains("Dropout: probability must be in [0, 1], given -0.1"));
    CHECK_THROWS_WITH(nn::Dropout<float>(nan_value, gen), Contains("Dropout: probability must be in [0, 1], given nan"));
}

TEST_CASE("models: zero or negative sizes and bad hyper-parameters name the config field",
          "[validation][models][gan][vae][classifier]") {
    Generator gen(5);
    models::GanConfig gan{.latent = 4, .image = 16, .generator_hidden = {8}, .discriminator_hidden = {8}};
    auto gan_with = [&](auto change) {
        models::GanConfig c = gan;
        change(c);
        return [c, &gen] { models::Gan<float> model(c, gen); };
    };
    CHECK_THROWS_WITH(gan_with([](auto& c) { c.latent = 0; })(),
                      Contains("Gan: latent and image sizes must be positive, given latent 0, image 16"));
    CHECK_THROWS_WITH(gan_with([](auto& c) { c.image = -16; })(),
                      Contains("Gan: latent and image sizes must be positive, given latent 4, image -16"));
    CHECK_THROWS_WITH(gan_with([](auto& c) { c.generator_hidden = {8, 0}; })(),
                      Contains("Gan: generator_hidden[1] must be positive, given 0"));
    CHECK_THROWS_WITH(gan_with([](auto& c) { c.discriminator_hidden = {-4}; })(),
                      Contains("Gan: discriminator_hidden[0] must be positive, given -4"));
    CHECK_THROWS_WITH(gan_with([](auto& c) { c.slope = -0.2; })(),
                      Contains("Gan: LeakyReLU slope must be finite and >= 0, given -0.2"));
    CHECK_THROWS_WITH(gan_with([](auto& c) { c.dropout = 1.3; })(),
                      Contains("Dropout: probability must be in [0, 1], given 1.3"));
    CHECK_THROWS_WITH(gan_with([](auto& c) { c.lr = -2e-4; })(), Contains("Adam: learning rate must be >= 0, given -0.0002"));
    CHECK_THROWS_WITH(gan_with([](auto& c) { c.beta1 = 1.0; })(), Contains("Adam: beta1 must be in [0, 1), given 1"));

    CHECK_THROWS_WITH(models::Vae<float>({.input = 16, .hidden = {8}, .latent = 0}, gen),
                      Contains("Vae: input and latent sizes must be positive, given 16 and 0"));
    CHECK_THROWS_WITH(models::Vae<float>({.input = 16, .hidden = {}, .latent = 2}, gen),
                      Contains("Vae: needs at least one hidden layer"));
    CHECK_THROWS_WITH(models::Vae<float>({.input = 16, .hidden = {8, 0}, .latent = 2}, gen),
                      Contains("Vae: hidden[1] must be positive, given 0"));
    CHECK_THROWS_WITH(models::Vae<float>({.input = 16, .hidden = {8}, .latent = 2, .beta = -1.0}, gen),
                      Contains("Vae: beta must be finite and >= 0, given -1"));
    CHECK_THROWS_WITH(models::VaeTrainer<float>({.input = 16, .hidden = {8}, .latent = 2, .lr = inf_value}, gen),
                      Contains("Adam: lr, eps and weight_decay must be finite, given lr inf"));

    CHECK_THROWS_WITH(models::Classifier<float>({.input = 0}, gen),
                      Contains("Classifier: input size must be positive, given 0"));
    CHECK_THROWS_WITH(models::Classifier<float>({.input = 4, .hidden = {8}, .classes = 1}, gen),
                      Contains("Classifier: needs at least 2 classes, given 1"));
    CHECK_THROWS_WITH(models::Classifier<float>({.input = 4, .hidden = {16, -2}}, gen),
                      Contains("Classifier: hidden[1] must be positive, given -2"));
}

TEST_CASE("models: wrong shapes, empty batches and out-of-range labels", "[validation][models][gan][vae][classifier]") {
    Generator gen(6);
    models::Gan<float> gan({.latent = 4, .image = 16, .generator_hidden = {8}, .discriminator_hidden = {8}}, gen);
    CHECK_THROWS_WITH(gan.train_step(Tn::zeros({0, 16}), gen), Contains("gan.train_step: empty batch"));
    CHECK_THROWS_WITH(gan.train_step(Tn::zeros({16}), gen), Contains("gan.train_step: images must be [batch, 16], given [16]"));

    models::VaeTrainer<float> vae({.input = 16, .hidden = {8}, .latent = 2}, gen);
    CHECK_THROWS_WITH(vae.train_step(Tn::zeros({0, 16}), gen), Contains("vae.loss: empty batch"));
    CHECK_THROWS_WITH(vae.train_step(Tn::zeros({3, 15}), gen), Contains("vae.loss: input must be [batch, 16], given [3, 15]"));

    models::Classifier<float> classifier({.input = 4, .hidden = {8}, .classes = 10}, gen);
    CHECK_THROWS_WITH(classifier.train_step(Tn::zeros({0, 4}), {}), Contains("classifier.train_step: empty batch"));
    CHECK_THROWS_WITH(classifier.train_step(Tn::zeros({3, 5}), {1, 2, 3}),
                      Contains("classifier.train_step: images must be [batch, 4], given [3, 5]"));
    CHECK_THROWS_WITH(classifier.train_step(Tn::zeros({3, 4}), {1, 2}),
                      Contains("classifier.train_step: 2 labels for 3 images"));
    CHECK_THROWS_WITH(classifier.train_step(Tn::zeros({3, 4}), {1, 10, 2}),
                      Contains("cross_entropy: label 10 at position 1 is outside [0, 10)"));
    CHECK_THROWS_WITH(classifier.train_step(Tn::zeros({3, 4}), {-1, 0, 2}),
                      Contains("cross_entropy: label -1 at position 0 is outside [0, 10)"));
    // Reading past the logits would be undefined behaviour; the sizes are checked instead.
    CHECK_THROWS_WITH(models::Classifier<float>::accuracy(Tn::zeros({4, 10}), {1, 2, 3}),
                      Contains("classifier.accuracy: logits must be [3, classes] for 3 labels, given [4, 10]"));
    // Losses over an empty batch have no mean (PyTorch returns NaN; here it is an error).
    CHECK_THROWS_WITH(bce_with_logits(input({0, 1}), Tn::zeros({0, 1})),
                      Contains("mean: the mean of an empty tensor [0, 1] is undefined"));
}

TEST_CASE("data: labels outside 0..9, empty or inconsistent sets, bad loader sizes and states",
          "[validation][data][mnist][loader]") {
    CHECK_THROWS_WITH(data::Mnist(1, 1, {0, 0}, {3, 10}, "test"),
                      Contains("test: label 10 at index 1 is out of range; MNIST labels are 0..9"));
    CHECK_THROWS_WITH(data::Mnist(1, 1, {0}, {255}, "test"), Contains("test: label 255 at index 0 is out of range"));
    CHECK_THROWS_WITH(data::Mnist(1, 1, {}, {}, "test"), Contains("test: a data set needs at least one image, given 0 labels"));
    CHECK_THROWS_WITH(data::Mnist(0, 4, {}, {1}, "test"), Contains("test: images of 0x4, both sides must be positive"));
    CHECK_THROWS_WITH(data::Mnist(2, 2, {1, 2, 3}, {1}, "test"),
                      Contains("test: 1 labels need 1 images of 2x2 = 4 pixels, given 3"));
    data::Mnist set = tiny_set(3);
    CHECK_THROWS_WITH(set.label(3), Contains("Mnist: image index 3 out of range for 3 images"));
    CHECK_THROWS_WITH(set.image(-1), Contains("Mnist: image index -1 out of range for 3 images"));

    CHECK_THROWS_WITH(data::DataLoader<float>(set, {.batch_size = 0}, Generator(1)),
                      Contains("DataLoader: batch size must be positive, given 0"));
    CHECK_THROWS_WITH(data::DataLoader<float>(set, {.batch_size = -4}, Generator(1)),
                      Contains("DataLoader: batch size must be positive, given -4"));
    CHECK_THROWS_WITH(data::DataLoader<float>(set, {.batch_size = 10, .drop_last = true}, Generator(1)),
                      Contains("DataLoader: drop_last with batch size 10 and 3 images leaves no batch"));
    data::DataLoader<float> loader(set, {.batch_size = 2}, Generator(1));
    CHECK_THROWS_WITH(loader.next(), Contains("DataLoader::next: no epoch started"));
    CHECK_THROWS_WITH(loader.restore({.epoch = 1, .next_batch = 99}),
                      Contains("DataLoader::restore: state (epoch 1, batch 99) does not fit a loader with 2 batches per epoch"));
    CHECK_THROWS_WITH(loader.restore({.epoch = -1}), Contains("DataLoader::restore: state (epoch -1, batch 0)"));
}

TEST_CASE("shapes and generators: negative sizes, too many dimensions, empty ranges",
          "[validation][core][shape][generator]") {
    CHECK_THROWS_WITH(Shape({2, -1}), Contains("Shape: negative dimension -1"));
    CHECK_THROWS_WITH(Shape({1, 2, 3, 4, 5}), Contains("Shape: rank 5 exceeds the maximum of 4"));
    CHECK_THROWS_WITH(Tn::zeros({-3}), Contains("Shape: negative dimension -3"));
    Generator gen(7);
    CHECK_THROWS_WITH(gen.next_below(0), Contains("Generator::next_below: bound must be positive"));
}

TEST_CASE("optimizers: negative or infinite learning rates, betas outside [0, 1), negative eps and decay",
          "[validation][optim][adam][adamw][sgd][rmsprop]") {
    Generator gen(8);
    nn::Linear<float> layer(3, 2, gen);
    auto params = layer.parameters();
    using optim::Adam, optim::AdamW, optim::SGD, optim::RMSprop;
    CHECK_THROWS_WITH(Adam<float>(params, {.lr = -1e-3}), Contains("Adam: learning rate must be >= 0, given -0.001"));
    CHECK_THROWS_WITH(Adam<float>(params, {.lr = nan_value}), Contains("Adam: learning rate must be >= 0, given nan"));
    CHECK_THROWS_WITH(Adam<float>(params, {.lr = inf_value}),
                      Contains("Adam: lr, eps and weight_decay must be finite, given lr inf, eps 1e-08, weight_decay 0"));
    CHECK_THROWS_WITH(Adam<float>(params, {.beta1 = 1.0}), Contains("Adam: beta1 must be in [0, 1), given 1"));
    CHECK_THROWS_WITH(Adam<float>(params, {.beta1 = -0.1}), Contains("Adam: beta1 must be in [0, 1), given -0.1"));
    CHECK_THROWS_WITH(Adam<float>(params, {.beta2 = 1.5}), Contains("Adam: beta2 must be in [0, 1), given 1.5"));
    CHECK_THROWS_WITH(Adam<float>(params, {.eps = -1e-8}), Contains("Adam: eps must be >= 0, given -1e-08"));
    CHECK_THROWS_WITH(Adam<float>(params, {.eps = inf_value}), Contains("Adam: lr, eps and weight_decay must be finite"));
    CHECK_THROWS_WITH(AdamW<float>(params, {.weight_decay = -0.01}),
                      Contains("AdamW: weight_decay must be >= 0, given -0.01"));
    CHECK_THROWS_WITH(AdamW<float>(params, {.weight_decay = inf_value}),
                      Contains("AdamW: lr, eps and weight_decay must be finite, given lr 0.001, eps 1e-08, weight_decay inf"));

    CHECK_THROWS_WITH(SGD<float>(params, {.lr = -0.1}), Contains("SGD: learning rate must be >= 0, given -0.1"));
    CHECK_THROWS_WITH(SGD<float>(params, {.lr = inf_value}),
                      Contains("SGD: lr, momentum and weight_decay must be finite, given lr inf, momentum 0, weight_decay 0"));
    CHECK_THROWS_WITH(SGD<float>(params, {.momentum = -0.9}), Contains("SGD: momentum must be >= 0, given -0.9"));
    CHECK_THROWS_WITH(SGD<float>(params, {.momentum = inf_value}), Contains("SGD: lr, momentum and weight_decay must be finite"));
    CHECK_THROWS_WITH(SGD<float>(params, {.nesterov = true}),
                      Contains("SGD: nesterov momentum requires momentum > 0 and dampening = 0, given momentum 0, dampening 0"));

    CHECK_THROWS_WITH(RMSprop<float>(params, {.alpha = 1.5}), Contains("RMSprop: alpha must be in [0, 1], given 1.5"));
    CHECK_THROWS_WITH(RMSprop<float>(params, {.momentum = -1.0}), Contains("RMSprop: momentum must be >= 0, given -1"));
    CHECK_THROWS_WITH(RMSprop<float>(params, {.weight_decay = inf_value}),
                      Contains("RMSprop: lr, eps, weight_decay and momentum must be finite, given lr 0.01, eps 1e-08, "
                               "weight_decay inf, momentum 0"));

    Adam<float> adam(params);
    CHECK_THROWS_WITH(adam.set_lr(-0.5), Contains("Adam: learning rate must be >= 0, given -0.5"));
    CHECK_THROWS_WITH(adam.set_lr(inf_value), Contains("Adam: learning rate must be finite, given inf"));
    CHECK(adam.lr() == Approx(1e-3));  // a refused value changes nothing
}
