#pragma once
// safetensors save and load for named float/double tensors: the checkpoint format (DESIGN.md).
//
//   io::save_safetensors("g.safetensors", generator.state_dict(), metadata);   // atomic
//   auto state = io::load_safetensors<float>("g.safetensors");                  // every tensor
//   io::load_into("g.safetensors", generator.state_dict());   // names, shapes, dtypes must match
//
// The writer follows the reference implementation byte for byte: tensors sorted by name (one dtype
// per file, so the reference's "dtype alignment, then name" order is the name order), data packed
// from offset 0 in that order. The reader checks the whole header before it allocates or reads any
// tensor data, so a corrupt file is an aigc::Error naming the file and the problem.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../cpu.hpp"
#include "../nn/state_check.hpp"
#include "atomic_file.hpp"
#include "metadata.hpp"
#include "named_tensors.hpp"
#include "safetensors_header.hpp"

namespace aigc::io {

static_assert(std::endian::native == std::endian::little,
              "aigc safetensors: tensor data is little-endian and is copied as raw bytes");

struct LoadOptions {
    // A file's F32 tensors may be loaded as double and F64 as float only when this is set; otherwise
    // a dtype other than T is an error naming the tensor (a silent float->double->float trip is fine,
    // but double->float loses precision the caller did not ask to lose).
    bool convert_dtype = false;
    // Weights and optimizer state must be finite: a NaN or Inf loaded would train on (or sample)
    // silently. Set by every model loader (models::load_checkpoint, the trainers' weight files);
    // off for general files, which may hold infinities on purpose (masks, bounds).
    bool require_finite = false;
};

namespace detail {

// An open safetensors file whose header has been read and checked.
class SafetensorsReader {
public:
    SafetensorsReader(const std::filesystem::path& path, const std::string& operation)
        : path_(path.string()), context_(operation + ": '" + path_ + "'") {
        fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) error("cannot open: ", errno_text(errno));
        // A throwing constructor never runs the destructor: close here, or every rejected file
        // leaks a descriptor (found by fuzz/fuzz_safetensors: EMFILE after ~20000 bad files).
        try {
            check_and_parse_header(operation);
        } catch (...) {
            ::close(fd_);
            throw;
        }
    }
    SafetensorsReader(const SafetensorsReader&) = delete;
    SafetensorsReader& operator=(const SafetensorsReader&) = delete;
    ~SafetensorsReader() {
        if (fd_ >= 0) ::close(fd_);
    }

    const SafetensorsHeader& header() const { return header_; }
    const std::string& context() const { return context_; }

private:
    void check_and_parse_header(const std::string& operation) {
        struct stat info {};
        if (::fstat(fd_, &info) != 0) error("cannot stat: ", errno_text(errno));
        if (!S_ISREG(info.st_mode)) error("not a regular file");
        const auto file_bytes = static_cast<std::uint64_t>(info.st_size);
        if (file_bytes < 8) error("file is ", file_bytes, " bytes, too short for the 8-byte header length");

        unsigned char length[8];
        read_exact(0, length, 8);
        std::uint64_t header_bytes = 0;
        for (int i = 7; i >= 0; --i) header_bytes = (header_bytes << 8) | length[i];  // u64 little-endian
        if (header_bytes > safetensors_max_header_bytes)
            error("header length ", header_bytes, " exceeds the safetensors limit of ", safetensors_max_header_bytes,
                  " bytes");
        if (header_bytes > file_bytes - 8)
            error("header length ", header_bytes, " runs past the end of the file (", file_bytes,
                  " bytes): truncated or not a safetensors file");
        std::string text(header_bytes, '\0');
        read_exact(8, text.data(), header_bytes);
        data_start_ = 8 + header_bytes;
        header_ = parse_safetensors_header(text, operation, path_, file_bytes - data_start_);
    }

public:
    // Why entry cannot be loaded as a T under options, or "" if it can.
    template <class T>
    static std::string dtype_problem(const TensorEntry& entry, const LoadOptions& options) {
        if (entry.dtype == safetensors_dtype_of<T>()) return "";
        if (entry.dtype != "F32" && entry.dtype != "F64")
            return aigc::detail::concat("tensor '", entry.name, "' has dtype ", entry.dtype,
                                        "; aigc loads F32 and F64 only");
        if (!options.convert_dtype)
            return aigc::detail::concat("tensor '", entry.name, "' is ", entry.dtype, " but ",
                                        safetensors_dtype_of<T>(),
                                        " was requested (LoadOptions{.convert_dtype = true} converts)");
        return "";
    }

