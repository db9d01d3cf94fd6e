// The checked configuration of one module (a directory of .orch files): variables, locals,
// providers, resources, data sources, outputs, module calls and the backend, as plain structs.
// Expressions stay AST pointers (`const Expr*`); the Config owns the parsed files, so they stay
// valid for the Config's life (Configs are move-only; moving keeps every pointer valid).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ast.h"
#include "compiler/source.h"
#include "compiler/type.h"
#include "compiler/value.h"
#include "planner/address.h"
#include "planner/clock.h"

namespace orch {

// ---------------------------------------------------------------------------------------------
// References: what an expression refers to. The planner builds graph edges from these; the
// checker uses them for undeclared names and cycles.

enum class RefKind {
  Variable,    // var.NAME
  Local,       // local.NAME
  Resource,    // TYPE.NAME (managed resource)
  DataSource,  // data.TYPE.NAME
  Module,      // module.NAME (attribute = output name when written module.NAME.OUTPUT)
  Count,       // count.index (name = "index", or whatever attribute was written)
  Each,        // each.key / each.value (name = attribute written)
  Self,        // self (name = first attribute after it, if any)
  Path,        // path.module / path.root / path.cwd (name = attribute)
  Invalid,     // a root with no attribute where one is required (`sim_machine` alone, `var`)
};

struct Reference {
  RefKind kind = RefKind::Invalid;
  std::string type;  // resource / data source type; empty otherwise
  std::string name;  // variable, local, resource, data, module name; count/each/self/path attr
  std::string
      attribute;  // the attribute after the object, if written: module output, resource attr
  // The index right after a resource/data/module reference (`sim_machine.node[2]`), or null.
  const Expr* index = nullptr;
  bool splat = false;          // `[*]` or `.*` right after the resource reference
  Range range;                 // from the root through the part that names the object (+ attribute)
  const Expr* expr = nullptr;  // the outermost traversal node of the reference

  // Graph address of the referenced object: "var.x", "local.y", "sim_machine.node",
  // "data.sim_image.base", "module.db", "count.index", "each.key", "self", "path.module".
  std::string address() const;
  // True for references to configuration objects (var, local, resource, data, module).
  bool is_object() const;
};

// Every reference an expression makes, in source order. Names bound by `for` expressions and
// template `%{for}` directives are not references. Does not descend into nothing but Expr trees.
std::vector<Reference> references(const Expr& expr);
// Appends to `out` (useful to gather the references of a whole body).
void collect_references(const Expr& expr, std::vector<Reference>& out);
// Every reference made by the attributes and nested blocks of a body, recursively.
void collect_references(const Body& body, std::vector<Reference>& out);

// ---------------------------------------------------------------------------------------------
// Configuration objects.

struct VariableValidation {
  const Expr* condition = nullptr;
  const Expr* error_message = nullptr;
  Range range;
};

struct Variable {
  std::string name;
  Type type = Type::any();  // from the `type` attribute; any when absent
  const Expr* type_expr = nullptr;
  const Expr* default_expr = nullptr;
  std::optional<Value> default_value;  // converted to `type`; nullopt: required
  std::string description;
  bool sensitive = false;
  bool nullable = true;
  std::vector<VariableValidation> validations;
  Range range;       // the whole block
  Range name_range;  // the label

  bool required() const { return !default_value.has_value(); }
};

struct Local {
  std::string name;
  const Expr* value = nullptr;
  Range range;  // `name = value`
};

struct ProviderConfig {
  std::string name;                          // "sim"
  std::string alias;                         // empty for the default configuration
  const Body* body = nullptr;                // everything but `alias`
  std::vector<const Attribute*> attributes;  // the body's attributes minus `alias`
  Range range;

