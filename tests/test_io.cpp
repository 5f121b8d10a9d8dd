// Files: safetensors checkpoints (layout, round trips, every corruption case, atomic writes,
// architecture mismatch), PNG grids, SVG loss curves, CSV metrics and the progress bar.
// Reference bytes: tests/reference/safetensors_reference.py (run with /usr/bin/python3).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <aigc/cpu.hpp>
#include <aigc/data/idx.hpp>
#include <aigc/io/io.hpp>

// A program may use stb_image_write itself next to aigc: our copy lives in our own namespace.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

namespace fs = std::filesystem;
using namespace aigc;
using Catch::Contains;

namespace {

// A fresh folder per test process (ctest runs test cases as separate processes, maybe in parallel).
fs::path scratch(const std::string& name) {
    static const fs::path root = [] {
        fs::path dir = fs::temp_directory_path() / ("aigc_test_io_" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
        return dir;
    }();
    static struct Cleanup {
        ~Cleanup() {
            std::error_code ignored;
            fs::remove_all(root, ignored);
        }
    } cleanup;
    return root / name;
}

std::string read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}
void write_bytes(const fs::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
std::string from_hex(const std::string& hex) {
    std::string bytes;
    for (std::size_t i = 0; i < hex.size(); i += 2)
        bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    return bytes;
}
std::string u64_le(std::uint64_t n) {
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    return bytes;
}
// A file from a header text (padded like the writer) and data bytes: for hand-made corrupt headers.
std::string safetensors_bytes(std::string header, const std::string& data) {
    header.append((8 - header.size() % 8) % 8, ' ');
    return u64_le(header.size()) + header + data;
}
// Files left behind in a folder: an atomic write that failed must leave no temporary file.
std::vector<std::string> folder_entries(const fs::path& folder) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

template <class T>
Tensor<T> formula(const Shape& shape, double a, double b) {
    std::vector<T> values(static_cast<std::size_t>(shape.numel()));
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<T>(std::sin(a * double(i) + b));
    return Tensor<T>::from_vector(shape, values);
}

// The fixture of safetensors_reference.py: a Linear(3, 2) state_dict, Sequential naming.
template <class T>
io::NamedTensors<T> linear_fixture() {
    std::vector<T> weight(6), bias(2);
    for (int i = 0; i < 6; ++i) {
        // Rounded twice (product, then sum) as Python computes it: volatile keeps the compiler from
        // fusing the two into one FMA (-march=native), which moves some values by one ulp.
        volatile double product = 0.37 * i;
        weight[i] = static_cast<T>(std::sin(product + 0.1));
    }
    for (int i = 0; i < 2; ++i) bias[i] = static_cast<T>(std::cos(0.5 * i));
    return {{"0.weight", Tensor<T>::from_vector({2, 3}, weight)}, {"0.bias", Tensor<T>::from_vector({2}, bias)}};
}
io::Metadata epoch_metadata() {
    io::Metadata metadata;
    metadata.set("epoch", 7);
    return metadata;
}

// The message of the aigc::Error that loading `bytes` raises (fails the test if none is raised).
std::string load_error(const std::string& bytes, const std::string& file_name = "corrupt.safetensors") {
    const fs::path path = scratch(file_name);
    write_bytes(path, bytes);
    try {
        (void)io::load_safetensors<float>(path);
    } catch (const Error& e) {
        std::string message = e.what();
        CHECK_THAT(message, Contains(path.string()));  // every load error names the file
        return message;
    }
    FAIL("loading the corrupt file raised no aigc::Error");
    return "";
}

}  // namespace

// ---------------------------------------------------------------------------------------- layout

TEST_CASE("save_safetensors writes the reference bytes for F32 and F64", "[io][safetensors]") {
    // Expected bytes printed by tests/reference/safetensors_reference.py, whose serializer is checked
    // against the Rust crate's own test vector: sorted names, compact JSON, space padding to 8.
    SECTION("F32") {
        const fs::path path = scratch("fixture32.safetensors");
        io::save_safetensors(path, linear_fixture<float>(), epoch_metadata());
        const std::string header =
            R"({"__metadata__":{"format":"pt","epoch":"7"},"0.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
            R"("0.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]}}   )";
        const std::string data = from_hex("0000803f40a9603f7675cc3db6e0e73eeea03e3f88846f3f39fd7f3f4ed06d3f");
        REQUIRE(header.size() == 168);
        CHECK(read_bytes(path) == u64_le(168) + header + data);
        CHECK(fs::file_size(path) == 208);
    }
    SECTION("F64") {
        const fs::path path = scratch("fixture64.safetensors");
        io::save_safetensors(path, linear_fixture<double>(), epoch_metadata());
        const std::string header =
            R"({"__metadata__":{"format":"pt","epoch":"7"},"0.bias":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},)"
            R"("0.weight":{"dtype":"F64","shape":[2,3],"data_offsets":[16,64]}} )";
        const std::string data = from_hex(
            "000000000000f03f507d5b062815ec3f2ccb8bcbae8eb93f30a420c216fcdc3f7bebeece1dd4e73f8c2709f890f0ed3f681ca32da7"
            "ffef3f"
            "77c767b909baed3f");
        REQUIRE(header.size() == 168);
        CHECK(read_bytes(path) == u64_le(168) + header + data);
    }
}

