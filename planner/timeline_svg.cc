// SVG Gantt charts of timelines (see timeline_svg.h). Plain SVG 1.1 with no scripts or external
// references: it opens in any browser and converts with rsvg-convert or Inkscape.
#include "planner/timeline_svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "planner/address.h"
#include "planner/timeline_report.h"

namespace orch {

namespace {

constexpr int kLabelWidth = 340;
constexpr int kHeader = 64;
constexpr int kStepRow = 18;
constexpr int kGroupRow = 26;
constexpr int kLegend = 46;
constexpr double kCharWidth = 6.1;  // 11px sans-serif, on average

const char* kCriticalColor = "#c0151f";

std::string xml(std::string_view s) {
  std::string out;
  for (char c : s) {
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
      default:
        out += c;
    }
  }
  return out;
}

// Keeps the end of long labels: it is what tells instances apart.
std::string fit(const std::string& s, size_t chars) {
  if (s.size() <= chars || chars < 4) return s;
  return "…" + s.substr(s.size() - (chars - 1));
}

const char* op_color(const std::string& op) {
  if (op == "update") return "#e39b1b";
  if (op == "delete") return "#7f7f7f";
  if (op == "read") return "#17a2b8";
  return "#3b6fc4";  // create
}

int64_t start_key(const TimelineStep& s) {
  if (s.started >= 0) return s.started;
  if (s.finished >= 0) return s.finished;
  return INT64_MAX;
}

struct Row {
  std::string label;
  std::string tag;  // "batch 2"
  std::vector<const TimelineStep*> steps;
  std::string rollout;
  int batch = -1;
  int64_t first = INT64_MAX;  // earliest start (or end, for steps that never started)
};

std::vector<Row> step_rows(const Timeline& t) {
  std::vector<Row> rows;
  for (const auto& s : t.steps) {
    Row r;
    r.label = s.address;
    r.steps = {&s};
    r.rollout = s.rollout;
    r.batch = s.batch;
    if (s.batch >= 0) r.tag = fmt::format("batch {}", s.batch + 1);
    r.first = start_key(s);
    rows.push_back(std::move(r));
  }
  return rows;
}

// Groups by `key`; rows in order of their first start.
template <typename Key>
std::vector<Row> grouped_rows(const Timeline& t, Key key) {
  std::map<std::string, Row> groups;
  for (const auto& s : t.steps) {
    auto [label, tag] = key(s);
    Row& r = groups[label + "\x1f" + tag];
    if (r.steps.empty()) {
      r.label = label;
      r.tag = tag;
      r.rollout = tag.empty() ? "" : s.rollout;
      r.batch = tag.empty() ? -1 : s.batch;
    }
    r.steps.push_back(&s);
    r.first = std::min(r.first, start_key(s));
  }
  std::vector<Row> rows;
  for (auto& [k, r] : groups) rows.push_back(std::move(r));
  return rows;
}

std::vector<Row> build_rows(const Timeline& t, size_t max_rows, bool& aggregated, size_t& hidden) {
  aggregated = t.steps.size() > max_rows;
  hidden = 0;
  std::vector<Row> rows;
  if (!aggregated) {
    rows = step_rows(t);
  } else {
    rows = grouped_rows(t, [](const TimelineStep& s) {
      return std::pair{s.block,
                       s.batch >= 0 ? fmt::format("batch {}", s.batch + 1) : std::string()};
    });
    if (rows.size() > max_rows)
      rows = grouped_rows(t, [](const TimelineStep& s) {
        return std::pair{s.block, std::string()};
      });
    if (rows.size() > max_rows)
      rows = grouped_rows(t, [](const TimelineStep& s) {
        auto p = parse_address(s.address);
        return std::pair{p.ok() ? p.address->type : s.block, std::string()};
      });
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.first != b.first) return a.first < b.first;
    return natural_compare(a.label, b.label) < 0;
  });
  if (rows.size() > max_rows && aggregated) {
    hidden = rows.size() - max_rows;
    rows.resize(max_rows);
  }
  return rows;
}

// Tick spacing giving at most ~10 ticks over `span` ms.
int64_t tick_step(int64_t span) {
  static const int64_t steps[] = {
      1,         2,         5,          10,         20,         50,        100,
      200,       500,       1000,       2000,       5000,       10'000,    15'000,
      30'000,    60'000,    120'000,    300'000,    600'000,    900'000,   1'800'000,
      3'600'000, 7'200'000, 10'800'000, 21'600'000, 43'200'000, 86'400'000};
  for (int64_t s : steps)
    if (span / s <= 10) return s;
  return span / 10 + 1;
}

