// Tests of aigc::nn: layer values and gradients against PyTorch, gradchecks through the layers,
// Dropout statistics, train/eval, state_dict round trips and their errors, and the parameter
// names and counts of the seed GAN.
#include <catch2/catch.hpp>

#include <aigc/all.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

using namespace aigc;
using Catch::Matchers::Contains;

namespace {

// PyTorch's outputs for the same formulas, from tests/reference/nn_reference.py (float64).
namespace reference {
// Linear(5, 3): x = sin(0.37 i + 0.1) [4, 5], weight = sin(0.53 i + 0.2), bias = sin(0.71 i + 0.3),
// seed gradient sin(0.29 i + 0.4) [4, 3].
const std::vector<double> linear_y = {2.971765683745232, -1.6170211303943953, 2.656822120986186, 1.2551567088013342, 0.8342163760540462, 0.05149640882202133, -2.9096581913956996, 3.317638219821128, -0.16236965562151606, 1.1025155161956164, -0.5024129644136268, 2.560834859517412};
const std::vector<double> linear_dx = {-0.32559345976918197, -0.09866081601300802, 0.15534296049162405, 0.36672282534674455, 0.4774791327650177, -0.20100791365904086, 0.15999735371845047, 0.47710160976290217, 0.6632959307963617, 0.6674912281066385, 0.06636298190383065, 0.3050018983446192, 0.45995260692049333, 0.488698824360777, 0.383352995100966, 0.2865931386302366, 0.23334928830396287, 0.11607769306625627, -0.03304397969074644, -0.17309885169650058};
const std::vector<double> linear_dweight = {0.33309977066386093, 0.12014354860788552, -0.10907353913330221, -0.323528035039901, -0.4941945291424718, 0.6862257052146313, 0.50219143383071, 0.25018790776431715, -0.03567737793344392, -0.3167138978980593, 0.9820433878187431, 0.8423001829985501, 0.5885555998182873, 0.25515277724175206, -0.11278377675866615};
const std::vector<double> linear_dbias = {2.318062821680173, 2.1317739598809515, 1.7674558603865704};
// Activations on x = 3 sin(0.37 i + 0.1) [3, 4], seed gradient sin(0.29 i + 0.4).
const std::vector<double> relu_y = {0.29950024994048446, 1.3586588561372048, 2.233929359912578, 2.8068480046601576, 2.9998729394962202, 2.7868791450116075, 2.1966943320907544, 1.309197246480379, 0.24450645528080736, 0.0, 0.0, 0.0};
const std::vector<double> relu_dx = {0.3894183423086505, 0.6365371822219679, 0.8304973704919705, 0.9551008555846923, 0.9999417202299663, 0.9612752029752999, 0.8423304316366459, 0.6530407515722652, 0.40921416967201774, 0.0, 0.0, 0.0};
const std::vector<double> leaky_default_y = {0.29950024994048446, 1.3586588561372048, 2.233929359912578, 2.8068480046601576, 2.9998729394962202, 2.7868791450116075, 2.1966943320907544, 1.309197246480379, 0.24450645528080736, -0.008532771376093876, -0.01835573672828158, -0.025694339224950038};
const std::vector<double> leaky_default_dx = {0.3894183423086505, 0.6365371822219679, 0.8304973704919705, 0.9551008555846923, 0.9999417202299663, 0.9612752029752999, 0.8423304316366459, 0.6530407515722652, 0.40921416967201774, 0.0013121319215018423, -0.0015774569414324822, -0.004335308827527177};
const std::vector<double> leaky_02_y = {0.29950024994048446, 1.3586588561372048, 2.233929359912578, 2.8068480046601576, 2.9998729394962202, 2.7868791450116075, 2.1966943320907544, 1.309197246480379, 0.24450645528080736, -0.17065542752187754, -0.3671147345656316, -0.5138867844990007};
const std::vector<double> leaky_02_dx = {0.3894183423086505, 0.6365371822219679, 0.8304973704919705, 0.9551008555846923, 0.9999417202299663, 0.9612752029752999, 0.8423304316366459, 0.6530407515722652, 0.40921416967201774, 0.02624263843003685, -0.031549138828649646, -0.08670617655054355};
const std::vector<double> tanh_y = {0.29085520614772375, 0.8760816431626428, 0.9773165135984014, 0.9927313867516978, 0.9950534999445714, 0.9924363402238284, 0.9755841926883687, 0.8640721527415932, 0.2397477434880866, -0.6927776471793555, -0.9503684733989778, -0.9883397290584159};
const std::vector<double> tanh_dx = {0.3564748157916382, 0.147982771706261, 0.037249827042021656, 0.013834056870940074, 0.00986795711226891, 0.014486523628887343, 0.04063021519586797, 0.16546701820676013, 0.3856929563899941, 0.06823861875997343, -0.015269746086435812, -0.010051231418363392};
const std::vector<double> sigmoid_y = {0.5743203442132405, 0.7955416402374271, 0.9032552713594834, 0.9430447575192702, 0.9525683863231931, 0.9419626658381413, 0.8999522678051187, 0.7873787951623007, 0.5608238936878451, 0.29874585529560166, 0.1375756279853948, 0.0711316968661195};
const std::vector<double> sigmoid_dx = {0.09520362808136032, 0.10353604378027163, 0.07257316729326707, 0.05129974949601618, 0.04517922251266113, 0.052551955999047516, 0.07584190195241797, 0.10932779090387808, 0.10078963575571144, 0.027488739837039217, -0.018716301754623056, -0.028644243193398766};
// BatchNorm1d(3): weight = 1 + 0.5 sin(0.31 i + 0.2), bias = 0.3 sin(0.47 i + 0.5); train step 1 on
// x1 = 2 sin(0.37 i + 0.1) + 0.5 [5, 3]; train step 2 on x2 = 1.5 sin(0.61 i + 0.7) - 0.3 with seed
// gradient sin(0.29 i + 0.4); eval on x3 = sin(0.43 i + 1.1).
const std::vector<double> bn_y2 = {0.8032228858386701, 1.5677716827463264, 1.8483228729087056, 0.6904626805939152, -0.19015483678196296, -1.1641427220395377, -1.7447381797195194, -1.9553743392087226, -1.3138271299847695, -0.383640886028002, 0.7074422080954439, 1.7753699580593567, 1.3538318072212407, 1.1076438551565904, 0.3414645433437749};
const std::vector<double> bn_dx2 = {0.2634265582165642, 0.8459247065375104, 1.2139447104021581, 0.8365644863767298, 0.7782488388135449, 0.7609983252761687, -0.017814602050871816, -0.15453962496836018, -0.003802122994990849, -0.37110162038752054, -0.36830874235018624, -0.4810568941682275, -0.7110748221549017, -1.1013251780325093, -1.4900840185151085};
const std::vector<double> bn_dweight = {-1.5423894239319715, -1.48301209224862, -1.0689202126183799};
const std::vector<double> bn_dbias = {1.6449518893366117, 1.2752959857159505, 0.7991372462198633};
const std::vector<double> bn_running_mean = {0.0681219567648697, 0.06194441227301529, 0.04124212341287589};
const std::vector<double> bn_running_var = {1.1592615690989896, 1.185292187387609, 1.2001048352722719};
const std::vector<double> bn_eval_y3 = {0.9842202821511985, 1.318442261493166, 1.3993337982030827, 0.771433979442033, 0.5378671651815472, 0.11115915459177267, -0.4492781446513331, -0.7648956750632686, -0.9820279299938006, -0.9130614659839729, -0.7063661353112701, -0.29974320934425264, 0.05060257842071696, 0.6288362194790084, 1.171594552889563};
// spectral_norm(Linear(4, 3)): weight_orig = sin(0.53 i + 0.2), bias = 0.5 sin(0.71 i + 0.3),
// weight_u = sin(0.29 i + 0.4) [3], weight_v = sin(0.83 i + 0.6) [4] (as loaded, not normalised);
// x = sin(0.37 i + 0.1) [2, 4]. eval forward (stored u, v), then a train forward (one power
// iteration) with seed gradient sin(0.19 i + 0.9) [2, 3].
const std::vector<double> sn_eval_y = {-2.289447412665431, 1.2042070229199537, 2.11649372378454, -2.2859594747459604, -0.23231078576664765, 3.6127538656445344};
const std::vector<double> sn_train_y = {1.103565828775728, 0.11721113693787755, -0.14167803997226264, 1.1021979554979926, 0.680573894206118, -0.7284700964379647};
const std::vector<double> sn_u = {-0.7000571584428644, -0.013319166796414589, 0.7139625863508197};
const std::vector<double> sn_v = {-0.40426653401665, -0.5682163624374084, -0.5762556561696974, -0.4261785466972685};
const std::vector<double> sn_dx = {-0.057944658806109314, -0.0733258998644828, -0.06858755090375669, -0.04502974787362216, 0.0005640098605351514, 0.009963643982388073, 0.016629395091657596, 0.018732275344542953};
const std::vector<double> sn_dweight_orig = {0.5417870511246401, 0.648785732018186, 0.6651999531232425, 0.5887688742242615, 0.5334718610278183, 0.6527153631402284, 0.6835641184864444, 0.6218421459391749, 0.5051437471995284, 0.6320108241348088, 0.676167663239147, 0.631677875561489};
const std::vector<double> sn_dbias = {1.7782512594050643, 1.882650904366024, 1.9192910632645248};
// seed GAN generator: 1486352 parameters, names ['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias', '6.weight', '6.bias']
// seed GAN discriminator: 1460225 parameters, names ['0.weight', '0.bias', '3.weight', '3.bias', '6.weight', '6.bias', '9.weight', '9.bias']
}  // namespace reference

// value i = scale * sin(a i + b) + shift over the flattened tensor: nn_reference.py's formula().
template <class T = double>
Tensor<T> formula(const Shape& shape, double a, double b, double scale = 1.0, double shift = 0.0) {
    std::vector<T> values(static_cast<std::size_t>(shape.numel()));
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = static_cast<T>(scale * std::sin(a * static_cast<double>(i) + b) + shift);
    return Tensor<T>::from_vector(shape, values);
}

// Every element within tolerance * (1 + |expected|), naming the first element that is not.
template <class T>
void require_close(const Tensor<T>& actual, const std::vector<double>& expected, double tolerance) {
    REQUIRE(actual.numel() == static_cast<index_t>(expected.size()));
    std::vector<T> values = actual.to_vector();
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("element " << i << " of " << actual.shape() << ": got " << values[i] << ", expected " << expected[i]);
        REQUIRE(std::fabs(static_cast<double>(values[i]) - expected[i]) <= tolerance * (1.0 + std::fabs(expected[i])));
    }
}

