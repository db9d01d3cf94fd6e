// Expression evaluation: AST expressions + a scope of named values → Values, with every error a
// diagnostic at the exact sub-expression. Unknown values and sensitive marks propagate through
// every operator and function; a sub-expression that failed evaluates to an unknown value so
// that one error does not cascade into more.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ast.h"
#include "compiler/config.h"
#include "compiler/diagnostic.h"
#include "compiler/type.h"
#include "compiler/value.h"
#include "stdlib/functions.h"

namespace orch {

// What a reference asks the scope for: `root.name`, or `data.type.name` for data sources.
// Bare roots (`self`, `each`, `var`) come with an empty name.
struct RefKey {
  std::string_view root;  // "var", "local", "module", "data", "count", "each", "self", "path", or a
                          // resource type ("sim_machine")
  std::string_view type;  // data sources only: "sim_image"
  std::string_view name;  // "x" in var.x, "node" in sim_machine.node, "index" in count.index
  Range range;
};

// Gives values to the names an expression refers to. The planner implements it with instance
// values; `orch validate` with unknowns shaped by provider schemas; tests with BasicScope.
class EvalScope {
 public:
  virtual ~EvalScope() = default;

  // The value of the referenced object:
  //   var.x → the variable's value; local.x → the local's value; module.m → object of outputs;
  //   TYPE.NAME and data.TYPE.NAME → the resource: an object for a single instance, a tuple/list
  //   for count, an object/map by key for for_each; count.index, each.key, each.value,
  //   path.module/root/cwd; self (name empty) → the object of the resource instance being gated.
  // nullopt: not declared / not available here; the evaluator reports it (using candidates()).
  virtual std::optional<Value> lookup(const RefKey& key) const = 0;

  // `TYPE.NAME[KEY]` (and `data.TYPE.NAME[KEY]`) with a known KEY: the one instance, when the
  // scope can give it without building the whole resource's value (a tuple of 20,000 objects
  // rebuilt each time an instance changes during apply). nullopt: the evaluator looks up the
  // resource and indexes it as usual, reporting any error.
  virtual std::optional<Value> lookup_instance(const RefKey& /*key*/,
                                               const Value& /*index*/) const {
    return std::nullopt;
  }

  // Names declared under `key.root` (and key.type for data), for "did you mean" suggestions.
  virtual std::vector<std::string> candidates(const RefKey& /*key*/) const { return {}; }

  virtual const Functions& functions() const { return Functions::builtin(); }
  // base_dir for file functions (path.module); render_template is filled in by the evaluator.
  virtual CallContext call_context() const { return CallContext{}; }
};

// A scope backed by maps, for tests, `orch console`, and simple callers.
//   values["var"]["x"], values["local"]["y"], values["sim_machine"]["node"],
//   values["data"]["sim_image.base"], values["count"]["index"], values["each"]["key"],
//   values["path"]["module"], values["module"]["db"]; `self` is the `self` member.
class BasicScope : public EvalScope {
 public:
  std::map<std::string, ValueMap, std::less<>> values;
  std::optional<Value> self;
  std::string base_dir;
  const Functions* fns = nullptr;  // null: the builtin table
  // Called for roots not found in `values`; lets callers chain scopes.
  const EvalScope* parent = nullptr;

  void set(std::string_view root, std::string_view name, Value v);

  std::optional<Value> lookup(const RefKey& key) const override;
  std::vector<std::string> candidates(const RefKey& key) const override;
  const Functions& functions() const override;
  CallContext call_context() const override;
};

// Evaluates `expr`. Errors are added to `diags` and the failed part evaluates to unknown.
Value evaluate(const Expr& expr, const EvalScope& scope, Diagnostics& diags);

// Evaluates and converts to `type` ("Incorrect value type" at the expression on failure, with
// `what` naming the thing: "count", "variable \"x\" default"); unknown of `type` on error.
Value evaluate_as(const Expr& expr, const Type& type, const EvalScope& scope, Diagnostics& diags,
                  std::string_view what);

// Evaluates an expression that may use functions but no references (e.g. a -var value);
// references are reported as errors ("Variables not allowed").
Value evaluate_constant(const Expr& expr, Diagnostics& diags);

// Parses a type constraint expression: string, number, bool, any, list(T), set(T), map(T),
// object({a = T}), tuple([T, ...]), optional(T) inside object attributes.
Type parse_type_expr(const Expr& expr, Diagnostics& diags);

// Rollout and readiness gates, evaluated for the planner / executor / checker. Errors (wrong types,
// out-of-range numbers, bad durations) are diagnostics at the attribute's expression. Unknown
// values leave the defaults in place.
RolloutSpec evaluate_rollout(const Rollout& rollout, const EvalScope& scope, Diagnostics& diags);
ReadyWhenSpec evaluate_ready_when(const ReadyWhen& gate, const EvalScope& scope,
                                  Diagnostics& diags);

}  // namespace orch
