#pragma once
// The epoch loop every trainer shares: resume from <out>/checkpoint.safetensors, progress bar,
// per-epoch metrics.csv, loss.svg and sample grids, TensorBoard events (run_events.hpp), a
// checkpoint after every epoch (and when --max-steps stops a run mid-epoch), and a hard stop on a
// non-finite loss before anything is written. Under mpirun (ranks.hpp) every rank runs this loop
// over its rows of each whole batch; rank 0 alone writes the folder, and a step's losses are the
// whole batch's on every rank, so all of them stop (on a NaN, --max-steps or a signal) together.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <aigc/all.hpp>

#include "cli.hpp"
#include "ranks.hpp"
#include "run_events.hpp"
#include "stop_signals.hpp"

namespace examples {

namespace fs = std::filesystem;

struct LoopSpec {
    std::string kind;                       // "gan", "vae", "classifier": checked on --resume
    std::string config;                     // architecture summary: checked on --resume
    std::vector<std::string> losses;        // names of the values a step returns
    std::vector<std::string> epoch_metrics; // names of the values epoch_end returns
};

// What a trainer reports at the end of an epoch: its metrics (LoopSpec::epoch_metrics, in order)
// and optionally a sample grid, written as samples_epoch_NNN.png, samples.png and into the events.
struct EpochReport {
    std::vector<double> metrics;
    std::optional<aigc::io::GrayImage> samples;
};

template <class T, class D>
struct LoopHooks {
    std::function<aigc::models::NamedTensors<T, D>()> state;                   // what a checkpoint saves
    std::function<void(const aigc::models::NamedTensors<T, D>&)> load_state;   // and restores (checked)
    std::function<NamedParameters<T, D>()> parameters;                        // optional: weight histograms
    std::function<void(std::int64_t epoch)> epoch_begin;                      // optional: e.g. set this epoch's lr
    std::function<std::vector<double>(const aigc::data::Batch<T, D>&)> step;  // one optimizer step
    std::function<EpochReport(std::int64_t epoch)> epoch_end;                 // metrics, samples, model files (rank 0)
    // The parameters each optimizer steps, one group per optimizer: on several ranks their
    // gradients are combined over the ranks before the step.
    std::function<std::vector<NamedParameters<T, D>>()> gradient_groups;
};

namespace detail {
// Previous epochs' rows of metrics.csv (numbers only, as this loop writes them), for loss.svg.
inline std::vector<std::vector<double>> read_metric_rows(const fs::path& csv) {
    std::vector<std::vector<double>> rows;
    std::ifstream in(csv);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::vector<double> row;
        std::stringstream cells(line);
        for (std::string cell; std::getline(cells, cell, ',');) row.push_back(std::strtod(cell.c_str(), nullptr));
        rows.push_back(row);
    }
    return rows;
}
}  // namespace detail

// loss.svg: every loss column of metrics.csv against the epoch, including epochs before a resume.
inline void write_loss_plot(const fs::path& csv_path, const LoopSpec& spec, const fs::path& svg) {
    auto rows = detail::read_metric_rows(csv_path);
    std::vector<aigc::io::Series> series;
    for (std::size_t k = 0; k < spec.losses.size(); ++k) {
        aigc::io::Series s{spec.losses[k], {}, {}};
        for (const auto& row : rows)
            if (row.size() > 2 + k) {
                s.x.push_back(row[0]);
                s.y.push_back(row[2 + k]);
            }
        series.push_back(s);
    }
    aigc::io::write_svg_plot(svg, series, {.title = spec.kind + " training loss (epoch means)", .x_label = "epoch"});
}

// A run without --resume starts from nothing: into a folder that holds a run only with --overwrite,
// which then removes that run's files (its epoch images included) before anything new is written.
// Whether metrics.csv holds a row below its header (a header alone is a run killed before its
// first epoch ended: nothing there to keep).
inline bool has_metric_rows(const fs::path& csv_path) {
    std::ifstream in(csv_path);
    std::string line;
    return std::getline(in, line) && std::getline(in, line);
}

