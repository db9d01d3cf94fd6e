// Timelines as text for people: the summary printed after a simulated apply (critical path with
// times, what held steps back, failures and what they blocked) and the per-step table of
// `orch show -timeline -`.
#pragma once

#include <cstdint>
#include <string>

#include "planner/timeline.h"

namespace orch {

// "350ms", "4.2s", "1m17s", "2h5m": rounded for reading (timelines carry exact milliseconds).
std::string short_duration(int64_t ms);

struct TimelineReportOptions {
  size_t max_lines = 12;  // per section; the rest is counted ("… and 40 more")
  bool color = false;
};

// The critical path (start → end, operation, gate, what it waited for), waits grouped by block
// and reason, failures with the steps they blocked. Empty for an empty timeline.
std::string render_timeline_report(const Timeline& t, const TimelineReportOptions& options = {});

// One line per step in start order: ready, start, end, operation and gate time, waited and for
// what, status; a header line first.
std::string render_timeline_table(const Timeline& t);

}  // namespace orch
