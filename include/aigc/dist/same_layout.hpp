#pragma once
// Whether every rank holds the same parameters (names, shapes, order) before they are broadcast
// or their gradients averaged. Without it a rank built with another --hidden or an older model
// would all-reduce the wrong numbers into each other, or hang in a collective the others never
// reach; with it every rank stops with one message naming the first difference.
#include <cstdint>
#include <sstream>
#include <string>

#include "../nn/named_tensors.hpp"
#include "communicator.hpp"

namespace aigc::dist {

namespace detail {
template <class T, class D>
std::string layout_text(const nn::NamedTensors<T, D>& tensors) {
    std::ostringstream text;
    for (const auto& [name, tensor] : tensors) text << name << ' ' << tensor.shape() << '\n';
    return text.str();
}

// The first line where two layouts differ, as "rank 0 has ... where rank R has ...".
inline std::string first_difference(const std::string& root, const std::string& mine, int rank) {
    std::istringstream a(root), b(mine);
    std::string line_a, line_b;
    for (int line = 1;; ++line) {
        bool more_a = static_cast<bool>(std::getline(a, line_a)), more_b = static_cast<bool>(std::getline(b, line_b));
        if (!more_a && !more_b) return "";
        if (more_a != more_b || line_a != line_b)
            return aigc::detail::concat("parameter ", line, ": rank 0 has '", more_a ? line_a : "(nothing)",
                                        "' where rank ", rank, " has '", more_b ? line_b : "(nothing)", "'");
    }
}
}  // namespace detail

// Throws aigc::Error on every rank when any rank's (name, shape) list differs from rank 0's; the
// message names the first rank that differs and its first different parameter.
template <class T, class D>
void check_same_layout(const Communicator& comm, const nn::NamedTensors<T, D>& tensors, const std::string& what) {
    const std::string mine = detail::layout_text(tensors);
    const std::string root = comm.broadcast_text(mine, 0);
    const std::string difference = detail::first_difference(root, mine, comm.rank());
    // The lowest differing rank explains; everyone learns it, so all ranks stop together.
    const std::int64_t first_bad = comm.all_min(difference.empty() ? comm.size() : comm.rank());
    if (first_bad == comm.size()) return;
    const std::string explanation = comm.broadcast_text(difference, static_cast<int>(first_bad));
    aigc::fail(aigc::detail::concat(what, ": the ranks hold different parameters (", comm.size(), " ranks); ",
                                    explanation));
}

}  // namespace aigc::dist
