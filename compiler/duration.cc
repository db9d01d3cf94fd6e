// Parsing and printing of durations ("1h30m").
#include "compiler/duration.h"

#include <cctype>
#include <cmath>

namespace orch {

namespace {

bool set_error(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

// Milliseconds per unit; 0 when the unit is unknown.
double unit_ms(std::string_view unit) {
  if (unit == "ms") return 1;
  if (unit == "s") return 1000;
  if (unit == "m") return 60'000;
  if (unit == "h") return 3'600'000;
  if (unit == "d") return 86'400'000;
  return 0;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text, std::string* error) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  if (text.empty()) {
    set_error(error, "an empty string is not a duration; write e.g. \"30s\", \"5m\" or \"1h30m\"");
    return std::nullopt;
  }
  if (text == "0") return Duration{0};
  double total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    bool digits = false;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, digits = true;
    if (i < text.size() && text[i] == '.') {
      ++i;
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
        ++i, digits = true;
    }
    if (!digits) {
      set_error(error, quoted + " is not a duration: expected a number at \"" +
                           std::string(text.substr(start)) +
                           "\"; write e.g. \"30s\", \"5m\" or \"1h30m\"");
      return std::nullopt;
    }
    double number = std::stod(std::string(text.substr(start, i - start)));
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit.empty()) {
      set_error(error, quoted + " is not a duration: a unit is missing after " +
                           std::string(text.substr(start, i - start)) + " (use ms, s, m, h or d)");
      return std::nullopt;
    }
    double ms = unit_ms(unit);
    if (ms == 0) {
      set_error(error, quoted + " is not a duration: unknown unit \"" + std::string(unit) +
                           "\" (use ms, s, m, h or d)");
      return std::nullopt;
    }
    total += number * ms;
    if (total > 1e15) {
      set_error(error, quoted + " is too long a duration");
      return std::nullopt;
    }
  }
  return Duration{static_cast<int64_t>(std::llround(total))};
}

std::string format_duration(Duration d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  int64_t h = ms / 3'600'000;
  int64_t m = ms / 60'000 % 60;
  int64_t s = ms / 1000 % 60;
  int64_t rest = ms % 1000;
  if (h == 0 && m == 0 && s == 0) return out + std::to_string(rest) + "ms";
  if (h > 0) out += std::to_string(h) + "h";
  if (h > 0 && (m > 0 || s > 0 || rest > 0))
    out += std::to_string(m) + "m";
  else if (h == 0 && m > 0)
    out += std::to_string(m) + "m";
  if (s > 0 || rest > 0) {
    out += std::to_string(s);
    if (rest > 0) {
      std::string frac = std::to_string(1000 + rest).substr(1);
      while (!frac.empty() && frac.back() == '0') frac.pop_back();
      out += "." + frac;
    }
    out += "s";
  }
  return out;
}

}  // namespace orch
