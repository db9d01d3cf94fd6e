// Input variables: gathering values from -var, -var-file (.orch or YAML) and ORCH_VAR_*, then
// resolving every declared variable (conversion, defaults, nullability, validation).
#include "compiler/vars.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "compiler/convert.h"
#include "compiler/eval.h"
#include "compiler/parse.h"
#include "compiler/suggest.h"

extern char** environ;

namespace orch {

namespace {

std::vector<std::string> variable_names(const Config& c) {
  std::vector<std::string> out;
  for (const auto& [n, _] : c.variables) out.push_back(n);
  return out;
}

const char* source_name(VarSource s) {
  switch (s) {
    case VarSource::Environment:
      return "an ORCH_VAR_ environment variable";
    case VarSource::File:
      return "a variables file";
    case VarSource::CommandLine:
      return "a -var option";
    case VarSource::Default:
      return "the default";
    case VarSource::Unset:
      break;
  }
  return "input";
}

// A value given as text (-var, environment): a string for primitive and untyped variables
// (converted later), an expression for collection and structural types.
std::optional<Value> raw_value(const std::string& label, const std::string& text,
                               const Variable& var, SourceManager& sources, Diagnostics& diags) {
  if (var.type.is_primitive() || var.type.is_any()) return Value::string(text);
  const SourceFile* src = sources.add(label, text);
  const int before = diags.error_count();
  ExprPtr e = parse_expression(*src, diags);
  if (!e || diags.error_count() > before) return std::nullopt;
  Value v = evaluate_constant(*e, diags);
  if (diags.error_count() > before) return std::nullopt;
  return v;
}

// YAML → Value. Plain (unquoted) scalars follow YAML's core schema (null, bools, numbers).
Value from_yaml(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return Value::null();
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() != "!") {
        if (s == "~" || s == "null" || s == "Null" || s == "NULL") return Value::null();
        if (s == "true" || s == "True" || s == "TRUE") return Value::boolean(true);
        if (s == "false" || s == "False" || s == "FALSE") return Value::boolean(false);
        if (auto num = parse_number(s)) return Value::number(*num);
      }
      return Value::string(s);
    }
    case YAML::NodeType::Sequence: {
      ValueList elems;
      for (const auto& e : n) elems.push_back(from_yaml(e));
      return Value::tuple(std::move(elems));
    }
    case YAML::NodeType::Map: {
      ValueMap attrs;
      for (const auto& kv : n)
        attrs.insert_or_assign(kv.first.as<std::string>(), from_yaml(kv.second));
      return Value::object(std::move(attrs));
    }
  }
  return Value::null();
}

Range yaml_range(const SourceFile& src, const YAML::Mark& m) {
  if (m.pos < 0) return Range{src.name(), {}, {}};
  return src.range(m.pos, m.pos + 1);
}

void read_yaml_file(const SourceFile& src, const Config& root,
                    std::map<std::string, InputValue>& out, Diagnostics& diags) {
  YAML::Node doc;
  try {
    doc = YAML::Load(src.text());
  } catch (const YAML::Exception& e) {
    diags.error(yaml_range(src, e.mark), "Invalid YAML variables file", e.msg);
    return;
  }
  if (doc.IsNull()) return;
  if (!doc.IsMap()) {
    diags.error(yaml_range(src, doc.Mark()), "Invalid YAML variables file",
                "A variables file holds a mapping of variable names to values.");
    return;
  }
  for (const auto& kv : doc) {
    std::string name;
    try {
      name = kv.first.as<std::string>();
    } catch (const YAML::Exception&) {
      diags.error(yaml_range(src, kv.first.Mark()), "Invalid variable name",
                  "Variable names in a variables file must be strings.");
      continue;
    }
    Range at = yaml_range(src, kv.first.Mark());
    if (!root.variable(name)) {
      std::string hint = did_you_mean(name, variable_names(root));
      diags.error(at, "Value for undeclared variable",
                  fmt::format("The variables file sets \"{}\", but no variable of that name is "
                              "declared in the root module{}",
                              name, hint.empty() ? "." : hint));
      continue;
    }
    Value v;
    try {
      v = from_yaml(kv.second);
    } catch (const YAML::Exception& e) {
      diags.error(at, "Invalid YAML variables file", e.msg);
      continue;
    }
    out.insert_or_assign(name, InputValue{std::move(v), VarSource::File, at});
  }
}

