#pragma once
// Loss curves as a standalone SVG: several named series against the training step, with axes,
// "nice" tick labels (1, 2 or 5 times a power of ten, Heckbert's rule) and a legend. Non-finite
// values (a diverged loss) break the line and are counted in the legend instead of being drawn.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "atomic_file.hpp"

namespace aigc::io {

struct Series {
    std::string name;
    std::vector<double> x;  // e.g. the global step
    std::vector<double> y;  // e.g. the loss at that step
};

// Collects points while training: curves.add("d_loss", step, d_loss.item()).
class LossCurves {
public:
    void add(const std::string& name, double x, double y) {
        auto found = std::find_if(series_.begin(), series_.end(), [&](const Series& s) { return s.name == name; });
        if (found == series_.end()) found = series_.insert(series_.end(), Series{name, {}, {}});
        found->x.push_back(x);
        found->y.push_back(y);
    }
    const std::vector<Series>& series() const { return series_; }

private:
    std::vector<Series> series_;
};

struct PlotOptions {
    std::string title = "training loss";
    std::string x_label = "step";
    std::string y_label = "loss";
    int width = 800;
    int height = 450;
};

namespace detail {

inline std::string xml_escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

inline std::string fixed(double value, int decimals) {
    char text[64];
    std::snprintf(text, sizeof(text), "%.*f", decimals, value);
    return text;
}

// Ticks covering [low, high]: a step of 1, 2 or 5 x 10^k giving about `target` intervals, and the
// range widened to whole steps so the axis starts and ends on a labelled tick.
struct Ticks {
    double low, high, step;
    int decimals;  // enough to tell neighbouring ticks apart
};
inline Ticks nice_ticks(double low, double high, int target = 5) {
    if (!(high > low)) {  // one value (or none): open a unit-sized window around it
        double half = low == 0 ? 1.0 : std::abs(low) * 0.5;
        low -= half;
        high += half;
    }
    AIGC_CHECK(std::isfinite(high - low), "render_svg_plot: values span [", low, ", ", high, "], too wide to plot");
    double raw = (high - low) / target;
    double power = std::pow(10.0, std::floor(std::log10(raw)));
    double fraction = raw / power;
    double step = (fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10) * power;
    int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
    return {std::floor(low / step) * step, std::ceil(high / step) * step, step, decimals};
}

// The SVG "x,y x,y ..." point lists of one series: a new run after each non-finite point (counted
// in skipped). With more points than 4 per pixel column, each column keeps only its first,
// lowest, highest and last point, so spikes survive while a 30-epoch GAN curve stays a small file.
struct Polylines {
    std::vector<std::string> runs;
    std::size_t skipped = 0;
};
template <class MapX, class MapY>
Polylines polylines(const Series& s, MapX px, MapY py, std::size_t columns) {
    Polylines result;
    std::string points;
    auto emit = [&](std::size_t i) {
        if (!points.empty()) points += ' ';
        points += fixed(px(s.x[i]), 1);
        points += ',';
        points += fixed(py(s.y[i]), 1);
    };
    auto end_run = [&] {
        if (!points.empty()) result.runs.push_back(std::move(points));
        points.clear();
    };
    const bool thin = s.x.size() > 4 * columns;
    constexpr long no_column = std::numeric_limits<long>::min();
    long column = no_column;
    std::size_t first = 0, low = 0, high = 0, last = 0;
    auto emit_column = [&] {
        if (column == no_column) return;
        std::size_t picks[4] = {first, low, high, last};
        std::sort(picks, picks + 4);
        for (int j = 0; j < 4; ++j)
            if (j == 0 || picks[j] != picks[j - 1]) emit(picks[j]);
        column = no_column;
    };
    for (std::size_t i = 0; i < s.x.size(); ++i) {
        if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
            ++result.skipped;
            emit_column();
            end_run();
        } else if (!thin) {
            emit(i);
        } else {
            long c = std::lround(px(s.x[i]));
            if (c != column) {
                emit_column();
                column = c, first = low = high = i;
            }
            if (s.y[i] < s.y[low]) low = i;
            if (s.y[i] > s.y[high]) high = i;
            last = i;
        }
    }
    emit_column();
    end_run();
    return result;
}

}  // namespace detail

