// Evaluation of the orchestration blocks: rollout settings and readiness gates.
#include <fmt/format.h>

#include "compiler/duration.h"
#include "compiler/eval.h"
#include "compiler/eval_internal.h"

namespace orch {

namespace {

// A whole number >= min from `expr`; nullopt when unknown or invalid (invalid is reported).
std::optional<int64_t> whole_number(const Expr& expr, int64_t min, std::string_view what,
                                    const EvalScope& scope, Diagnostics& diags) {
  const int before = diags.error_count();
  Value v = evaluate(expr, scope, diags);
  if (diags.error_count() > before || v.is_unknown()) return std::nullopt;
  Number n;
  if (v.is_null() || !detail::to_number(v, &n)) {
    diags.error(expr.range, fmt::format("Invalid {}", what),
                fmt::format("{} must be a whole number, not {}.", what, detail::describe_type(v)));
    return std::nullopt;
  }
  if (!n.is_int || n.i < min) {
    diags.error(expr.range, fmt::format("Invalid {}", what),
                fmt::format("{} must be a whole number of at least {}; this is {}.", what, min,
                            v.is_sensitive() ? "(sensitive value)" : format_number(n)));
    return std::nullopt;
  }
  return n.i;
}

// A duration from a string like "30s"; nullopt when unknown or invalid (invalid is reported).
std::optional<Duration> duration_of(const Expr& expr, std::string_view what, const EvalScope& scope,
                                    Diagnostics& diags, bool allow_zero) {
  const int before = diags.error_count();
  Value v = evaluate(expr, scope, diags);
  if (diags.error_count() > before || v.is_unknown()) return std::nullopt;
  if (v.kind() != ValueKind::String) {
    diags.error(expr.range, fmt::format("Invalid {}", what),
                fmt::format("{} must be a duration string such as \"30s\", \"5m\" or \"1h30m\", "
                            "not {}.",
                            what, detail::describe_type(v)));
    return std::nullopt;
  }
  std::string error;
  auto d = parse_duration(v.as_string(), &error);
  if (!d) {
    diags.error(expr.range, fmt::format("Invalid {}", what), error + ".");
    return std::nullopt;
  }
  if (!allow_zero && d->count() <= 0) {
    diags.error(expr.range, fmt::format("Invalid {}", what),
                fmt::format("{} must be longer than zero.", what));
    return std::nullopt;
  }
  return d;
}

}  // namespace

RolloutSpec evaluate_rollout(const Rollout& rollout, const EvalScope& scope, Diagnostics& diags) {
  RolloutSpec spec;
  if (rollout.canary) {
    if (auto n = whole_number(*rollout.canary, 0, "rollout canary", scope, diags)) spec.canary = *n;
  }
  if (rollout.max_failures) {
    if (auto n = whole_number(*rollout.max_failures, 0, "rollout max_failures", scope, diags)) {
      spec.max_failures = *n;
    }
  }
  if (rollout.pause) {
    if (auto d = duration_of(*rollout.pause, "rollout pause", scope, diags, true)) spec.pause = *d;
  }
  if (rollout.batch) {
    const Expr& e = *rollout.batch;
    const int before = diags.error_count();
    Value v = evaluate(e, scope, diags);
    if (diags.error_count() == before && !v.is_unknown()) {
      const std::string bad_detail =
          "batch must be a whole number of instances (at least 1) or a percentage of them as a "
          "string \"P%\" with 0 < P <= 100, such as \"25%\"";
      if (v.kind() == ValueKind::String && !v.as_string().empty() && v.as_string().back() == '%') {
        std::string digits = v.as_string().substr(0, v.as_string().size() - 1);
        Number n;
        if (!detail::to_number(Value::string(digits), &n) || !n.is_int || n.i <= 0 || n.i > 100) {
          diags.error(e.range, "Invalid rollout batch",
                      fmt::format("{}; \"{}\" is not.", bad_detail, v.as_string()));
        } else {
          spec.batch_percent = static_cast<int>(n.i);
        }
      } else {
        Number n;
        if (v.is_null() || !detail::to_number(v, &n)) {
          diags.error(e.range, "Invalid rollout batch",
                      fmt::format("{}; this is {}.", bad_detail, detail::describe_type(v)));
        } else if (!n.is_int || n.i < 1) {
          diags.error(e.range, "Invalid rollout batch",
                      fmt::format("{}; {} is not.", bad_detail, format_number(n)));
        } else {
          spec.batch = n.i;
        }
      }
    }
  }
  return spec;
}

ReadyWhenSpec evaluate_ready_when(const ReadyWhen& gate, const EvalScope& scope,
                                  Diagnostics& diags) {
  ReadyWhenSpec spec;
  spec.kind = gate.kind;
  if (gate.value) spec.value = evaluate(*gate.value, scope, diags);
  if (gate.timeout) {
    if (auto d = duration_of(*gate.timeout, "ready_when timeout", scope, diags, false)) {
      spec.timeout = *d;
    }
  }
  if (gate.interval) {
    if (auto d = duration_of(*gate.interval, "ready_when interval", scope, diags, false)) {
      spec.interval = *d;
    }
  }
  for (const auto& [name, attr] : gate.args) {
    if (!attr || !attr->value) continue;
    if (name == "expect_status") {
      if (auto n = whole_number(*attr->value, 100, "ready_when expect_status", scope, diags)) {
        if (*n > 599) {
          diags.error(attr->value->range, "Invalid ready_when expect_status",
                      fmt::format("expect_status must be an HTTP status code (100 to 599); {} is "
                                  "not.",
                                  *n));
        } else {
          spec.expect_status = *n;
        }
      }
    } else if (name == "simulate_after") {
      if (auto d = duration_of(*attr->value, "ready_when simulate_after", scope, diags, true)) {
        spec.simulate_after = *d;
      }
    } else {
      spec.args.emplace(name, evaluate(*attr->value, scope, diags));
    }
  }
  return spec;
}

}  // namespace orch
