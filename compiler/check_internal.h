// Internals of the checker shared by check*.cc: the validation scope of one module, and the
// checking passes.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "compiler/check.h"
#include "compiler/config.h"
#include "compiler/eval.h"
#include "compiler/schema.h"

namespace orch::detail {

// The object type of an instance of `schema` (attributes and nested blocks).
Type instance_type(const Schema& schema);

// The values `orch validate` evaluates a module's expressions with: variables (given or
// unknown), locals (evaluated on demand, once), resources and data sources as unknowns shaped by
// their schemas, module outputs as unknowns, path.*. Contexts (count/each/self) are layered on
// top with ContextScope.
class ModuleScope : public EvalScope {
 public:
  ModuleScope(const Config& config, const SchemaRegistry& schemas, ValueMap variables,
              Diagnostics& diags);

  std::optional<Value> lookup(const RefKey& key) const override;
  std::vector<std::string> candidates(const RefKey& key) const override;
  CallContext call_context() const override;

  // Evaluates every local (reporting its errors once).
  void evaluate_locals() const;
  const ValueMap& variables() const { return variables_; }

 private:
  Value local_value(const std::string& name) const;
  Value resource_value(const Resource& r) const;

  const Config& config_;
  const SchemaRegistry& schemas_;
  ValueMap variables_;
  Diagnostics& diags_;
  // Memoised results; `evaluating_` breaks cycles (a cycle yields unknown; check_cycles reports).
  mutable std::map<std::string, Value> locals_;
  mutable std::set<std::string> evaluating_;
  mutable std::map<std::string, Value> resources_;
};

// What the expression being checked may use besides the module's objects.
struct ContextFlags {
  bool count = false;  // count.index
  bool each = false;   // each.key, each.value
  std::optional<Value> self;
};

class ContextScope : public EvalScope {
 public:
  ContextScope(const ModuleScope& module, ContextFlags flags)
      : module_(module), flags_(std::move(flags)) {}
  std::optional<Value> lookup(const RefKey& key) const override;
  std::vector<std::string> candidates(const RefKey& key) const override {
    return module_.candidates(key);
  }
  CallContext call_context() const override { return module_.call_context(); }

 private:
  const ModuleScope& module_;
  ContextFlags flags_;
};

// Checks a body's attributes and blocks against a schema (null: only evaluates them).
void check_body(const std::vector<const Attribute*>& attributes,
                const std::vector<const Block*>& blocks, const Schema* schema, const Range& header,
                std::string_view what, const EvalScope& scope, Diagnostics& diags);

// count: a whole number >= 0, not sensitive. for_each: a map, or a set of strings, not sensitive.
void check_count(const Expr& count, const EvalScope& scope, Diagnostics& diags);
void check_for_each(const Expr& for_each, const EvalScope& scope, Diagnostics& diags);

// Every depends_on entry must name a declared resource, data source or module.
void check_depends_on(const Config& config, const std::vector<DependsOn>& deps, Diagnostics& diags);

// Passes over one module.
void check_resources(const Config& config, const SchemaRegistry& schemas, const ModuleScope& scope,
                     Diagnostics& diags);
void check_cycles(const Config& config, Diagnostics& diags);

}  // namespace orch::detail
