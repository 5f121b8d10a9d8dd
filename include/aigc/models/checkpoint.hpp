#pragma once
// A training checkpoint: one safetensors file with every tensor a run needs (model(s) and optimizer
// state under their prefixes) and, in its metadata, the exact counters: which model it is, epochs
// and steps done, the random generator's (seed, offset) and the data loader's position. Loading it
// restores all of these, so `2 epochs` and `1 epoch, then --resume 1 epoch` give identical numbers.
#include <cstdint>
#include <filesystem>
#include <string>

#include "../data/loader.hpp"
#include "../io/safetensors.hpp"
#include "named_state.hpp"

namespace aigc::models {

struct TrainingProgress {
    std::int64_t epochs_done = 0;  // complete passes over the training set
    std::int64_t steps_done = 0;   // optimizer steps in all
};

struct RunState {
    TrainingProgress progress;
    Generator rng;                  // model initialisation, dropout and noise
    data::LoaderState loader;       // shuffling position
    // The settings the run was started with (one "name = value" per line), so a resume can say
    // which it changes; free text, compared by the program that wrote it.
    std::string settings = {};
};

template <class T, class D>
void save_checkpoint(const std::filesystem::path& path, const std::string& kind, const NamedTensors<T, D>& state,
                     const RunState& run, const std::string& config = {}) {
    io::Metadata meta;
    meta.set("aigc.kind", kind);
    if (!config.empty()) meta.set("aigc.config", config);
    meta.set("aigc.epochs_done", run.progress.epochs_done);
    meta.set("aigc.steps_done", run.progress.steps_done);
    meta.set("aigc.rng.seed", run.rng.seed());
    meta.set("aigc.rng.offset", run.rng.offset());
    meta.set("aigc.loader.epoch", run.loader.epoch);
    meta.set("aigc.loader.next_batch", run.loader.next_batch);
    meta.set("aigc.loader.seed", run.loader.seed);
    meta.set("aigc.loader.epoch_offset", run.loader.epoch_offset);
    meta.set("aigc.loader.batch_size", run.loader.batch_size);
    if (!run.settings.empty()) meta.set("aigc.settings", run.settings);
    io::save_safetensors(path, state, meta);
}

// Reads a checkpoint of the given kind: its tensors (to hand to the model's and optimizers'
// load_state, which check every name and shape and say what is missing or unexpected) and the
// counters. A NaN or Inf anywhere is an error naming the tensor and element. A checkpoint of another kind or configuration is an error that names both.
template <class T, class D = Cpu>
std::pair<RunState, NamedTensors<T, D>> load_checkpoint(const std::filesystem::path& path, const std::string& kind,
                                                        const std::string& config = {}) {
    AIGC_CHECK(std::filesystem::exists(path), "load_checkpoint: no checkpoint at '", path.string(),
               "' (train without --resume first)");
    io::Metadata meta = io::read_safetensors_metadata(path);
    AIGC_CHECK(meta.contains("aigc.kind"), "load_checkpoint: '", path.string(),
               "' is not an aigc training checkpoint (no aigc.kind in its metadata)");
    AIGC_CHECK(meta.get("aigc.kind") == kind, "load_checkpoint: '", path.string(), "' is a ", meta.get("aigc.kind"),
               " checkpoint, expected ", kind);
    if (!config.empty() && meta.contains("aigc.config"))
        AIGC_CHECK(meta.get("aigc.config") == config, "load_checkpoint: '", path.string(),
                   "' was trained with configuration '", meta.get("aigc.config"), "', this run has '", config, "'");
    RunState run;
    run.progress.epochs_done = meta.get_as<std::int64_t>("aigc.epochs_done");
    run.progress.steps_done = meta.get_as<std::int64_t>("aigc.steps_done");
    run.rng.set_state(meta.get_as<std::uint64_t>("aigc.rng.seed"), meta.get_as<std::uint64_t>("aigc.rng.offset"));
    run.loader.epoch = meta.get_as<index_t>("aigc.loader.epoch");
    run.loader.next_batch = meta.get_as<index_t>("aigc.loader.next_batch");
    run.loader.seed = meta.get_as<std::uint64_t>("aigc.loader.seed");
    run.loader.epoch_offset = meta.get_as<std::uint64_t>("aigc.loader.epoch_offset");
    if (meta.contains("aigc.loader.batch_size")) run.loader.batch_size = meta.get_as<index_t>("aigc.loader.batch_size");
    if (meta.contains("aigc.settings")) run.settings = meta.get("aigc.settings");
    return {run, io::load_safetensors<T, D>(path, {.require_finite = true})};
}

}  // namespace aigc::models
