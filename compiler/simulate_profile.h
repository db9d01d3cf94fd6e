// What a simulation assumes about the world (`orch plan|apply -simulate`): per resource type and
// operation, how long things take (distributions), how often they fail, how long readiness gates
// take to hold; per provider, its concurrency; the seed. Written in the root module's
// `simulate { }` block and/or a YAML profile (-simulate-profile FILE); the file wins.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "compiler/config.h"
#include "compiler/diagnostic.h"
#include "compiler/distribution.h"
#include "compiler/schema.h"
#include "compiler/source.h"

namespace orch {

// The operations a rule can time: "create", "update", "delete", "read", and "duration" for any
// of them not given on its own.
inline constexpr const char* kSimOperations[] = {"create", "update", "delete", "read"};

struct SimRule {
  std::map<std::string, Distribution> latency;  // by operation, or "duration"
  std::optional<double> fail_rate;              // probability that an operation fails for good
  std::optional<double> transient_rate;         // probability that an attempt fails retryably
  std::optional<Distribution> gate;             // ready_when gates without simulate_after

  // Later settings win, one key at a time.
  void merge(const SimRule& over);
  // The distribution for `op`: its own, else "duration"; nullopt when neither is set.
  std::optional<Distribution> latency_of(const std::string& op) const;
};

struct SimProviderRule {
  std::optional<int> max_concurrency;
  std::optional<double> requests_per_second;
};

struct SimProfile {
  std::optional<uint64_t> seed;
  SimRule defaults;                                  // `default { }`: every type
  std::map<std::string, SimRule> resources;          // by resource or data source type
  std::map<std::string, SimProviderRule> providers;  // by provider name

  void merge(const SimProfile& over);
  // The type's rule over the defaults.
  SimRule rule_for(const std::string& type) const;
};

// The root module's `simulate` block (constant expressions). With `schemas`, resource types and
// providers not in them are errors (with a suggestion).
SimProfile simulate_profile_from_block(const SimulateBlock& block, const SchemaRegistry* schemas,
                                       Diagnostics& diags);

// A YAML profile:
//   seed: 7
//   default:   { create: "30s" }
//   resources: { ec2_instance: { create: "lognormal(90s, 0.3)", fail_rate: 0.02 } }
//   providers: { ec2: { max_concurrency: 50 } }
// nullopt (with diagnostics) when the file cannot be read or has errors.
std::optional<SimProfile> read_simulate_profile(const std::string& path, SourceManager& sources,
                                                const SchemaRegistry* schemas, Diagnostics& diags);

}  // namespace orch
