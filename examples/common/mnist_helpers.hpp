#pragma once
// Small data chores shared by the trainers: the first n images of a split as one tensor, and the
// classifier that scores GAN samples.
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include <aigc/all.hpp>

namespace examples {

// Images 0..n-1 of `data` [n, 784] in file order, scaled like the training batches.
template <class T, class D>
aigc::Tensor<T, D> first_images(const aigc::data::Mnist& data, aigc::index_t n, aigc::data::PixelScale scale) {
    n = std::min(n, data.size());
    aigc::data::DataLoader<T, D> loader(data, {.batch_size = n, .shuffle = false, .scale = scale}, aigc::Generator(0));
    loader.start_epoch();
    return loader.next()->images;
}

// A trained classifier (classifier_mnist train) for the GAN metrics, or nothing when the file is absent.
inline std::optional<aigc::models::Classifier<float>> load_scoring_classifier(const std::filesystem::path& path) {
    if (!std::filesystem::exists(path)) {
        std::cerr << "note: no classifier at " << path.string()
                  << ": the Frechet distance and score are skipped (train one with classifier_mnist train)\n";
        return std::nullopt;
    }
    aigc::Generator unused(0);
    aigc::models::Classifier<float> classifier({}, unused);
    aigc::io::load_into(path, classifier.model_state(), {.require_finite = true});
    return classifier;
}

}  // namespace examples