inline void prepare_new_run(const CommonOptions& o, const fs::path& checkpoint, const fs::path& csv_path) {
    // A run is a checkpoint, or metrics rows.
    const bool has_checkpoint = fs::exists(checkpoint);
    if (!has_checkpoint && !has_metric_rows(csv_path)) return;
    // Rows without a checkpoint: a run stopped between its first metrics row and its first
    // checkpoint. Kept unless asked, but there is nothing to resume.
    AIGC_CHECK(o.overwrite, "'", o.out, "' already holds a run (",
               has_checkpoint ? checkpoint.string() + "); add --resume to continue it or --overwrite to replace it"
                              : csv_path.string() + " has rows, but the run saved no checkpoint to resume); add "
                                                    "--overwrite to replace it");
    for (const auto& entry : fs::directory_iterator(o.out)) {
        const std::string name = entry.path().filename().string();
        const bool epoch_image = name.rfind("samples_epoch_", 0) == 0 && entry.path().extension() == ".png";
        if (entry.is_regular_file() && (epoch_image || name == "checkpoint.safetensors" || name == "metrics.csv" ||
                                        name == "loss.svg" || name == "samples.png"))
            fs::remove(entry.path());
    }
}

// AtomicFile's temporary files (".<name>.tmp.<pid>.<n>") that a killed run left behind. Called with
// the folder's lock held, so no live writer owns any of them.
inline void remove_stale_temp_files(const fs::path& folder) {
    for (const auto& entry : fs::directory_iterator(folder)) {
        const std::string name = entry.path().filename().string();
        if (entry.is_regular_file() && name.size() > 1 && name[0] == '.' && name.find(".tmp.") != std::string::npos)
            fs::remove(entry.path());
    }
}

// metrics.csv as the checkpoint at `steps_done` left it: a run that wrote an epoch's row and then
// died before its checkpoint would otherwise get that row twice after --resume. A last row without
// its newline was cut short by a kill while it was written; rows go out before their checkpoint,
// so it is past the checkpoint too (kept, it would stop the resume: CsvWriter refuses to append).
inline void drop_metric_rows_after(const fs::path& csv_path, std::int64_t steps_done) {
    std::ifstream in(csv_path, std::ios::binary);
    if (!in) return;
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    std::string kept;
    bool changed = false;
    for (std::size_t start = 0; start < text.size();) {
        const std::size_t end = text.find('\n', start);
        if (end == std::string::npos) {  // cut short
            changed = true;
            break;
        }
        const std::string line = text.substr(start, end + 1 - start);
        const std::size_t comma = line.find(',');
        const bool header = start == 0;
        const std::int64_t step = header || comma == std::string::npos ? 0 : std::strtoll(line.c_str() + comma + 1, nullptr, 10);
        if (step > steps_done) changed = true;
        else kept += line;
        start = end + 1;
    }
    if (changed) aigc::io::write_file_atomically(csv_path, kept, "metrics.csv");
}

// The options that shape the results, one "name=value" per line as CLI11 writes them: stored in
// every checkpoint so that a resume can say which it changes. Left out: where files are, how long
// to train, threads (results are the same for any count) and what is logged.
inline std::string result_settings(const CommonOptions& o) {
    if (!o.command) return {};
    // --batch is per rank: the number of ranks shapes the results too (their product is the whole batch).
    const std::string ranks_line = ranks().distributed() ? "ranks=" + std::to_string(ranks().size()) + "\n" : "";
    static const std::set<std::string> neutral{"data", "out", "resume", "overwrite", "epochs", "max-steps", "threads",
                                               "log-every", "no-tensorboard", "detect-anomaly", "classifier",
                                               "metric-samples"};
    std::istringstream lines(o.command->config_to_str(true, false));
    std::string line, settings;
    while (std::getline(lines, line)) {
        const std::size_t equals = line.find('=');
        if (equals == std::string::npos || neutral.count(line.substr(0, equals))) continue;
        settings += line + "\n";
    }
    return settings + ranks_line;
}

