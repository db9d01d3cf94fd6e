// Plausible, deterministic values for the computed attributes of simulated objects, chosen by
// the attribute's name and type: ids ("i-0a1b…" with the schema's id_prefix), private and public
// addresses (10.x, 198.18.x: never routable), DNS names from the instance's address, URLs,
// timestamps on the virtual clock, counters, and recursively for collections and objects.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "compiler/schema.h"
#include "compiler/value.h"
#include "planner/clock.h"

namespace orch {

struct SynthContext {
  std::string provider;   // "ec2"
  std::string type;       // "ec2_instance"
  std::string address;    // "module.db.ec2_instance.node[3]"
  std::string id_prefix;  // from the schema's hints; empty: derived from the attribute
  TimePoint now{0};       // the virtual clock, for timestamps
  // A uniform number in [0, 1) for a salt: the caller's seeded randomness.
  std::function<double(const std::string& salt)> uniform;
};

// A host-name-like label for an address: "ec2_instance.node[3]" → "node-3",
// "module.db.x.y[\"a b\"]" → "db-y-a-b".
std::string address_label(const std::string& address);

// A value of `type` for an attribute called `name`.
Value synthesize_value(const std::string& name, const Type& type, const SynthContext& ctx);

// "${name}.sim.internal" with ${attr} replaced by known string or number attributes; nullopt when
// one is missing or unknown.
std::optional<std::string> expand_template(const std::string& text, const ValueMap& attributes);

}  // namespace orch
