// Text renderings of timelines (see timeline_report.h).
#include "planner/timeline_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "planner/address.h"

namespace orch {

std::string short_duration(int64_t ms) {
  if (ms < 0) return "-";
  if (ms == 0) return "0s";
  if (ms < 1000) return fmt::format("{}ms", ms);
  if (ms >= 3'600'000) {
    const int64_t m = (ms + 30'000) / 60'000;
    return m % 60 ? fmt::format("{}h{}m", m / 60, m % 60) : fmt::format("{}h", m / 60);
  }
  // Tenths of a second: "40.5s", "1m17.4s".
  const int64_t tenths = (ms + 50) / 100;
  const int64_t m = tenths / 600, s = tenths / 10 % 60, t = tenths % 10;
  std::string secs = t ? fmt::format("{}.{}s", s, t) : (s || !m ? fmt::format("{}s", s) : "");
  return m ? fmt::format("{}m{}", m, secs) : secs;
}

namespace {

// A step's start for ordering: started, else when it ended (skipped), else the end of time.
int64_t start_key(const TimelineStep& s) {
  if (s.started >= 0) return s.started;
  if (s.finished >= 0) return s.finished;
  return INT64_MAX;
}

std::vector<const TimelineStep*> in_start_order(const Timeline& t) {
  std::vector<const TimelineStep*> out;
  for (const auto& s : t.steps) out.push_back(&s);
  std::stable_sort(out.begin(), out.end(), [](const TimelineStep* a, const TimelineStep* b) {
    if (start_key(*a) != start_key(*b)) return start_key(*a) < start_key(*b);
    return natural_compare(a->address, b->address) < 0;
  });
  return out;
}

// The kind of hold for grouping: "rollout batch", "limit of provider ec2 (20 at once)", ...
std::string hold_kind(const std::string& waited_for) {
  if (waited_for.rfind("rollout batch", 0) == 0) return "rollout batches";
  return waited_for;
}

std::string paint(const std::string& text, const char* code, bool color) {
  return color ? fmt::format("\x1b[{}m{}\x1b[0m", code, text) : text;
}

}  // namespace

std::string render_timeline_report(const Timeline& t, const TimelineReportOptions& o) {
  if (t.steps.empty()) return {};
  std::string out;
  std::map<std::string, const TimelineStep*> by_address;
  for (const auto& s : t.steps) by_address[s.address] = &s;

  // Critical path.
  if (!t.critical_path.empty()) {
    out += fmt::format("Critical path ({} {}):\n", t.critical_path.size(),
                       t.critical_path.size() == 1 ? "step" : "steps");
    size_t width = 0;
    for (const auto& a : t.critical_path) width = std::max(width, a.size());
    width = std::min<size_t>(width, 60);
    const size_t n = t.critical_path.size();
    for (size_t i = 0; i < n; ++i) {
      // Long paths: the first lines and the last ones, which explain the end.
      const size_t head = o.max_lines / 2, tail = o.max_lines - head;
      if (n > o.max_lines && i == head) {
        out += fmt::format("  … {} more steps\n", n - o.max_lines);
        i = n - tail;
      }
      auto it = by_address.find(t.critical_path[i]);
      if (it == by_address.end()) continue;
      const TimelineStep& s = *it->second;
      std::string line = fmt::format("  {:>8} → {:<8} {:<{}} {} {}", short_duration(s.started),
                                     short_duration(s.finished), s.address, width, s.op,
                                     short_duration(s.operation_ms()));
      if (s.gate_ms() > 0) line += fmt::format(" + gate {}", short_duration(s.gate_ms()));
      if (s.status == "failed") line += " (failed)";
      if (!s.waited_for.empty())
        line += fmt::format("; waited {} for {}", short_duration(s.waited_ms()), s.waited_for);
      out += line + "\n";
    }
  }

  // Waits: ready but held back, grouped by block and kind of hold.
  struct Wait {
    size_t steps = 0;
    int64_t total = 0;
    const TimelineStep* longest = nullptr;
  };
  std::map<std::pair<std::string, std::string>, Wait> waits;
  for (const auto& s : t.steps) {
    if (s.waited_ms() <= 0 || s.waited_for.empty()) continue;
    auto& w = waits[{s.block, hold_kind(s.waited_for)}];
    ++w.steps;
    w.total += s.waited_ms();
    if (!w.longest || s.waited_ms() > w.longest->waited_ms()) w.longest = &s;
  }
  if (!waits.empty()) {
    std::vector<std::pair<std::pair<std::string, std::string>, Wait>> sorted(waits.begin(),
                                                                             waits.end());
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.second.total > b.second.total; });
    out += "\nHeld back after their dependencies were done:\n";
    size_t shown = 0;
    for (const auto& [key, w] : sorted) {
      if (shown++ == o.max_lines) {
        out += fmt::format("  … and {} more groups\n", sorted.size() - o.max_lines);
        break;
      }
      out += fmt::format("  {}: {} step{} by {}, {} in all (longest: {} waited {})\n", key.first,
                         w.steps, w.steps == 1 ? "" : "s", key.second, short_duration(w.total),
                         w.longest->address, short_duration(w.longest->waited_ms()));
    }
  }