std::string step_title(const TimelineStep& s) {
  std::string t = fmt::format("{}: {} {}", s.address, s.op, s.status);
  if (s.started >= 0)
    t += fmt::format("\nstarted {}, ran {}", short_duration(s.started),
                     short_duration(s.operation_ms()));
  if (s.gate_ms() > 0) t += fmt::format(", gate {}", short_duration(s.gate_ms()));
  if (s.finished >= 0) t += fmt::format(", finished {}", short_duration(s.finished));
  if (!s.dependency.empty()) t += "\nready after " + s.dependency;
  if (!s.waited_for.empty())
    t += fmt::format("\nwaited {} for {}", short_duration(s.waited_ms()), s.waited_for);
  if (s.attempts > 1) t += fmt::format("\n{} attempts", s.attempts);
  if (!s.error.empty()) t += "\nerror: " + s.error;
  if (!s.skip_reason.empty()) t += "\nskipped: " + s.skip_reason;
  if (!s.blocked.empty()) t += fmt::format("\nblocked {} steps", s.blocked.size());
  if (s.critical) t += "\non the critical path";
  return t;
}

struct Canvas {
  std::string out;
  double x0 = 0, x1 = 0;
  int64_t span = 1;
  double x(int64_t ms) const {
    return x0 + (x1 - x0) * static_cast<double>(std::clamp<int64_t>(ms, 0, span)) /
                    static_cast<double>(span);
  }
  void rect(double x, double y, double w, double h, const std::string& cls, const char* fill,
            const std::string& extra = {}) {
    out += fmt::format(
        "<rect class=\"{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
        "fill=\"{}\"{}/>\n",
        cls, x, y, std::max(w, 1.0), h, fill, extra);
  }
  void text(double x, double y, const std::string& s, const std::string& cls,
            const std::string& extra = {}) {
    out += fmt::format("<text class=\"{}\" x=\"{:.1f}\" y=\"{:.1f}\"{}>{}</text>\n", cls, x, y,
                       extra, xml(s));
  }
};

void draw_step(Canvas& c, const TimelineStep& s, double y, double h) {
  const std::string crit = s.critical ? " critical" : "";
  const std::string stroke =
      s.critical ? fmt::format(" stroke=\"{}\" stroke-width=\"1.6\"", kCriticalColor) : "";
  c.out += fmt::format("<g class=\"step{}\"><title>{}</title>\n", crit, xml(step_title(s)));
  if (s.ready >= 0 && s.started > s.ready)
    c.rect(c.x(s.ready), y + h * 0.3, c.x(s.started) - c.x(s.ready), h * 0.4, "wait", "#cfcfcf");
  if (s.started >= 0) {
    const bool failed = s.status == "failed" && s.applied < 0;
    const int64_t op_end = s.applied >= 0 ? s.applied : s.finished;
    c.rect(c.x(s.started), y, c.x(op_end) - c.x(s.started), h,
           "op " + s.op + (failed ? " failed" : "") + crit, failed ? "#d62728" : op_color(s.op),
           stroke);
    if (s.applied >= 0 && s.finished > s.applied) {
      const bool gate_failed = s.status == "failed";
      c.rect(c.x(s.applied), y, c.x(s.finished) - c.x(s.applied), h,
             std::string("gate") + (gate_failed ? " failed" : "") + crit,
             gate_failed ? "#f2a3a3" : "#9fd49a", stroke);
    }
    if (s.status == "failed")
      c.text(c.x(s.finished) + 3, y + h - 1, "✕ failed", "failed-mark",
             " fill=\"#d62728\" font-size=\"10\"");
  } else if (s.status == "skipped" || s.status == "abandoned") {
    c.text(c.x(std::max<int64_t>(s.finished, 0)) + 2, y + h - 1, s.status, "skipped",
           " fill=\"#8a8a8a\" font-size=\"10\" font-style=\"italic\"");
  }
  c.out += "</g>\n";
}

