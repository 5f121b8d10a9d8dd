// events_dump FOLDER: every value in a run folder's TensorBoard events, one line each, in file
// order, as "<step> <kind> <tag> <value>": scalars with 9 significant digits (unique for a float),
// histograms as count/min/max/sum, images as size and PNG length, text as its length. The header
// records appear as "<step> file_version ..." and "<step> session_start". For cli_check.sh, which
// compares runs and looks for duplicate (tag, step) pairs; uses the tests' own event reader.
#include <cstdio>
#include <exception>

#include "../support/tensorboard_reader.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: events_dump FOLDER\n");
        return 2;
    }
    try {
        for (const auto& e : aigc_test::read_folder_events(argv[1])) {
            const auto step = static_cast<long long>(e.step);
            if (!e.file_version.empty()) std::printf("%lld file_version %s\n", step, e.file_version.c_str());
            if (e.session_status >= 0) std::printf("%lld session_log %d\n", step, e.session_status);
            for (const auto& v : e.values) {
                std::printf("%lld %s %s ", step, v.kind.c_str(), v.tag.c_str());
                if (v.kind == "scalar") std::printf("%.9g\n", double(v.scalar));
                if (v.kind == "histogram")
                    std::printf("n=%.17g min=%.17g max=%.17g sum=%.17g\n", v.histogram.num, v.histogram.min, v.histogram.max,
                                v.histogram.sum);
                if (v.kind == "image") std::printf("%dx%d png=%zu\n", v.width, v.height, v.png.size());
                if (v.kind == "text") std::printf("chars=%zu\n", v.text.size());
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "events_dump: %s\n", e.what());
        return 1;
    }
    return 0;
}