template <class M>
std::vector<std::string> parameter_names(const M& module) {
    std::vector<std::string> names;
    for (const auto& [name, p] : module.named_parameters()) names.push_back(name);
    return names;
}

template <class M>
std::vector<std::string> state_names(const M& module) {
    std::vector<std::string> names;
    for (const auto& [name, t] : module.state_dict()) names.push_back(name);
    return names;
}

using NamedTensors = nn::NamedTensors<double>;
using Strings = std::vector<std::string>;

// A module that exposes registration, to test the rules on names.
struct Registrar : nn::Module<double> {
    Var<double> forward(const Var<double>& x) override { return x; }
    void add_parameter(const std::string& name) { register_parameter(name, Tensor<double>::zeros({1})); }
    void add_buffer(const std::string& name) { register_buffer(name, Tensor<double>::zeros({1})); }
    void add_module(const std::string& name) { register_module(name, std::make_shared<nn::ReLU<double>>()); }
};

}  // namespace

TEMPLATE_TEST_CASE("Linear matches torch.nn.Linear forward and backward", "[nn][linear]", float, double) {
    using T = TestType;
    const double tolerance = std::is_same_v<T, float> ? 2e-6 : 1e-12;
    Generator gen(1);
    nn::Linear<T> layer(5, 3, gen);
    layer.load_state_dict({{"weight", formula<T>({3, 5}, 0.53, 0.2)}, {"bias", formula<T>({3}, 0.71, 0.3)}});
    Var<T> x(formula<T>({4, 5}, 0.37, 0.1), true);
    Var<T> y = layer(x);
    y.backward(formula<T>({4, 3}, 0.29, 0.4));
    require_close(y.value(), reference::linear_y, tolerance);
    require_close(x.grad(), reference::linear_dx, tolerance);
    require_close(layer.weight().grad(), reference::linear_dweight, tolerance);
    require_close(layer.bias().grad(), reference::linear_dbias, tolerance);
}