TEST_CASE("load_safetensors reads the Rust reference writer's test vector", "[io][safetensors]") {
    // safetensors/src/tensor.rs test_serialization_forced_alignement: no __metadata__, 7 pad spaces.
    const unsigned char rust[] = {
        72,  0,   0,   0,  0,  0,  0,  0,  123, 34,  97, 116, 116, 110, 48,  34,  58,  123, 34,  100, 116,
        121, 112, 101, 34, 58, 34, 70, 51, 50,  34,  44, 34,  115, 104, 97,  112, 101, 34,  58,  91,  49,
        44,  49,  44,  50, 44, 51, 93, 44, 34,  100, 97, 116, 97,  95,  111, 102, 102, 115, 101, 116, 115,
        34,  58,  91,  48, 44, 50, 52, 93, 125, 125, 32, 32,  32,  32,  32,  32,  32,  0,   0,   0,   0,
        0,   0,   128, 63, 0,  0,  0,  64, 0,   0,   64, 64,  0,   0,   128, 64,  0,   0,   160, 64};
    const fs::path path = scratch("rust.safetensors");
    write_bytes(path, std::string(reinterpret_cast<const char*>(rust), sizeof(rust)));
    auto tensors = io::load_safetensors<float>(path);
    REQUIRE(tensors.size() == 1);
    CHECK(tensors[0].first == "attn0");
    CHECK(tensors[0].second.shape() == Shape{1, 1, 2, 3});
    CHECK(tensors[0].second.to_vector() == std::vector<float>{0, 1, 2, 3, 4, 5});
    CHECK(io::read_safetensors_metadata(path).empty());
}

// ------------------------------------------------------------------------------------ round trips

TEMPLATE_TEST_CASE("safetensors round trip keeps names, shapes, values and metadata", "[io][safetensors][metadata]",
                   float, double) {
    using T = TestType;
    io::NamedTensors<T> saved{
        {"fc1.weight", formula<T>({4, 3}, 0.37, 0.1)},
        {"fc1.bias", formula<T>({4}, 0.21, -0.4)},
        {"conv.kernel", formula<T>({2, 1, 3, 3}, 0.11, 0.5)},           // rank 4, the most a Shape holds
        {"step", Tensor<T>::scalar(T(1234))},                           // rank 0: a checkpoint's counters
        {"empty", Tensor<T>::zeros({0, 5})},                            // no elements: data_offsets [k, k]
        {"\xc3\xa9t\xc3\xa9.\xe2\x88\x82", formula<T>({2}, 1.0, 0.0)},  // UTF-8 names survive
    };
    saved[0].second.data()[5] = std::numeric_limits<T>::infinity();  // any bit pattern is stored as is
    saved[1].second.data()[2] = std::numeric_limits<T>::quiet_NaN();
    io::Metadata metadata;
    metadata.set("seed", std::numeric_limits<std::uint64_t>::max());
    metadata.set("lr", 0.1 + 0.2);
    metadata.set("note", "a, \"quoted\" string");

    const fs::path path = scratch("round_trip.safetensors");
    io::save_safetensors(path, saved, metadata);
    auto loaded = io::load_safetensors<T>(path);

    // Stored in name order (bytes compared as unsigned, like Rust), whatever the order given.
    std::vector<std::string> names;
    for (const auto& [name, tensor] : loaded) names.push_back(name);
    CHECK(names == std::vector<std::string>{"conv.kernel", "empty", "fc1.bias", "fc1.weight", "step",
                                            "\xc3\xa9t\xc3\xa9.\xe2\x88\x82"});
    for (const auto& [name, tensor] : saved) {
        const Tensor<T>& back = io::find_tensor(loaded, name);
        INFO(name);
        CHECK(back.shape() == tensor.shape());
        const std::vector<T> a = tensor.to_vector(), b = back.to_vector();
        REQUIRE(a.size() == b.size());
        for (std::size_t i = 0; i < a.size(); ++i) CHECK((a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i]))));
    }
    CHECK(io::find_tensor(loaded, "step").item() == T(1234));

    const io::Metadata back = io::read_safetensors_metadata(path);
    CHECK(back.get("format") == "pt");
    CHECK(back.get_as<std::uint64_t>("seed") == std::numeric_limits<std::uint64_t>::max());
    CHECK(back.get_as<double>("lr") == 0.1 + 0.2);  // shortest round-trip text, exact
    CHECK(back.get("note") == "a, \"quoted\" string");

    const io::SafetensorsHeader header = io::read_safetensors_header(path);
    CHECK(header.header_bytes % 8 == 0);
    CHECK(8 + header.header_bytes + header.tensors.back().end == fs::file_size(path));
    CHECK(header.tensors[0].dtype == (std::is_same_v<T, float> ? "F32" : "F64"));
}

TEST_CASE("a file of the other float dtype loads only when conversion is asked for", "[io][safetensors]") {
    const fs::path path = scratch("f64.safetensors");
    io::save_safetensors(path, linear_fixture<double>());
    try {
        (void)io::load_safetensors<float>(path);
        FAIL("F64 loaded as float without convert_dtype");
    } catch (const Error& e) {
        CHECK_THAT(e.what(), Contains("tensor '0.bias' is F64 but F32 was requested"));
        CHECK_THAT(e.what(), Contains("convert_dtype"));
    }
    auto converted = io::load_safetensors<float>(path, {.convert_dtype = true});
    const std::vector<float> expected = linear_fixture<float>()[0].second.to_vector();
    CHECK(io::find_tensor(converted, "0.weight").to_vector() == expected);  // rounded like static_cast

    const fs::path path32 = scratch("f32.safetensors");
    io::save_safetensors(path32, linear_fixture<float>());
    auto widened = io::load_safetensors<double>(path32, {.convert_dtype = true});
    const std::vector<double> weight = io::find_tensor(widened, "0.weight").to_vector();
    for (std::size_t i = 0; i < weight.size(); ++i) CHECK(weight[i] == double(expected[i]));
}

// ------------------------------------------------------------------------------- corrupt files

