// Checks of resource and data blocks: type and provider, meta-arguments (count, for_each,
// depends_on, lifecycle), rollout, ready_when, triggers, and bodies against provider schemas.
#include <fmt/format.h>

#include "compiler/check_internal.h"
#include "compiler/convert.h"
#include "compiler/suggest.h"

namespace orch::detail {

namespace {

const Range& name_range_of(const Attribute& a) {
  return a.name_range.valid() ? a.name_range : a.range;
}
const Range& type_range_of(const Block& b) {
  return b.type_range.valid() ? b.type_range : b.range;
}

std::string hint_or(std::string_view name, const std::vector<std::string>& candidates,
                    std::string otherwise) {
  std::string h = did_you_mean(name, candidates);
  return h.empty() ? otherwise : h;
}

std::string list_or_none(const std::vector<std::string>& names) {
  if (names.empty()) return "(none)";
  return fmt::format("{}", fmt::join(names, ", "));
}

bool is_sensitive(const Value& v) {
  return v.is_sensitive() || v.contains_sensitive();
}

// The schema of a resource or data block, or an error explaining what is known.
const Schema* schema_for(const Resource& r, const SchemaRegistry& schemas, Diagnostics& diags) {
  const Schema* s = r.is_data() ? schemas.data_source(r.type) : schemas.resource(r.type);
  if (s) return s;
  const std::string provider = SchemaRegistry::provider_of(r.type);
  const std::vector<std::string> known =
      r.is_data() ? schemas.data_source_types() : schemas.resource_types();
  const char* kind = r.is_data() ? "data source" : "resource type";
  std::string hint = did_you_mean(r.type, known);
  if (!schemas.provider(provider)) {
    diags.error(
        r.type_range, r.is_data() ? "Invalid data source" : "Invalid resource type",
        fmt::format("There is no provider \"{}\" for the {} \"{}\"{} The known {}s are: "
                    "{}.",
                    provider, kind, r.type, hint.empty() ? "." : hint, kind, list_or_none(known)));
  } else {
    // The provider exists: what it offers is the useful list (not every compiled-in type).
    std::vector<std::string> own;
    const ProviderSchema* ps = schemas.provider(provider);
    if (r.is_data())
      for (const auto& [name, body] : ps->data_sources) own.push_back(name);
    else
      for (const auto& [name, body] : ps->resources) own.push_back(name);
    diags.error(
        r.type_range, r.is_data() ? "Invalid data source" : "Invalid resource type",
        fmt::format("The provider \"{}\" does not support the {} \"{}\"{} The known {}s "
                    "are: {}.",
                    provider, kind, r.type, hint.empty() ? "." : hint, kind, list_or_none(own)));
  }
  return nullptr;
}

}  // namespace

void check_count(const Expr& count, const EvalScope& scope, Diagnostics& diags) {
  const int before = diags.error_count();
  Value n = evaluate(count, scope, diags);
  if (diags.error_count() > before || n.is_unknown()) return;
  if (is_sensitive(n)) {
    diags.error(count.range, "Invalid count argument",
                "Sensitive values, or values derived from them, cannot be used as count: the "
                "number of instances is shown in plans.");
    return;
  }
  auto c = convert(n, Type::number());
  if (!c || c->is_null()) {
    diags.error(count.range, "Invalid count argument",
                fmt::format("The \"count\" argument must be a whole number of at least 0, not "
                            "{}.",
                            n.is_null() ? "null" : n.type().str()));
    return;
  }
  const Number& num = c->as_number();
  if (!num.is_int || num.i < 0) {
    diags.error(count.range, "Invalid count argument",
                fmt::format("The \"count\" argument must be a whole number of at least 0; this "
                            "is {}.",
                            format_number(num)));
  }
}

void check_for_each(const Expr& expr, const EvalScope& scope, Diagnostics& diags) {
  const int before = diags.error_count();
  Value v = evaluate(expr, scope, diags);
  if (diags.error_count() > before || v.is_unknown()) return;
  const char* summary = "Invalid for_each argument";
  if (v.is_null()) {
    diags.error(expr.range, summary,
                "The \"for_each\" value is null; a map, or a set of strings, is required.");
    return;
  }
  if (is_sensitive(v)) {
    diags.error(expr.range, summary,
                "Sensitive values, or values derived from them, cannot be used as for_each: "
                "the keys become instance addresses shown in plans.");
    return;
  }
  switch (v.kind()) {
    case ValueKind::Map:
    case ValueKind::Object:
      return;
    case ValueKind::List:
    case ValueKind::Tuple: {
      bool strings = true;
      for (const auto& e : v.elements()) strings = strings && e.kind() == ValueKind::String;
      diags.error(expr.range, summary,
                  strings ? "The \"for_each\" value is a list of strings, but for_each needs a "
                            "map or a set of strings (a list may hold duplicates and its order "
                            "would become part of the addresses). Convert it with toset(): "
                            "for_each = toset(...)."
                          : "The \"for_each\" value is a list; for_each needs a map, or a set of "
                            "strings.");
      return;
    }
    case ValueKind::Set:
      for (const auto& e : v.elements()) {
        if (e.is_unknown()) continue;
        if (e.kind() != ValueKind::String) {
          diags.error(expr.range, summary,
                      fmt::format("The \"for_each\" set must contain strings only; it contains "
                                  "{}.",
                                  e.is_null() ? "null" : e.type().str()));
          return;
        }
      }
      return;
    default:
      diags.error(expr.range, summary,
                  fmt::format("The \"for_each\" value is a {}; a map, or a set of strings, is "
                              "required.",
                              v.type().str()));
  }
}

namespace {

void check_ignore_changes(const Resource& r, const Schema* schema, Diagnostics& diags) {
  if (!schema || !r.body) return;
  const Block* lc = r.body->block("lifecycle");
  if (!lc) return;
  const Attribute* ic = lc->body.attribute("ignore_changes");
  if (!ic || !ic->value || ic->value->kind != ExprKind::Tuple) return;
  std::vector<std::string> names = schema->names();
  for (const auto& item : ic->value->children) {
    if (!item) continue;
    std::string name;
    if (item->kind == ExprKind::Variable)
      name = item->name;
    else if (item->kind == ExprKind::Literal && item->literal.kind() == ValueKind::String)
      name = item->literal.as_string();
    else
      continue;
    if (!schema->attribute(name) && !schema->block(name)) {
      diags.error(item->range, "Unsupported attribute in ignore_changes",
                  fmt::format("The resource type \"{}\" has no attribute named \"{}\"{}", r.type,
                              name, hint_or(name, names, ".")));
    }
  }
}

void check_rollout(const Resource& r, const EvalScope& scope, Diagnostics& diags) {
  if (!r.is_expanded()) {
    diags.error(r.rollout->range, "Rollout on a single instance",
                fmt::format("A rollout block only applies to resources with count or for_each "
                            "(their instances go canary first, then in batches); \"{}\" has "
                            "neither.",
                            r.address()));
  }
  evaluate_rollout(*r.rollout, scope, diags);
}

void check_ready_when(const Resource& r, const Schema* schema, const SchemaRegistry& schemas,
                      const ContextFlags& flags, const ModuleScope& module, Diagnostics& diags) {
  const ReadyWhen& g = *r.ready_when;
  std::vector<std::string> kinds = core_gate_kinds();
  for (const auto& k : schemas.gate_kinds()) kinds.push_back(k);
  std::sort(kinds.begin(), kinds.end());
  kinds.erase(std::unique(kinds.begin(), kinds.end()), kinds.end());
  auto is_kind = [&](const std::string& k) {
    return std::binary_search(kinds.begin(), kinds.end(), k);
  };
  std::optional<Type> value_type;
  if (!g.kind.empty()) {
    const auto& core = core_gate_kinds();
    if (std::find(core.begin(), core.end(), g.kind) != core.end()) {
      value_type = Type::string();
    } else if (const GateSchema* gs = schemas.gate(g.kind)) {
      value_type = gs->type;
    } else {
      diags.error(g.kind_range, "Unknown readiness condition",
                  fmt::format("\"{}\" is not a readiness condition{} The conditions are: {} "
                              "(with timeout, interval, expect_status and simulate_after).",
                              g.kind, hint_or(g.kind, kinds, "."), list_or_none(kinds)));
    }
  }
  std::vector<std::string> arg_names = {"expect_status", "interval", "simulate_after", "timeout"};
  for (const auto& [name, attr] : g.args) {
    if (name == "expect_status") {
      if (!g.kind.empty() && g.kind != "http") {
        diags.error(
            name_range_of(*attr), "Invalid ready_when argument",
            fmt::format("expect_status applies to http conditions only, not to \"{}\".", g.kind));
      }
      continue;
    }
    if (name == "simulate_after") continue;
    if (is_kind(name)) {
      auto& d = diags.error(name_range_of(*attr), "Multiple readiness conditions",
                            fmt::format("A ready_when block takes exactly one condition; \"{}\" "
                                        "is a second one. Use a separate resource to wait for "
                                        "more than one thing.",
                                        name));
      d.notes.push_back({"the first condition", g.kind_range});
    } else {
      std::vector<std::string> all = arg_names;
      all.insert(all.end(), kinds.begin(), kinds.end());
      diags.error(name_range_of(*attr), "Unsupported argument",
                  fmt::format("An argument named \"{}\" is not expected in a ready_when "
                              "block{}",
                              name, hint_or(name, all, ".")));
    }
  }
  ContextFlags with_self = flags;
  with_self.self = schema ? unknown_instance(*schema) : Value::unknown();
  ContextScope scope(module, with_self);
  const int before = diags.error_count();
  ReadyWhenSpec spec = evaluate_ready_when(g, scope, diags);
  if (value_type && g.value && diags.error_count() == before && !spec.value.is_unknown()) {
    std::string why;
    if (spec.value.is_null() || !convert(spec.value, *value_type, &why)) {
      diags.error(g.value->range, "Incorrect value type",
                  fmt::format("The \"{}\" condition needs {}{}{}.", g.kind, value_type->str(),
                              why.empty() ? "" : ": ", why));
    }
  }
}

void check_triggers(const Expr& e, const EvalScope& scope, Diagnostics& diags) {
  const int before = diags.error_count();
  Value v = evaluate(e, scope, diags);
  if (diags.error_count() > before || v.is_unknown()) return;
  if (v.is_null() || !v.is_mapping()) {
    diags.error(e.range, "Invalid triggers",
                "triggers must be a map of values whose change re-runs the step, such as "
                "triggers = { version = var.version }.");
  }
}

// `lock = etcd_lock.NAME` (one lock resource instance) or `lock = "name"` (a name).
void check_lock(const Expr& e, const EvalScope& scope, Diagnostics& diags) {
  const int before = diags.error_count();
  Value v = evaluate(e, scope, diags);
  if (diags.error_count() > before) return;
  const TypeKind kind = v.type().kind;
  if (kind == TypeKind::String || (v.is_unknown() && kind == TypeKind::Any)) return;
  std::vector<Reference> refs;
  for (const Reference& r : references(e))  // count.index / each.key in an index are fine
    if (r.kind != RefKind::Count && r.kind != RefKind::Each) refs.push_back(r);
  const bool one_resource = refs.size() == 1 && refs[0].kind == RefKind::Resource &&
                            refs[0].attribute.empty() && !refs[0].splat;
  if (one_resource && kind == TypeKind::Object) return;
  std::string what = kind == TypeKind::List || kind == TypeKind::Tuple || kind == TypeKind::Map
                         ? " a collection of instances: name one, e.g. " +
                               (refs.empty() ? std::string("etcd_lock.x") : refs[0].address()) +
                               "[0]"
                         : " of type " + v.type().str();
  diags.error(e.range, "Invalid lock",
              "`lock` takes one lock resource (lock = etcd_lock.maintenance) or a lock name "
              "string; this is" +
                  what + ".");
}

}  // namespace

void check_body(const std::vector<const Attribute*>& attributes,
                const std::vector<const Block*>& blocks, const Schema* schema, const Range& header,
                std::string_view what, const EvalScope& scope, Diagnostics& diags) {
  const std::vector<std::string> names = schema ? schema->names() : std::vector<std::string>{};
  std::set<std::string> set_names;
  for (const Attribute* a : attributes) {
    if (!a) continue;
    set_names.insert(a->name);
    if (!a->value) continue;
    const AttributeSchema* as = schema ? schema->attribute(a->name) : nullptr;
    if (schema && !as) {
      if (schema->block(a->name)) {
        diags.error(name_range_of(*a), "Unsupported argument",
                    fmt::format("\"{}\" is a block in {}, not an argument: write {} {{ ... }} "
                                "without the equals sign.",
                                a->name, what, a->name));
      } else {
        diags.error(name_range_of(*a), "Unsupported argument",
                    fmt::format("An argument named \"{}\" is not expected in {}{}", a->name, what,
                                hint_or(a->name, names, ".")));
      }
      evaluate(*a->value, scope, diags);  // still report its own errors
      continue;
    }
    if (as && as->computed && !as->optional && !as->required) {
      diags.error(name_range_of(*a), "Invalid argument",
                  fmt::format("\"{}\" is computed by the provider and cannot be set in "
                              "configuration; remove it.",
                              a->name));
      continue;
    }
    const int before = diags.error_count();
    Value v = evaluate(*a->value, scope, diags);
    if (!as || diags.error_count() > before) continue;
    std::string why;
    if (!convert(v, as->type, &why)) {
      diags.error(a->value->range, "Incorrect attribute value type",
                  fmt::format("Inappropriate value for attribute \"{}\": {} required{}{}.", a->name,
                              as->type.str(), why.empty() ? "" : ": ", why));
    }
  }
  std::map<std::string, int> block_counts;
  std::map<std::string, const Block*> first_block;
  for (const Block* b : blocks) {
    if (!b) continue;
    const BlockSchema* bs = schema ? schema->block(b->type) : nullptr;
    if (schema && !bs) {
      if (schema->attribute(b->type)) {
        diags.error(type_range_of(*b), "Unsupported block type",
                    fmt::format("\"{}\" is an argument in {}, not a block: write {} = ...", b->type,
                                what, b->type));
      } else {
        diags.error(type_range_of(*b), "Unsupported block type",
                    fmt::format("Blocks of type \"{}\" are not expected in {}{}", b->type, what,
                                hint_or(b->type, names, ".")));
      }
      continue;
    }
    if (!b->labels.empty()) {
      diags.error(b->label_ranges.empty() ? b->range : b->label_ranges[0], "Extraneous label",
                  fmt::format("A {} block takes no labels.", b->type));
    }
    ++block_counts[b->type];
    first_block.emplace(b->type, b);
    std::vector<const Attribute*> attrs;
    for (const auto& a : b->body.attributes) attrs.push_back(&a);
    std::vector<const Block*> nested;
    for (const auto& nb : b->body.blocks) nested.push_back(&nb);
    check_body(attrs, nested, bs ? &bs->body : nullptr, type_range_of(*b),
               fmt::format("a {} block", b->type), scope, diags);
  }
  if (!schema) return;
  for (const auto& as : schema->attributes) {
    if (as.required && !set_names.count(as.name)) {
      diags.error(header, "Missing required argument",
                  fmt::format("The argument \"{}\" is required in {}, but no definition was "
                              "found.",
                              as.name, what));
    }
  }
  for (const auto& bs : schema->blocks) {
    int n = block_counts[bs.type_name];
    int max = bs.nesting == BlockNesting::Single ? 1 : bs.max_items;
    if (n < bs.min_items) {
      diags.error(header, "Missing required block",
                  fmt::format("{} requires at least {} \"{}\" block{}, but {} found.", what,
                              bs.min_items, bs.type_name, bs.min_items == 1 ? "" : "s",
                              n == 0 ? "none was" : fmt::format("{} were", n)));
    }
    if (max > 0 && n > max) {
      diags.error(type_range_of(*first_block[bs.type_name]), "Too many blocks",
                  fmt::format("{} allows at most {} \"{}\" block{}, but {} were found.", what, max,
                              bs.type_name, max == 1 ? "" : "s", n));
    }
  }
}

void check_depends_on(const Config& config, const std::vector<DependsOn>& deps,
                      Diagnostics& diags) {
  for (const auto& d : deps) {
    if (d.address.rfind("module.", 0) == 0) {
      std::string name = d.address.substr(7);
      if (!config.module(name)) {
        std::vector<std::string> names;
        for (const auto& [n, _] : config.modules) names.push_back(n);
        diags.error(d.range, "Reference to undeclared module",
                    fmt::format("No module call named \"{}\" is declared in this module{}", name,
                                hint_or(name, names, ".")));
      }
      continue;
    }
    if (!config.resource(d.address)) {
      std::vector<std::string> addresses;
      for (const auto& [a, _] : config.resources) addresses.push_back(a);
      diags.error(d.range, "Reference to undeclared resource",
                  fmt::format("depends_on refers to \"{}\", which is not declared in this "
                              "module{}",
                              d.address, hint_or(d.address, addresses, ".")));
    }
  }
}

void check_resources(const Config& config, const SchemaRegistry& schemas, const ModuleScope& module,
                     Diagnostics& diags) {
  for (const auto& [address, r] : config.resources) {
    const Schema* schema = schema_for(r, schemas, diags);
    const std::string provider = SchemaRegistry::provider_of(r.type);
    if (r.provider_key != provider) {
      const std::string name = r.provider_key.substr(0, r.provider_key.find('.'));
      if (name != provider) {
        diags.error(r.provider_range, "Invalid provider reference",
                    fmt::format("The resource type \"{}\" belongs to provider \"{}\", so it "
                                "cannot use a configuration of provider \"{}\".",
                                r.type, provider, name));
      } else if (!config.provider(r.provider_key)) {
        std::vector<std::string> keys;
        for (const auto& [k, _] : config.providers) keys.push_back(k);
        diags.error(r.provider_range, "Reference to undeclared provider configuration",
                    fmt::format("There is no provider block with alias \"{}\" for \"{}\"{}",
                                r.provider_key.substr(name.size() + 1), name,
                                hint_or(r.provider_key, keys, ".")));
      }
    }
    ContextScope outer(module, {});
    if (r.count) check_count(*r.count, outer, diags);
    if (r.for_each) check_for_each(*r.for_each, outer, diags);
    check_depends_on(config, r.depends_on, diags);
    check_ignore_changes(r, schema, diags);
    ContextFlags flags;
    flags.count = r.count != nullptr;
    flags.each = r.for_each != nullptr;
    ContextScope inner(module, flags);
    if (r.rollout) check_rollout(r, outer, diags);
    if (r.ready_when) check_ready_when(r, schema, schemas, flags, module, diags);
    if (r.triggers) check_triggers(*r.triggers, inner, diags);
    if (r.lock) check_lock(*r.lock, inner, diags);
    check_body(r.attributes, r.blocks, schema, r.type_range,
               fmt::format("{} \"{}\"", r.is_data() ? "data source" : "resource type", r.type),
               inner, diags);
  }
}

}  // namespace orch::detail
