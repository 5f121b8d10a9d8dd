#pragma once
// aigc::Error and the AIGC_CHECK macro: every failure names the operation, what was expected and
// what was given, so a user can fix the call without a debugger.
#include <sstream>
#include <stdexcept>
#include <string>

namespace aigc {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace detail {
// Streams any number of values into one string; lets AIGC_CHECK take `"op: " << x << ...`.
template <class... Parts>
std::string concat(const Parts&... parts) {
    std::ostringstream out;
    (out << ... << parts);
    return out.str();
}
}  // namespace detail

[[noreturn]] inline void fail(const std::string& message) { throw Error(message); }

}  // namespace aigc

// AIGC_CHECK(cond, "linear: input has ", n, " features, weight expects ", m);
#define AIGC_CHECK(cond, ...)                                         \
    do {                                                              \
        if (!(cond)) ::aigc::fail(::aigc::detail::concat(__VA_ARGS__)); \
    } while (0)