TEST_CASE("every corrupt safetensors file is a clear aigc::Error", "[io][safetensors][errors]") {
    const fs::path valid_path = scratch("valid.safetensors");
    io::save_safetensors(valid_path, linear_fixture<float>(), epoch_metadata());
    const std::string valid = read_bytes(valid_path);  // 8 + 168 header + 32 data bytes
    const std::string data = valid.substr(8 + 168);
    REQUIRE(io::load_safetensors<float>(valid_path).size() == 2);

    SECTION("shorter than the length field") {
        CHECK_THAT(load_error(""), Contains("file is 0 bytes, too short for the 8-byte header length"));
        CHECK_THAT(load_error(valid.substr(0, 5)), Contains("file is 5 bytes"));
    }
    SECTION("header length larger than the file") {
        std::string bytes = valid;
        bytes.replace(0, 8, u64_le(4096));
        CHECK_THAT(load_error(bytes), Contains("header length 4096 runs past the end of the file (208 bytes)"));
        CHECK_THAT(load_error(valid.substr(0, 100)),
                   Contains("header length 168 runs past the end of the file (100 bytes)"));
    }
    SECTION("a huge header length is refused before anything is allocated") {
        std::string bytes = valid;
        bytes.replace(0, 8, u64_le(std::numeric_limits<std::uint64_t>::max()));
        CHECK_THAT(load_error(bytes), Contains("header length 18446744073709551615 exceeds the safetensors limit of "
                                               "100000000 bytes"));
        bytes.replace(0, 8, u64_le(100'000'001));
        CHECK_THAT(load_error(bytes), Contains("exceeds the safetensors limit"));
    }
    SECTION("truncated data") {
        CHECK_THAT(load_error(valid.substr(0, valid.size() - 4)),
                   Contains("file is truncated: the tensor data needs 32 bytes after the header but the file has 28"));
    }
    SECTION("trailing bytes") {
        CHECK_THAT(load_error(valid + std::string(8, '\0')),
                   Contains("file has 8 trailing bytes after the last tensor's data"));
    }
    SECTION("header that is not JSON") {
        std::string bytes = valid;
        bytes[8 + 15] = ',';  // {"__metadata__",{"format"...
        CHECK_THAT(load_error(bytes), Contains("header is not valid JSON"));
        CHECK_THAT(load_error(safetensors_bytes("{\"a\xff\":1}", "")), Contains("header is not valid JSON"));
        CHECK_THAT(load_error(safetensors_bytes("{}  junk", "")), Contains("header is not valid JSON"));
    }
    SECTION("header that is not an object") {
        CHECK_THAT(load_error(safetensors_bytes("[1, 2, 3]", "")),
                   Contains("header is not a JSON object: it starts with '['"));
        CHECK_THAT(load_error(safetensors_bytes(" {}", "")), Contains("it starts with ' '"));
        CHECK_THAT(load_error(u64_le(0)), Contains("it starts with nothing"));
        std::string bytes = valid;
        bytes[8] = 'P';  // e.g. a pickle or another format entirely
        CHECK_THAT(load_error(bytes), Contains("header is not a JSON object: it starts with 'P'"));
    }
    SECTION("unknown and unsupported dtypes") {
        CHECK_THAT(load_error(safetensors_bytes(R"({"w":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}})",
                                                data.substr(0, 8))),
                   Contains("tensor 'w' has unknown dtype 'F33'"));
        CHECK_THAT(
            load_error(safetensors_bytes(R"({"w":{"dtype":7,"shape":[2],"data_offsets":[0,8]}})", data.substr(0, 8))),
            Contains("tensor 'w' dtype is a JSON number, expected a string"));
        // A valid I64 file: the header checks pass, loading names the dtype.
        const std::string i64 =
            safetensors_bytes(R"({"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", data.substr(0, 8));
        CHECK_THAT(load_error(i64), Contains("tensor 'ids' has dtype I64; aigc loads F32 and F64 only"));
        write_bytes(scratch("i64.safetensors"), i64);
        CHECK(io::read_safetensors_header(scratch("i64.safetensors")).tensors[0].dtype == "I64");
    }
    SECTION("shape and offsets that disagree") {
        CHECK_THAT(load_error(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})",
                                                data.substr(0, 20))),
                   Contains("tensor 'w' data_offsets [0, 20] hold 20 bytes, but dtype F32 shape [2, 3] needs 24"));
        CHECK_THAT(load_error(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})",
                                                data.substr(0, 8))),
                   Contains("tensor 'w' data_offsets [8, 0] ends before it begins"));
        CHECK_THAT(
            load_error(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", data.substr(0, 8))),
            Contains("tensor 'w' data_offsets [0] is not a pair of non-negative integers"));
        // Edit the valid file: 0.weight claims 5 rows.
        std::string bytes = valid;
        bytes.replace(bytes.find("[2,3]"), 5, "[5,3]");
        CHECK_THAT(
            load_error(bytes),
            Contains("tensor '0.weight' data_offsets [8, 32] hold 24 bytes, but dtype F32 shape [5, 3] needs 60"));
    }
    SECTION("overlapping and holey offsets") {
        CHECK_THAT(load_error(safetensors_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                                data.substr(0, 12))),
                   Contains("tensor 'b' data [4, 12) overlaps 'a' [0, 8)"));
        CHECK_THAT(load_error(safetensors_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}})",
                                                data.substr(0, 20))),
                   Contains("tensor 'b' data starts at byte 12 but 'a' ends at byte 8: a hole in the data"));
        std::string bytes = valid;  // 0.bias moved from [0,8] to [4,12]: a hole at the start and an overlap
        bytes.replace(bytes.find("[0,8]"), 5, "[4,12]");
        bytes = safetensors_bytes(bytes.substr(8, 169), data);
        CHECK_THAT(load_error(bytes), Contains("tensor '0.bias' data starts at byte 4 but the data begins at byte 0"));
    }
    SECTION("duplicate names") {
        CHECK_THAT(load_error(safetensors_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                                R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                                data.substr(0, 8))),
                   Contains("header has the key 'a' twice"));
        CHECK_THAT(load_error(safetensors_bytes(
                       R"({"a":{"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,4]}})", data.substr(0, 4))),
                   Contains("header has the key 'dtype' twice"));
    }
    SECTION("shape values that are not non-negative integers") {
        auto with_shape = [&](const std::string& shape) {
            return safetensors_bytes(R"({"w":{"dtype":"F32","shape":)" + shape + R"(,"data_offsets":[0,8]}})",
                                     data.substr(0, 8));
        };
        CHECK_THAT(load_error(with_shape("[1e400]")), Contains("header is not valid JSON"));
        CHECK_THAT(load_error(with_shape("[1e400]")), Contains("number overflow"));
        CHECK_THAT(load_error(with_shape("[2.5]")),
                   Contains("tensor 'w' shape [2.5] has 2.5, expected non-negative integers"));
        CHECK_THAT(load_error(with_shape("[-2]")), Contains("has -2, expected non-negative integers"));
        CHECK_THAT(load_error(with_shape("[\"2\"]")), Contains("has \"2\", expected non-negative integers"));
        CHECK_THAT(load_error(with_shape("[18446744073709551615]")), Contains("expected non-negative integers"));
        CHECK_THAT(load_error(with_shape("[4294967296,4294967296,16]")), Contains("has more elements than 2^64"));
        CHECK_THAT(load_error(with_shape("2")), Contains("tensor 'w' shape is a JSON number, expected an array"));
        // 200,000 nested arrays: parsed, checked and reported without recursion (no stack overflow).
        CHECK_THAT(load_error(with_shape("[" + std::string(200000, '[') + std::string(200000, ']') + "]")),
                   Contains("tensor 'w' shape [...] has [...], expected non-negative integers"));
    }
    SECTION("malformed tensor entries and metadata") {
        CHECK_THAT(load_error(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2]}})", "")),
                   Contains("tensor 'w' has no 'data_offsets'"));
        CHECK_THAT(load_error(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})",
                                                data.substr(0, 8))),
                   Contains("tensor 'w' has an unknown field 'x'"));
        CHECK_THAT(load_error(safetensors_bytes(R"({"w":[1,2]})", "")),
                   Contains("tensor 'w' is a JSON array, expected an object"));
        CHECK_THAT(load_error(safetensors_bytes(R"({"__metadata__":{"epoch":3}})", "")),
                   Contains("__metadata__ entry 'epoch' is a JSON number, expected a string"));
        CHECK_THAT(load_error(safetensors_bytes(R"({"__metadata__":"pt"})", "")),
                   Contains("__metadata__ is a JSON string, expected an object of strings"));
    }
    SECTION("tensors of more than four dimensions") {
        CHECK_THAT(load_error(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[1,1,1,1,2],"data_offsets":[0,8]}})",
                                                data.substr(0, 8))),
                   Contains("tensor 'w' has shape [1, 1, 1, 1, 2] of rank 5; aigc tensors have at most 4 dimensions"));
    }
    SECTION("missing files and folders") {
        const fs::path missing = scratch("does_not_exist.safetensors");
        CHECK_THROWS_WITH(io::load_safetensors<float>(missing),
                          Contains(missing.string()) && Contains("cannot open: No such file or directory"));
        CHECK_THROWS_WITH(io::load_safetensors<float>(scratch("")), Contains("not a regular file"));
    }
}

