// The checker's driver: per module, variables, locals, outputs, providers, module calls (inputs
// against the child's variables, recursively), resources and cycles.
#include "compiler/check.h"

#include <fmt/format.h>

#include "compiler/check_internal.h"
#include "compiler/convert.h"
#include "compiler/simulate_profile.h"
#include "compiler/suggest.h"
#include "compiler/vars.h"

namespace orch {

namespace {

using detail::ContextFlags;
using detail::ContextScope;
using detail::ModuleScope;

constexpr int kMaxModuleDepth = 32;

// Validation conditions may refer only to the variable itself.
void check_validations(const Variable& v, Diagnostics& diags) {
  for (const auto& val : v.validations) {
    bool self_ref = false;
    bool foreign_ref = false;
    for (const Expr* e : {val.condition, val.error_message}) {
      if (!e) continue;
      for (const Reference& r : references(*e)) {
        if (r.kind == RefKind::Variable && r.name == v.name) {
          if (e == val.condition) self_ref = true;
          continue;
        }
        foreign_ref = true;
        diags.error(r.range, "Invalid reference in variable validation",
                    fmt::format("The condition for variable \"{}\" can only refer to the "
                                "variable itself, using var.{}; \"{}\" is not allowed here.",
                                v.name, v.name, r.address()));
      }
    }
    if (val.condition && !self_ref) {
      diags.error(val.condition->range, "Invalid variable validation condition",
                  fmt::format("The condition for variable \"{}\" must refer to var.{} in order "
                              "to test incoming values.",
                              v.name, v.name));
    }
    if (foreign_ref) continue;
    // Type-check both expressions with an unknown value of the variable's type.
    BasicScope scope;
    scope.set("var", v.name, Value::unknown(v.type));
    if (val.condition) {
      const int before = diags.error_count();
      Value c = evaluate(*val.condition, scope, diags);
      const TypeKind k = c.type().kind;
      const bool bool_like = k == TypeKind::Any || k == TypeKind::Bool || k == TypeKind::String;
      if (diags.error_count() == before &&
          (c.is_unknown() ? !bool_like : !convert(c, Type::boolean()))) {
        diags.error(val.condition->range, "Invalid validation condition",
                    "The condition must evaluate to true or false.");
      }
    }
    if (val.error_message) {
      const int before = diags.error_count();
      Value m = evaluate(*val.error_message, scope, diags);
      if (diags.error_count() == before && !m.is_unknown() && !convert(m, Type::string())) {
        diags.error(val.error_message->range, "Invalid validation error message",
                    "The error message must be a string.");
      }
    }
  }
}

// Values the module's variables have during validation: given, else default, else unknown.
ValueMap variable_values(const Config& config, const ValueMap& given) {
  ValueMap out;
  for (const auto& [name, v] : config.variables) {
    Value value = Value::unknown(v.type);
    auto it = given.find(name);
    if (it != given.end()) {
      value = it->second;
    } else if (v.default_value) {
      value = *v.default_value;
    }
    if (v.sensitive) value = value.mark_sensitive();
    out.emplace(name, value);
  }
  return out;
}

void check_provider_configs(const Config& config, const SchemaRegistry& schemas,
                            const ModuleScope& scope, Diagnostics& diags) {
  for (const auto& [key, p] : config.providers) {
    const ProviderSchema* ps = schemas.provider(p.name);
    std::vector<const Block*> blocks;
    if (p.body) {
      for (const auto& b : p.body->blocks) blocks.push_back(&b);
    }
    if (!ps) {
      std::vector<std::string> known;
      for (const auto& t : schemas.resource_types())
        known.push_back(SchemaRegistry::provider_of(t));
      known.erase(std::unique(known.begin(), known.end()), known.end());
      std::string hint = did_you_mean(p.name, known);
      diags.error(p.range, "Unknown provider",
                  fmt::format("There is no provider named \"{}\"{}", p.name,
                              !hint.empty()   ? hint
                              : known.empty() ? std::string(".")
                                              : fmt::format("; the known providers are {}.",
                                                            fmt::join(known, ", "))));
      detail::check_body(p.attributes, blocks, nullptr, p.range, "a provider block",
                         ContextScope(scope, {}), diags);
      continue;
    }
    detail::check_body(p.attributes, blocks, &ps->config, p.range,
                       fmt::format("the configuration of provider \"{}\"", p.name),
                       ContextScope(scope, {}), diags);
  }
}

void check_module(const Config& config, const SchemaRegistry& schemas, const ValueMap& given,
                  int depth, Diagnostics& diags);

void check_module_calls(const Config& config, const SchemaRegistry& schemas,
                        const ModuleScope& scope, int depth, Diagnostics& diags) {
  for (const auto& [name, m] : config.modules) {
    ContextFlags flags;
    if (m.count) {
      detail::check_count(*m.count, ContextScope(scope, {}), diags);
      flags.count = true;
    }
    if (m.for_each) {
      detail::check_for_each(*m.for_each, ContextScope(scope, {}), diags);
      flags.each = true;
    }
    detail::check_depends_on(config, m.depends_on, diags);
    ContextScope input_scope(scope, flags);
    ValueMap inputs;
    for (const auto& [input, attr] : m.inputs) {
      if (!attr->value) continue;
      Value v = evaluate(*attr->value, input_scope, diags);
      if (!m.child) continue;
      const Variable* var = m.child->variable(input);
      if (!var) {
        std::vector<std::string> names;
        for (const auto& [vn, _] : m.child->variables) names.push_back(vn);
        std::string hint = did_you_mean(input, names);
        diags.error(attr->name_range.valid() ? attr->name_range : attr->range,
                    "Unsupported argument",
                    fmt::format("An argument named \"{}\" is not expected here: module \"{}\" "
                                "has no variable \"{}\"{}",
                                input, name, input, hint.empty() ? "." : hint));
        continue;
      }
      std::string why;
      auto converted = convert(v, var->type, &why);
      if (!converted) {
        diags.error(attr->value->range, "Invalid value for module argument",
                    fmt::format("The variable \"{}\" of module \"{}\" requires {}: {}.", input,
                                name, var->type.str(), why));
        continue;
      }
      if (converted->is_null() && !var->nullable) {
        diags.error(
            attr->value->range, "Invalid value for module argument",
            fmt::format("The variable \"{}\" of module \"{}\" is not nullable.", input, name));
        continue;
      }
      // Inside a counted module the values differ per instance: check with unknowns.
      inputs.emplace(input, (m.count || m.for_each) ? Value::unknown(var->type) : *converted);
    }
    if (!m.child) continue;
    for (const auto& [vn, var] : m.child->variables) {
      if (var.required() && !m.inputs.count(vn)) {
        diags.error(m.name_range, "Missing required argument",
                    fmt::format("The module \"{}\" requires a value for its variable \"{}\", "
                                "which has no default: add {} = ... to the module block.",
                                name, vn, vn));
      }
    }
    if (depth + 1 > kMaxModuleDepth) {
      diags.error(m.range, "Modules nested too deeply",
                  fmt::format("Modules may nest at most {} levels deep.", kMaxModuleDepth));
      continue;
    }
    check_module(*m.child, schemas, inputs, depth + 1, diags);
  }
}

void check_outputs(const Config& config, const ModuleScope& scope, Diagnostics& diags) {
  for (const auto& [name, o] : config.outputs) {
    detail::check_depends_on(config, o.depends_on, diags);
    if (!o.value) continue;
    Value v = evaluate(*o.value, ContextScope(scope, {}), diags);
    if (!o.sensitive && (v.is_sensitive() || v.contains_sensitive())) {
      diags.error(o.value->range, "Output refers to sensitive values",
                  fmt::format("The value of output \"{}\" includes sensitive values; add "
                              "sensitive = true to the output block to confirm that it may only "
                              "be shown as (sensitive).",
                              name));
    }
  }
}

void check_module(const Config& config, const SchemaRegistry& schemas, const ValueMap& given,
                  int depth, Diagnostics& diags) {
  for (const auto& [_, v] : config.variables) check_validations(v, diags);
  ModuleScope scope(config, schemas, variable_values(config, given), diags);
  scope.evaluate_locals();
  check_provider_configs(config, schemas, scope, diags);
  detail::check_resources(config, schemas, scope, diags);
  check_outputs(config, scope, diags);
  check_module_calls(config, schemas, scope, depth, diags);
  detail::check_cycles(config, diags);
}

}  // namespace

Value unknown_instance(const Schema& schema) {
  ValueMap attrs;
  for (const auto& a : schema.attributes) attrs.emplace(a.name, Value::unknown(a.type));
  for (const auto& b : schema.blocks) {
    Type body = detail::instance_type(b.body);
    switch (b.nesting) {
      case BlockNesting::Single:
        attrs.emplace(b.type_name, Value::unknown(body));
        break;
      case BlockNesting::List:
        attrs.emplace(b.type_name, Value::unknown(Type::list(body)));
        break;
      case BlockNesting::Set:
        attrs.emplace(b.type_name, Value::unknown(Type::set(body)));
        break;
    }
  }
  return Value::object(std::move(attrs));
}

std::unique_ptr<EvalScope> make_validation_scope(const Config& config,
                                                 const SchemaRegistry& schemas,
                                                 const ValueMap& variables, Diagnostics& diags) {
  return std::make_unique<ModuleScope>(config, schemas, variable_values(config, variables), diags);
}

bool check_config(const Config& root, const SchemaRegistry& schemas, Diagnostics& diags,
                  const CheckOptions& options) {
  const int before = diags.error_count();
  check_module(root, schemas, options.root_variables, 0, diags);
  if (root.simulate) simulate_profile_from_block(*root.simulate, &schemas, diags);
  diags.sort_and_dedupe();
  return diags.error_count() == before;
}

}  // namespace orch
