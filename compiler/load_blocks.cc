// Building Config objects from variable, output, provider and module blocks, and the helpers
// every block builder shares.
#include "compiler/load_blocks.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "compiler/convert.h"
#include "compiler/eval.h"
#include "compiler/suggest.h"

namespace orch::detail {

namespace {

std::string hint_or_period(std::string_view name, const std::vector<std::string>& allowed) {
  std::string h = did_you_mean(name, allowed);
  return h.empty() ? "." : h;
}

}  // namespace

std::optional<std::string> constant_string(const Attribute& a, Diagnostics& diags) {
  if (!a.value) return std::nullopt;
  const int before = diags.error_count();
  Value v = evaluate_constant(*a.value, diags);
  if (diags.error_count() > before) return std::nullopt;
  if (v.kind() != ValueKind::String) {
    diags.error(a.value->range, "Incorrect value type",
                fmt::format("The \"{}\" argument must be a string.", a.name));
    return std::nullopt;
  }
  return v.as_string();
}

std::optional<bool> constant_bool(const Attribute& a, Diagnostics& diags) {
  if (!a.value) return std::nullopt;
  const int before = diags.error_count();
  Value v = evaluate_constant(*a.value, diags);
  if (diags.error_count() > before) return std::nullopt;
  auto b = convert(v, Type::boolean());
  if (!b || b->is_null() || b->is_unknown()) {
    diags.error(a.value->range, "Incorrect value type",
                fmt::format("The \"{}\" argument must be true or false.", a.name));
    return std::nullopt;
  }
  return b->as_bool();
}

void unsupported_attribute(const Attribute& a, std::string_view where,
                           const std::vector<std::string>& allowed, Diagnostics& diags) {
  diags.error(a.name_range.valid() ? a.name_range : a.range, "Unsupported argument",
              fmt::format("An argument named \"{}\" is not expected in {}{}", a.name, where,
                          hint_or_period(a.name, allowed)));
}

void unsupported_block(const Block& b, std::string_view where,
                       const std::vector<std::string>& allowed, Diagnostics& diags) {
  diags.error(b.type_range.valid() ? b.type_range : b.range, "Unsupported block type",
              fmt::format("Blocks of type \"{}\" are not expected in {}{}", b.type, where,
                          hint_or_period(b.type, allowed)));
}

void check_duplicate_attributes(const Body& body, Diagnostics& diags) {
  std::map<std::string_view, const Attribute*> seen;
  for (const auto& a : body.attributes) {
    auto [it, inserted] = seen.emplace(a.name, &a);
    if (!inserted) {
      auto& d = diags.error(a.name_range.valid() ? a.name_range : a.range, "Duplicate argument",
                            fmt::format("The argument \"{}\" was already set. Each argument may "
                                        "be set only once.",
                                        a.name));
      d.notes.push_back({"first set here", it->second->name_range.valid() ? it->second->name_range
                                                                          : it->second->range});
    }
  }
  for (const auto& b : body.blocks) check_duplicate_attributes(b.body, diags);
}

// --- depends_on --------------------------------------------------------------------------------

namespace {

std::optional<DependsOn> depends_on_entry(const Expr& e, bool any_of, Diagnostics& diags) {
  const Expr* x = &e;
  while (x->kind == ExprKind::Parens && !x->children.empty() && x->children[0]) {
    x = x->children[0].get();
  }
  if (x->kind == ExprKind::Call && x->name == "any") {
    if (any_of) {
      diags.error(x->range, "Invalid depends_on entry", "any(...) cannot be nested.");
      return std::nullopt;
    }
    if (x->children.size() != 1 || !x->children[0]) {
      diags.error(x->range, "Invalid depends_on entry",
                  "any(...) takes exactly one resource, data source or module: "
                  "any(sim_machine.node).");
      return std::nullopt;
    }
    return depends_on_entry(*x->children[0], true, diags);
  }
  const bool traversal =
      x->kind == ExprKind::Variable || x->kind == ExprKind::GetAttr || x->kind == ExprKind::Index;
  std::vector<Reference> refs = traversal ? references(*x) : std::vector<Reference>{};
  if (refs.empty() || refs.front().expr != x) {
    diags.error(x->range, "Invalid depends_on entry",
                "depends_on takes references to resources, data sources and modules, such as "
                "sim_machine.node, data.sim_image.base, module.db or any(sim_machine.node).");
    return std::nullopt;
  }
  const Reference& r = refs.front();
  if (r.kind != RefKind::Resource && r.kind != RefKind::DataSource && r.kind != RefKind::Module) {
    diags.error(x->range, "Invalid depends_on entry",
                fmt::format("\"{}\" is not a resource, data source or module; depends_on only "
                            "orders against those (references in expressions already create "
                            "the dependencies on variables and locals).",
                            r.address()));
    return std::nullopt;
  }
  if (!r.attribute.empty() && r.kind != RefKind::Module) {
    diags.error(x->range, "Invalid depends_on entry",
                fmt::format("depends_on refers to whole objects, not to attributes: use "
                            "\"{}\" instead.",
                            r.address()));
    return std::nullopt;
  }
  if (r.kind == RefKind::Module && !r.attribute.empty()) {
    diags.error(x->range, "Invalid depends_on entry",
                fmt::format("depends_on refers to whole modules, not to their outputs: use "
                            "\"{}\" instead.",
                            r.address()));
    return std::nullopt;
  }
  DependsOn d;
  d.address = r.address();
  d.any_of = any_of;
  d.expr = &e;
  d.range = e.range;
  return d;
}

}  // namespace

std::vector<DependsOn> parse_depends_on(const Attribute& a, Diagnostics& diags) {
  std::vector<DependsOn> out;
  if (!a.value) return out;
  if (a.value->kind != ExprKind::Tuple) {
    diags.error(a.value->range, "Invalid depends_on",
                "depends_on must be a list of references: depends_on = [sim_machine.node].");
    return out;
  }
  for (const auto& c : a.value->children) {
    if (!c) continue;
    if (auto d = depends_on_entry(*c, false, diags)) out.push_back(std::move(*d));
  }
  return out;
}

// --- variable --------------------------------------------------------------------------------

std::optional<Variable> build_variable(const Block& b, Diagnostics& diags) {
  static const std::vector<std::string> allowed = {"default", "description", "nullable",
                                                   "sensitive", "type"};
  Variable v;
  v.name = b.labels[0];
  v.name_range = b.label_ranges.empty() ? b.range : b.label_ranges[0];
  v.range = b.range;
  for (const auto& a : b.body.attributes) {
    if (a.name == "type" && a.value) {
      v.type_expr = a.value.get();
      v.type = parse_type_expr(*a.value, diags);
    } else if (a.name == "default") {
      v.default_expr = a.value.get();
    } else if (a.name == "description") {
      if (auto s = constant_string(a, diags)) v.description = *s;
    } else if (a.name == "sensitive") {
      if (auto s = constant_bool(a, diags)) v.sensitive = *s;
    } else if (a.name == "nullable") {
      if (auto s = constant_bool(a, diags)) v.nullable = *s;
    } else {
      unsupported_attribute(a, "a variable block", allowed, diags);
    }
  }
  for (const auto& blk : b.body.blocks) {
    if (blk.type != "validation") {
      unsupported_block(blk, "a variable block", {"validation"}, diags);
      continue;
    }
    VariableValidation val;
    val.range = blk.range;
    for (const auto& a : blk.body.attributes) {
      if (a.name == "condition") {
        val.condition = a.value.get();
      } else if (a.name == "error_message") {
        val.error_message = a.value.get();
      } else {
        unsupported_attribute(a, "a validation block", {"condition", "error_message"}, diags);
      }
    }
    for (const auto& nested : blk.body.blocks) {
      unsupported_block(nested, "a validation block", {}, diags);
    }
    bool ok = true;
    for (auto [ptr, name] :
         {std::pair{val.condition, "condition"}, std::pair{val.error_message, "error_message"}}) {
      if (!ptr) {
        diags.error(blk.type_range.valid() ? blk.type_range : blk.range,
                    "Missing required argument",
                    fmt::format("The argument \"{}\" is required in a validation block.", name));
        ok = false;
      }
    }
    if (ok) v.validations.push_back(val);
  }
  if (v.default_expr) {
    const int before = diags.error_count();
    Value d = evaluate_constant(*v.default_expr, diags);
    if (diags.error_count() == before) {
      std::string why;
      auto converted = convert(d, v.type, &why);
      if (!converted) {
        diags.error(v.default_expr->range, "Invalid default value for variable",
                    fmt::format("This default value is not compatible with the variable's type "
                                "constraint {}: {}.",
                                v.type.str(), why));
        v.default_value = Value::unknown(v.type);
      } else if (converted->is_null() && !v.nullable) {
        diags.error(v.default_expr->range, "Invalid default value for variable",
                    "The variable is not nullable (nullable = false), so its default value "
                    "must not be null.");
        v.default_value = Value::unknown(v.type);
      } else {
        v.default_value = *converted;
      }
    } else {
      v.default_value = Value::unknown(v.type);  // keeps the variable optional: no cascade
    }
  }
  return v;
}

// --- output ----------------------------------------------------------------------------------

std::optional<Output> build_output(const Block& b, Diagnostics& diags) {
  static const std::vector<std::string> allowed = {"depends_on", "description", "sensitive",
                                                   "value"};
  Output o;
  o.name = b.labels[0];
  o.name_range = b.label_ranges.empty() ? b.range : b.label_ranges[0];
  o.range = b.range;
  for (const auto& a : b.body.attributes) {
    if (a.name == "value") {
      o.value = a.value.get();
    } else if (a.name == "description") {
      if (auto s = constant_string(a, diags)) o.description = *s;
    } else if (a.name == "sensitive") {
      if (auto s = constant_bool(a, diags)) o.sensitive = *s;
    } else if (a.name == "depends_on") {
      o.depends_on = parse_depends_on(a, diags);
    } else {
      unsupported_attribute(a, "an output block", allowed, diags);
    }
  }
  for (const auto& blk : b.body.blocks) unsupported_block(blk, "an output block", {}, diags);
  if (!o.value) {
    diags.error(b.type_range.valid() ? b.type_range : b.range, "Missing required argument",
                fmt::format("The output \"{}\" needs a value: value = ...", o.name));
  }
  return o;
}

// --- provider --------------------------------------------------------------------------------

std::optional<ProviderConfig> build_provider(const Block& b, Diagnostics& diags) {
  ProviderConfig p;
  p.name = b.labels[0];
  p.body = &b.body;
  p.range = b.range;
  for (const auto& a : b.body.attributes) {
    if (a.name == "alias") {
      if (auto s = constant_string(a, diags)) p.alias = *s;
    } else {
      p.attributes.push_back(&a);
    }
  }
  return p;
}

// --- module ----------------------------------------------------------------------------------

std::optional<ModuleCall> build_module_call(const Block& b, const std::string& dir,
                                            Diagnostics& diags) {
  ModuleCall m;
  m.name = b.labels[0];
  m.name_range = b.label_ranges.empty() ? b.range : b.label_ranges[0];
  m.range = b.range;
  const Attribute* source = nullptr;
  for (const auto& a : b.body.attributes) {
    if (a.name == "source") {
      source = &a;
    } else if (a.name == "count") {
      m.count = a.value.get();
    } else if (a.name == "for_each") {
      m.for_each = a.value.get();
    } else if (a.name == "depends_on") {
      m.depends_on = parse_depends_on(a, diags);
    } else if (a.name == "providers" || a.name == "version") {
      diags.error(a.name_range.valid() ? a.name_range : a.range, "Unsupported argument",
                  fmt::format("\"{}\" is not supported in module blocks: modules are local "
                              "directories and use the providers of the calling module.",
                              a.name));
    } else {
      m.inputs.emplace(a.name, &a);
    }
  }
  for (const auto& blk : b.body.blocks) unsupported_block(blk, "a module block", {}, diags);
  if (m.count && m.for_each) {
    diags.error(m.for_each->range, "Invalid combination of \"count\" and \"for_each\"",
                "The \"count\" and \"for_each\" meta-arguments are mutually exclusive: only one "
                "may be used.");
  }
  if (!source) {
    diags.error(
        b.type_range.valid() ? b.type_range : b.range, "Missing required argument",
        fmt::format("The module \"{}\" needs a source: source = \"./modules/NAME\".", m.name));
    return m;
  }
  m.source_range = source->value ? source->value->range : source->range;
  auto s = constant_string(*source, diags);
  if (!s) return m;
  m.source = *s;
  if (!(m.source.rfind("./", 0) == 0 || m.source.rfind("../", 0) == 0)) {
    diags.error(m.source_range, "Invalid module source",
                fmt::format("The module source \"{}\" is not a local path. Module sources are "
                            "directories relative to this module, starting with \"./\" or "
                            "\"../\".",
                            m.source));
    return m;
  }
  m.source_dir = (std::filesystem::path(dir) / m.source).lexically_normal().string();
  if (m.source_dir.size() > 1 && m.source_dir.back() == '/') m.source_dir.pop_back();
  return m;
}

}  // namespace orch::detail