// ----------------------------------------------------------------------------- atomic writes

TEST_CASE("a failed save leaves the previous checkpoint intact and no temporary file",
          "[io][safetensors][atomic_file]") {
    const fs::path folder = scratch("atomic");
    fs::create_directories(folder);
    const fs::path path = folder / "model.safetensors";
    io::save_safetensors(path, linear_fixture<float>(), epoch_metadata());
    const std::string before = read_bytes(path);

    SECTION("a tensor list that fails validation part-way") {
        io::NamedTensors<float> bad = linear_fixture<float>();
        bad.emplace_back("2.weight", formula<float>({3, 3}, 0.1, 0.2));
        bad.emplace_back("0.weight", formula<float>({2, 3}, 0.3, 0.4));
        CHECK_THROWS_WITH(io::save_safetensors(path, bad), Contains("the name '0.weight' appears twice"));
        bad.pop_back();
        bad.emplace_back("3.weight", Tensor<float>());
        CHECK_THROWS_WITH(io::save_safetensors(path, bad), Contains("tensor '3.weight' is undefined"));
        bad.back() = {"__metadata__", formula<float>({1}, 0, 0)};
        CHECK_THROWS_WITH(io::save_safetensors(path, bad), Contains("'__metadata__' is reserved"));
        bad.back() = {"", formula<float>({1}, 0, 0)};
        CHECK_THROWS_WITH(io::save_safetensors(path, bad), Contains("tensor #3 has an empty name"));
        bad.back() = {"bad\xff", formula<float>({1}, 0, 0)};
        CHECK_THROWS_WITH(io::save_safetensors(path, bad), Contains("not valid UTF-8") && Contains(path.string()));
        io::Metadata tf;
        tf.set("format", "tf");
        CHECK_THROWS_WITH(io::save_safetensors(path, linear_fixture<float>(), tf), Contains("'format' must be \"pt\""));
    }
    SECTION("the disk refuses the data mid-write (file size limit)") {
        // RLIMIT_FSIZE makes write() fail with EFBIG part-way through the data, even for root, the
        // way a full disk would. SIGXFSZ would otherwise kill the process.
        rlimit old_limit{};
        REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
        auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
        rlimit small = old_limit;
        small.rlim_cur = 4096;
        REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
        std::string message;
        try {
            io::save_safetensors(path, io::NamedTensors<float>{{"big", Tensor<float>::zeros({64, 64})}});
        } catch (const Error& e) {
            message = e.what();
        }
        ::setrlimit(RLIMIT_FSIZE, &old_limit);
        std::signal(SIGXFSZ, old_handler);
        CHECK_THAT(message, Contains("save_safetensors: writing '" + path.string() + "' failed: File too large"));
        CHECK_THAT(message, Contains("the previous file, if any, is unchanged"));
    }
    SECTION("an exception while the caller writes discards the temporary file") {
        try {
            io::AtomicFile file(path, "test");
            file.write("half a file");
            throw std::runtime_error("interrupted");
        } catch (const std::runtime_error&) {
        }
    }
    CHECK(read_bytes(path) == before);
    CHECK(folder_entries(folder) == std::vector<std::string>{"model.safetensors"});
    CHECK(io::load_safetensors<float>(path).size() == 2);
}