// A group row: how many of its steps were in flight (operation or gate) over time.
void draw_group(Canvas& c, const Row& r, double y, double h) {
  const int buckets = std::max(1, static_cast<int>((c.x1 - c.x0) / 3));
  std::vector<int> diff(buckets + 1, 0);
  auto bucket = [&](int64_t ms) {
    return std::clamp(static_cast<int>((c.x(ms) - c.x0) / 3), 0, buckets - 1);
  };
  size_t failed = 0, skipped = 0, critical = 0;
  for (const TimelineStep* s : r.steps) {
    if (s->status == "failed") ++failed;
    if (s->status == "skipped") ++skipped;
    if (s->critical) ++critical;
    if (s->started < 0 || s->finished < 0) continue;
    ++diff[bucket(s->started)];
    --diff[bucket(s->finished) + 1];
  }
  std::vector<int> load(buckets, 0);
  int cur = 0, peak = 1;
  for (int b = 0; b < buckets; ++b) {
    cur += diff[b];
    load[b] = cur;
    peak = std::max(peak, cur);
  }
  std::string title = fmt::format("{}{}: {} steps, at most {} in flight", r.label,
                                  r.tag.empty() ? "" : " " + r.tag, r.steps.size(), peak);
  if (failed) title += fmt::format(", {} failed", failed);
  if (skipped) title += fmt::format(", {} skipped", skipped);
  c.out += fmt::format("<g class=\"group\"><title>{}</title>\n", xml(title));
  std::string path;
  for (int b = 0; b < buckets; ++b) {
    if (load[b] == 0) continue;
    const double bh = (h - 2) * load[b] / peak;
    path += fmt::format("M{:.1f} {:.1f}h3v{:.1f}h-3z", c.x0 + b * 3.0, y + h - 1 - bh, bh);
  }
  if (!path.empty())
    c.out += fmt::format("<path class=\"profile\" d=\"{}\" fill=\"{}\"/>\n", path,
                         op_color(r.steps.front()->op));
  for (const TimelineStep* s : r.steps) {
    if (s->status == "failed" && s->finished >= 0)
      c.rect(c.x(s->finished) - 0.5, y, 1, h, "failed-mark", "#d62728");
    if (s->critical && s->started >= 0)
      c.rect(c.x(s->started), y + h / 2 - 2, c.x(s->finished) - c.x(s->started), 4, "critical",
             kCriticalColor);
  }
  c.out += "</g>\n";
}

}  // namespace

