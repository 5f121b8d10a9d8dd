// TensorBoard event files: CRC-32C (both implementations, reference vectors), TFRecord framing
// (reference bytes, every flipped bit and every truncation), the Event/Summary encodings read back
// bit for bit by a separate reader (tests/support/tensorboard_reader.hpp), SummaryWriter's timed
// flush, crash and write-error behaviour, and the purge that keeps a resumed run free of duplicates.
// Reference bytes come from a bitwise CRC-32C in Python (see the comments at each).
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <aigc/cpu.hpp>
#include <aigc/io/io.hpp>

#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

#include "support/temp_dir.hpp"
#include "support/tensorboard_reader.hpp"

namespace fs = std::filesystem;
using namespace aigc;
using Catch::Matchers::Contains;

namespace {

std::string from_hex(std::string_view hex) {
    std::string bytes;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) bytes.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    return bytes;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

fs::path only_events_file(const fs::path& folder) {
    auto files = io::list_events_files(folder);
    REQUIRE(files.size() == 1);
    return files[0];
}

// (tag, step) of every value in a folder's events, each once; a second occurrence fails the test.
std::set<std::pair<std::string, std::int64_t>> unique_tag_steps(const fs::path& folder) {
    std::set<std::pair<std::string, std::int64_t>> seen;
    for (const auto& e : aigc_test::read_folder_events(folder))
        for (const auto& v : e.values) {
            INFO("tag " << v.tag << " step " << e.step);
            CHECK(seen.emplace(v.tag, e.step).second);
        }
    return seen;
}

}  // namespace

TEST_CASE("crc32c matches the reference vectors with the table and the SSE4.2 instruction", "[io][events][crc32c]") {
    // RFC 3720 (iSCSI) B.4 and the usual check value of "123456789".
    const std::string digits = "123456789", zeros(32, '\0'), ones(32, '\xff');
    std::string ascending(32, '\0');
    for (int i = 0; i < 32; ++i) ascending[static_cast<std::size_t>(i)] = static_cast<char>(i);
    const std::vector<std::pair<std::string, std::uint32_t>> vectors{
        {digits, 0xe3069283u}, {zeros, 0x8a9136aau}, {ones, 0x62a8ab43u}, {ascending, 0x46dd794eu}, {"", 0u}};
    for (const auto& [bytes, expected] : vectors) {
        CHECK(io::crc32c_table(bytes.data(), bytes.size()) == expected);
        CHECK(io::crc32c(bytes) == expected);
        if (io::crc32c_has_instruction()) CHECK(io::crc32c_instruction(bytes.data(), bytes.size()) == expected);
    }
}

TEST_CASE("crc32c: table and instruction agree on every length and alignment, and continue a CRC",
          "[io][events][crc32c]") {
    std::mt19937 rng(7);
    std::vector<unsigned char> data(128);
    for (auto& b : data) b = static_cast<unsigned char>(rng());
    for (std::size_t offset = 0; offset < 8; ++offset)
        for (std::size_t size = 0; size + offset <= 108; ++size) {
            const std::uint32_t table = io::crc32c_table(data.data() + offset, size);
            if (io::crc32c_has_instruction()) REQUIRE(io::crc32c_instruction(data.data() + offset, size) == table);
            // CRC(a + b) == CRC(b) continued from CRC(a)
            const std::size_t half = size / 3;
            REQUIRE(io::crc32c(data.data() + offset + half, size - half, io::crc32c(data.data() + offset, half)) == table);
        }
    if (!io::crc32c_has_instruction()) WARN("this CPU has no SSE4.2: only the table was tested");
}

TEST_CASE("masked CRCs round-trip and differ from the raw checksum", "[io][events][tfrecord]") {
    for (std::uint32_t crc : {0u, 1u, 0xe3069283u, 0xffffffffu, 0x80000000u}) {
        CHECK(io::unmask_crc(io::mask_crc(crc)) == crc);
        CHECK(io::mask_crc(crc) != crc);
    }
}

