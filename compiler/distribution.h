// Durations drawn from a distribution, as written in `simulate` blocks and profiles: "90s"
// (fixed), "uniform(30s, 60s)", "normal(4m, 30s)" (mean, standard deviation) and
// "lognormal(90s, 0.4)" (median, sigma). Sampling is a pure function of two numbers in [0, 1),
// so simulations are reproducible from a seed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "planner/clock.h"

namespace orch {

struct Distribution {
  enum class Kind { Fixed, Uniform, Normal, LogNormal };
  Kind kind = Kind::Fixed;
  Duration a{0};     // fixed: the value; uniform: low; normal: mean; lognormal: median
  Duration b{0};     // uniform: high; normal: standard deviation
  double sigma = 0;  // lognormal: the standard deviation of the logarithm

  static Distribution fixed(Duration d) { return Distribution{Kind::Fixed, d, Duration{0}, 0}; }

  // The middle of the distribution (fixed value, midpoint, mean, median): what plans estimate.
  Duration typical() const;
  // A sample from two independent uniform numbers in [0, 1). Never negative.
  Duration sample(double u1, double u2) const;
  // Canonical spelling, parseable again: "90s", "uniform(30s, 1m)", "lognormal(1m30s, 0.4)".
  std::string str() const;
};

// Parses the spellings above; nullopt and `error` (a complete sentence) when `text` is not one.
std::optional<Distribution> parse_distribution(std::string_view text, std::string* error);

}  // namespace orch
