// Timing and failures of simulated operations (see twin_model.h).
#include "providers/simtwin/twin_model.h"

#include <fmt/format.h>

#include <array>
#include <string_view>

#include "planner/retry.h"

namespace orch {

namespace {

using namespace std::chrono_literals;

bool has_word(std::string_view type, std::string_view word) {
  // Words of the type after the provider prefix, separated by '_'.
  size_t start = type.find('_');
  start = start == std::string_view::npos ? 0 : start + 1;
  while (start <= type.size()) {
    size_t end = type.find('_', start);
    if (end == std::string_view::npos) end = type.size();
    if (type.substr(start, end - start) == word) return true;
    start = end + 1;
  }
  return false;
}

template <size_t N>
bool any_word(std::string_view type, const std::array<std::string_view, N>& words) {
  for (auto w : words)
    if (has_word(type, w)) return true;
  return false;
}

Distribution lognormal(Duration median, double sigma) {
  return Distribution{Distribution::Kind::LogNormal, median, Duration{0}, sigma};
}

const Value* find(const ValueMap& m, const std::string& name) {
  auto it = m.find(name);
  return it == m.end() ? nullptr : &it->second;
}

}  // namespace

Distribution guessed_latency(const std::string& type, const std::string& op) {
  static constexpr std::array<std::string_view, 6> machines = {"instance", "machine", "server",
                                                               "vm",       "droplet", "host"};
  static constexpr std::array<std::string_view, 9> runs = {
      "converge", "task", "job", "command", "exec", "deploy", "provision", "run", "script"};
  static constexpr std::array<std::string_view, 4> big = {"cluster", "database", "db", "cache"};
  static constexpr std::array<std::string_view, 4> storage = {"volume", "disk", "bucket",
                                                              "snapshot"};
  if (op == "read") return lognormal(200ms, 0.5);
  if (any_word(type, machines)) {
    if (op == "create") return lognormal(75s, 0.3);
    if (op == "delete") return lognormal(40s, 0.3);
    return lognormal(15s, 0.4);
  }
  if (any_word(type, runs)) {
    if (op == "delete") return lognormal(500ms, 0.5);
    return lognormal(2min, 0.4);
  }
  if (any_word(type, big)) {
    if (op == "update") return lognormal(2min, 0.4);
    return lognormal(8min, 0.3);
  }
  if (any_word(type, storage)) return lognormal(8s, 0.4);
  return lognormal(300ms, 0.5);
}

TwinModel::TwinModel(SimProfile profile, uint64_t default_seed)
    : profile_(std::move(profile)), seed_(profile_.seed.value_or(default_seed)) {}

double TwinModel::uniform(const std::string& address, const std::string& salt) const {
  return unit_interval(stable_hash(address + '\x1f' + salt, seed_));
}

Distribution TwinModel::distribution(const std::string& type, const Schema* schema,
                                     const std::string& op, const ValueMap& attributes,
                                     std::string* source) const {
  auto from = [&](const char* s) {
    if (source) *source = s;
  };
  if (auto it = profile_.resources.find(type); it != profile_.resources.end())
    if (auto d = it->second.latency_of(op)) {
      from("profile");
      return *d;
    }
  if (schema) {
    const SimulationHints& h = schema->simulation;
    if (auto it = h.duration_attributes.find(op); it != h.duration_attributes.end()) {
      const Value* v = find(attributes, it->second);
      if (v && v->kind() == ValueKind::String)
        if (auto d = parse_distribution(v->as_string(), nullptr)) {
          from("attribute");
          return *d;
        }
    }
    for (const std::string& key : {op, std::string("duration")}) {
      if (auto it = h.latency.find(key); it != h.latency.end())
        if (auto d = parse_distribution(it->second, nullptr)) {
          from("schema");
          return *d;
        }
    }
  }
  if (auto d = profile_.defaults.latency_of(op)) {
    from("profile default");
    return *d;
  }
  from("guess");
  return guessed_latency(type, op);
}

Duration TwinModel::latency(const std::string& type, const Schema* schema, const std::string& op,
                            const ValueMap& attributes, const std::string& address,
                            int attempt) const {
  const Distribution d = distribution(type, schema, op, attributes);
  const std::string salt = fmt::format("latency/{}/{}", op, attempt);
  return d.sample(uniform(address, salt + "/1"), uniform(address, salt + "/2"));
}

double TwinModel::fail_rate(const std::string& type, const Schema* schema,
                            const ValueMap& attributes) const {
  if (auto it = profile_.resources.find(type); it != profile_.resources.end())
    if (it->second.fail_rate) return *it->second.fail_rate;
  if (schema && !schema->simulation.fail_rate_attribute.empty()) {
    const Value* v = find(attributes, schema->simulation.fail_rate_attribute);
    if (v && v->kind() == ValueKind::Number) return v->as_number().as_double();
  }
  return profile_.defaults.fail_rate.value_or(0);
}

SimFailure TwinModel::failure(const std::string& type, const Schema* schema, const std::string& op,
                              const ValueMap& attributes, const std::string& address,
                              int attempt) const {
  const double permanent = fail_rate(type, schema, attributes);
  if (permanent > 0 && uniform(address, "fail/" + op) < permanent) return SimFailure::Permanent;
  const double transient = profile_.rule_for(type).transient_rate.value_or(0);
  if (transient > 0 && uniform(address, fmt::format("transient/{}/{}", op, attempt)) < transient)
    return SimFailure::Transient;
  return SimFailure::None;
}

std::optional<Duration> TwinModel::gate_latency(const std::string& type,
                                                const std::string& address) const {
  const SimRule rule = profile_.rule_for(type);
  if (!rule.gate) return std::nullopt;
  return rule.gate->sample(uniform(address, "gate/1"), uniform(address, "gate/2"));
}

ProviderLimits TwinModel::limits(const std::string& provider, ProviderLimits real) const {
  auto it = profile_.providers.find(provider);
  if (it == profile_.providers.end()) return real;
  if (it->second.max_concurrency) real.max_concurrency = *it->second.max_concurrency;
  if (it->second.requests_per_second) real.requests_per_second = *it->second.requests_per_second;
  return real;
}

}  // namespace orch