  std::string key() const { return alias.empty() ? name : name + "." + alias; }  // "sim.east"
};

// ResourceMode { Managed, Data } comes from planner/address.h (one definition for both).

struct DependsOn {
  std::string address;  // "sim_machine.node", "data.t.n", "module.db"
  bool any_of = false;  // written as any(X): done when ONE instance of X is done
  const Expr* expr = nullptr;
  Range range;
};

struct Lifecycle {
  bool create_before_destroy = false;
  bool prevent_destroy = false;
  std::vector<std::string> ignore_changes;  // attribute names (top-level paths)
  bool ignore_all_changes = false;          // ignore_changes = all
  Range range;                              // the block; invalid when absent
};

// `rollout { canary, batch, max_failures, pause }` on a counted / for_each resource. The
// expressions are kept for the planner (they may reference variables); `evaluate_rollout` in
// eval.h turns them into numbers.
struct Rollout {
  const Expr* canary = nullptr;
  const Expr* batch = nullptr;
  const Expr* max_failures = nullptr;
  const Expr* pause = nullptr;
  Range range;
};

// The evaluated rollout. Instances go canary first (one batch of `canary` instances), then in
// batches of batch_size(remaining_total); each waits for the previous batch's gates + pause.
struct RolloutSpec {
  int64_t canary = 0;
  int64_t batch = 0;      // instances per batch; 0: all remaining at once (no `batch`)
  int batch_percent = 0;  // 1..100 when written "P%" (then `batch` is 0)
  int64_t max_failures = 0;
  Duration pause{0};
  // Batch size for `total` instances: the count, or ceil(total * P / 100) (at least 1), or total.
  int64_t batch_size(int64_t total) const;
};

// `ready_when { <kind> = value, timeout, interval, ... }`: a readiness gate.
struct ReadyWhen {
  std::string kind;             // "http", "tcp", "command", or a provider gate kind
  const Expr* value = nullptr;  // the condition's value (often references `self`)
  Range kind_range;
  const Expr* timeout = nullptr;
  const Expr* interval = nullptr;
  // Other arguments: expect_status, simulate_after, provider-specific ones. By name.
  std::map<std::string, const Attribute*> args;
  Range range;
};

inline constexpr Duration kDefaultGateTimeout = std::chrono::minutes(10);
inline constexpr Duration kDefaultGateInterval = std::chrono::seconds(10);

// The evaluated gate for one instance.
struct ReadyWhenSpec {
  std::string kind;
  Value value;
  Duration timeout = kDefaultGateTimeout;
  Duration interval = kDefaultGateInterval;
  std::optional<int64_t> expect_status;    // http: expected status (default: any 2xx)
  std::optional<Duration> simulate_after;  // under the virtual clock: holds after this long
  ValueMap args;                           // every other argument, evaluated
};

// The gate kinds the core itself knows.
const std::vector<std::string>& core_gate_kinds();  // {"command", "http", "tcp"}

struct Resource {
  ResourceMode mode = ResourceMode::Managed;
  std::string type;          // "sim_machine"
  std::string name;          // "node"
  std::string provider_key;  // "sim" or "sim.alias" (from `provider = sim.alias`, else the prefix)
  Range provider_range;      // the `provider` attribute when written
  const Expr* count = nullptr;
  const Expr* for_each = nullptr;
  std::vector<DependsOn> depends_on;
  Lifecycle lifecycle;
  std::optional<Rollout> rollout;
  std::optional<ReadyWhen> ready_when;
  const Expr* triggers = nullptr;
  const Expr* lock = nullptr;
  const Body* body = nullptr;  // the whole body, meta-arguments included
  // The body minus meta-arguments (count, for_each, depends_on, provider, lifecycle, rollout,
  // ready_when, triggers, lock): what the provider schema describes.
  std::vector<const Attribute*> attributes;
  std::vector<const Block*> blocks;
  Range range;
  Range type_range;
  Range name_range;

  // "sim_machine.node" or "data.sim_image.base".
  std::string address() const;
  bool is_data() const { return mode == ResourceMode::Data; }
  bool is_expanded() const { return count != nullptr || for_each != nullptr; }
  const Attribute* attribute(std::string_view name) const;
};

struct Output {
  std::string name;
  const Expr* value = nullptr;
  std::string description;
  bool sensitive = false;
  std::vector<DependsOn> depends_on;
  Range range;
  Range name_range;
};

struct Config;

struct ModuleCall {
  std::string name;
  std::string source;      // as written: "./modules/db"
  std::string source_dir;  // resolved directory (lexically normalised)
  Range source_range;
  // Input variables by name (every attribute that is not a meta-argument).
  std::map<std::string, const Attribute*> inputs;
  const Expr* count = nullptr;
  const Expr* for_each = nullptr;
  std::vector<DependsOn> depends_on;
  std::unique_ptr<Config> child;  // null when the source could not be loaded
  Range range;
  Range name_range;
};

// Named BackendBlock so that it does not clash with planner/backend.h's Backend interface.
struct BackendBlock {
  std::string type;  // "local", "etcd"
  const Body* body = nullptr;
  Range range;
};

// `simulate { }` in the root module: what `-simulate` assumes about the world (durations,
// failure rates, seed); read by compiler/simulate_profile.h.
struct SimulateBlock {
  const Body* body = nullptr;
  Range range;
};

struct Config {
  // "" for the root module, "module.db", "module.db.module.x" for children.
  std::string module_path;
  std::string dir;                           // this module's directory (path.module)
  std::string root_dir;                      // the root module's directory (path.root)
  std::vector<std::unique_ptr<File>> files;  // owned AST, sorted by file name

  std::map<std::string, Variable> variables;        // by name
  std::map<std::string, Local> locals;              // by name
  std::map<std::string, ProviderConfig> providers;  // by key ("sim", "sim.east")
  std::map<std::string, Resource> resources;        // by address (managed and data)
  std::map<std::string, Output> outputs;            // by name
  std::map<std::string, ModuleCall> modules;        // by name
  std::optional<BackendBlock> backend;              // root module only
  std::optional<SimulateBlock> simulate;            // root module only

  Config() = default;
  Config(Config&&) = default;
  Config& operator=(Config&&) = default;
  Config(const Config&) = delete;
  Config& operator=(const Config&) = delete;

  const Variable* variable(std::string_view name) const;
  const Local* local(std::string_view name) const;
  const Resource* resource(std::string_view address) const;
  const Output* output(std::string_view name) const;
  const ModuleCall* module(std::string_view name) const;
  const ProviderConfig* provider(std::string_view key) const;
  // Prefix for addresses of objects in this module: "" or "module.db.".
  std::string address_prefix() const { return module_path.empty() ? "" : module_path + "."; }
};

// Meta-argument names of resource / data blocks (not described by provider schemas).
bool is_resource_meta_argument(std::string_view name);

}  // namespace orch
