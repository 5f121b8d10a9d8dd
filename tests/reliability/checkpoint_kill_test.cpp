// The SIGKILL checkpoint test: a training process that saves a checkpoint after every step is
// killed at random moments, over and over, each run resuming from whatever the last one left. After
// every kill the checkpoint must load, must hold exactly the state of the uninterrupted run at its
// step count (bit for bit: weights, Adam moments, generator and loader positions), and must never
// go back in steps; the next run resumes from it. A crash between "temp file written" and "rename"
// therefore has to leave the previous checkpoint intact, which is what AtomicFile promises.
//
//   checkpoint_kill_test [--trials N] [--seed S] [--min-ms A] [--max-ms B] [--dir DIR]
//   checkpoint_kill_test write DIR     (the child: resume if DIR holds a checkpoint, train, save, repeat)
//
// Prints the counts (trials, survived, kills that landed mid-write) and exits 0 only when every
// trial survived.
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>

#include "tiny_run.hpp"

namespace fs = std::filesystem;
using namespace reliability;

namespace {

const char* const checkpoint_name = "checkpoint.safetensors";

// The child: what a trainer with --resume does, but saving after every single step so that a
// random kill lands inside save_checkpoint as often as possible.
[[noreturn]] void write_forever(const fs::path& dir) {
    aigc::set_num_threads(1);
    TinyRun run;
    const fs::path checkpoint = dir / checkpoint_name;
    if (fs::exists(checkpoint)) run.resume(checkpoint);
    for (;;) {
        run.step();
        run.save(checkpoint);
    }
}

struct Options {
    int trials = 200;
    std::uint64_t seed = 1;
    int min_ms = 2;
    int max_ms = 100;
    fs::path dir;
};

// Same names, shapes and bits; the file keeps tensors sorted by name, a model lists them in its own order.
bool same_bits(const aigc::models::NamedTensors<float, aigc::Cpu>& file, const aigc::models::NamedTensors<float, aigc::Cpu>& model,
               std::string& difference) {
    if (file.size() != model.size()) {
        difference = "tensor counts " + std::to_string(file.size()) + " vs " + std::to_string(model.size());
        return false;
    }
    for (const auto& [name, expected] : model) {
        const aigc::Tensor<float>* found = nullptr;
        for (const auto& [file_name, tensor] : file)
            if (file_name == name) found = &tensor;
        if (!found) {
            difference = "tensor '" + name + "' is missing";
            return false;
        }
        std::vector<float> x = found->to_vector(), y = expected.to_vector();
        if (!(found->shape() == expected.shape()) || x.size() != y.size() ||
            std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) != 0) {
            difference = "tensor '" + name + "'";
            return false;
        }
    }
    return true;
}

bool same_run_state(const aigc::models::RunState& a, const aigc::models::RunState& b) {
    return a.progress.steps_done == b.progress.steps_done && a.progress.epochs_done == b.progress.epochs_done &&
           a.rng.seed() == b.rng.seed() && a.rng.offset() == b.rng.offset() && a.loader.epoch == b.loader.epoch &&
           a.loader.next_batch == b.loader.next_batch && a.loader.seed == b.loader.seed &&
           a.loader.epoch_offset == b.loader.epoch_offset;
}

// Removes what a kill between open() and rename() leaves behind; returns how many there were.
int remove_temporary_files(const fs::path& dir) {
    int count = 0;
    const std::string prefix = std::string(".") + checkpoint_name + ".tmp.";
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.path().filename().string().rfind(prefix, 0) == 0) {
            fs::remove(entry.path());
            ++count;
        }
    return count;
}

pid_t start_writer(const Options& o, const char* self) {
    pid_t child = ::fork();
    if (child == 0) {
        ::execl(self, self, "write", o.dir.c_str(), static_cast<char*>(nullptr));
        std::perror("checkpoint_kill_test: exec");
        ::_exit(127);
    }
    if (child < 0) std::perror("checkpoint_kill_test: fork");
    return child;
}

