#pragma once
// What every example program shares: the common flags, one-line error reporting and the device
// switch. A failure prints "<program>: error: <what went wrong>" once and exits non-zero.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <optional>
#include <iostream>
#include <string>
#include <vector>

#include <aigc/all.hpp>

#include "ranks.hpp"
#include "stop_signals.hpp"

namespace examples {

struct CommonOptions {
    std::string dataset = "mnist";  // mnist or fashion-mnist: where --data points by default
    std::string data = "data/mnist";
    std::string out;
    int epochs = 1;
    std::int64_t batch = 64;
    std::uint64_t seed = 1;
    std::string device = "cpu";
    std::int64_t max_steps = 0;  // 0: no limit
    bool resume = false;
    bool overwrite = false;      // replace the run already in --out
    int threads = 0;             // 0: AIGC_NUM_THREADS or every core this process may use
    bool detect_anomaly = false; // stop at the first op that produces NaN/Inf (aigc::AnomalyMode)
    bool no_tensorboard = false; // no events.out.tfevents.* in --out
    std::int64_t log_every = 10; // steps between the per-step losses in the events file
    const CLI::App* command = nullptr;  // the parsed subcommand: its options go into the events' config text
};

// A learning rate or a similar scale: finite and > 0. (CLI11's PositiveNumber would print its
// bound, DBL_MAX, as a 300-digit number in the error.)
inline CLI::Validator positive_finite() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            char* end = nullptr;
            double value = std::strtod(text.c_str(), &end);
            bool ok = end != text.c_str() && *end == '\0' && std::isfinite(value) && value > 0.0;
            return ok ? std::string() : "must be a positive finite number, given " + text;
        },
        "POSITIVE");
}

// A file name whose extension matches what the program writes there (compared without case).
inline CLI::Validator extension_check(std::vector<std::string> allowed, std::string what) {
    return CLI::Validator(
        [allowed, what](std::string& path) -> std::string {
            std::string extension = std::filesystem::path(path).extension().string();
            for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            for (const auto& ok : allowed)
                if (extension == ok) return {};
            std::string list;
            for (const auto& ok : allowed) list += (list.empty() ? "" : ", ") + (ok.empty() ? std::string("none") : ok);
            return path + " would be " + what + " under the extension '" + extension + "' (expected " + list + ")";
        },
        "FILE");
}

inline void add_training_options(CLI::App& cmd, CommonOptions& o) {
    cmd.add_option("--dataset", o.dataset,
                   "mnist or fashion-mnist (same format and sizes; scripts/fetch-data.sh --fashion): sets --data's "
                   "default to data/<dataset>")
        ->capture_default_str()->check(CLI::IsMember({"mnist", "fashion-mnist"}));
    cmd.add_option("--data", o.data, "folder with the IDX files (default data/<dataset>, scripts/fetch-data.sh)")
        ->capture_default_str();
    // An explicit --data wins, in whatever order the two were given.
    cmd.parse_complete_callback([&cmd, &o] {
        if (cmd.count("--data") == 0) o.data = "data/" + o.dataset;
    });
    cmd.add_option("--out", o.out, "folder for checkpoints, images, metrics.csv, loss.svg and TensorBoard events")->capture_default_str();
    cmd.add_option("--epochs", o.epochs, "passes over the training set")->capture_default_str()->check(CLI::Range(1, 100000));
    cmd.add_option("--batch", o.batch, "mini-batch size")->capture_default_str()->check(CLI::Range(1, 1 << 20));
    cmd.add_option("--seed", o.seed, "seed of every random choice (init, noise, shuffling)")->capture_default_str();
    cmd.add_option("--device", o.device, "cpu or cuda")->capture_default_str()->check(CLI::IsMember({"cpu", "cuda"}));
    cmd.add_option("--max-steps", o.max_steps, "stop after this many training steps in all (0: no limit)")
        ->capture_default_str()
        ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 40));
    auto* resume = cmd.add_flag("--resume", o.resume, "continue from <out>/checkpoint.safetensors");
    cmd.add_flag("--overwrite", o.overwrite, "replace the run already in --out (its checkpoint, metrics, images, events)")
        ->excludes(resume);
    cmd.add_option("--threads", o.threads, "CPU threads (default: AIGC_NUM_THREADS or all cores)")
        ->check(CLI::Range(0, 4096));
    cmd.add_flag("--detect-anomaly", o.detect_anomaly,
                 "check every op's output and gradient for NaN/Inf and stop at the first, naming the op (slower)");
    cmd.add_flag("--no-tensorboard", o.no_tensorboard, "write no TensorBoard events file into --out");
    cmd.add_option("--log-every", o.log_every, "steps between the losses written to the TensorBoard events file")
        ->capture_default_str()
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40));
    o.command = &cmd;
}

