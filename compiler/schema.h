// Schemas of provider configuration, resource types and data sources: what the checker validates
// blocks against, and what the planner uses for computed, sensitive and force-new attributes.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/type.h"
#include "compiler/value.h"

namespace orch {

struct AttributeSchema {
  std::string name;
  Type type;
  bool required = false;
  bool optional = false;  // may be set by the user
  bool computed = false;  // set by the provider (optional + computed: defaults from provider)
  bool sensitive = false;
  bool force_new = false;  // a change means replacing the object
  std::optional<Value> default_value;
  std::string description;
};

struct BlockSchema;

// How the simulated twin of a resource type (providers/simtwin, under `-simulate`) reproduces what
// matters to orchestration, declared as data so that the twin needs no code per provider.
// Everything is optional: without hints the twin uses latencies guessed from the type's name and
// synthesizes computed attributes from their names and types.
struct SimulationHints {
  // Typical latency per operation ("create", "update", "delete", "read", or "duration" for all)
  // as a distribution (compiler/distribution.h): "90s", "lognormal(90s, 0.4)".
  std::map<std::string, std::string> latency;
  // Operation → an attribute holding a duration string that is how long that operation takes (a
  // machine's create ← `boot_time`, a task's create and update ← `duration`).
  std::map<std::string, std::string> duration_attributes;
  // An attribute holding a probability (0..1) that a create or update fails.
  std::string fail_rate_attribute;
  // Computed attribute → list attribute: the element standing for the instance that satisfied the
  // step's any-of dependency first (ApplyRequest::satisfied_by), i.e. the first candidate to be
  // ready; kept on updates while still an element. An election's `leader` ← `candidates`.
  std::map<std::string, std::string> first_ready;
  // Computed numbers that count: → "" every create and update (a task's `runs`); → an attribute
  // name, each change of that attribute (an election's `epoch` ← `leader`).
  std::map<std::string, std::string> counters;
  // Computed strings made from other attributes: "${name}.sim.internal" (or constants:
  // an instance's `state` ← "running").
  std::map<std::string, std::string> templates;
  // Computed attribute → the argument whose value it takes (a converge's `succeeded` ← `nodes`).
  std::map<std::string, std::string> copies;
  // Computed list → a map argument: each synthesized element is an object with that map's keys
  // (a search's `rows` ← `keys`, the fields of a partial search).
  std::map<std::string, std::string> element_keys;
  std::string id_prefix;  // of synthesized ids: "i-" gives "i-0a1b2c3d4e5f6a7b8"
};

// The body of a resource, data source, provider or nested block.
struct Schema {
  std::vector<AttributeSchema> attributes;
  std::vector<BlockSchema> blocks;
  std::string description;
  SimulationHints simulation;  // resource types and data sources only

  const AttributeSchema* attribute(std::string_view name) const;
  const BlockSchema* block(std::string_view type) const;
  // Every attribute and block name, for "did you mean" suggestions.
  std::vector<std::string> names() const;
};

enum class BlockNesting { Single, List, Set };

struct BlockSchema {
  std::string type_name;
  BlockNesting nesting = BlockNesting::List;
  Schema body;
  int min_items = 0;
  int max_items = 0;  // 0: unlimited
};

// A readiness condition kind offered by a provider to `ready_when` (e.g. http, chef_tag).
struct GateSchema {
  std::string kind;  // the attribute name inside ready_when
  Type type;         // type of its value
  std::string description;
};

struct ProviderSchema {
  std::string name;  // "sim", "chef", "ec2", "etcd"
  Schema config;
  std::map<std::string, Schema> resources;     // by type name
  std::map<std::string, Schema> data_sources;  // by type name
  std::vector<GateSchema> gates;
};

// All provider schemas known to a run. Resource types belong to the provider named by their
// prefix before the first underscore (`sim_machine` → `sim`), as in Terraform.
class SchemaRegistry {
 public:
  void add(ProviderSchema schema);
  const ProviderSchema* provider(std::string_view name) const;
  const Schema* resource(std::string_view type) const;
  const Schema* data_source(std::string_view type) const;
  const GateSchema* gate(std::string_view kind) const;
  // The provider offering gate `kind` ("" when none): a gate may check another provider's world
  // (an ec2_instance ready when its chef_node is registered).
  std::string gate_provider(std::string_view kind) const;
  std::vector<std::string> resource_types() const;
  std::vector<std::string> data_source_types() const;
  std::vector<std::string> gate_kinds() const;
  static std::string provider_of(std::string_view type);

 private:
  std::map<std::string, ProviderSchema, std::less<>> providers_;
};

}  // namespace orch