// Runs a writer until its first checkpoint exists, then kills it: from then on every trial has a
// checkpoint to lose, however slowly a writer starts (a loaded machine, a sanitizer build).
bool write_first_checkpoint(const Options& o, const char* self, const fs::path& checkpoint) {
    pid_t child = start_writer(o, self);
    if (child < 0) return false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
    while (!fs::exists(checkpoint) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    remove_temporary_files(o.dir);
    if (!fs::exists(checkpoint)) std::cerr << "checkpoint_kill_test: the writer saved nothing within 300 s\n";
    return fs::exists(checkpoint);
}

int drive(const Options& o, const char* self) {
    aigc::set_num_threads(1);
    fs::remove_all(o.dir);
    fs::create_directories(o.dir);
    const fs::path checkpoint = o.dir / checkpoint_name;
    if (!write_first_checkpoint(o, self, checkpoint)) return 1;
    TinyRun reference;  // the uninterrupted run, advanced to each checkpoint's step count
    aigc::Generator delays(o.seed);
    int survived = 0, mid_write = 0, no_new_step = 0;
    std::int64_t last_steps = -1;

    for (int trial = 1; trial <= o.trials; ++trial) {
        const auto delay = std::chrono::milliseconds(
            o.min_ms + static_cast<int>(delays.next_below(static_cast<std::uint64_t>(o.max_ms - o.min_ms + 1))));
        pid_t child = start_writer(o, self);
        if (child < 0) return 1;
        std::this_thread::sleep_for(delay);
        ::kill(child, SIGKILL);
        int status = 0;
        ::waitpid(child, &status, 0);
        auto failure = [&](const std::string& what) {
            std::cerr << "checkpoint_kill_test: trial " << trial << " (killed after " << delay.count()
                      << " ms): " << what << "\n";
            return 1;
        };
        if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
            return failure("the writer ended on its own (exit status " +
                           std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                           ") instead of being killed; its error is above");
        mid_write += remove_temporary_files(o.dir) > 0;

        if (!fs::exists(checkpoint)) return failure("the checkpoint disappeared");
        try {
            auto [saved, tensors] = aigc::models::load_checkpoint<float>(checkpoint, run_kind, run_config);
            const std::int64_t steps = saved.progress.steps_done;
            if (steps < last_steps)
                return failure("the checkpoint went back from step " + std::to_string(last_steps) + " to " +
                               std::to_string(steps));
            no_new_step += steps == last_steps;
            reference.advance_to(steps);
            std::string difference;
            if (!same_bits(tensors, reference.state(), difference))
                return failure("the checkpoint at step " + std::to_string(steps) +
                               " differs from the uninterrupted run: " + difference);
            if (!same_run_state(saved, reference.run_state()))
                return failure("the checkpoint's counters or random states at step " + std::to_string(steps) +
                               " differ from the uninterrupted run");
            last_steps = steps;
        } catch (const aigc::Error& e) {
            return failure(std::string("the last checkpoint does not load: ") + e.what());
        }
        ++survived;
    }

    // The last checkpoint resumes: 5 more steps from it equal 5 more steps of the reference.
    TinyRun resumed;
    resumed.resume(checkpoint);
    resumed.advance_to(last_steps + 5);
    reference.advance_to(last_steps + 5);
    std::string difference;
    if (!same_bits(resumed.state(), reference.state(), difference)) {
        std::cerr << "checkpoint_kill_test: resuming the last checkpoint diverges: " << difference << "\n";
        return 1;
    }
    std::cout << "checkpoint_kill_test: " << o.trials << " trials, " << survived
              << " survived (the last checkpoint loaded, matched the uninterrupted run bit for bit, and resumed); "
              << mid_write << " kills landed mid-write (temporary file left), " << no_new_step
              << " runs were killed before saving a new step; reached step " << last_steps << "\n";
    fs::remove_all(o.dir);
    return survived == o.trials ? 0 : 1;
}

int parse_int(const char* flag, const char* text, long low, long high) {
    char* end = nullptr;
    long value = std::strtol(text, &end, 10);
    if (end == text || *end != '\0' || value < low || value > high) {
        std::cerr << "checkpoint_kill_test: " << flag << " expects an integer in [" << low << ", " << high
                  << "], given '" << text << "'\n";
        std::exit(2);
    }
    return static_cast<int>(value);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        if (argc == 3 && std::string(argv[1]) == "write") write_forever(argv[2]);
        Options o;
        o.dir = fs::temp_directory_path() / ("aigc-kill-test-" + std::to_string(::getpid()));
        for (int i = 1; i < argc; ++i) {
            std::string flag = argv[i];
            if (i + 1 >= argc) {
                std::cerr << "checkpoint_kill_test: " << flag << " needs a value\n";
                return 2;
            }
            const char* value = argv[++i];
            if (flag == "--trials") o.trials = parse_int("--trials", value, 1, 1000000);
            else if (flag == "--seed") o.seed = static_cast<std::uint64_t>(parse_int("--seed", value, 0, 1 << 30));
            else if (flag == "--min-ms") o.min_ms = parse_int("--min-ms", value, 0, 60000);
            else if (flag == "--max-ms") o.max_ms = parse_int("--max-ms", value, 0, 60000);
            else if (flag == "--dir") o.dir = value;
            else {
                std::cerr << "checkpoint_kill_test: unknown flag " << flag
                          << " (expected --trials, --seed, --min-ms, --max-ms, --dir, or: write DIR)\n";
                return 2;
            }
        }
        if (o.max_ms < o.min_ms) {
            std::cerr << "checkpoint_kill_test: --max-ms " << o.max_ms << " is below --min-ms " << o.min_ms << "\n";
            return 2;
        }
        return drive(o, "/proc/self/exe");
    } catch (const std::exception& e) {
        std::cerr << "checkpoint_kill_test: error: " << e.what() << "\n";
        return 1;
    }
}
