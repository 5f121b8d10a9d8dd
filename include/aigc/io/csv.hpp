#pragma once
// CsvWriter: metrics per epoch as CSV (RFC 4180 quoting), one header row, each row flushed as soon
// as it is written so a crashed or interrupted run keeps every finished epoch. Append mode continues
// an existing file (training resumed from a checkpoint) after checking that its header matches.
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "../core/error.hpp"
#include "metadata.hpp"

namespace aigc::io {

// One cell: text as given, numbers in the shortest form that reads back to the same value.
class CsvField {
public:
    CsvField(std::string text) : text_(std::move(text)) {}
    CsvField(const char* text) : text_(text) {}
    template <MetadataNumber V>
    CsvField(V value) {
        char buffer[64];
        auto [end, code] = std::to_chars(buffer, buffer + sizeof(buffer), value);
        AIGC_CHECK(code == std::errc(), "CsvField: cannot format a number");
        text_.assign(buffer, end);
    }
    const std::string& text() const { return text_; }

private:
    std::string text_;
};

enum class CsvMode {
    truncate,  // start a new file (replacing an old one)
    append,    // continue an existing file with the same header, or start one
};

class CsvWriter {
public:
    CsvWriter(std::filesystem::path path, std::vector<std::string> columns, CsvMode mode = CsvMode::truncate)
        : path_(std::move(path)), columns_(std::move(columns)) {
        AIGC_CHECK(!columns_.empty(), "CsvWriter: '", path_.string(), "': need at least one column");
        const std::string header = format_row(columns_);
        bool write_header = true;
        if (mode == CsvMode::append && std::filesystem::exists(path_) && std::filesystem::file_size(path_) > 0) {
            check_existing(header);
            write_header = false;
        }
        errno = 0;
        out_.open(path_, mode == CsvMode::append ? std::ios::app : std::ios::trunc);
        AIGC_CHECK(out_.is_open(), "CsvWriter: cannot open '", path_.string(), "' for writing: ", os_reason());
        if (write_header) put(header);
    }

    void write_row(const std::vector<CsvField>& row) {
        AIGC_CHECK(row.size() == columns_.size(), "CsvWriter::write_row: '", path_.string(), "' has ", columns_.size(),
                   " columns (", format_row(columns_), "), given ", row.size(), " values");
        std::vector<std::string> cells;
        cells.reserve(row.size());
        for (const CsvField& field : row) cells.push_back(field.text());
        put(format_row(cells));
    }

    const std::vector<std::string>& columns() const { return columns_; }

private:
    static std::string quote(const std::string& cell) {
        if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
        std::string quoted = "\"";
        for (char c : cell) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        return quoted + "\"";
    }
    static std::string format_row(const std::vector<std::string>& cells) {
        std::string line;
        for (std::size_t i = 0; i < cells.size(); ++i) {
            if (i) line += ',';
            line += quote(cells[i]);
        }
        return line;
    }

    // Appending under a different header, or after a half-written row, would corrupt the table.
    void check_existing(const std::string& header) const {
        std::ifstream in(path_, std::ios::binary);
        AIGC_CHECK(in.is_open(), "CsvWriter: cannot read '", path_.string(), "' to append to it");
        std::string first_line;
        std::getline(in, first_line);
        AIGC_CHECK(first_line == header, "CsvWriter: '", path_.string(), "' has the header '", first_line,
                   "', expected '", header, "'; cannot append rows of different columns");
        in.clear();
        in.seekg(-1, std::ios::end);
        char last = '\0';
        in.get(last);
        AIGC_CHECK(last == '\n', "CsvWriter: '", path_.string(), "' ends in an incomplete row (no final newline)");
    }

    void put(const std::string& line) {
        errno = 0;
        out_ << line << '\n';
        out_.flush();
        AIGC_CHECK(out_.good(), "CsvWriter: writing '", path_.string(), "' failed: ", os_reason());
    }

    // The C library's reason for the last failure (iostreams keep it only in errno).
    static std::string os_reason() { return errno ? std::strerror(errno) : "unknown error"; }

    std::filesystem::path path_;
    std::vector<std::string> columns_;
    std::ofstream out_;
};

}  // namespace aigc::io
