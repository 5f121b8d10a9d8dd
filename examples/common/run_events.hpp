#pragma once
// The TensorBoard side of the epoch loop: what a trainer writes into <out>/events.out.tfevents.*.
//   config               the command's options and the model (text), at the run's first step
//   train/<name>         each value the step returns (losses, scores), every --log-every steps
//   metrics/<name>       the epoch's evaluation (test -ELBO, Frechet distance, score, accuracy)
//   samples              the epoch's sample grid (the same image as samples_epoch_NNN.png)
//   weights/<param>      a histogram of each parameter, every epoch
//   grad_norm/<param>    the L2 norm of each parameter's gradient in the epoch's last step
// A run started without --resume replaces the folder's events with its own; a resumed run at step
// S first drops every record after S (io::purge_events_from, also with --no-tensorboard, so the
// folder never describes steps its checkpoint has not taken) and then appends a new file.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <aigc/all.hpp>

#include "cli.hpp"

namespace examples {

template <class T, class D>
using NamedParameters = std::vector<std::pair<std::string, aigc::Var<T, D>>>;

class RunEvents {
public:
    // steps_done: the checkpoint's step when resuming, 0 otherwise.
    RunEvents(const CommonOptions& o, const std::string& model_config, std::int64_t steps_done)
        : log_every_(o.log_every) {
        const std::filesystem::path folder(o.out);
        if (!o.resume) aigc::io::remove_events_files(folder);
        if (o.no_tensorboard) {
            if (o.resume) aigc::io::purge_events_from(folder, steps_done + 1);
            return;
        }
        aigc::io::SummaryWriterOptions options;
        if (o.resume) options.purge_step = steps_done + 1;
        writer_.emplace(folder, options);
        writer_->add_text("config", config_markdown(o, model_config), o.resume ? steps_done + 1 : 0);
    }

    void step(const std::vector<std::string>& names, const std::vector<double>& losses, std::int64_t step) {
        if (!writer_ || step % log_every_ != 0) return;
        for (std::size_t k = 0; k < losses.size(); ++k) writer_->add_scalar("train/" + names[k], losses[k], step);
    }

    template <class T, class D>
    void epoch(const std::vector<std::string>& names, const std::vector<double>& metrics,
               const std::optional<aigc::io::GrayImage>& samples, const NamedParameters<T, D>& parameters,
               std::int64_t step) {
        if (!writer_) return;
        for (std::size_t k = 0; k < metrics.size(); ++k) writer_->add_scalar("metrics/" + names[k], metrics[k], step);
        if (samples) writer_->add_image("samples", *samples, step);
        for (const auto& [name, p] : parameters) {
            writer_->add_histogram("weights/" + name, p.value(), step);
            if (p.has_grad()) writer_->add_scalar("grad_norm/" + name, aigc::optim::grad_norm<T, D>({p}), step);
        }
        writer_->flush();  // an epoch's records are on disk before its checkpoint
    }

    // Writes what is left and reports a write error (a destructor could only print it).
    void close() {
        if (writer_) writer_->close();
    }

private:
    // Markdown: indented lines are shown verbatim.
    static std::string config_markdown(const CommonOptions& o, const std::string& model_config) {
        std::string text = o.command ? "    " + command_name(o, "") + "\n" : std::string();
        text += "    model: " + model_config + "\n";
        std::istringstream options(o.command ? o.command->config_to_str(true, false) : std::string());
        for (std::string line; std::getline(options, line);)
            if (!line.empty()) text += "    " + line + "\n";
        return text;
    }

    std::int64_t log_every_;
    std::optional<aigc::io::SummaryWriter> writer_;
};

}  // namespace examples