    template <class T, class D>
    Tensor<T, D> read(const TensorEntry& entry, const LoadOptions& options) const {
        if (std::string problem = dtype_problem<T>(entry, options); !problem.empty()) error(problem);
        if (entry.shape.size() > static_cast<std::size_t>(Shape::max_rank))
            error("tensor '", entry.name, "' has shape ", entry.shape_str(), " of rank ", entry.shape.size(),
                  "; aigc tensors have at most ", Shape::max_rank, " dimensions");
        const Shape shape(entry.shape.begin(), entry.shape.end());
        const auto numel = static_cast<std::size_t>(shape.numel());
        std::vector<T> values(numel);
        if (entry.dtype == safetensors_dtype_of<T>()) {
            read_exact(data_start_ + entry.begin, values.data(), entry.end - entry.begin);
        } else if (entry.dtype == "F32") {
            convert_from<float>(entry, values);
        } else {
            convert_from<double>(entry, values);
        }
        if (options.require_finite)
            for (std::size_t i = 0; i < numel; ++i)
                if (!std::isfinite(values[i]))
                    error("tensor '", entry.name, "' ", entry.shape_str(), " holds ", values[i], " at element ", i,
                          "; a model's weights and optimizer state must be finite (did the run that wrote it diverge?)");
        return Tensor<T, D>::from_vector(shape, values);
    }

    template <class... Parts>
    [[noreturn]] void error(const Parts&... problem) const {
        fail(context_ + ": " + aigc::detail::concat(problem...));
    }

private:
    template <class Stored, class T>
    void convert_from(const TensorEntry& entry, std::vector<T>& values) const {
        std::vector<Stored> stored(values.size());
        read_exact(data_start_ + entry.begin, stored.data(), entry.end - entry.begin);
        std::transform(stored.begin(), stored.end(), values.begin(), [](Stored v) { return static_cast<T>(v); });
    }

    void read_exact(std::uint64_t offset, void* out, std::uint64_t size) const {
        auto* bytes = static_cast<unsigned char*>(out);
        while (size > 0) {
            ssize_t got = ::pread(fd_, bytes, size, static_cast<off_t>(offset));
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) error("read at byte ", offset, " failed: ", errno_text(errno));
            if (got == 0) error("file ended at byte ", offset, " while reading (changed while open?)");
            bytes += got;
            offset += static_cast<std::uint64_t>(got);
            size -= static_cast<std::uint64_t>(got);
        }
    }

    std::string path_;
    std::string context_;
    int fd_ = -1;
    std::uint64_t data_start_ = 0;
    SafetensorsHeader header_;
};

}  // namespace detail

// Writes tensors (any order; stored sorted by name) and metadata strings atomically: a failure
// leaves any previous file at path unchanged. "__metadata__" gets {"format": "pt"} plus metadata.
template <class T, class D>
void save_safetensors(const std::filesystem::path& path, const NamedTensors<T, D>& tensors,
                      const Metadata& metadata = {}) {
    std::vector<std::size_t> order(tensors.size());
    std::set<std::string> seen;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const auto& [name, tensor] = tensors[i];
        AIGC_CHECK(!name.empty(), "save_safetensors: '", path.string(), "': tensor #", i, " has an empty name");
        AIGC_CHECK(name != "__metadata__", "save_safetensors: '", path.string(),
                   "': '__metadata__' is reserved and cannot name a tensor");
        AIGC_CHECK(seen.insert(name).second, "save_safetensors: '", path.string(), "': the name '", name,
                   "' appears twice");
        AIGC_CHECK(tensor.defined(), "save_safetensors: '", path.string(), "': tensor '", name, "' is undefined");
        order[i] = i;
    }
    // std::string's < compares bytes as unsigned char, the reference writer's (Rust &str) order.
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return tensors[a].first < tensors[b].first; });

    std::vector<TensorEntry> entries;
    std::uint64_t offset = 0;
    for (std::size_t i : order) {
        const Shape& shape = tensors[i].second.shape();
        TensorEntry entry;
        entry.name = tensors[i].first;
        entry.dtype = std::string(safetensors_dtype_of<T>());
        for (int axis = 0; axis < shape.rank(); ++axis) entry.shape.push_back(shape[axis]);
        entry.begin = offset;
        entry.end = offset + static_cast<std::uint64_t>(shape.numel()) * sizeof(T);
        offset = entry.end;
        entries.push_back(std::move(entry));
    }
    std::string header;
    try {
        header = detail::build_safetensors_header(entries, metadata);
    } catch (const Error& e) {
        fail(aigc::detail::concat(e.what(), " (writing '", path.string(), "')"));
    }

    AtomicFile file(path, "save_safetensors");
    unsigned char length[8];
    for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>(header.size() >> (8 * i));
    file.write(length, 8);
    file.write(header);
    for (std::size_t i : order) {
        std::vector<T> host = tensors[i].second.to_vector();  // a device tensor is copied to the host here
        file.write(host.data(), host.size() * sizeof(T));
    }
    file.commit();
}