TEST_CASE("frame_tfrecord writes the reference bytes", "[io][events][tfrecord]") {
    // Python: length = struct.pack('<Q', n); length + pack('<I', mask(crc32c(length))) + data +
    // pack('<I', mask(crc32c(data))), with a bitwise CRC-32C.
    CHECK(io::frame_tfrecord("abc") == from_hex("0300000000000000b099490e6162636e57f121"));
    CHECK(io::frame_tfrecord("") == from_hex("000000000000000029039807d8ea82a2"));
}

TEST_CASE("parse_tfrecords reads records back and stops at a flipped bit or a cut", "[io][events][tfrecord]") {
    const std::vector<std::string> payloads{"first", std::string(300, 'x'), "", "last one"};
    std::string file;
    std::vector<std::size_t> ends;
    for (const auto& p : payloads) {
        file += io::frame_tfrecord(p);
        ends.push_back(file.size());
    }
    auto scan = io::parse_tfrecords(file);
    REQUIRE(scan.end == io::TfRecordScan::End::complete);
    REQUIRE(scan.records.size() == payloads.size());
    for (std::size_t i = 0; i < payloads.size(); ++i) CHECK(scan.records[i].data == payloads[i]);
    CHECK(scan.intact_bytes == file.size());

    SECTION("every flipped bit fails a CRC; the records before it still read") {
        for (std::size_t byte = 0; byte < file.size(); ++byte)
            for (int bit = 0; bit < 8; ++bit) {
                std::string damaged = file;
                damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << bit));
                auto d = io::parse_tfrecords(damaged);
                const auto record = static_cast<std::size_t>(std::upper_bound(ends.begin(), ends.end(), byte) - ends.begin());
                INFO("byte " << byte << " bit " << bit);
                // A flipped length bit is caught by the length CRC before the length is used.
                REQUIRE(d.end == io::TfRecordScan::End::corrupt);
                REQUIRE(d.records.size() == record);
                REQUIRE(d.intact_bytes == (record ? ends[record - 1] : 0));
            }
    }
    SECTION("every cut is either a record boundary or reported as truncated") {
        for (std::size_t size = 0; size < file.size(); ++size) {
            auto d = io::parse_tfrecords(std::string_view(file).substr(0, size));
            const auto whole = static_cast<std::size_t>(std::upper_bound(ends.begin(), ends.end(), size) - ends.begin());
            INFO("cut at " << size);
            REQUIRE(d.records.size() == whole);
            const bool boundary = size == 0 || (whole > 0 && ends[whole - 1] == size);
            REQUIRE(d.end == (boundary ? io::TfRecordScan::End::complete : io::TfRecordScan::End::truncated));
        }
    }
}

TEST_CASE("the first event of a file is brain.Event:2, byte for byte", "[io][events]") {
    // wall_time 1.5 (field 1, fixed64), step 0 (field 2, varint), file_version (field 3, string).
    CHECK(io::events::file_version(1.5) == from_hex("09000000000000f83f10001a0d627261696e2e4576656e743a32"));
    auto key = io::events::read_key(io::events::file_version(1.5));
    CHECK(key.file_version);
    CHECK(key.step == 0);
    CHECK(io::events::read_key(io::events::scalar(1.0, 1234567890123, "t", 1.0f)).step == 1234567890123);
    CHECK_THROWS_WITH(io::events::read_key(std::string("\x0a\x05" "ab", 4)), Contains("runs past the end"));
}

