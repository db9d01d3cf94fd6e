// Re-run rules of step resources (see step_plan.h).
#include "providers/ssh/step_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace orch {

namespace {

const Value* find(const ValueMap& m, const std::string& name) {
  auto it = m.find(name);
  return it == m.end() ? nullptr : &it->second;
}

bool same(const Value* a, const Value* b) {
  const bool a_null = !a || a->is_null(), b_null = !b || b->is_null();
  if (a_null || b_null) return a_null == b_null;
  return a->is_wholly_known() && b->is_wholly_known() && a->equals(*b);
}

}  // namespace

StepRun step_run(const ValueMap* prior, const ValueMap& planned, const StepRules& rules,
                 const std::vector<std::string>& prior_failed) {
  StepRun run;
  auto targets = attr_strings(planned, rules.list_attr);
  if (!targets) {
    run.runs = true;
    run.targets_known = false;
    run.reason = fmt::format("{}s known after apply", rules.noun);
    return run;
  }
  // Duplicates run once.
  std::set<std::string> seen;
  std::vector<std::string> unique;
  for (const auto& t : *targets)
    if (seen.insert(t).second) unique.push_back(t);
  if (!prior) {
    run.runs = !unique.empty();
    run.targets = unique;
    run.reason = "first run";
    return run;
  }
  std::vector<std::string> changed;
  for (const auto& name : rules.rerun_attrs)
    if (!same(find(*prior, name), find(planned, name))) changed.push_back(name);
  if (!changed.empty()) {
    run.runs = !unique.empty();
    run.targets = unique;
    run.reason = changed.size() == 1 ? changed[0] + " changed"
                                     : fmt::format("{} changed", name_list(changed));
    return run;
  }
  std::set<std::string> before;
  if (auto was = attr_strings(*prior, rules.list_attr)) before.insert(was->begin(), was->end());
  std::set<std::string> failed(prior_failed.begin(), prior_failed.end());
  size_t added = 0, retried = 0;
  for (const auto& t : unique) {
    if (!before.count(t)) {
      run.targets.push_back(t);
      ++added;
    } else if (failed.count(t)) {
      run.targets.push_back(t);
      ++retried;
    }
  }
  // Failed targets are tried again only along with new ones: on their own they are no change.
  if (added == 0) {
    run.targets.clear();
    return run;
  }
  run.runs = true;
  run.reason = fmt::format("{} new {}{}", added, rules.noun, added == 1 ? "" : "s");
  if (retried > 0) run.reason += fmt::format(", {} that failed last time", retried);
  return run;
}

std::optional<std::string> attr_string(const ValueMap& m, const std::string& name) {
  const Value* v = find(m, name);
  if (!v || v->kind() != ValueKind::String) return std::nullopt;
  return v->as_string();
}

std::optional<int64_t> attr_int(const ValueMap& m, const std::string& name) {
  const Value* v = find(m, name);
  if (!v || v->kind() != ValueKind::Number) return std::nullopt;
  const Number& n = v->as_number();
  if (n.is_int) return n.i;
  return static_cast<int64_t>(n.d);
}

std::optional<bool> attr_bool(const ValueMap& m, const std::string& name) {
  const Value* v = find(m, name);
  if (!v || v->kind() != ValueKind::Bool) return std::nullopt;
  return v->as_bool();
}

std::optional<std::vector<std::string>> attr_strings(const ValueMap& m, const std::string& name) {
  const Value* v = find(m, name);
  if (!v || !v->is_sequence() || !v->is_wholly_known()) return std::nullopt;
  std::vector<std::string> out;
  for (const Value& e : v->elements()) {
    if (e.kind() != ValueKind::String) return std::nullopt;
    out.push_back(e.as_string());
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> attr_string_map(
    const ValueMap& m, const std::string& name) {
  const Value* v = find(m, name);
  if (!v || !v->is_mapping() || !v->is_wholly_known()) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [k, e] : v->attributes()) {
    if (e.kind() == ValueKind::String)
      out.emplace_back(k, e.as_string());
    else if (e.kind() == ValueKind::Number)
      out.emplace_back(k, format_number(e.as_number()));
    else if (e.kind() == ValueKind::Bool)
      out.emplace_back(k, e.as_bool() ? "yes" : "no");
    else
      return std::nullopt;
  }
  return out;
}

std::string count_of(size_t n, const std::string& noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

std::string name_list(const std::vector<std::string>& names, size_t show) {
  std::string out;
  const size_t n = std::min(show, names.size());
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out += (i + 1 == n && names.size() == n) ? " and " : ", ";
    out += names[i];
  }
  if (names.size() > n) out += fmt::format(" and {} more", names.size() - n);
  return out;
}

}  // namespace orch