TEST_CASE("saving into a folder that cannot take the file is an error", "[io][safetensors][atomic_file][errors]") {
    const fs::path not_a_folder = scratch("plain_file");
    write_bytes(not_a_folder, "x");
    CHECK_THROWS_WITH(io::save_safetensors(not_a_folder / "model.safetensors", linear_fixture<float>()),
                      Contains("save_safetensors: cannot create a temporary file in '" + not_a_folder.string()) &&
                          Contains("Not a directory"));
    CHECK_THROWS_WITH(io::save_safetensors(scratch("no/such/folder/m.safetensors"), linear_fixture<float>()),
                      Contains("No such file or directory"));
    if (::geteuid() != 0) {  // root writes into read-only folders anyway
        const fs::path locked = scratch("locked");
        fs::create_directories(locked);
        fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
        CHECK_THROWS_WITH(io::save_safetensors(locked / "m.safetensors", linear_fixture<float>()),
                          Contains("Permission denied"));
        fs::permissions(locked, fs::perms::owner_all);
    }
    // An existing file is replaced in place, permissions from the umask like any new file.
    const fs::path path = scratch("replaced.safetensors");
    write_bytes(path, "old");
    io::save_safetensors(path, linear_fixture<float>());
    CHECK(fs::file_size(path) > 8);
}

// -------------------------------------------------------------- checkpoints of another model

TEST_CASE("load_into copies matching tensors in place and lists every mismatch at once", "[io][safetensors]") {
    const fs::path path = scratch("checkpoint.safetensors");
    io::save_safetensors(path, io::NamedTensors<float>{{"0.weight", formula<float>({4, 3}, 0.3, 0.2)},
                                                       {"0.bias", formula<float>({4}, 0.5, 0.1)},
                                                       {"2.weight", formula<float>({1, 4}, 0.7, 0.3)},
                                                       {"2.bias", formula<float>({1}, 0.9, 0.4)}});
    SECTION("the same architecture loads into shared storage") {
        Tensor<float> weight = Tensor<float>::zeros({4, 3}), bias = Tensor<float>::zeros({4});
        Tensor<float> weight2 = Tensor<float>::zeros({1, 4}), bias2 = Tensor<float>::zeros({1});
        Tensor<float> alias = weight;  // e.g. a module's parameter seen through its state_dict
        io::load_into(path, io::NamedTensors<float>{
                                {"2.bias", bias2}, {"0.weight", weight}, {"0.bias", bias}, {"2.weight", weight2}});
        CHECK(alias.to_vector() == formula<float>({4, 3}, 0.3, 0.2).to_vector());
        CHECK(bias2.item() == formula<float>({1}, 0.9, 0.4).item());
    }
    SECTION("another architecture: missing, unexpected and mismatched in one message, nothing changed") {
        Tensor<float> weight = Tensor<float>::full({4, 2}, 7.f);
        io::NamedTensors<float> model{
            {"0.weight", weight}, {"0.bias", Tensor<float>::zeros({4})}, {"1.weight", Tensor<float>::zeros({3})}};
        std::string message;
        try {
            io::load_into(path, model);
        } catch (const Error& e) {
            message = e.what();
        }
        CHECK_THAT(message, Contains("load_into: '" + path.string() + "': does not match the expected tensors"));
        CHECK_THAT(message, Contains("missing keys: \"1.weight\" [3] F32"));
        CHECK_THAT(message, Contains("unexpected keys: \"2.bias\" [1] F32, \"2.weight\" [1, 4] F32"));
        CHECK_THAT(message, Contains("shape mismatches: \"0.weight: checkpoint has [4, 3], model has [4, 2]\""));
        CHECK(weight.to_vector() == std::vector<float>(8, 7.f));
    }
    SECTION("a dtype the caller did not ask for is a mismatch") {
        io::NamedTensors<double> as_double{{"0.weight", Tensor<double>::zeros({4, 3})},
                                           {"0.bias", Tensor<double>::zeros({4})},
                                           {"2.weight", Tensor<double>::zeros({1, 4})},
                                           {"2.bias", Tensor<double>::zeros({1})}};
        CHECK_THROWS_WITH(io::load_into(path, as_double),
                          Contains("dtype mismatches: \"0.weight: checkpoint has F32, model has F64\""));
        io::load_into(path, as_double, {.convert_dtype = true});
        CHECK(io::find_tensor(as_double, "2.bias").item() == double(formula<float>({1}, 0.9, 0.4).item()));
    }
    SECTION("load_matching returns new tensors in the expected order") {
        io::NamedTensors<float> like{{"2.bias", Tensor<float>::zeros({1})},
                                     {"0.bias", Tensor<float>::zeros({4})},
                                     {"0.weight", Tensor<float>::zeros({4, 3})},
                                     {"2.weight", Tensor<float>::zeros({1, 4})}};
        auto loaded = io::load_matching(path, like);
        REQUIRE(loaded.size() == 4);
        CHECK(loaded[0].first == "2.bias");
        CHECK(loaded[1].second.to_vector() == formula<float>({4}, 0.5, 0.1).to_vector());
        CHECK(io::find_tensor(like, "0.bias").to_vector() == std::vector<float>(4, 0.f));
    }
}