TEST_CASE("Linear initialises like PyTorch: U(-1/sqrt(in), 1/sqrt(in)), weight [out, in], bias [out]", "[nn][linear]") {
    Generator gen(42);
    nn::Linear<float> layer(784, 64, gen);
    CHECK(layer.weight().shape() == Shape{64, 784});
    CHECK(layer.bias().shape() == Shape{64});
    CHECK(parameter_names(layer) == Strings{"weight", "bias"});
    CHECK(layer.parameter_count() == 784 * 64 + 64);
    const float bound = 1.0f / std::sqrt(784.0f);
    for (const auto& p : layer.parameters()) {
        auto values = p.value().to_vector();
        auto [low, high] = std::minmax_element(values.begin(), values.end());
        CHECK(*low >= -bound);
        CHECK(*high <= bound);
        CHECK(*low < -0.9f * bound);  // the whole interval is used, not a narrower one
        CHECK(*high > 0.9f * bound);
    }
    // The same seed gives the same weights; another seed gives others.
    Generator same(42), other(43);
    nn::Linear<float> twin(784, 64, same), stranger(784, 64, other);
    CHECK(twin.weight().value().to_vector() == layer.weight().value().to_vector());
    CHECK(stranger.weight().value().to_vector() != layer.weight().value().to_vector());

    nn::Linear<float> no_bias(3, 2, gen, false);
    CHECK_FALSE(no_bias.has_bias());
    CHECK(parameter_names(no_bias) == Strings{"weight"});
    CHECK(no_bias(Var<float>(Tensor<float>::ones({5, 3}))).shape() == Shape{5, 2});

    CHECK_THROWS_WITH(nn::Linear<float>(0, 3, gen), Contains("Linear") && Contains("given 0 and 3"));
    CHECK_THROWS_WITH(nn::Linear<float>(3, -1, gen), Contains("given 3 and -1"));
    CHECK_THROWS_WITH(layer(Var<float>(Tensor<float>::ones({2, 783}))),
                      Contains("input has 783 features, weight expects 784"));
}

