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
  bool optional = false;   // may be set by the user
  bool computed = false;   // set by the provider (optional + computed: defaults from provider)
  bool sensitive = false;
  bool force_new = false;  // a change means replacing the object
  std::optional<Value> default_value;
  std::string description;
};

struct BlockSchema;

// The body of a resource, data source, provider or nested block.
struct Schema {
  std::vector<AttributeSchema> attributes;
  std::vector<BlockSchema> blocks;
  std::string description;

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
