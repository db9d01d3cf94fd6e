// Durations as written in configurations ("30s", "5m", "1h30m", "250ms") and their printing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "planner/clock.h"

namespace orch {

// Parses a duration: one or more <number><unit> groups, unit one of ms, s, m, h, d; numbers may
// have a fraction ("1.5h"). "0" alone is zero. Returns nullopt and sets `error` (if given) when
// the text is not a duration.
std::optional<Duration> parse_duration(std::string_view text, std::string* error = nullptr);

// Canonical spelling: "0s", "250ms", "30s", "5m", "1h30m", "1h0m5s" → "1h0m5s".
std::string format_duration(Duration d);

}  // namespace orch