TEST_CASE("ReLU, LeakyReLU, Tanh and Sigmoid match PyTorch values and gradients",
          "[nn][activation][relu][leaky_relu][tanh][sigmoid]") {
    struct Case {
        const char* name;
        std::shared_ptr<nn::Module<double>> module;
        const std::vector<double>& y;
        const std::vector<double>& dx;
    };
    std::vector<Case> cases{
        {"ReLU", std::make_shared<nn::ReLU<double>>(), reference::relu_y, reference::relu_dx},
        {"LeakyReLU()", std::make_shared<nn::LeakyReLU<double>>(), reference::leaky_default_y,
         reference::leaky_default_dx},
        {"LeakyReLU(0.2)", std::make_shared<nn::LeakyReLU<double>>(0.2), reference::leaky_02_y, reference::leaky_02_dx},
        {"Tanh", std::make_shared<nn::Tanh<double>>(), reference::tanh_y, reference::tanh_dx},
        {"Sigmoid", std::make_shared<nn::Sigmoid<double>>(), reference::sigmoid_y, reference::sigmoid_dx},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        Var<double> x(formula({3, 4}, 0.37, 0.1, 3.0), true);
        Var<double> y = (*c.module)(x);
        y.backward(formula({3, 4}, 0.29, 0.4));
        require_close(y.value(), c.y, 1e-12);
        require_close(x.grad(), c.dx, 1e-12);
        CHECK(c.module->parameters().empty());
    }
}

TEST_CASE("BatchNorm1d matches PyTorch in training (2 steps) and evaluation", "[nn][batchnorm]") {
    nn::BatchNorm1d<double> bn(3);
    CHECK(state_names(bn) == Strings{"weight", "bias", "running_mean", "running_var", "num_batches_tracked"});
    CHECK(parameter_names(bn) == Strings{"weight", "bias"});
    CHECK(bn.num_batches_tracked().shape() == Shape{});
    // Parameters are handles: a copy of the Var writes into the module's tensor.
    Var<double> weight = bn.weight(), bias = bn.bias();
    weight.value().copy_from(formula({3}, 0.31, 0.2, 0.5, 1.0));
    bias.value().copy_from(formula({3}, 0.47, 0.5, 0.3));

    bn(Var<double>(formula({5, 3}, 0.37, 0.1, 2.0, 0.5)));
    Var<double> x2(formula({5, 3}, 0.61, 0.7, 1.5, -0.3), true);
    Var<double> y2 = bn(x2);
    y2.backward(formula({5, 3}, 0.29, 0.4));
    require_close(y2.value(), reference::bn_y2, 1e-12);
    require_close(x2.grad(), reference::bn_dx2, 1e-12);
    require_close(bn.weight().grad(), reference::bn_dweight, 1e-12);
    require_close(bn.bias().grad(), reference::bn_dbias, 1e-12);
    require_close(bn.running_mean(), reference::bn_running_mean, 1e-12);
    require_close(bn.running_var(), reference::bn_running_var, 1e-12);
    CHECK(bn.num_batches_tracked().item() == 2.0);

    bn.eval();
    Var<double> y3 = bn(Var<double>(formula({5, 3}, 0.43, 1.1)));
    require_close(y3.value(), reference::bn_eval_y3, 1e-12);
    CHECK(bn.num_batches_tracked().item() == 2.0);  // evaluation leaves the statistics alone
    require_close(bn.running_mean(), reference::bn_running_mean, 1e-12);
    CHECK(bn(Var<double>(Tensor<double>::ones({1, 3}))).shape() == Shape{1, 3});  // one row is fine in eval

    bn.train();
    CHECK_THROWS_WITH(bn(Var<double>(Tensor<double>::ones({1, 3}))),
                      Contains("BatchNorm1d") && Contains("more than 1 value per feature") && Contains("[1, 3]"));
    CHECK_THROWS_WITH(bn(Var<double>(Tensor<double>::ones({5, 4}))),
                      Contains("BatchNorm1d: input must be [batch, 3], given [5, 4]"));
    CHECK_THROWS_WITH(nn::BatchNorm1d<double>(0), Contains("num_features must be positive, given 0"));
    CHECK_THROWS_WITH(nn::BatchNorm1d<double>(3, 1e-5, 1.5), Contains("momentum must be in [0, 1], given 1.5"));

    nn::BatchNorm1d<double> plain(3, 1e-5, 0.1, false);
    CHECK(plain.parameters().empty());
    CHECK(state_names(plain) == Strings{"running_mean", "running_var", "num_batches_tracked"});
}

