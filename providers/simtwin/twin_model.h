// The simulated world's timing and luck: how long an operation on a resource takes, whether an
// attempt fails, how long a readiness gate takes to hold, a provider's concurrency. One model
// serves `apply -simulate` (the twins) and plan-time estimates (`graph -critical-path`), so both
// give the same numbers. Every draw is a pure function of (seed, address, operation, attempt).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "compiler/distribution.h"
#include "compiler/schema.h"
#include "compiler/simulate_profile.h"
#include "providers/provider.h"

namespace orch {

enum class SimFailure { None, Permanent, Transient };

class TwinModel {
 public:
  explicit TwinModel(SimProfile profile = {}, uint64_t default_seed = 1);

  uint64_t seed() const { return seed_; }
  const SimProfile& profile() const { return profile_; }

  // The distribution for `op` ("create", "update", "delete", "read") on `type`, and where it
  // came from (for docs and messages). In order: the profile's rule for the type, the schema's
  // duration attribute (its value in `attributes`), the schema's latency hint, the profile's
  // default, a guess from the type's name.
  Distribution distribution(const std::string& type, const Schema* schema, const std::string& op,
                            const ValueMap& attributes, std::string* source = nullptr) const;
  // One draw of that distribution for this address and attempt (1-based).
  Duration latency(const std::string& type, const Schema* schema, const std::string& op,
                   const ValueMap& attributes, const std::string& address, int attempt = 1) const;

  // Whether this attempt fails: for good (fail_rate, drawn once per address and operation) or
  // retryably (transient_rate, drawn per attempt).
  SimFailure failure(const std::string& type, const Schema* schema, const std::string& op,
                     const ValueMap& attributes, const std::string& address, int attempt) const;
  // The probability of a permanent failure (for messages).
  double fail_rate(const std::string& type, const Schema* schema, const ValueMap& attributes) const;

  // How long a `ready_when` gate of `type` takes to hold when the configuration gives no
  // simulate_after: the profile's `gate` for the type (or default); nullopt: at once.
  std::optional<Duration> gate_latency(const std::string& type, const std::string& address) const;

  // A provider's limits under simulation: the profile's, else `real`.
  ProviderLimits limits(const std::string& provider, ProviderLimits real) const;

  // A uniform number in [0, 1) for (address, salt): the model's one source of randomness, also
  // used to synthesize values.
  double uniform(const std::string& address, const std::string& salt) const;

 private:
  SimProfile profile_;
  uint64_t seed_;
};

// A latency for `op` on a type with no hints, guessed from the words of its name: machines
// ("instance", "machine", "server", "vm") take a minute or two, runs ("converge", "task",
// "job", "command", "deploy") minutes, volumes seconds, API objects (keys, nodes, roles, records,
// locks, elections) a fraction of a second.
Distribution guessed_latency(const std::string& type, const std::string& op);

}  // namespace orch