void read_orch_file(const SourceFile& src, const Config& root,
                    std::map<std::string, InputValue>& out, Diagnostics& diags) {
  File file = parse_file(src, diags);
  for (const auto& b : file.body.blocks) {
    diags.error(b.type_range.valid() ? b.type_range : b.range, "Unexpected block",
                "A variables file holds only assignments: name = value.");
  }
  for (const auto& a : file.body.attributes) {
    const Range& at = a.name_range.valid() ? a.name_range : a.range;
    if (!root.variable(a.name)) {
      std::string hint = did_you_mean(a.name, variable_names(root));
      diags.error(at, "Value for undeclared variable",
                  fmt::format("The variables file sets \"{}\", but no variable of that name is "
                              "declared in the root module{}",
                              a.name, hint.empty() ? "." : hint));
      continue;
    }
    if (!a.value) continue;
    const int before = diags.error_count();
    Value v = evaluate_constant(*a.value, diags);
    if (diags.error_count() > before) continue;
    out.insert_or_assign(a.name, InputValue{std::move(v), VarSource::File, a.value->range});
  }
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Runs the variable's validation rules against a known value.
void run_validations(const Variable& var, const Value& value, const Range& value_range,
                     Diagnostics& diags) {
  if (!value.is_wholly_known()) return;
  for (const auto& val : var.validations) {
    if (!val.condition) continue;
    BasicScope scope;
    scope.set("var", var.name, value);
    Diagnostics local;
    Value ok = evaluate(*val.condition, scope, local);
    if (local.has_errors()) {
      diags.append(local);
      continue;
    }
    if (ok.is_unknown()) continue;
    auto b = convert(ok, Type::boolean());
    if (!b || b->is_null()) {
      diags.error(val.condition->range, "Invalid validation condition",
                  "The condition must evaluate to true or false.");
      continue;
    }
    if (b->as_bool()) continue;
    std::string message = "The value is not valid.";
    if (val.error_message) {
      Value m = evaluate(*val.error_message, scope, local);
      if (!local.has_errors() && m.kind() == ValueKind::String && !m.is_sensitive()) {
        message = m.as_string();
      }
    }
    auto& d = diags.error(value_range.valid() ? value_range : var.name_range,
                          "Invalid value for variable",
                          fmt::format("{}\n\nThis was checked by the validation rule of variable "
                                      "\"{}\".",
                                      message, var.name));
    d.notes.push_back({"validation rule", val.condition->range});
  }
}

// Converts, applies nullability and defaults, validates. nullopt: no value and no default.
std::optional<Value> resolve_one(const Variable& var, const InputValue* input, Diagnostics& diags) {
  Value value;
  Range at;
  if (input) {
    at = input->range;
    std::string why;
    auto converted = convert(input->value, var.type, &why);
    if (!converted) {
      diags.error(at.valid() ? at : var.name_range, "Invalid value for input variable",
                  fmt::format("The value for variable \"{}\" given by {} is not compatible with "
                              "its type {}: {}.",
                              var.name, source_name(input->source), var.type.str(), why));
      return Value::unknown(var.type);
    }
    value = *converted;
    if (value.is_null() && !var.nullable) {
      if (var.default_value) {
        value = *var.default_value;
      } else {
        diags.error(at.valid() ? at : var.name_range, "Invalid value for input variable",
                    fmt::format("The variable \"{}\" is not nullable (nullable = false), so it "
                                "must not be null.",
                                var.name));
        return Value::unknown(var.type);
      }
    }
  } else if (var.default_value) {
    value = *var.default_value;
    at = var.default_expr ? var.default_expr->range : var.name_range;
  } else {
    return std::nullopt;
  }
  run_validations(var, value, at, diags);
  return var.sensitive ? value.mark_sensitive() : value;
}

}  // namespace