TEST_CASE("SpectralNorm matches torch.nn.utils.spectral_norm on a Linear", "[nn][spectral_norm]") {
    Generator gen(3);
    auto linear = std::make_shared<nn::Linear<double>>(4, 3, gen);
    auto sn = nn::spectral_norm(linear, gen);
    CHECK(parameter_names(*sn) == Strings{"bias", "weight_orig"});  // PyTorch re-registers the weight last
    CHECK(state_names(*sn) == Strings{"bias", "weight_orig", "weight_u", "weight_v"});
    CHECK(sn->weight_orig().node_ptr() == linear->weight().node_ptr());  // adopts, does not copy
    // u and v start as unit vectors.
    for (const Tensor<double>* t : {&sn->weight_u(), &sn->weight_v()}) {
        double norm = 0;
        for (double v : t->to_vector()) norm += v * v;
        CHECK(std::sqrt(norm) == Approx(1.0).epsilon(1e-12));
    }

    sn->load_state_dict({{"bias", formula({3}, 0.71, 0.3, 0.5)},
                         {"weight_orig", formula({3, 4}, 0.53, 0.2)},
                         {"weight_u", formula({3}, 0.29, 0.4)},
                         {"weight_v", formula({4}, 0.83, 0.6)}});
    Var<double> x(formula({2, 4}, 0.37, 0.1), true);

    sn->eval();  // stored u and v, no iteration
    require_close((*sn)(x).value(), reference::sn_eval_y, 1e-12);
    require_close(sn->weight_u(), formula({3}, 0.29, 0.4).to_vector(), 0.0);

    sn->train();  // one power iteration, then sigma = u^T W v
    Var<double> y = (*sn)(x);
    require_close(y.value(), reference::sn_train_y, 1e-12);
    require_close(sn->weight_u(), reference::sn_u, 1e-12);
    require_close(sn->weight_v(), reference::sn_v, 1e-12);
    // A second training forward moves u and v on, but the first graph keeps the u and v it used.
    (*sn)(x);
    y.backward(formula({2, 3}, 0.19, 0.9));
    require_close(x.grad(), reference::sn_dx, 1e-12);
    require_close(sn->weight_orig().grad(), reference::sn_dweight_orig, 1e-12);
    require_close(sn->bias().grad(), reference::sn_dbias, 1e-12);

    CHECK_THROWS_WITH(nn::spectral_norm(linear, gen, 0), Contains("n_power_iterations must be positive, given 0"));
    CHECK_THROWS_WITH(nn::SpectralNorm<double>(nullptr, gen), Contains("SpectralNorm: the wrapped Linear is null"));
}

TEST_CASE("SpectralNorm drives sigma towards the largest singular value", "[nn][spectral_norm]") {
    // W = diag(3, 2, 1) (as [3, 3]): after enough training forwards sigma = 3, so W / sigma has norm 1.
    Generator gen(5);
    auto sn = nn::spectral_norm(std::make_shared<nn::Linear<double>>(3, 3, gen, false), gen);
    Var<double> weight = sn->weight_orig();
    weight.value().copy_from(Tensor<double>::from_vector({3, 3}, {3, 0, 0, 0, 2, 0, 0, 0, 1}));
    Var<double> x(Tensor<double>::ones({1, 3}));
    for (int i = 0; i < 60; ++i) (*sn)(x);
    auto w = sn->normalized_weight().value().to_vector();
    CHECK(w[0] == Approx(1.0).epsilon(1e-9));
    CHECK(w[4] == Approx(2.0 / 3.0).epsilon(1e-9));
}

TEST_CASE("gradcheck through BatchNorm1d, SpectralNorm and Linear",
          "[nn][gradcheck][batchnorm][spectral_norm][linear][sequential]") {
    Generator gen(11);
    auto x = Tensor<double>::normal({4, 3}, gen);
    auto weight = Tensor<double>::normal({3}, gen, 1.0, 0.3), bias = Tensor<double>::normal({3}, gen);

    SECTION("batch_norm_train (the BatchNorm1d training path) in x, weight and bias") {
        auto result = gradcheck([](const auto& v) { return nn::batch_norm_train(v[0], v[1], v[2], 1e-5).output; },
                                {x, weight, bias});
        INFO(result.message);
        CHECK(result.ok);
    }
    SECTION("batch_norm_eval (the BatchNorm1d evaluation path) in x, weight and bias") {
        auto mean = Tensor<double>::normal({3}, gen), var = Tensor<double>::uniform({3}, gen, 0.5, 2.0);
        auto result = gradcheck(
            [&](const auto& v) { return nn::batch_norm_eval(v[0], mean, var, v[1], v[2], 1e-5); }, {x, weight, bias});
        INFO(result.message);
        CHECK(result.ok);
    }
    SECTION("spectral_normalized weight (the SpectralNorm path) inside linear, in x, weight and bias") {
        auto w = Tensor<double>::normal({2, 3}, gen), b = Tensor<double>::normal({2}, gen);
        auto u = Tensor<double>::normal({2}, gen), v = Tensor<double>::normal({3}, gen);
        auto result = gradcheck(
            [&](const auto& in) { return aigc::linear(in[0], nn::spectral_normalized(in[1], u, v), in[2]); },
            {x, w, b});
        INFO(result.message);
        CHECK(result.ok);
    }
    SECTION("a whole Sequential of modules in its input") {
        auto net = nn::Sequential(std::make_shared<nn::Linear<double>>(3, 5, gen),
                                  std::make_shared<nn::BatchNorm1d<double>>(5), std::make_shared<nn::Tanh<double>>(),
                                  nn::spectral_norm(std::make_shared<nn::Linear<double>>(5, 2, gen), gen));
        net[3].eval();  // a training forward would move u and v between the finite-difference probes
        auto result = gradcheck([&](const auto& v) { return net(v[0]); }, {x});
        INFO(result.message);
        CHECK(result.ok);
    }
}