TEST_CASE("SummaryWriter: scalars, images, histograms and text read back bit for bit", "[io][events][summary_writer]") {
    aigc_test::TempDir dir("events");
    io::GrayImage image{.width = 5, .height = 3, .pixels = {}};
    for (int i = 0; i < 15; ++i) image.pixels.push_back(static_cast<std::uint8_t>(i * 17));
    const std::vector<double> values{-1.0, -0.5, 0.0, 0.25, 0.25, 2.0, 3.0};
    const auto tensor = Tensor<float>::from_vector({2, 2}, {0.5f, -1.5f, 2.5f, 0.125f});
    {
        io::SummaryWriter writer(dir.path);
        writer.add_scalar("loss/d", 0.6931471805599453, 10);
        writer.add_scalar("loss/zero", 0.0, 10);
        writer.add_scalar("loss/big", -3.0e38, -5);
        writer.add_image("samples", image, 20);
        writer.add_histogram("weights/fc", std::span<const double>(values), 30, 4);
        writer.add_histogram("weights/tensor", tensor, 31);
        writer.add_text("config", "| lr | 2e-4 |\nünïcode", 0);
        writer.close();
    }
    const fs::path file = only_events_file(dir.path);
    CHECK(file.filename().string().rfind("events.out.tfevents.", 0) == 0);
    const auto events = aigc_test::read_events(file);
    REQUIRE(events.size() == 8);
    CHECK(events[0].file_version == "brain.Event:2");
    CHECK(events[0].values.empty());
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    for (const auto& e : events) CHECK(std::abs(e.wall_time - now) < 600);

    auto value = [&](std::size_t i) {
        REQUIRE(events[i].values.size() == 1);
        return events[i].values[0];
    };
    CHECK(events[1].step == 10);
    CHECK(value(1).tag == "loss/d");
    CHECK(value(1).kind == "scalar");
    CHECK(std::bit_cast<std::uint32_t>(value(1).scalar) == std::bit_cast<std::uint32_t>(0.6931471805599453f));
    CHECK(value(2).kind == "scalar");  // 0 is still written: simple_value is a oneof member
    CHECK(value(2).scalar == 0.0f);
    CHECK(events[3].step == -5);
    CHECK(value(3).scalar == -3.0e38f);

    const auto img = value(4);
    CHECK(events[4].step == 20);
    CHECK(img.kind == "image");
    CHECK(img.width == 5);
    CHECK(img.height == 3);
    CHECK(img.colorspace == 1);
    int w = 0, h = 0, channels = 0;
    unsigned char* decoded = stbi_load_from_memory(reinterpret_cast<const unsigned char*>(img.png.data()),
                                                   static_cast<int>(img.png.size()), &w, &h, &channels, 1);
    REQUIRE(decoded != nullptr);
    CHECK(std::vector<std::uint8_t>(decoded, decoded + w * h) == image.pixels);
    stbi_image_free(decoded);

    const auto hist = value(5).histogram;
    CHECK(value(5).kind == "histogram");
    CHECK(hist.min == -1.0);
    CHECK(hist.max == 3.0);
    CHECK(hist.num == 7.0);
    CHECK(hist.sum == 4.0);
    CHECK(hist.sum_squares == 1.0 + 0.25 + 0.0625 * 2 + 4.0 + 9.0);
    CHECK(hist.limits == std::vector<double>{0.0, 1.0, 2.0, 3.0});
    CHECK(hist.counts == std::vector<double>{3.0, 2.0, 1.0, 1.0});  // (.., 0], (0, 1], (1, 2], (2, 3]
    const auto from_tensor = value(6).histogram;
    CHECK(from_tensor.min == -1.5);
    CHECK(from_tensor.max == 2.5);
    CHECK(from_tensor.num == 4.0);
    CHECK(from_tensor.limits.size() == 30);

    CHECK(value(7).kind == "text");
    CHECK(value(7).plugin == "text");
    CHECK(value(7).text == "| lr | 2e-4 |\nünïcode");
    CHECK(events[7].step == 0);
}

TEST_CASE("make_histogram: buckets hold every value once, equal values share one, bad input is an error", "[io][events][histogram]") {
    std::mt19937 rng(3);
    std::normal_distribution<double> normal;
    std::vector<double> values(10007);
    for (auto& v : values) v = normal(rng);
    auto h = io::make_histogram(values, 30);
    double total = 0;
    for (double c : h.counts) total += c;
    CHECK(total == 10007.0);
    CHECK(h.limits.back() == h.max);
    for (std::size_t i = 1; i < h.limits.size(); ++i) CHECK(h.limits[i] > h.limits[i - 1]);
    // Each value lies in its bucket's (left, right] range: count them again from the limits.
    std::vector<double> recount(h.counts.size(), 0.0);
    for (double v : values)
        recount[static_cast<std::size_t>(std::lower_bound(h.limits.begin(), h.limits.end(), v) - h.limits.begin())] += 1;
    CHECK(recount == h.counts);

    const std::vector<double> same(5, 0.25);
    auto flat = io::make_histogram(same, 30);
    CHECK(flat.limits == std::vector<double>{0.25});
    CHECK(flat.counts == std::vector<double>{5.0});

    const std::vector<double> with_nan{1.0, std::nan(""), 2.0};
    CHECK_THROWS_WITH(io::make_histogram(with_nan, 30, "weights/x"),
                      Contains("add_histogram 'weights/x': value 1 of 3 is nan; a histogram needs finite values"));
    CHECK_THROWS_WITH(io::make_histogram(std::vector<double>{}, 30, "w"), Contains("add_histogram 'w': no values"));
    CHECK_THROWS_WITH(io::make_histogram(same, 0, "w"), Contains("bins must be in [1, 10000], given 0"));
}

