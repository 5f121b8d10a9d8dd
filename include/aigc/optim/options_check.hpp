#pragma once
// The validator every optimizer's hyper-parameters go through (SGD, Adam/AdamW, RMSprop, and
// set_lr), so each rule is written once and every message reads "<optimizer>: <what> must be ...,
// given <value>". Checks run in the order they are chained; the first that fails throws.
//
//   using N = OptionsCheck::Named;
//   OptionsCheck("Adam").non_negative("learning rate", o.lr).finite(N("lr", o.lr), N("eps", o.eps));
#include <cmath>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../core/error.hpp"

namespace aigc::optim {

class OptionsCheck {
public:
    // A hyper-parameter and its value, for finite(). Passed as separate arguments, not a braced
    // list: nvcc 13's front end mistranslates a braced-list argument that depends on a template
    // parameter (`f({{"lr", o.lr}})` in the optimizers' templates), and its host output then fails
    // to compile; the optimizers are compiled by nvcc in the CUDA programs.
    using Named = std::pair<std::string_view, double>;

    explicit OptionsCheck(std::string optimizer) : optimizer_(std::move(optimizer)) {}

    // value >= 0. A NaN fails here too, so it is reported as what it is meant to be.
    const OptionsCheck& non_negative(std::string_view what, double value) const {
        AIGC_CHECK(value >= 0.0, optimizer_, ": ", what, " must be >= 0, given ", value);
        return *this;
    }

    // An infinite value passes ">= 0" and turns every weight into Inf/NaN on the first step. Values
    // checked together share one message: "lr, eps and weight_decay must be finite, given lr inf,
    // eps 1e-08, weight_decay 0"; a single one reads "dampening must be finite, given inf".
    template <class... Values>
        requires(std::is_same_v<Values, Named> && ...)
    const OptionsCheck& finite(const Values&... values) const {
        return finite_list({Named(values)...});
    }

private:
    const OptionsCheck& finite_list(std::initializer_list<Named> values) const {
        bool all_finite = true;
        for (const auto& [what, value] : values) all_finite = all_finite && std::isfinite(value);
        if (all_finite) return *this;
        // Indexed, each separator chosen before it is appended: the range-for version of this loop,
        // built by GCC 12 at -O3 -march=native (AVX-512) into aigc::compiled, lost its " and "
        // (right at -O2 or without -march=native; not reduced to a GCC report yet).
        const std::size_t count = values.size();
        std::string names, given;
        for (std::size_t i = 0; i < count; ++i) {
            const Named& entry = values.begin()[i];
            const char* name_separator = i == 0 ? "" : (i + 1 == count ? " and " : ", ");
            names += name_separator;
            names += entry.first;
            if (count == 1) {
                given += aigc::detail::concat(entry.second);
            } else {
                given += i == 0 ? "" : ", ";
                given += aigc::detail::concat(entry.first, ' ', entry.second);
            }
        }
        fail(aigc::detail::concat(optimizer_, ": ", names, " must be finite, given ", given));
    }

public:

    // 0 <= value < 1, or 0 <= value <= 1 when include_one; a NaN fails.
    const OptionsCheck& unit_interval(std::string_view what, double value, bool include_one) const {
        AIGC_CHECK(value >= 0.0 && (include_one ? value <= 1.0 : value < 1.0), optimizer_, ": ", what,
                   " must be in [0, 1", include_one ? "]" : ")", ", given ", value);
        return *this;
    }

    // A rule particular to one optimizer; why... continues the message after "<optimizer>: ".
    template <class... Why>
    const OptionsCheck& require(bool ok, const Why&... why) const {
        AIGC_CHECK(ok, optimizer_, ": ", why...);
        return *this;
    }

private:
    std::string optimizer_;
};

}  // namespace aigc::optim