TEST_CASE("Dropout is the identity in eval and drops a fraction p, scaled by 1/(1-p), in training", "[nn][dropout]") {
    Generator gen(9);
    nn::Dropout<float> drop(0.3, gen);
    auto x = formula<float>({200, 100}, 0.37, 0.1, 1.0, 2.0);  // values in [1, 3], never 0
    std::vector<float> input = x.to_vector();

    drop.eval();
    CHECK(drop(Var<float>(x)).value().to_vector() == input);

    drop.train();
    Var<float> xv(x, true);
    Var<float> y = drop(xv);
    y.backward(Tensor<float>::ones(x.shape()));
    std::vector<float> out = y.value().to_vector(), grad = xv.grad().to_vector();
    std::size_t zeros = 0;
    const float scale = 1.0f / 0.7f;
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (out[i] == 0.0f) {
            ++zeros;
            REQUIRE(grad[i] == 0.0f);
        } else {
            REQUIRE(out[i] == Approx(input[i] * scale).epsilon(1e-6));
            REQUIRE(grad[i] == Approx(scale).epsilon(1e-6));
        }
    }
    // 20000 Bernoulli(0.3) draws: standard deviation of the fraction is 0.0032, so +-0.02 is > 6 sigma.
    double fraction = static_cast<double>(zeros) / static_cast<double>(out.size());
    CHECK(fraction == Approx(0.3).margin(0.02));
    // The next training forward draws a fresh mask.
    CHECK(drop(Var<float>(x)).value().to_vector() != out);

    CHECK_THROWS_WITH(nn::Dropout<float>(1.5, gen), Contains("Dropout: probability must be in [0, 1], given 1.5"));
    CHECK_THROWS_WITH(nn::Dropout<float>(-0.1, gen), Contains("given -0.1"));
}

TEST_CASE("Dropout draws from the caller's Generator and keeps drawing after it is destroyed", "[dropout][lifetime]") {
    Var<float> x(formula<float>({50, 40}, 0.37, 0.1, 1.0, 2.0));
    auto mask = [&](nn::Dropout<float>& layer) { return layer(x).value().to_vector(); };
    Generator twin(21);  // the same seed: predicts the masks of the layer whose generator goes away
    nn::Dropout<float> reference(0.5, twin);
    auto gen = std::make_unique<Generator>(21);
    nn::Dropout<float> drop(0.5, *gen);
    CHECK(mask(drop) == mask(reference));

    // The layer and the caller share one stream: rewinding the caller's generator (as a resumed run
    // does) rewinds the layer, and the caller's own draws move the layer's on.
    gen->set_state(21, 0);
    twin.set_state(21, 0);
    CHECK(mask(drop) == mask(reference));
    Tensor<float>::uniform({7}, *gen);
    Tensor<float>::uniform({7}, twin);
    CHECK(mask(drop) == mask(reference));

    gen.reset();
    for (int i = 0; i < 3; ++i) CHECK(mask(drop) == mask(reference));
}

TEST_CASE("train() and eval() reach every nested module", "[nn][module][sequential]") {
    Generator gen(2);
    auto inner = std::make_shared<nn::Sequential<float>>(std::make_shared<nn::BatchNorm1d<float>>(4),
                                                         std::make_shared<nn::Dropout<float>>(0.5, gen));
    nn::Sequential outer(std::make_shared<nn::Linear<float>>(3, 4, gen), inner,
                         nn::spectral_norm(std::make_shared<nn::Linear<float>>(4, 2, gen), gen));
    auto all_modes = [&] {
        std::vector<bool> modes{outer.is_training(), inner->is_training()};
        for (index_t i = 0; i < outer.size(); ++i) modes.push_back(outer[i].is_training());
        for (index_t i = 0; i < inner->size(); ++i) modes.push_back((*inner)[i].is_training());
        return modes;
    };
    CHECK(all_modes() == std::vector<bool>(7, true));  // modules start in training mode, as in PyTorch
    outer.eval();
    CHECK(all_modes() == std::vector<bool>(7, false));
    outer.train();
    CHECK(all_modes() == std::vector<bool>(7, true));
    inner->eval();  // only the subtree
    CHECK(outer.is_training());
    CHECK(outer[0].is_training());
    CHECK_FALSE((*inner)[0].is_training());
    CHECK_FALSE((*inner)[1].is_training());
}

