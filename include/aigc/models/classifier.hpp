#pragma once
// An MLP digit classifier, 784-512-256-10 with ReLU and Dropout, trained on images in [-1, 1]
// (the GAN's range) so it can score generated samples. Its 256-wide penultimate activations are
// the feature space of the GAN metrics (models/metrics.hpp). Names as PyTorch's nn.Sequential.
#include <memory>
#include <vector>

#include "../autograd/autograd.hpp"
#include "../nn/nn.hpp"
#include "../optim/optim.hpp"
#include "named_state.hpp"

namespace aigc::models {

struct ClassifierConfig {
    index_t input = 784;
    std::vector<index_t> hidden = {512, 256};
    index_t classes = 10;
    double dropout = 0.2;
    double lr = 1e-3;
};

template <class T = float, class D = Cpu>
class Classifier {
public:
    using V = Var<T, D>;
    using Tn = Tensor<T, D>;

    Classifier(const ClassifierConfig& config, Generator& gen) : config_(validated(config)), net_(make(config, gen)),
        optimizer_(net_->parameters(), {.lr = config.lr}) {}

    struct StepResult {
        double loss;
        double accuracy;
    };
    StepResult train_step(const Tn& images, const std::vector<int>& labels) {
        const Shape& s = images.shape();
        AIGC_CHECK(s.rank() == 2 && s[1] == config_.input, "classifier.train_step: images must be [batch, ",
                   config_.input, "], given ", s);
        AIGC_CHECK(s[0] > 0, "classifier.train_step: empty batch");
        AIGC_CHECK(static_cast<index_t>(labels.size()) == s[0], "classifier.train_step: ", labels.size(),
                   " labels for ", s[0], " images");
        net_->train();
        V logits = net_->forward(V(images));
        V loss = cross_entropy(logits, labels);
        optimizer_.zero_grad();
        loss.backward();
        optimizer_.step();
        return {loss.item(), accuracy(logits.value(), labels)};
    }

    // Class logits [n, classes] in evaluation mode.
    Tn logits(const Tn& images) {
        NoGrad no_grad;
        net_->eval();
        return net_->forward(V(images)).value();
    }
    // Penultimate activations [n, hidden.back()]: everything but the output layer, evaluation mode.
    Tn features(const Tn& images) {
        NoGrad no_grad;
        net_->eval();
        V h(images);
        for (index_t i = 0; i + 1 < net_->size(); ++i) h = (*net_)[i].forward(h);
        return h.value();
    }
    Tn probabilities(const Tn& images) {
        NoGrad no_grad;
        V l(logits(images));
        V shifted = l - V(row_max(l.value()));
        V e = exp(shifted);
        return (e / sum(e, 1, true)).value();
    }

    static double accuracy(const Tn& logits, const std::vector<int>& labels) {
        AIGC_CHECK(logits.rank() == 2 && logits.shape()[0] == static_cast<index_t>(labels.size()),
                   "classifier.accuracy: logits must be [", labels.size(), ", classes] for ", labels.size(),
                   " labels, given ", logits.shape());
        auto host = logits.to_vector();
        index_t classes = logits.shape()[1], correct = 0;
        for (std::size_t i = 0; i < labels.size(); ++i) {
            const T* row = host.data() + i * classes;
            index_t best = std::max_element(row, row + classes) - row;
            correct += best == labels[i];
        }
        return labels.empty() ? 0.0 : double(correct) / double(labels.size());
    }

    NamedTensors<T, D> state() const {
        NamedTensors<T, D> all = net_->state_dict();
        append_prefixed(all, "optimizer.", optimizer_.state());
        return all;
    }
    // All or nothing: a state that does not fit changes nothing (see load_or_keep).
    void load_state(const NamedTensors<T, D>& all) {
        load_or_keep(state(), all, [this](const NamedTensors<T, D>& s) {
            net_->load_state_dict(select_unprefixed(s, "optimizer."));
            optimizer_.load_state(take_prefix("optimizer.", s));
        });
    }
    NamedTensors<T, D> model_state() const { return net_->state_dict(); }
    void load_model_state(const NamedTensors<T, D>& s) { net_->load_state_dict(s); }

    nn::Sequential<T, D>& network() { return *net_; }
    optim::OptimizerBase& optimizer() { return optimizer_; }
    const ClassifierConfig& config() const { return config_; }

private:
    static Tn row_max(const Tn& x) {
        Tn m(Shape{x.shape()[0], 1});
        Kernels<D>::max_rows(x.shape()[0], x.shape()[1], x.data(), m.data());
        return m;
    }
    // Checked before any layer is built, so the error names the config field rather than a Linear.
    static const ClassifierConfig& validated(const ClassifierConfig& c) {
        AIGC_CHECK(c.input > 0, "Classifier: input size must be positive, given ", c.input);
        AIGC_CHECK(c.classes >= 2, "Classifier: needs at least 2 classes, given ", c.classes);
        for (std::size_t i = 0; i < c.hidden.size(); ++i)
            AIGC_CHECK(c.hidden[i] > 0, "Classifier: hidden[", i, "] must be positive, given ", c.hidden[i]);
        return c;
    }
    static std::shared_ptr<nn::Sequential<T, D>> make(const ClassifierConfig& c, Generator& gen) {
        auto seq = std::make_shared<nn::Sequential<T, D>>();
        index_t in = c.input;
        for (index_t width : c.hidden) {
            seq->push_back(std::make_shared<nn::Linear<T, D>>(in, width, gen));
            seq->push_back(std::make_shared<nn::ReLU<T, D>>());
            seq->push_back(std::make_shared<nn::Dropout<T, D>>(c.dropout, gen));
            in = width;
        }
        seq->push_back(std::make_shared<nn::Linear<T, D>>(in, c.classes, gen));
        return seq;
    }

    ClassifierConfig config_;
    std::shared_ptr<nn::Sequential<T, D>> net_;
    optim::Adam<T, D> optimizer_;
};

}  // namespace aigc::models