// The checked header (names, dtypes, shapes, offsets, metadata) without reading tensor data.
inline SafetensorsHeader read_safetensors_header(const std::filesystem::path& path) {
    return detail::SafetensorsReader(path, "read_safetensors_header").header();
}

inline Metadata read_safetensors_metadata(const std::filesystem::path& path) {
    return detail::SafetensorsReader(path, "read_safetensors_metadata").header().metadata;
}

// Every tensor in the file, in data order (name order for files aigc wrote).
template <class T, class D = Cpu>
NamedTensors<T, D> load_safetensors(const std::filesystem::path& path, LoadOptions options = {}) {
    detail::SafetensorsReader reader(path, "load_safetensors");
    NamedTensors<T, D> tensors;
    for (const TensorEntry& entry : reader.header().tensors)
        tensors.emplace_back(entry.name, reader.read<T, D>(entry, options));
    return tensors;
}

// The tensors named in expected, in expected's order, checked against it: one error
// (nn::check_state) lists every missing, unexpected and mismatched (shape or dtype) entry, which is
// what loading a checkpoint of another architecture should say. Nothing is read unless
// everything matches.
template <class T, class D>
NamedTensors<T, D> load_matching(const std::filesystem::path& path, const NamedTensors<T, D>& expected,
                                 LoadOptions options = {}, const std::string& operation = "load_matching") {
    detail::SafetensorsReader reader(path, operation);
    std::map<std::string, const TensorEntry*> in_file;
    std::vector<nn::EntrySignature> given;
    for (const TensorEntry& entry : reader.header().tensors) {
        in_file[entry.name] = &entry;
        given.push_back({entry.name, entry.shape, entry.dtype, true});
    }
    std::set<std::string> wanted;
    std::vector<nn::EntrySignature> wants = nn::signatures(expected);
    for (nn::EntrySignature& want : wants) {
        if (!wanted.insert(want.name).second) reader.error("the expected list names '" + want.name + "' twice");
        // A dtype that LoadOptions lets us convert counts as the one expected.
        auto found = in_file.find(want.name);
        bool convertible = found != in_file.end() &&
                           detail::SafetensorsReader::dtype_problem<T>(*found->second, options).empty();
        want.dtype = convertible ? found->second->dtype : std::string(safetensors_dtype_of<T>());
    }
    nn::check_state(reader.context() + ": does not match the expected tensors", wants, given);
    NamedTensors<T, D> loaded;
    for (const auto& [name, tensor] : expected)
        loaded.emplace_back(name, reader.read<T, D>(*in_file.at(name), options));
    return loaded;
}

// Copies the file's values into destination's tensors in place (they share storage with, e.g., a
// model's parameters). All-or-nothing: every tensor is checked and read before any is overwritten.
template <class T, class D>
void load_into(const std::filesystem::path& path, const NamedTensors<T, D>& destination, LoadOptions options = {}) {
    NamedTensors<T, D> loaded = load_matching(path, destination, options, "load_into");
    for (std::size_t i = 0; i < destination.size(); ++i) {
        Tensor<T, D> target = destination[i].second;  // a handle: writes go to the shared storage
        target.copy_from(loaded[i].second);
    }
}

}  // namespace aigc::io