TEST_CASE("a training checkpoint combines prefixed state and metadata counters", "[io][safetensors][metadata]") {
    io::NamedTensors<float> generator{{"0.weight", formula<float>({2, 2}, 0.1, 0.0)}};
    io::NamedTensors<float> optimizer{{"step", Tensor<float>::scalar(500.f)},
                                      {"0.weight.exp_avg", formula<float>({2, 2}, 0.2, 0.0)}};
    io::NamedTensors<float> all = io::with_prefix("generator.", generator);
    for (auto& entry : io::with_prefix("optimizer_g.", optimizer)) all.push_back(entry);
    io::Metadata counters;
    counters.set("epoch", 3);
    counters.set("generator.offset", std::uint64_t(1) << 60);

    const fs::path path = scratch("train.safetensors");
    io::save_safetensors(path, all, counters);
    auto loaded = io::load_safetensors<float>(path);
    auto optimizer_back = io::take_prefix("optimizer_g.", loaded);
    REQUIRE(optimizer_back.size() == 2);
    CHECK(io::find_tensor(optimizer_back, "step").item() == 500.f);
    CHECK(io::take_prefix("generator.", loaded).size() == 1);
    CHECK_THROWS_WITH(io::find_tensor(optimizer_back, "exp_avg"),
                      Contains("no tensor named 'exp_avg' (have: 0.weight.exp_avg, step)"));

    const io::Metadata back = io::read_safetensors_metadata(path);
    CHECK(back.get_as<int>("epoch") == 3);
    CHECK(back.get_as<std::uint64_t>("generator.offset") == std::uint64_t(1) << 60);
    CHECK_THROWS_WITH(back.get("seed"),
                      Contains("'" + path.string() + "': no entry 'seed' (has: epoch, format, generator.offset)"));
    CHECK_THROWS_WITH(back.get_as<std::int8_t>("generator.offset"), Contains("is not a signed integer (out of range)"));
    CHECK_THROWS_WITH(back.get_as<double>("format"), Contains("entry 'format' = 'pt' is not a floating-point number"));
}

// ------------------------------------------------------------------------------------ PNG grids