TEST_CASE("state_dict and load_state_dict round trip, and bad states are rejected with every problem named",
          "[nn][module][sequential][state_dict]") {
    auto build = [](std::uint64_t seed, Generator& gen) {
        gen = Generator(seed);
        return nn::Sequential(std::make_shared<nn::Linear<double>>(4, 3, gen),
                              std::make_shared<nn::BatchNorm1d<double>>(3), std::make_shared<nn::LeakyReLU<double>>(0.2),
                              nn::spectral_norm(std::make_shared<nn::Linear<double>>(3, 2, gen), gen));
    };
    Generator gen_a, gen_b;
    auto a = build(1, gen_a);
    auto b = build(2, gen_b);
    CHECK(state_names(a) == Strings{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                                    "1.num_batches_tracked", "3.bias", "3.weight_orig", "3.weight_u", "3.weight_v"});
    CHECK(parameter_names(a) == Strings{"0.weight", "0.bias", "1.weight", "1.bias", "3.bias", "3.weight_orig"});
    std::vector<std::string> buffers;
    for (const auto& [name, t] : a.named_buffers()) buffers.push_back(name);
    CHECK(buffers == Strings{"1.running_mean", "1.running_var", "1.num_batches_tracked", "3.weight_u", "3.weight_v"});
    // state_dict entries are handles on the model's tensors, as in PyTorch.
    CHECK(a.state_dict()[0].second.shares_storage_with(a.parameters()[0].value()));

    Var<double> x(formula({5, 4}, 0.37, 0.1));
    a(x);  // moves running statistics, num_batches_tracked and u, v away from their initial values
    a.eval();
    b.eval();
    std::vector<double> a_out = a(x).value().to_vector();
    CHECK(b(x).value().to_vector() != a_out);

    NamedTensors saved = a.state_dict();
    b.load_state_dict(saved);
    NamedTensors loaded = b.state_dict();
    REQUIRE(loaded.size() == saved.size());
    for (std::size_t i = 0; i < saved.size(); ++i) {
        INFO(saved[i].first);
        CHECK(loaded[i].first == saved[i].first);
        CHECK(loaded[i].second.to_vector() == saved[i].second.to_vector());
        CHECK_FALSE(loaded[i].second.shares_storage_with(saved[i].second));  // copied, not aliased
    }
    CHECK(b(x).value().to_vector() == a_out);
    // Loading copies in place: b's parameter handles (what an optimizer holds) still see the values.
    CHECK(b.parameters()[0].value().to_vector() == saved[0].second.to_vector());

    SECTION("a missing key") {
        NamedTensors state = saved;
        state.erase(state.begin() + 5);  // 1.running_var
        CHECK_THROWS_WITH(b.load_state_dict(state), Contains("load_state_dict") && Contains("Sequential") &&
                                                        Contains("missing keys: \"1.running_var\""));
    }
    SECTION("an unexpected key") {
        NamedTensors state = saved;
        state.emplace_back("4.weight", Tensor<double>::zeros({2, 2}));
        CHECK_THROWS_WITH(b.load_state_dict(state), Contains("unexpected keys: \"4.weight\""));
    }
    SECTION("a wrong shape, reported with both shapes; nothing is written") {
        Generator gen(7);
        auto other = build(3, gen);
        NamedTensors state = other.state_dict();
        state[0].second = Tensor<double>::zeros({3, 5});
        CHECK_THROWS_WITH(b.load_state_dict(state),
                          Contains("shape mismatches: \"0.weight: checkpoint has [3, 5], model has [3, 4]\""));
        for (std::size_t i = 0; i < saved.size(); ++i) CHECK(loaded[i].second.to_vector() == saved[i].second.to_vector());
    }
    SECTION("all problems at once, and a duplicated key") {
        NamedTensors state = saved;
        state.erase(state.begin());                                      // 0.weight missing
        state.emplace_back("0.bias", saved[1].second);                   // 0.bias twice
        state.emplace_back("extra", Tensor<double>::zeros({1}));         // unexpected
        state[0].second = Tensor<double>::zeros({4});                    // 0.bias [4] instead of [3]
        CHECK_THROWS_WITH(b.load_state_dict(state),
                          Contains("missing keys: \"0.weight\"") && Contains("unexpected keys: \"extra\"") &&
                              Contains("duplicated keys: \"0.bias\"") &&
                              Contains("\"0.bias: checkpoint has [4], model has [3]\""));
    }
}