inline std::string render_svg_plot(const std::vector<Series>& series, const PlotOptions& options = {}) {
    AIGC_CHECK(options.width >= 200 && options.height >= 150 && options.width <= 10000 && options.height <= 10000,
               "render_svg_plot: size ", options.width, "x", options.height, " outside [200, 10000] x [150, 10000]");
    double x_min = std::numeric_limits<double>::infinity(), x_max = -x_min, y_min = x_min, y_max = -x_min;
    for (const Series& s : series) {
        AIGC_CHECK(s.x.size() == s.y.size(), "render_svg_plot: series '", s.name, "' has ", s.x.size(),
                   " x values and ", s.y.size(), " y values");
        for (std::size_t i = 0; i < s.x.size(); ++i) {
            if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
            x_min = std::min(x_min, s.x[i]), x_max = std::max(x_max, s.x[i]);
            y_min = std::min(y_min, s.y[i]), y_max = std::max(y_max, s.y[i]);
        }
    }
    const bool has_data = x_min <= x_max;
    if (!has_data) x_min = 0, x_max = 1, y_min = 0, y_max = 1;
    const detail::Ticks xt = detail::nice_ticks(x_min, x_max), yt = detail::nice_ticks(y_min, y_max);

    // Plot area in pixels; y grows downwards in SVG.
    const double left = 70, right = options.width - 20.0, top = 40, bottom = options.height - 50.0;
    auto px = [&](double x) { return left + (x - xt.low) / (xt.high - xt.low) * (right - left); };
    auto py = [&](double y) { return bottom - (y - yt.low) / (yt.high - yt.low) * (bottom - top); };
    using detail::fixed;
    using detail::xml_escape;

    std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(options.width) +
                      "\" height=\"" + std::to_string(options.height) + "\" viewBox=\"0 0 " +
                      std::to_string(options.width) + " " + std::to_string(options.height) +
                      "\" font-family=\"sans-serif\" font-size=\"12\">\n";
    svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    svg += "<text x=\"" + fixed(options.width / 2.0, 1) + "\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">" +
           xml_escape(options.title) + "</text>\n";

    // Grid lines and tick labels. The loop counts ticks so float steps cannot skip the last one.
    const int x_count = static_cast<int>(std::lround((xt.high - xt.low) / xt.step));
    for (int i = 0; i <= x_count; ++i) {
        double value = xt.low + i * xt.step, x = px(value);
        svg += "<line x1=\"" + fixed(x, 1) + "\" y1=\"" + fixed(top, 1) + "\" x2=\"" + fixed(x, 1) + "\" y2=\"" +
               fixed(bottom, 1) + "\" stroke=\"#e0e0e0\"/>\n";
        svg += "<text class=\"x-tick\" x=\"" + fixed(x, 1) + "\" y=\"" + fixed(bottom + 16, 1) +
               "\" text-anchor=\"middle\">" + fixed(value, xt.decimals) + "</text>\n";
    }
    const int y_count = static_cast<int>(std::lround((yt.high - yt.low) / yt.step));
    for (int i = 0; i <= y_count; ++i) {
        double value = yt.low + i * yt.step, y = py(value);
        svg += "<line x1=\"" + fixed(left, 1) + "\" y1=\"" + fixed(y, 1) + "\" x2=\"" + fixed(right, 1) + "\" y2=\"" +
               fixed(y, 1) + "\" stroke=\"#e0e0e0\"/>\n";
        svg += "<text class=\"y-tick\" x=\"" + fixed(left - 6, 1) + "\" y=\"" + fixed(y + 4, 1) +
               "\" text-anchor=\"end\">" + fixed(value, yt.decimals) + "</text>\n";
    }
    svg += "<rect x=\"" + fixed(left, 1) + "\" y=\"" + fixed(top, 1) + "\" width=\"" + fixed(right - left, 1) +
           "\" height=\"" + fixed(bottom - top, 1) + "\" fill=\"none\" stroke=\"black\"/>\n";
    svg += "<text x=\"" + fixed((left + right) / 2, 1) + "\" y=\"" + fixed(options.height - 12.0, 1) +
           "\" text-anchor=\"middle\">" + xml_escape(options.x_label) + "</text>\n";
    svg += "<text x=\"16\" y=\"" + fixed((top + bottom) / 2, 1) +
           "\" text-anchor=\"middle\" transform=\"rotate(-90 16 " + fixed((top + bottom) / 2, 1) + ")\">" +
           xml_escape(options.y_label) + "</text>\n";
    if (!has_data)
        svg += "<text x=\"" + fixed((left + right) / 2, 1) + "\" y=\"" + fixed((top + bottom) / 2, 1) +
               "\" text-anchor=\"middle\" fill=\"gray\">no finite data</text>\n";

    std::string legend;  // drawn after every line, on a white box, so it stays readable
    if (!series.empty())
        legend = "<rect x=\"" + fixed(right - 158, 1) + "\" y=\"" + fixed(top + 4, 1) + "\" width=\"150\" height=\"" +
                 fixed(18.0 * static_cast<double>(series.size()) + 6, 1) +
                 "\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#c0c0c0\"/>\n";
    // Tableau 10, matplotlib's default cycle.
    static constexpr const char* colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                             "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    const auto columns = static_cast<std::size_t>(right - left);
    for (std::size_t k = 0; k < series.size(); ++k) {
        const char* color = colors[k % 10];
        const detail::Polylines lines = detail::polylines(series[k], px, py, columns);
        for (const std::string& points : lines.runs)
            svg += "<polyline class=\"series-" + std::to_string(k) + "\" fill=\"none\" stroke=\"" + color +
                   "\" stroke-width=\"1.5\" points=\"" + points + "\"/>\n";

        const double legend_y = top + 16 + 18.0 * static_cast<double>(k);
        legend += "<line x1=\"" + fixed(right - 150, 1) + "\" y1=\"" + fixed(legend_y - 4, 1) + "\" x2=\"" +
                  fixed(right - 125, 1) + "\" y2=\"" + fixed(legend_y - 4, 1) + "\" stroke=\"" + color +
                  "\" stroke-width=\"2\"/>\n";
        legend += "<text class=\"legend\" x=\"" + fixed(right - 120, 1) + "\" y=\"" + fixed(legend_y, 1) + "\">" +
                  xml_escape(series[k].name) +
                  (lines.skipped ? " (" + std::to_string(lines.skipped) + " non-finite skipped)" : "") + "</text>\n";
    }
    svg += legend;
    svg += "</svg>\n";
    return svg;
}

inline void write_svg_plot(const std::filesystem::path& path, const std::vector<Series>& series,
                           const PlotOptions& options = {}) {
    write_file_atomically(path, render_svg_plot(series, options), "write_svg_plot");
}

}  // namespace aigc::io