std::map<std::string, std::string> environment_variables() {
  std::map<std::string, std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return out;
}

std::map<std::string, InputValue> collect_inputs(const VarInputs& inputs, const Config& root,
                                                 SourceManager& sources, Diagnostics& diags) {
  std::map<std::string, InputValue> out;
  constexpr std::string_view kPrefix = "ORCH_VAR_";
  for (const auto& [key, text] : inputs.env) {
    if (key.rfind(kPrefix, 0) != 0) continue;
    const std::string name = key.substr(kPrefix.size());
    const Variable* var = root.variable(name);
    if (!var) continue;  // like Terraform: the environment may hold values for other configs
    if (auto v = raw_value("<environment " + key + ">", text, *var, sources, diags)) {
      out.insert_or_assign(name, InputValue{std::move(*v), VarSource::Environment, {}});
    }
  }
  for (const auto& path : inputs.var_files) {
    std::string error;
    const SourceFile* src = sources.load(path, &error);
    if (!src) {
      diags.error(Range{}, "Failed to read variables file",
                  fmt::format("Cannot read \"{}\": {}.", path, error));
      continue;
    }
    if (ends_with(path, ".yaml") || ends_with(path, ".yml")) {
      read_yaml_file(*src, root, out, diags);
    } else {
      read_orch_file(*src, root, out, diags);
    }
  }
  for (const auto& option : inputs.vars) {
    size_t eq = option.find('=');
    if (eq == std::string::npos || eq == 0) {
      diags.error(Range{}, "Invalid -var option",
                  fmt::format("The option -var \"{}\" is not of the form name=value.", option));
      continue;
    }
    const std::string name = option.substr(0, eq);
    const Variable* var = root.variable(name);
    if (!var) {
      std::string hint = did_you_mean(name, variable_names(root));
      diags.error(Range{}, "Value for undeclared variable",
                  fmt::format("A value was given for \"{}\" with -var, but no variable of that "
                              "name is declared in the root module{}",
                              name, hint.empty() ? "." : hint));
      continue;
    }
    if (auto v = raw_value("<value for var." + name + ">", option.substr(eq + 1), *var, sources,
                           diags)) {
      out.insert_or_assign(name, InputValue{std::move(*v), VarSource::CommandLine, {}});
    }
  }
  return out;
}

ValueMap resolve_variables(const Config& config, const std::map<std::string, InputValue>& inputs,
                           Diagnostics& diags, bool allow_missing) {
  ValueMap out;
  for (const auto& [name, var] : config.variables) {
    auto it = inputs.find(name);
    auto v = resolve_one(var, it == inputs.end() ? nullptr : &it->second, diags);
    if (!v) {
      if (!allow_missing) {
        diags.error(var.name_range, "No value for required variable",
                    fmt::format("The variable \"{}\" has no default, so a value is required: "
                                "use -var '{}=...', a -var-file, or the environment variable "
                                "ORCH_VAR_{}.",
                                name, name, name));
      }
      Value unknown = Value::unknown(var.type);
      v = var.sensitive ? unknown.mark_sensitive() : unknown;
    }
    out.emplace(name, *v);
  }
  return out;
}

ValueMap resolve_module_variables(const Config& child, const ValueMap& inputs,
                                  const Range& call_range, Diagnostics& diags) {
  ValueMap out;
  for (const auto& [name, var] : child.variables) {
    auto it = inputs.find(name);
    std::optional<Value> v;
    if (it != inputs.end()) {
      InputValue iv{it->second, VarSource::Unset, call_range};
      v = resolve_one(var, &iv, diags);
    } else {
      v = resolve_one(var, nullptr, diags);
    }
    if (!v) {
      diags.error(call_range, "Missing required argument",
                  fmt::format("The module requires a value for its variable \"{}\", which has "
                              "no default.",
                              name));
      v = Value::unknown(var.type);
    }
    out.emplace(name, *v);
  }
  return out;
}

}  // namespace orch