TEST_CASE("zero_grad clears every parameter's gradient", "[nn][module][zero_grad]") {
    Generator gen(4);
    nn::Sequential net(std::make_shared<nn::Linear<double>>(3, 4, gen), std::make_shared<nn::BatchNorm1d<double>>(4),
                       std::make_shared<nn::Linear<double>>(4, 1, gen));
    Var<double> loss = sum(square(net(Var<double>(formula({6, 3}, 0.37, 0.1)))));
    loss.backward();
    double total = 0;
    for (const auto& p : net.parameters()) {
        REQUIRE(p.has_grad());
        for (double g : p.grad().to_vector()) total += std::fabs(g);
    }
    CHECK(total > 0.0);
    net.zero_grad();
    for (const auto& p : net.parameters()) {
        REQUIRE(p.has_grad());  // the buffer is kept for the next step
        for (double g : p.grad().to_vector()) CHECK(g == 0.0);
    }
}

TEST_CASE("module names follow PyTorch's rules, and a shared layer is one set of parameters",
          "[nn][module][sequential]") {
    Registrar r;
    r.add_parameter("w");
    CHECK_THROWS_WITH(r.add_buffer("w"), Contains("register_buffer: name 'w' is already registered"));
    CHECK_THROWS_WITH(r.add_module("w"), Contains("register_module: name 'w' is already registered"));
    CHECK_THROWS_WITH(r.add_parameter("a.b"), Contains("name 'a.b' must not contain '.'"));
    CHECK_THROWS_WITH(r.add_parameter(""), Contains("must not be empty"));

    // The same Linear twice (weight tying): named_parameters lists it once, state_dict under both names.
    Generator gen(8);
    auto shared = std::make_shared<nn::Linear<double>>(2, 2, gen);
    nn::Sequential tied(shared, std::make_shared<nn::Tanh<double>>(), shared);
    CHECK(parameter_names(tied) == Strings{"0.weight", "0.bias"});
    CHECK(tied.parameter_count() == 6);
    CHECK(state_names(tied) == Strings{"0.weight", "0.bias", "2.weight", "2.bias"});

    nn::Sequential<double> empty;
    Var<double> x(formula({2, 2}, 0.37, 0.1));
    CHECK(empty(x).value().to_vector() == x.value().to_vector());  // identity, as in PyTorch
    CHECK_THROWS_WITH(tied[3], Contains("Sequential: index 3 is out of range for 3 layers"));
}

TEST_CASE("the seed GAN's generator and discriminator have PyTorch's parameter names and counts",
          "[nn][gan][sequential]") {
    Generator gen(2024);
    auto lrelu = [] { return std::make_shared<nn::LeakyReLU<float>>(0.2); };
    auto linear = [&](index_t in, index_t out) { return std::make_shared<nn::Linear<float>>(in, out, gen); };
    auto dropout = [&] { return std::make_shared<nn::Dropout<float>>(0.3, gen); };
    nn::Sequential generator(linear(100, 256), lrelu(), linear(256, 512), lrelu(), linear(512, 1024), lrelu(),
                             linear(1024, 784), std::make_shared<nn::Tanh<float>>());
    nn::Sequential discriminator(linear(784, 1024), lrelu(), dropout(), linear(1024, 512), lrelu(), dropout(),
                                 linear(512, 256), lrelu(), dropout(), linear(256, 1),
                                 std::make_shared<nn::Sigmoid<float>>());
    // Numbers and names printed by tests/reference/nn_reference.py from torch.nn.Sequential.
    CHECK(parameter_names(generator) ==
          Strings{"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias", "6.weight", "6.bias"});
    CHECK(generator.parameter_count() == 1486352);
    CHECK(parameter_names(discriminator) ==
          Strings{"0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias", "9.weight", "9.bias"});
    CHECK(discriminator.parameter_count() == 1460225);
    CHECK(generator.state_dict().size() == 8);

    Var<float> z(Tensor<float>::normal({2, 100}, gen));
    Var<float> fake = generator(z);
    CHECK(fake.shape() == Shape{2, 784});
    Var<float> p = discriminator(fake);
    CHECK(p.shape() == Shape{2, 1});
    for (float v : p.value().to_vector()) CHECK((v > 0.0f && v < 1.0f));
}

TEST_CASE("set_requires_grad freezes every parameter of a module tree, and thaws it", "[nn][module][freeze]") {
    Generator gen(4);
    nn::Sequential<double> net;
    net.push_back(std::make_shared<nn::Linear<double>>(3, 4, gen));
    net.push_back(std::make_shared<nn::Tanh<double>>());
    net.push_back(std::make_shared<nn::Linear<double>>(4, 1, gen));
    auto x = parameter(Tensor<double>::from_vector({2, 3}, {0.1, -0.2, 0.3, 0.4, 0.5, -0.6}));
    net.set_requires_grad(false);
    for (auto& p : net.parameters()) CHECK_FALSE(p.requires_grad());
    sum(net.forward(x)).backward();  // through the frozen net to its input only
    CHECK(x.has_grad());
    for (auto& p : net.parameters()) CHECK_FALSE(p.has_grad());
    net.set_requires_grad(true);
    sum(net.forward(x)).backward();
    for (auto& p : net.parameters()) CHECK(p.has_grad());
}