// "lr=0.0002 -> 0.001, batch=64 -> 128": the settings a resume changes (empty when none, or when
// the checkpoint predates stored settings).
inline std::string changed_settings(const std::string& saved, const std::string& now) {
    auto parse = [](const std::string& text) {
        std::map<std::string, std::string> values;
        std::istringstream lines(text);
        for (std::string line; std::getline(lines, line);)
            if (auto eq = line.find('='); eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
        return values;
    };
    if (saved.empty()) return {};
    const auto before = parse(saved), after = parse(now);
    std::string changes;
    for (const auto& [name, value] : after) {
        auto old = before.find(name);
        const std::string was = old == before.end() ? "(not set)" : old->second;
        if (was != value) changes += (changes.empty() ? "" : ", ") + name + " " + was + " -> " + value;
    }
    return changes;
}

// The command that continues a stopped run: the one that was typed, with --resume for --overwrite.
inline std::string resume_command() {
    std::string line = invocation(), word;
    std::string out;
    std::istringstream words(line);
    bool has_resume = false;
    while (words >> word) {
        if (word == "--overwrite") continue;
        has_resume = has_resume || word == "--resume";
        out += (out.empty() ? "" : " ") + word;
    }
    return has_resume ? out : out + " --resume";
}

// The run state as text, for rank 0 to hand to the others after it read a checkpoint.
inline std::string run_state_text(const aigc::models::RunState& run) {
    std::ostringstream text;
    text << run.progress.epochs_done << ' ' << run.progress.steps_done << ' ' << run.rng.seed() << ' ' << run.rng.offset()
         << ' ' << run.loader.epoch << ' ' << run.loader.next_batch << ' ' << run.loader.seed << ' '
         << run.loader.epoch_offset << ' ' << run.loader.batch_size << '\n'
         << run.settings;
    return text.str();
}
inline void read_run_state_text(const std::string& text, aigc::models::RunState& run) {
    std::istringstream in(text);
    std::uint64_t seed = 0, offset = 0;
    in >> run.progress.epochs_done >> run.progress.steps_done >> seed >> offset >> run.loader.epoch >>
        run.loader.next_batch >> run.loader.seed >> run.loader.epoch_offset >> run.loader.batch_size;
    AIGC_CHECK(static_cast<bool>(in), "the run state from rank 0 is malformed");
    run.rng.set_state(seed, offset);
    in.ignore(1);
    run.settings.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

template <class T, class D>
void train_epochs(const CommonOptions& o, const LoopSpec& spec, aigc::data::DataLoader<T, D>& loader,
                  aigc::Generator& rng, const LoopHooks<T, D>& hooks) {
    using namespace aigc;
    const Ranks& world = ranks();
    const bool root = world.is_root();
    AIGC_CHECK(loader.options().ranks == world.size() && loader.options().rank == world.rank(), spec.kind,
               ": the loader must take this rank's rows (LoaderOptions rank ", world.rank(), ", ranks ", world.size(),
               "), it has rank ", loader.options().rank, " of ", loader.options().ranks);
    AnomalyMode anomaly(o.detect_anomaly);  // --detect-anomaly: for this loop only (on or off)
    const fs::path checkpoint = fs::path(o.out) / "checkpoint.safetensors";
    const fs::path csv_path = fs::path(o.out) / "metrics.csv";
    std::optional<io::FolderLock> lock;
    world.on_root("preparing " + o.out, [&] {
        fs::create_directories(o.out);
        // Held until the run ends: a second trainer on this --out stops here, before touching anything.
        lock.emplace(o.out, command_name(o, spec.kind + " training"));
        remove_stale_temp_files(o.out);
        if (!o.resume) prepare_new_run(o, checkpoint, csv_path);
    });
    StopSignals stop_signals;  // from here on SIGINT/SIGTERM stop gracefully

    models::RunState run_state{{}, rng, loader.state()};
    const std::string settings = result_settings(o);
    if (o.resume) {
        world.on_root("reading " + checkpoint.string(), [&] {
            AIGC_CHECK(fs::exists(checkpoint) || !has_metric_rows(csv_path), "--resume: no checkpoint at '",
                       checkpoint.string(), "'; the rows of ", csv_path.string(),
                       " belong to a run stopped before its first checkpoint, so there is nothing to resume; add "
                       "--overwrite instead of --resume to replace them");
            auto [saved, tensors] = models::load_checkpoint<T, D>(checkpoint, spec.kind, spec.config);
            hooks.load_state(tensors);
            run_state = saved;
            std::cerr << "note: resumed from " << checkpoint.string() << " after " << run_state.progress.epochs_done
                      << " epochs, " << run_state.progress.steps_done << " steps\n";
            drop_metric_rows_after(csv_path, run_state.progress.steps_done);
            if (std::string changes = changed_settings(run_state.settings, settings); !changes.empty())
                std::cerr << "note: this resume changes settings the checkpoint was trained with: " << changes << "\n";
        });
        if (world.distributed()) {  // rank 0 read it: the others take its model, optimizer and counters
            read_run_state_text(world.share_text(run_state_text(run_state)), run_state);
            auto state = world.share_tensors(hooks.state());
            if (!root) hooks.load_state(state);
        }
        rng.set_state(run_state.rng.seed(), run_state.rng.offset());
        loader.restore(run_state.loader);
    }
    run_state.settings = settings;
    // Every rank starts from rank 0's parameters, checked to have the same names and shapes.
    AIGC_CHECK(!world.distributed() || hooks.gradient_groups, spec.kind,
               ": on several ranks the loop needs LoopHooks::gradient_groups, or each rank would train alone");
    GradientSync<T, D> sync(hooks.gradient_groups ? hooks.gradient_groups() : std::vector<NamedParameters<T, D>>{});

    // --max-steps and --epochs count the whole run, resumed or not: a run at its budget trains and
    // writes nothing, so the same command run twice gives the same folder.
    if ((o.max_steps > 0 && run_state.progress.steps_done >= o.max_steps) || run_state.progress.epochs_done >= o.epochs) {
        if (root)
            std::cerr << "note: " << checkpoint.string() << " is already at step " << run_state.progress.steps_done
                      << ", epoch " << run_state.progress.epochs_done << " (--max-steps " << o.max_steps << ", --epochs "
                      << o.epochs << "); nothing to train\n";
        return;
    }

    std::vector<std::string> columns{"epoch", "step"};
    for (const auto& name : spec.losses) columns.push_back(name);
    for (const auto& name : spec.epoch_metrics) columns.push_back(name);
    columns.push_back("seconds");
    std::optional<io::CsvWriter> csv;
    std::optional<RunEvents> events;
    world.on_root("opening metrics.csv and the events file", [&] {
        csv.emplace(csv_path, columns, o.resume ? io::CsvMode::append : io::CsvMode::truncate);
        events.emplace(o, spec.config, run_state.progress.steps_done);
    });

    auto save = [&] {
        run_state.rng = rng;
        run_state.loader = loader.state();
        models::save_checkpoint(checkpoint, spec.kind, hooks.state(), run_state, spec.config);
    };
    const std::int64_t steps_per_epoch = loader.batches_per_epoch();
    bool budget_left = true, stop = false;
    // A signal between epochs: one process stops before the next epoch; ranks learn of it at the
    // next step, which they then all finish first.
    auto stop_asked = [&] { return stop || (!world.distributed() && StopSignals::received()); };
    for (std::int64_t epoch = run_state.progress.epochs_done + 1; epoch <= o.epochs && budget_left && !stop_asked();
         ++epoch) {
        auto started = std::chrono::steady_clock::now();
        std::vector<double> sums(spec.losses.size(), 0.0);
        std::int64_t steps = 0, samples = 0;
        std::optional<io::ProgressBar> bar;
        if (root) bar.emplace(io::ProgressOptions{.epoch = epoch, .epochs = o.epochs, .steps = steps_per_epoch});
        io::ProgressValues shown;
        std::int64_t step_in_epoch = loader.state().next_batch;
        // Also at the start of a resumed, partly done epoch: state derived from the epoch number
        // (a learning-rate schedule) is then what the uninterrupted run had.
        if (hooks.epoch_begin) hooks.epoch_begin(epoch);
        for (const auto& batch : loader) {
            std::vector<double> losses;
            try {
                // The step's per-sample draws are this rank's rows of the whole batch's.
                SampleRowsScope rows(rng, batch.rows);
                [[maybe_unused]] auto synced = sync.step(batch.rows);
                losses = hooks.step(batch);
            } catch (const aigc::Error& e) {  // e.g. --detect-anomaly's report: say where, and that nothing was lost
                aigc::fail(aigc::detail::concat(spec.kind, ": step ", run_state.progress.steps_done + 1, " (epoch ",
                                                epoch, ") failed: ", e.what(),
                                                "; stopped without saving, the last checkpoint is intact: ",
                                                checkpoint.string()));
            }
            stop = world.combine_step(losses, batch.rows, StopSignals::received() != 0);
            for (std::size_t k = 0; k < losses.size(); ++k) {
                AIGC_CHECK(std::isfinite(losses[k]), spec.kind, ": ", spec.losses[k], " became ", losses[k],
                           " at step ", run_state.progress.steps_done + 1, " (epoch ", epoch,
                           "); stopped without saving, the last checkpoint is intact: ", checkpoint.string());
                sums[k] += losses[k];
            }
            ++steps;
            ++run_state.progress.steps_done;
            samples += batch.rows.total;
            if (root) {
                events->step(spec.losses, losses, run_state.progress.steps_done);
                shown.clear();
                for (std::size_t k = 0; k < losses.size(); ++k) shown.emplace_back(spec.losses[k], losses[k]);
                bar->update(++step_in_epoch, samples, shown);
            }
            if ((o.max_steps > 0 && run_state.progress.steps_done >= o.max_steps) || stop) {
                budget_left = false;
                break;
            }
        }
        bool epoch_complete = !loader.in_epoch();
        if (epoch_complete) run_state.progress.epochs_done = epoch;
        // The other ranks go on to the next step and wait in its first collective meanwhile.
        world.on_root("ending epoch " + std::to_string(epoch), [&] {
            bar->finish(samples, shown);
            EpochReport report = hooks.epoch_end(epoch);
            const std::vector<double>& metrics = report.metrics;
            if (report.samples) {
                char name[64];
                std::snprintf(name, sizeof(name), "samples_epoch_%03lld.png", static_cast<long long>(epoch));
                io::write_png(fs::path(o.out) / name, *report.samples);
                io::write_png(fs::path(o.out) / "samples.png", *report.samples);
            }
            events->epoch(spec.epoch_metrics, metrics, report.samples,
                          hooks.parameters ? hooks.parameters() : NamedParameters<T, D>{}, run_state.progress.steps_done);
            double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

            std::vector<io::CsvField> row{epoch, run_state.progress.steps_done};
            std::cout << spec.kind << " epoch " << epoch << (epoch_complete ? "" : " (partial)") << " step "
                      << run_state.progress.steps_done;
            for (std::size_t k = 0; k < sums.size(); ++k) {
                double mean = steps ? sums[k] / double(steps) : 0.0;
                row.emplace_back(mean);
                std::cout << "  " << spec.losses[k] << " " << mean;
            }
            for (std::size_t k = 0; k < metrics.size(); ++k) {
                row.emplace_back(metrics[k]);
                std::cout << "  " << spec.epoch_metrics[k] << " " << metrics[k];
            }
            row.emplace_back(seconds);
            std::cout << "  (" << seconds << " s, " << (seconds > 0 ? double(samples) / seconds : 0.0) << " samples/s)"
                      << std::endl;
            csv->write_row(row);
            save();
            write_loss_plot(csv_path, spec, fs::path(o.out) / "loss.svg");
        });
    }
    if (root) events->close();
    if (stop_asked()) {
        // A signal may have reached only some ranks: the others stop as if they had it too.
        const int signal = StopSignals::received() ? StopSignals::received() : SIGTERM;
        if (root)
            std::cerr << "note: stopped by " << StopSignals::name(signal) << " after step " << run_state.progress.steps_done
                      << "; the checkpoint is saved. Continue with:\n  " << resume_command() << "\n";
        throw StoppedBySignal{signal};
    }
}

}  // namespace examples