// "gan_mnist train": the program and subcommand o's options came from, or `fallback`.
inline std::string command_name(const CommonOptions& o, const std::string& fallback) {
    if (!o.command) return fallback;
    const CLI::App* parent = o.command->get_parent();
    return (parent ? parent->get_name() + " " : std::string()) + o.command->get_name();
}

// --threads wins over AIGC_NUM_THREADS; either is capped to the cores (aigc::usable_threads).
// Ranks that share a machine share its cores: without either, each takes its part of them.
inline void apply_threads(const CommonOptions& o) {
    if (o.threads > 0) {
        aigc::set_num_threads(aigc::usable_threads(o.threads, "--threads"));
    } else if (const int sharing = ranks().local_size(); sharing > 1 && !std::getenv("AIGC_NUM_THREADS")) {
        aigc::set_num_threads(std::max(1, aigc::num_threads() / sharing));
    }
}

// The device is a template parameter everywhere below; this picks the instantiation.
#if defined(AIGC_EXAMPLES_CUDA)
// Defined in common/cuda_device.cu: fails with one clear line when no usable CUDA device exists;
// ranks sharing a machine each take their own GPU.
void require_cuda_device(int local_rank, int local_ranks);
#endif

// run.template operator()<D>() with D the device --device names. A program's commands for Cuda
// are compiled by nvcc in <program>_cuda.cu and only declared (extern template) in <program>.cpp.
template <class Run>
void on_device(const CommonOptions& o, Run&& run) {
    if (o.device == "cpu") {
        run.template operator()<aigc::Cpu>();
        return;
    }
#if defined(AIGC_EXAMPLES_CUDA)
    require_cuda_device(ranks().local_rank(), ranks().local_size());
    run.template operator()<aigc::Cuda>();
#else
    aigc::fail(aigc::detail::concat("--device ", o.device,
                                    ": this program was built without the CUDA backend (no CUDA compiler at "
                                    "configure time)"));
#endif
}

// The command line as typed, for messages that tell the user what to run next.
inline std::string& invocation() {
    static std::string line;
    return line;
}

// Runs a CLI11 app: parse errors and aigc::Error both become one line on stderr and exit code 2 / 1;
// a graceful stop (stop_signals.hpp) exits with 128 + the signal. Started by mpirun, the program
// is one rank of a run (ranks.hpp); an error on any rank then ends the whole job at once, since
// the others cannot go on without it.
inline int run(CLI::App& app, int argc, char** argv, const std::function<void()>& dispatch) {
#if defined(AIGC_HAVE_MPI)
    std::optional<aigc::dist::Session> session;
#endif
    // Forgotten when run() returns (errors reported, ranks named), before the session finalises MPI.
    struct ForgetWorld {
        ~ForgetWorld() { world_pointer() = nullptr; }
    } forget_world;
    auto report = [&](const char* what) {
        std::cerr << app.get_name() << ": error: " << ranks().prefix() << what << "\n";
#if defined(AIGC_HAVE_MPI)
        if (ranks().distributed()) {
            std::cerr.flush();
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
#endif
    };
    for (int i = 0; i < argc; ++i) {
        std::string word = argv[i];
        // Quoted for a POSIX shell unless it is plainly safe, so the line can be pasted back.
        if (word.empty() || word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./=:,+-@%") !=
                                std::string::npos) {
            std::string quoted = "'";
            for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
            word = quoted + "'";
        }
        invocation() += (i ? " " : "") + word;
    }
    app.failure_message([](const CLI::App* a, const CLI::Error& e) {
        return a->get_name() + ": error: " + e.what() + " (see --help)\n";
    });
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
#if defined(AIGC_HAVE_MPI)
        if (aigc::dist::launched_by_mpi()) {
            session.emplace(argc, argv);
            world_pointer() = &session->world();
        }
#else
        // Several copies, each training the whole run into one folder, would be worse than none.
        AIGC_CHECK(aigc::dist::launcher_ranks() <= 1, "started as one of ", aigc::dist::launcher_ranks(),
                   " ranks, but this program was built without MPI (apt install libopenmpi-dev, then "
                   "reconfigure); each rank would train the whole run alone");
#endif
        dispatch();
        return 0;
    } catch (const StoppedBySignal& stop) {
        return 128 + stop.signal;
    } catch (const aigc::Error& e) {
        report(e.what());
    } catch (const std::exception& e) {
        report(e.what());
    }
    return 1;
}

}  // namespace examples