std::string render_timeline_svg(const Timeline& t, const TimelineSvgOptions& o) {
  bool aggregated = false;
  size_t hidden = 0;
  const std::vector<Row> rows = build_rows(t, std::max<size_t>(o.max_rows, 1), aggregated, hidden);
  const int row_h = aggregated ? kGroupRow : kStepRow;
  const int width = std::max(o.width, kLabelWidth + 300);
  const int chart_h = static_cast<int>(rows.size()) * row_h;
  const int height = kHeader + chart_h + (hidden ? 18 : 0) + kLegend;
  Canvas c;
  c.x0 = kLabelWidth + 10;
  c.x1 = width - 64;  // room for the marks after the last bars ("✕ failed")
  c.span = std::max<int64_t>(t.makespan, 1);
  for (const auto& s : t.steps) c.span = std::max(c.span, s.finished);

  std::string title = o.title;
  if (title.empty())
    title =
        fmt::format("orch {}{} — {} steps, makespan {}{}", t.command.empty() ? "apply" : t.command,
                    t.simulated ? " (simulated)" : "", t.steps.size(), short_duration(t.makespan),
                    t.simulated ? fmt::format(", seed {}", t.seed) : "");
  c.out += fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{}\" height=\"{}\" "
      "viewBox=\"0 0 {} {}\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" "
      "font-size=\"11\">\n",
      width, height, width, height);
  c.out += fmt::format("<title>{}</title>\n", xml(title));
  c.rect(0, 0, width, height, "background", "#ffffff");
  c.text(10, 20, title, "title", " font-size=\"15\" font-weight=\"bold\"");
  std::string sub;
  size_t failed = 0, skipped = 0;
  for (const auto& s : t.steps) {
    failed += s.status == "failed";
    skipped += s.status == "skipped";
  }
  sub = fmt::format("critical path: {} steps · {} failed · {} skipped{}", t.critical_path.size(),
                    failed, skipped,
                    aggregated ? " · rows aggregate steps by block and rollout batch" : "");
  c.text(10, 37, sub, "subtitle", " fill=\"#555555\"");

  // Axis and grid.
  const int64_t tick = tick_step(c.span);
  const double top = kHeader, bottom = kHeader + chart_h;
  c.out += "<g class=\"axis\">\n";
  for (int64_t ms = 0; ms <= c.span; ms += tick) {
    const double x = c.x(ms);
    c.out += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#e6e6e6\"/>\n", x,
        top - 4, x, bottom);
    c.text(x, top - 8, short_duration(ms), "tick", " text-anchor=\"middle\" fill=\"#555555\"");
  }
  c.out += "</g>\n";

  // Rows: batch bands, labels, bars.
  std::map<std::pair<std::string, int>, double> critical_y;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    const double y = top + static_cast<double>(i) * row_h;
    if (r.batch >= 0)
      c.rect(0, y, width, row_h, "batch", r.batch % 2 ? "#fff3e0" : "#eaf1fb");
    else if (i % 2)
      c.rect(0, y, width, row_h, "stripe", "#fafafa");
    const bool crit = std::any_of(r.steps.begin(), r.steps.end(),
                                  [](const TimelineStep* s) { return s->critical; });
    const size_t tag_chars = r.tag.empty() ? 0 : r.tag.size() + 1;
    std::string label = r.label;
    if (aggregated) label += fmt::format(" ({})", r.steps.size());
    label = fit(label, static_cast<size_t>((kLabelWidth - 8) / kCharWidth) - tag_chars);
    c.text(6, y + row_h - 5, label, crit ? "label critical" : "label",
           crit ? fmt::format(" fill=\"{}\" font-weight=\"bold\"", kCriticalColor) : "");
    if (!r.tag.empty())
      c.text(kLabelWidth, y + row_h - 5, r.tag, "batch-tag",
             " text-anchor=\"end\" fill=\"#a0620a\" font-size=\"10\"");
    if (aggregated) {
      draw_group(c, r, y + 2, row_h - 4);
    } else {
      draw_step(c, *r.steps.front(), y + 3, row_h - 6);
    }
  }
  if (hidden)
    c.text(6, bottom + 13, fmt::format("… {} more rows not drawn", hidden), "hidden",
           " fill=\"#8a8a8a\"");

  // The critical path as one line from each step's end to the next one's start.
  if (!aggregated) {
    std::map<std::string, double> y_of;
    for (size_t i = 0; i < rows.size(); ++i)
      y_of[rows[i].steps.front()->address] = top + i * row_h + row_h / 2.0;
    std::string points;
    for (const auto& a : t.critical_path) {
      const TimelineStep* s = t.find(a);
      auto it = y_of.find(a);
      if (!s || it == y_of.end() || s->started < 0) continue;
      points += fmt::format("{:.1f},{:.1f} {:.1f},{:.1f} ", c.x(s->started), it->second,
                            c.x(s->finished), it->second);
    }
    if (!points.empty())
      c.out += fmt::format(
          "<polyline class=\"critical-path\" points=\"{}\" fill=\"none\" stroke=\"{}\" "
          "stroke-width=\"1\" stroke-dasharray=\"3,2\" opacity=\"0.8\"/>\n",
          points, kCriticalColor);
  }

  // The makespan.
  const double mx = c.x(t.makespan);
  c.out += fmt::format(
      "<line class=\"makespan\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" "
      "stroke=\"#333333\" stroke-dasharray=\"4,3\"/>\n",
      mx, top - 4, mx, bottom);
  c.text(mx, 37, "makespan " + short_duration(t.makespan), "makespan-label",
         " text-anchor=\"end\" fill=\"#333333\" font-weight=\"bold\"");

  // Legend.
  const double ly = height - kLegend + 16;
  double lx = 10;
  auto swatch = [&](const char* fill, const std::string& name, const std::string& extra = {}) {
    c.rect(lx, ly - 9, 18, 10, "legend", fill, extra);
    c.text(lx + 23, ly, name, "legend-text");
    lx += 30 + name.size() * kCharWidth;
  };
  swatch("#cfcfcf", "waiting (batch, limit, lock)");
  swatch(op_color("create"), "create");
  swatch(op_color("update"), "update");
  swatch(op_color("delete"), "delete");
  swatch("#9fd49a", "readiness gate");
  swatch("#d62728", "failed");
  swatch("#ffffff", "critical path",
         fmt::format(" stroke=\"{}\" stroke-width=\"2\"", kCriticalColor));
  swatch("#eaf1fb", "rollout batch");
  if (aggregated)
    c.text(10, ly + 16,
           "Aggregated rows: the profile's height is how many of the row's steps were in flight.",
           "legend-text", " fill=\"#555555\"");
  c.out += "</svg>\n";
  return c.out;
}

}  // namespace orch
