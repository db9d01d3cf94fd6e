// Distributions of durations (see distribution.h).
#include "compiler/distribution.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <vector>

#include "compiler/duration.h"

namespace orch {

namespace {

constexpr const char* kSpellings =
    "write a duration (\"90s\") or uniform(LOW, HIGH), normal(MEAN, STDDEV) or "
    "lognormal(MEDIAN, SIGMA), e.g. \"lognormal(90s, 0.4)\"";

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

// A standard normal number from two uniforms (Box-Muller); u1 is kept away from 0.
double standard_normal(double u1, double u2) {
  const double r = std::sqrt(-2.0 * std::log(std::max(u1, 1e-12)));
  return r * std::cos(2.0 * M_PI * u2);
}

Duration clamp_ms(double ms) {
  if (!(ms > 0)) return Duration{0};
  return Duration{static_cast<int64_t>(std::llround(std::min(ms, 1e15)))};
}

}  // namespace

Duration Distribution::typical() const {
  switch (kind) {
    case Kind::Fixed:
    case Kind::Normal:
    case Kind::LogNormal:
      return a;
    case Kind::Uniform:
      return Duration{(a.count() + b.count()) / 2};
  }
  return a;
}

Duration Distribution::sample(double u1, double u2) const {
  const double x = static_cast<double>(a.count());
  switch (kind) {
    case Kind::Fixed:
      return a;
    case Kind::Uniform:
      return clamp_ms(x + (static_cast<double>(b.count()) - x) * u1);
    case Kind::Normal:
      return clamp_ms(x + static_cast<double>(b.count()) * standard_normal(u1, u2));
    case Kind::LogNormal:
      return clamp_ms(x * std::exp(sigma * standard_normal(u1, u2)));
  }
  return a;
}

std::string Distribution::str() const {
  switch (kind) {
    case Kind::Fixed:
      return format_duration(a);
    case Kind::Uniform:
      return fmt::format("uniform({}, {})", format_duration(a), format_duration(b));
    case Kind::Normal:
      return fmt::format("normal({}, {})", format_duration(a), format_duration(b));
    case Kind::LogNormal:
      return fmt::format("lognormal({}, {})", format_duration(a), sigma);
  }
  return format_duration(a);
}

std::optional<Distribution> parse_distribution(std::string_view text, std::string* error) {
  const std::string quoted = fmt::format("\"{}\"", text);
  std::string_view t = trim(text);
  const size_t open = t.find('(');
  if (open == std::string_view::npos) {
    std::string why;
    auto d = parse_duration(t, &why);
    if (!d) {
      fail(error, fmt::format("{} is not a duration or a distribution: {}", quoted, kSpellings));
      return std::nullopt;
    }
    return Distribution::fixed(*d);
  }
  const std::string_view name = trim(t.substr(0, open));
  if (t.back() != ')') {
    fail(error, fmt::format("{} is missing its closing parenthesis", quoted));
    return std::nullopt;
  }
  std::vector<std::string_view> args;
  std::string_view inner = t.substr(open + 1, t.size() - open - 2);
  for (size_t start = 0;;) {
    size_t comma = inner.find(',', start);
    args.push_back(
        trim(inner.substr(start, comma == std::string_view::npos ? inner.npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  auto duration_arg = [&](size_t i, const char* what, Duration& out) {
    std::string why;
    auto d = parse_duration(args[i], &why);
    if (!d) return fail(error, fmt::format("{}: the {} must be a duration: {}", quoted, what, why));
    out = *d;
    return true;
  };
  auto want = [&](size_t n, const char* form) {
    if (args.size() == n) return true;
    return fail(error, fmt::format("{}: {} takes {} argument{}: {}", quoted, name, n,
                                   n == 1 ? "" : "s", form));
  };
  Distribution d;
  if (name == "fixed") {
    d.kind = Distribution::Kind::Fixed;
    if (!want(1, "fixed(DURATION)") || !duration_arg(0, "value", d.a)) return std::nullopt;
  } else if (name == "uniform") {
    d.kind = Distribution::Kind::Uniform;
    if (!want(2, "uniform(LOW, HIGH)") || !duration_arg(0, "low end", d.a) ||
        !duration_arg(1, "high end", d.b))
      return std::nullopt;
    if (d.b < d.a) {
      fail(error, fmt::format("{}: the high end is below the low end", quoted));
      return std::nullopt;
    }
  } else if (name == "normal") {
    d.kind = Distribution::Kind::Normal;
    if (!want(2, "normal(MEAN, STDDEV)") || !duration_arg(0, "mean", d.a) ||
        !duration_arg(1, "standard deviation", d.b))
      return std::nullopt;
  } else if (name == "lognormal") {
    d.kind = Distribution::Kind::LogNormal;
    if (!want(2, "lognormal(MEDIAN, SIGMA)") || !duration_arg(0, "median", d.a))
      return std::nullopt;
    std::string s(args[1]);
    char* end = nullptr;
    d.sigma = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || !(d.sigma >= 0) || d.sigma > 10) {
      fail(error, fmt::format("{}: sigma must be a number from 0 to 10 (0.2 is a narrow spread, "
                              "1 a wide one), not \"{}\"",
                              quoted, s));
      return std::nullopt;
    }
  } else {
    fail(error, fmt::format("{}: unknown distribution \"{}\"; {}", quoted, name, kSpellings));
    return std::nullopt;
  }
  return d;
}

}  // namespace orch