  // Failures and what they blocked.
  std::vector<const TimelineStep*> failed;
  size_t skipped_other = 0;
  for (const auto& s : t.steps) {
    if (s.status == "failed") failed.push_back(&s);
  }
  std::map<std::string, bool> blocked_by_failure;
  for (const auto* f : failed)
    for (const auto& b : f->blocked) blocked_by_failure[b] = true;
  for (const auto& s : t.steps)
    if (s.status == "skipped" && !blocked_by_failure.count(s.address)) ++skipped_other;
  if (!failed.empty()) {
    out += "\nFailures:\n";
    size_t shown = 0;
    for (const auto* f : failed) {
      if (shown++ == o.max_lines) {
        out += fmt::format("  … and {} more failures\n", failed.size() - o.max_lines);
        break;
      }
      std::string line =
          fmt::format("  {} failed at {}: {}", f->address, short_duration(f->finished), f->error);
      if (!f->blocked.empty()) {
        line += fmt::format("\n      blocked {} step{}: ", f->blocked.size(),
                            f->blocked.size() == 1 ? "" : "s");
        const size_t list = std::min<size_t>(f->blocked.size(), 4);
        for (size_t i = 0; i < list; ++i) line += (i ? ", " : "") + f->blocked[i];
        if (f->blocked.size() > list) line += fmt::format(" and {} more", f->blocked.size() - list);
      }
      out += paint(line, "31", o.color) + "\n";
    }
  }
  if (skipped_other > 0)
    out += fmt::format("\n{} step{} skipped for other reasons (interrupt, rollout stop).\n",
                       skipped_other, skipped_other == 1 ? " was" : "s were");
  return out;
}

std::string render_timeline_table(const Timeline& t) {
  size_t width = 4;
  for (const auto& s : t.steps) width = std::max(width, s.address.size());
  auto row = [&](const std::string& step, const std::string& op, const std::string& ready,
                 const std::string& start, const std::string& end, const std::string& ran,
                 const std::string& gate, const std::string& waited, const std::string& status,
                 const std::string& notes) {
    std::string line =
        fmt::format("{:<{}}  {:<6}  {:>8}  {:>8}  {:>8}  {:>8}  {:>8}  {:>8}  {:<9}  {}", step,
                    width, op, ready, start, end, ran, gate, waited, status, notes);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    return line + "\n";
  };
  std::string out =
      row("STEP", "OP", "READY", "START", "END", "RAN", "GATE", "WAITED", "STATUS", "NOTES");
  for (const TimelineStep* s : in_start_order(t)) {
    std::vector<std::string> notes;
    if (!s->waited_for.empty()) notes.push_back("held by " + s->waited_for);
    if (!s->dependency.empty()) notes.push_back("ready after " + s->dependency);
    if (s->attempts > 1) notes.push_back(fmt::format("{} attempts", s->attempts));
    if (s->status == "failed") notes.push_back(s->error);
    if (!s->blocked.empty()) notes.push_back(fmt::format("blocked {} steps", s->blocked.size()));
    if (s->status == "skipped") notes.push_back(s->skip_reason);
    std::string joined;
    for (const auto& n : notes) joined += (joined.empty() ? "" : "; ") + n;
    out +=
        row(s->address, s->op, short_duration(s->ready), short_duration(s->started),
            short_duration(s->finished), s->started >= 0 ? short_duration(s->operation_ms()) : "-",
            s->gate_ms() > 0 ? short_duration(s->gate_ms()) : "-",
            s->waited_ms() > 0 ? short_duration(s->waited_ms()) : "-",
            s->status + (s->critical ? "*" : ""), joined);
  }
  out += fmt::format("\n* on the critical path. Makespan {}{}.\n", short_duration(t.makespan),
                     t.simulated ? fmt::format(" (simulated, seed {})", t.seed) : "");
  return out;
}

}  // namespace orch