TEST_CASE("SummaryWriter flushes by itself within flush_seconds", "[io][events][summary_writer]") {
    aigc_test::TempDir dir("events-flush");
    io::SummaryWriter writer(dir.path, {.flush_seconds = 0.2});
    writer.add_scalar("loss", 1.0, 1);
    // No flush() call: the background thread must write the record. Waits up to 10 s so that a
    // slow machine cannot fail the test; a writer that never flushes by itself always does.
    std::size_t records = 0;
    for (int i = 0; i < 200 && records < 2; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        records = io::read_tfrecords(writer.path()).records.size();
    }
    CHECK(records == 2);
}

TEST_CASE("a crash loses only the records not yet flushed", "[io][events][summary_writer]") {
    aigc_test::TempDir dir("events-crash");
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        io::SummaryWriter writer(dir.path, {.flush_seconds = 3600});
        for (int step = 1; step <= 5; ++step) writer.add_scalar("loss", step, step);
        writer.flush();
        for (int step = 6; step <= 9; ++step) writer.add_scalar("loss", step, step);
        ::raise(SIGKILL);  // no destructor, no flush
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));
    const auto events = aigc_test::read_events(only_events_file(dir.path));
    REQUIRE(events.size() == 6);
    for (int step = 1; step <= 5; ++step) CHECK(events[static_cast<std::size_t>(step)].values[0].scalar == float(step));
}

