// A timeline as an SVG Gantt chart (`orch show -timeline FILE.svg`): one row per step in start
// order (waiting, operation and gate drawn apart), the critical path in red and linked, rollout
// batches as tinted bands, failures and skips marked, a time axis and a legend. Past
// `max_rows` steps, rows are aggregated per block and rollout batch, each drawn as a profile of
// how many of its steps were in flight over time (readable at thousands of steps).
#pragma once

#include <string>

#include "planner/timeline.h"

namespace orch {

struct TimelineSvgOptions {
  int width = 1200;      // pixels
  size_t max_rows = 60;  // more steps than this: aggregated rows
  std::string title;     // default: "orch apply — N steps, makespan X"
};

std::string render_timeline_svg(const Timeline& t, const TimelineSvgOptions& options = {});

}  // namespace orch