TEST_CASE("image grids lay out samples like torchvision and write a valid PNG", "[io][png]") {
    // 5 images of 3x2, values -1 .. 1: image k pixel j = (k * 6 + j) / 14.5 - 1.
    std::vector<float> values(30);
    for (int i = 0; i < 30; ++i) values[i] = float(i) / 14.5f - 1.f;
    const auto images = Tensor<float>::from_vector({5, 6}, values);
    io::GridOptions options{.image_height = 3,
                            .image_width = 2,
                            .columns = 2,
                            .padding = 1,
                            .scale = data::PixelScale::symmetric,
                            .pad_value = 9};
    const io::GrayImage grid = io::make_image_grid(images, options);
    CHECK(grid.width == 2 * (2 + 1) + 1);   // columns * (w + pad) + pad
    CHECK(grid.height == 3 * (3 + 1) + 1);  // ceil(5 / 2) rows
    auto pixel = [&](int y, int x) { return int(grid.pixels[y * grid.width + x]); };
    auto level = [](float v) { return int(std::clamp(std::floor((double(v) + 1) / 2 * 255 + 0.5), 0.0, 255.0)); };
    CHECK(pixel(0, 0) == 9);                  // padding
    CHECK(pixel(1, 1) == level(values[0]));   // image 0 top-left = 0
    CHECK(pixel(3, 2) == level(values[5]));   // image 0 bottom-right
    CHECK(pixel(1, 4) == level(values[6]));   // image 1 top-left, second column
    CHECK(pixel(9, 1) == level(values[24]));  // image 4: third row, first column
    CHECK(pixel(9, 4) == 9);                  // the empty sixth cell keeps the pad value
    CHECK(pixel(11, 5) == 9);

    const fs::path path = scratch("grid.png");
    io::write_image_grid(path, images, options);
    const std::string png = read_bytes(path);
    REQUIRE(png.size() > 33);
    CHECK(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
    CHECK(png.substr(12, 4) == "IHDR");
    auto be32 = [&](std::size_t at) {
        return (std::uint32_t(std::uint8_t(png[at])) << 24) | (std::uint32_t(std::uint8_t(png[at + 1])) << 16) |
               (std::uint32_t(std::uint8_t(png[at + 2])) << 8) | std::uint32_t(std::uint8_t(png[at + 3]));
    };
    CHECK(be32(16) == 7);               // width
    CHECK(be32(20) == 13);              // height
    CHECK(std::uint8_t(png[24]) == 8);  // bit depth
    CHECK(std::uint8_t(png[25]) == 0);  // colour type: grayscale

    // Decoding with stb_image gives back exactly the grid's pixels.
    int width = 0, height = 0, channels = 0;
    unsigned char* decoded = stbi_load(path.c_str(), &width, &height, &channels, 0);
    REQUIRE(decoded != nullptr);
    CHECK(width == grid.width);
    CHECK(height == grid.height);
    CHECK(channels == 1);
    CHECK(std::vector<std::uint8_t>(decoded, decoded + width * height) == grid.pixels);
    stbi_image_free(decoded);

    // The program's own stb_image_write (global, extern "C") works beside aigc's private copy.
    int size = 0;
    unsigned char* own = stbi_write_png_to_mem(grid.pixels.data(), grid.width, grid.width, grid.height, 1, &size);
    REQUIRE(own != nullptr);
    CHECK(std::string(reinterpret_cast<char*>(own), 8) == png.substr(0, 8));
    STBIW_FREE(own);
}

TEST_CASE("image grids of MNIST-sized samples in [0, 1] and bad input", "[io][png]") {
    const auto batch = formula<float>({10, 784}, 0.013, 0.0);  // sin in [-1, 1]: clamped below 0
    const io::GrayImage grid = io::make_image_grid(batch, {.columns = 4, .scale = data::PixelScale::unit});
    CHECK(grid.width == 4 * 30 + 2);
    CHECK(grid.height == 3 * 30 + 2);
    CHECK(int(grid.pixels[2 * grid.width + 2]) == 0);  // sin(0) = 0 -> 0
    const int at = 2 * grid.width + 2 + 10;            // image 0, pixel (0, 10) = sin(0.13) in [0, 1]
    CHECK(int(grid.pixels[at]) == int(std::floor(double(batch.to_vector()[10]) * 255 + 0.5)));
    CHECK(int(grid.pixels[at]) == 33);

    CHECK_THROWS_WITH(io::make_image_grid(formula<float>({3, 783}, 0.1, 0.0)),
                      Contains("each of the 3 images should have 28x28 = 784 pixels, given [3, 783]"));
    auto with_nan = formula<float>({2, 4}, 0.1, 0.0);
    with_nan.data()[6] = std::nanf("");
    CHECK_THROWS_WITH(io::make_image_grid(with_nan, {.image_height = 2, .image_width = 2}),
                      Contains("image 1 pixel (1, 0) is nan"));
    CHECK_THROWS_WITH(io::make_image_grid(batch, {.columns = 0}), Contains("columns 0"));
    CHECK_THROWS_WITH(io::write_png(scratch("x.png"), io::GrayImage{2, 2, {1, 2, 3}}),
                      Contains("a 2x2 image needs 4 pixels, given 3"));
}

// ---------------------------------------------------------------------------------- SVG, CSV

TEST_CASE("the loss plot is an SVG with every series, axes, ticks and a legend", "[io][plot]") {
    io::LossCurves curves;
    for (int step = 0; step <= 100; ++step) {
        curves.add("d_loss", step, 1.4 - 0.005 * step);
        curves.add("g <loss> & more", step, step == 50 ? std::nan("") : 0.7 + 0.01 * step);
    }
    const std::string svg = io::render_svg_plot(curves.series(), {.title = "GAN losses"});
    CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
    CHECK(svg.find("</svg>") != std::string::npos);
    CHECK_THAT(svg, Contains(">GAN losses</text>"));
    CHECK_THAT(svg, Contains(">d_loss</text>"));
    CHECK_THAT(svg, Contains(">g &lt;loss&gt; &amp; more (1 non-finite skipped)</text>"));
    CHECK_THAT(svg, Contains(">step</text>"));
    // Steps 0..100 get ticks every 20; losses 0.7..1.7 every 0.2.
    for (const char* tick : {">0</text>", ">20</text>", ">100</text>", ">0.6</text>", ">1.0</text>", ">1.8</text>"})
        CHECK_THAT(svg, Contains(tick));
    auto count = [&](const std::string& needle) {
        std::size_t n = 0;
        for (std::size_t at = svg.find(needle); at != std::string::npos; at = svg.find(needle, at + 1)) ++n;
        return n;
    };
    CHECK(count("class=\"series-0\"") == 1);
    CHECK(count("class=\"series-1\"") == 2);  // the NaN splits the second line in two

    // 20,000 points (more than the plot is wide) are thinned, but a one-step spike survives.
    io::LossCurves long_run;
    for (int step = 0; step < 20000; ++step) long_run.add("loss", step, step == 12345 ? 50.0 : 1.0);
    const std::string thin = io::render_svg_plot(long_run.series());
    CHECK(thin.size() < 100'000);
    CHECK_THAT(thin, Contains(">50</text>"));  // the y axis reaches the spike
    CHECK_THROWS_WITH(io::render_svg_plot({io::Series{"bad", {1, 2}, {1}}}),
                      Contains("'bad' has 2 x values and 1 y values"));

    const fs::path path = scratch("loss.svg");
    io::write_svg_plot(path, curves.series());
    CHECK(read_bytes(path) == io::render_svg_plot(curves.series()));
}

TEST_CASE("the metrics CSV has a header, one flushed row per call, and appends on resume", "[io][csv]") {
    const fs::path path = scratch("metrics.csv");
    {
        io::CsvWriter csv(path, {"epoch", "loss", "note"});
        csv.write_row({1, 0.5, "first"});
        CHECK(read_bytes(path) == "epoch,loss,note\n1,0.5,first\n");  // on disk before the writer closes
        csv.write_row({2, 1e-7, "has, comma and \"quotes\""});
        CHECK_THROWS_WITH(csv.write_row({3, 0.1}), Contains("has 3 columns (epoch,loss,note), given 2 values"));
    }
    {
        io::CsvWriter resumed(path, {"epoch", "loss", "note"}, io::CsvMode::append);
        resumed.write_row({3, std::nan(""), ""});
    }
    CHECK(read_bytes(path) == "epoch,loss,note\n1,0.5,first\n2,1e-07,\"has, comma and \"\"quotes\"\"\"\n3,nan,\n");
    CHECK_THROWS_WITH(io::CsvWriter(path, {"epoch", "accuracy"}, io::CsvMode::append),
                      Contains("has the header 'epoch,loss,note', expected 'epoch,accuracy'"));
    write_bytes(path, "epoch,loss,note\n1,0.5,fir");
    CHECK_THROWS_WITH(io::CsvWriter(path, {"epoch", "loss", "note"}, io::CsvMode::append), Contains("incomplete row"));
    io::CsvWriter fresh(path, {"epoch", "loss", "note"});  // truncate mode starts over
    CHECK(read_bytes(path) == "epoch,loss,note\n");
    CHECK(io::CsvWriter(scratch("new.csv"), {"a"}, io::CsvMode::append).columns().size() == 1);
    CHECK(read_bytes(scratch("new.csv")) == "a\n");
}

// ------------------------------------------------------------------------------------- progress

TEST_CASE("the progress line shows epoch, steps, losses, throughput and ETA", "[io][progress]") {
    io::ProgressOptions options{.epoch = 3, .epochs = 10, .steps = 100, .bar_width = 10};
    const std::string line = io::format_progress_line(options, 25, 1600, 10.0, {{"d_loss", 0.69314}, {"g_loss", 1.5}});
    CHECK(line == "epoch 3/10 [##........]  25/100  d_loss 0.6931  g_loss 1.5000  160 samples/s  ETA 0:30");
    CHECK_THAT(io::format_progress_line(options, 1, 64, 36.0, {}), Contains("ETA 59:24"));
    CHECK_THAT(io::format_progress_line(options, 1, 64, 40.0, {}), Contains("ETA 1:06:00"));
    CHECK_THAT(io::format_progress_line(options, 0, 0, 0.0, {}), Contains("ETA --:--"));
}

TEST_CASE("the progress bar is off when the stream is not a terminal and throttles its redraws", "[io][progress]") {
    std::FILE* file = std::tmpfile();
    REQUIRE(file != nullptr);
    {
        io::ProgressBar bar({.steps = 10, .stream = file});
        CHECK_FALSE(bar.enabled());
        for (int step = 1; step <= 10; ++step) bar.update(step, step * 64, {{"loss", 0.5}});
        bar.finish(640, {{"loss", 0.5}});
    }
    CHECK(std::ftell(file) == 0);  // not a byte written

    {
        io::ProgressBar bar({.epoch = 1,
                             .epochs = 2,
                             .steps = 10,
                             .mode = io::ProgressMode::always,
                             .min_interval_s = 3600,
                             .stream = file});
        REQUIRE(bar.enabled());
        for (int step = 1; step <= 10; ++step) bar.update(step, step * 64, {{"loss", 0.25}});
        CHECK(bar.redraws() == 2);  // the first step, then the throttle holds until the last step
        bar.finish(640, {{"loss", 0.25}});
        CHECK(bar.redraws() == 3);
    }
    std::rewind(file);
    std::string written(4096, '\0');
    written.resize(std::fread(written.data(), 1, written.size(), file));
    std::fclose(file);
    CHECK_THAT(written, Contains("\repoch 1/2 [") && Contains(" 1/10  loss 0.2500") && Contains("10/10  loss 0.2500"));
    CHECK(written.back() == '\n');

    // A pseudo-terminal is a terminal: automatic mode switches the bar on there.
    int master = ::posix_openpt(O_RDWR | O_NOCTTY);
    REQUIRE(master >= 0);
    REQUIRE(::grantpt(master) == 0);
    REQUIRE(::unlockpt(master) == 0);
    std::FILE* terminal = std::fopen(::ptsname(master), "w");
    REQUIRE(terminal != nullptr);
    CHECK(io::ProgressBar({.steps = 10, .stream = terminal}).enabled());
    CHECK_FALSE(io::ProgressBar({.steps = 10, .mode = io::ProgressMode::never, .stream = terminal}).enabled());
    std::fclose(terminal);
    ::close(master);
}

TEST_CASE("require_finite refuses NaN and Inf with the tensor and element; by default they load",
          "[io][safetensors][errors]") {
    const fs::path path = scratch("non_finite.safetensors");
    const float inf = std::numeric_limits<float>::infinity();
    io::save_safetensors(path, io::NamedTensors<float>{{"a.weight", Tensor<float>::from_vector({2}, {1.0f, 2.0f})},
                                                       {"b.weight", Tensor<float>::from_vector({2, 2}, {0, 0, -inf, 0})}});
    CHECK(io::load_safetensors<float>(path).size() == 2);  // general files may hold infinities on purpose
    CHECK_THROWS_WITH(io::load_safetensors<float>(path, {.require_finite = true}),
                      Contains("tensor 'b.weight' [2, 2] holds -inf at element 2; a model's weights and optimizer state "
                               "must be finite"));
    io::NamedTensors<float> destination{{"a.weight", Tensor<float>::zeros({2})}, {"b.weight", Tensor<float>::zeros({2, 2})}};
    CHECK_THROWS_WITH(io::load_into(path, destination, {.require_finite = true}), Contains("holds -inf at element 2"));
    CHECK(destination[0].second.to_vector() == std::vector<float>{0, 0});  // all or nothing
    io::save_safetensors(path, io::NamedTensors<double>{{"x", Tensor<double>::from_vector({3}, {1, std::nan(""), 3})}});
    CHECK_THROWS_WITH(io::load_safetensors<double>(path, {.require_finite = true}), Contains("tensor 'x' [3] holds nan at element 1"));
}

TEST_CASE("FolderLock: one holder at a time, named to the next; released with its holder", "[io][folder_lock][errors]") {
    const fs::path folder = scratch("locked_folder");
    fs::create_directories(folder);
    {
        io::FolderLock first(folder, "trainer one");
        // flock locks belong to an open file, so a second lock in this process is refused like another process's.
        CHECK_THROWS_WITH(io::FolderLock(folder, "trainer two"),
                          Contains("'" + folder.string() + "' is in use by process " + std::to_string(::getpid()) +
                                   " (trainer one); two runs writing one folder"));
    }
    CHECK_NOTHROW(io::FolderLock(folder, "trainer three"));
    CHECK_THROWS_WITH(io::FolderLock(folder / "missing", "x"), Contains("cannot lock '" + (folder / "missing").string()));
}

TEST_CASE("CsvWriter and read_tfrecords name the OS reason when a file cannot be opened", "[io][csv][errors]") {
    const fs::path missing = scratch("no_such_folder") / "metrics.csv";
    CHECK_THROWS_WITH(io::CsvWriter(missing, {"epoch"}),
                      "CsvWriter: cannot open '" + missing.string() + "' for writing: No such file or directory");
    CHECK_THROWS_WITH(io::read_tfrecords(missing), Contains("': No such file or directory"));
}

TEST_CASE("IdxImageWriter writes in pieces what write_idx_images writes at once, and checks the count",
          "[io][idx][errors]") {
    const fs::path whole = scratch("whole.idx"), pieces = scratch("pieces.idx");
    std::vector<std::uint8_t> pixels(5 * 6);
    for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>(i * 7);
    data::write_idx_images(whole, {5, 2, 3, pixels});
    {
        data::IdxImageWriter writer(pieces, 5, 2, 3);
        writer.append(std::span(pixels).subspan(0, 12));
        writer.append(std::span(pixels).subspan(12));
        writer.commit();
    }
    CHECK(read_bytes(pieces) == read_bytes(whole));
    {
        data::IdxImageWriter short_of_one(pieces, 6, 2, 3);
        short_of_one.append(pixels);
        CHECK_THROWS_WITH(short_of_one.commit(), Contains("the header says 6 images, only 5 were written; the file is not replaced"));
        CHECK_THROWS_WITH(short_of_one.append(std::span(pixels).subspan(0, 5)), Contains("5 pixels are not whole images of 2x3"));
        CHECK_THROWS_WITH(short_of_one.append(std::vector<std::uint8_t>(12)), Contains("the header says 6 images; 5 are written and 2 more"));
    }
    CHECK(read_bytes(pieces) == read_bytes(whole));  // the unfinished file never replaced it
}