TEST_CASE("SummaryWriter: a failed write is reported and leaves whole records", "[io][events][summary_writer][errors]") {
    aigc_test::TempDir dir("events-full");
    io::SummaryWriter writer(dir.path, {.flush_seconds = 3600});
    writer.add_scalar("before", 1.0, 1);
    writer.flush();
    const auto good_size = fs::file_size(writer.path());
    // The file may not grow much more: the next write stops part-way (EFBIG), as on a full disk.
    rlimit old_limit{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old_limit;
    small.rlim_cur = good_size + 100;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    io::GrayImage noise{.width = 64, .height = 64, .pixels = {}};
    std::mt19937 rng(1);
    for (int i = 0; i < 64 * 64; ++i) noise.pixels.push_back(static_cast<std::uint8_t>(rng()));
    writer.add_image("big", noise, 2);
    std::string message;
    try {
        writer.flush();
    } catch (const Error& e) {
        message = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &old_limit);
    std::signal(SIGXFSZ, old_handler);
    CHECK_THAT(message, Contains("SummaryWriter: cannot write to '" + writer.path().string() + "': File too large"));
    CHECK_THROWS_WITH(writer.add_scalar("after", 2.0, 3), Contains("File too large"));
    CHECK_THROWS_WITH(writer.close(), Contains("File too large"));
    CHECK(fs::file_size(writer.path()) == good_size);
    CHECK(aigc_test::read_events(writer.path()).size() == 2);
}

TEST_CASE("SummaryWriter: bad tags, closed writers and unusable folders are errors", "[io][events][summary_writer][errors]") {
    aigc_test::TempDir dir("events-errors");
    io::SummaryWriter writer(dir.path);
    CHECK_THROWS_WITH(writer.add_scalar("", 1.0, 1), Contains("a tag must not be empty"));
    CHECK_THROWS_WITH(writer.add_image("img", io::GrayImage{.width = 2, .height = 2, .pixels = {1, 2, 3}}, 1),
                      Contains("add_image 'img': expected 2x2 pixels, given 3"));
    writer.close();
    CHECK_THROWS_WITH(writer.add_scalar("x", 1.0, 1), Contains("is closed"));
    CHECK_NOTHROW(writer.close());

    write_file(dir / "plain", "x");
    CHECK_THROWS_WITH(io::SummaryWriter(dir / "plain" / "run"), Contains("SummaryWriter: cannot create the folder"));
    CHECK_THROWS_WITH(io::SummaryWriter(dir.path, {.flush_seconds = 0}), Contains("flush_seconds must be in (0, 3600]"));
}

TEST_CASE("two writers in one folder in the same second get different files", "[io][events][summary_writer]") {
    aigc_test::TempDir dir("events-two");
    io::SummaryWriter a(dir.path), b(dir.path);
    CHECK(a.path() != b.path());
    CHECK(a.path() < b.path());  // the later file sorts later, as TensorBoard reads them in name order
}

TEST_CASE("resuming with purge_step drops later records, damaged tails and empty files", "[io][events][resume]") {
    aigc_test::TempDir dir("events-purge");
    // A run logs steps 10..50 and checkpoints at 20; it crashes while writing step 60.
    fs::path first;
    {
        io::SummaryWriter run(dir.path);
        run.add_text("config", "run 1", 0);
        for (int step = 10; step <= 50; step += 10) run.add_scalar("loss", step, step);
        first = run.path();
    }
    std::string bytes = read_file(first);
    write_file(first, bytes + io::frame_tfrecord(io::events::scalar(1.0, 60, "loss", 60.0f)).substr(0, 30));
    // A resume from a checkpoint at 40 crashed too, after writing 50 again.
    fs::path second;
    {
        io::SummaryWriter again(dir.path, {.purge_step = 41});
        again.add_scalar("loss", 50.5, 50);
        second = again.path();
    }
    CHECK(aigc_test::read_events(first).size() == 6);  // file_version, config, 10, 20, 30, 40
    // Resume from the checkpoint at 20: 30, 40, 50 go, from both files; the second file is left
    // with nothing but headers and is removed.
    auto purge = io::purge_events_from(dir.path, 21);
    CHECK(purge.files_rewritten == 1);
    CHECK(purge.files_removed == 1);
    CHECK(purge.records_dropped == 2 + 2);  // 30, 40; START at 41, 50
    CHECK(purge.damaged_tails == 0);  // the first file's damaged tail went in the resume at 41
    CHECK_FALSE(fs::exists(second));
    {
        io::SummaryWriter resumed(dir.path, {.purge_step = 21});
        for (int step = 30; step <= 50; step += 10) resumed.add_scalar("loss", step + 0.5, step);
    }
    auto seen = unique_tag_steps(dir.path);
    CHECK(seen == std::set<std::pair<std::string, std::int64_t>>{
                      {"config", 0}, {"loss", 10}, {"loss", 20}, {"loss", 30}, {"loss", 40}, {"loss", 50}});
    auto all = aigc_test::read_folder_events(dir.path);
    // The resumed file starts with file_version and then SessionLog START at the purge step.
    auto files = io::list_events_files(dir.path);
    REQUIRE(files.size() == 2);
    auto resumed_events = aigc_test::read_events(files[1]);
    CHECK(resumed_events[0].file_version == "brain.Event:2");
    CHECK(resumed_events[1].session_status == 1);
    CHECK(resumed_events[1].step == 21);
    CHECK(resumed_events[2].values[0].scalar == 30.5f);
}

TEST_CASE("purge_events_from drops a damaged tail and names a record that is not an event", "[io][events][resume]") {
    aigc_test::TempDir dir("events-damaged");
    fs::path file;
    {
        io::SummaryWriter run(dir.path);
        run.add_scalar("loss", 1.0, 1);
        file = run.path();
    }
    const std::string good = read_file(file);
    write_file(file, good + "\x07\x00\x00");  // a crash cut the next record's header short
    auto purge = io::purge_events_from(dir.path, 100);
    CHECK(purge.damaged_tails == 1);
    CHECK(purge.files_rewritten == 1);
    CHECK(read_file(file) == good);

    write_file(file, good + io::frame_tfrecord("\x0f not protobuf"));
    CHECK_THROWS_WITH(io::purge_events_from(dir.path, 100),
                      Contains("SummaryWriter: cannot resume the events in '" + file.string() + "': the record at byte " +
                               std::to_string(good.size()) + " is not an event"));
}
