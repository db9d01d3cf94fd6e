// count / for_each expansion.
#include "planner/expand.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace orch {

std::vector<ModuleStep> module_steps(const std::string& module_path) {
  std::vector<ModuleStep> steps;
  if (module_path.empty()) return steps;
  auto parsed = parse_address(module_path, true);
  if (parsed.ok()) return parsed.address->module;
  return steps;
}

ResourceAddress block_address(const Resource& resource, const std::string& module_path) {
  ResourceAddress a;
  a.module = module_steps(module_path);
  a.mode = resource.is_data() ? ResourceMode::Data : ResourceMode::Managed;
  a.type = resource.type;
  a.name = resource.name;
  return a;
}

Expansion expand_resource(const Resource& resource, const std::string& module_path,
                          const EvalScope& scope, Diagnostics& diags, bool defer_unknown) {
  Expansion ex;
  ResourceAddress base = block_address(resource, module_path);
  auto add = [&](InstanceKey key) -> ExpandedInstance& {
    ExpandedInstance i;
    i.addr = base.with_key(std::move(key));
    i.address = i.addr.str();
    ex.instances.push_back(std::move(i));
    return ex.instances.back();
  };

  if (resource.count) {
    ex.counted = true;
    Value v = evaluate(*resource.count, scope, diags);
    if (!v.is_wholly_known() && defer_unknown) {
      ex.unknown = true;
      return ex;
    }
    if (!v.is_wholly_known()) {
      diags.error(resource.count->range, "Invalid count argument",
                  "The \"count\" value depends on resource attributes that cannot be determined "
                  "until apply, so orch cannot predict how many instances will be created. Use "
                  "values known at plan time (variables, locals, literals).");
      ex.unknown = true;
      return ex;
    }
    Value n = v.unmarked();
    if (n.kind() != ValueKind::Number) {
      diags.error(resource.count->range, "Invalid count argument",
                  "The \"count\" value must be a whole number, not " + n.type().str() + ".");
      return ex;
    }
    double d = n.as_number().as_double();
    if (d < 0 || std::floor(d) != d || d > 1e7) {
      diags.error(resource.count->range, "Invalid count argument",
                  "The \"count\" value must be a whole number between 0 and 10000000, not " +
                      format_number(n.as_number()) + ".");
      return ex;
    }
    int64_t count = static_cast<int64_t>(d);
    ex.instances.reserve(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) add(InstanceKey::of(i)).count_index = Value::number(i);
    return ex;
  }

  if (resource.for_each) {
    ex.keyed = true;
    Value v = evaluate(*resource.for_each, scope, diags);
    if (!v.is_wholly_known() && defer_unknown && !v.is_sensitive()) {
      ex.unknown = true;
      return ex;
    }
    if (!v.is_wholly_known()) {
      diags.error(resource.for_each->range, "Invalid for_each argument",
                  "The \"for_each\" value depends on resource attributes that cannot be "
                  "determined until apply, so orch cannot predict how many instances will be "
                  "created. Use values known at plan time, or -target the resources it depends "
                  "on first.");
      ex.unknown = true;
      return ex;
    }
    if (v.is_sensitive()) {
      diags.error(resource.for_each->range, "Invalid for_each argument",
                  "Sensitive values cannot be used as for_each arguments: the keys would appear "
                  "in instance addresses.");
      return ex;
    }
    if (v.is_mapping()) {
      for (const auto& [k, e] : v.attributes()) {
        auto& i = add(InstanceKey::of(k));
        i.each_key = Value::string(k);
        i.each_value = e;
      }
      return ex;
    }
    if (v.kind() == ValueKind::Set) {
      for (const auto& e : v.elements()) {
        Value s = e.unmarked();
        if (s.kind() != ValueKind::String) {
          diags.error(resource.for_each->range, "Invalid for_each argument",
                      "A set used in for_each must contain strings only; convert it with "
                      "toset([for x in ... : tostring(x)]).");
          return {};
        }
        auto& i = add(InstanceKey::of(s.as_string()));
        i.each_key = s;
        i.each_value = s;
      }
      return ex;
    }
    diags.error(resource.for_each->range, "Invalid for_each argument",
                "The \"for_each\" value must be a map or a set of strings, not " + v.type().str() +
                    ". Use toset() to turn a list of strings into a set.");
    return ex;
  }

  add(InstanceKey::none());
  return ex;
}

namespace {

// The number of elements of `v` when it is a collection whose length is known (its elements
// may still be unknown).
std::optional<int64_t> known_length(const Value& v) {
  if (v.is_unknown() || v.is_null()) return std::nullopt;
  // Unknown elements of a set may turn out equal or not: its length is not a bound.
  if (v.kind() == ValueKind::Set && !v.is_wholly_known()) return std::nullopt;
  if (v.is_sequence() || v.is_mapping()) return static_cast<int64_t>(v.length());
  return std::nullopt;
}

std::optional<int64_t> bound_of(const Expr& e, const EvalScope& scope, int depth) {
  if (depth > 32) return std::nullopt;
  Diagnostics scratch;
  Value v = evaluate(e, scope, scratch).unmarked();
  if (scratch.has_errors()) return std::nullopt;
  if (v.kind() == ValueKind::Number && v.is_wholly_known()) {  // a count
    double d = v.as_number().as_double();
    return d >= 0 ? std::optional<int64_t>(static_cast<int64_t>(d)) : std::nullopt;
  }
  if (auto n = known_length(v)) return n;
  auto arg = [&](size_t i) -> std::optional<int64_t> {
    if (i >= e.children.size() || !e.children[i]) return std::nullopt;
    return bound_of(*e.children[i], scope, depth + 1);
  };
  auto sum = [&](size_t from) -> std::optional<int64_t> {
    int64_t total = 0;
    for (size_t i = from; i < e.children.size(); ++i) {
      auto b = arg(i);
      if (!b) return std::nullopt;
      total += *b;
    }
    return total;
  };
  switch (e.kind) {
    case ExprKind::Parens:
      return arg(0);
    case ExprKind::Tuple:
      return static_cast<int64_t>(e.children.size());
    case ExprKind::Object:
      return static_cast<int64_t>(e.items.size());
    case ExprKind::For:
      return e.for_clause && e.for_clause->collection
                 ? bound_of(*e.for_clause->collection, scope, depth + 1)
                 : std::nullopt;
    case ExprKind::Splat:
      return arg(0);
    case ExprKind::Conditional: {
      auto a = arg(1), b = arg(2);
      if (!a || !b) return std::nullopt;
      return std::max(*a, *b);
    }
    case ExprKind::Call: {
      const std::string& f = e.name;
      if (f == "toset" || f == "tolist" || f == "tomap" || f == "distinct" || f == "compact" ||
          f == "sort" || f == "reverse" || f == "keys" || f == "values" || f == "setsubtract" ||
          f == "length" || f == "slice" || f == "chunklist")
        return arg(0);
      if (f == "setintersection") {
        std::optional<int64_t> best;
        for (size_t i = 0; i < e.children.size(); ++i)
          if (auto b = arg(i)) best = best ? std::min(*best, *b) : *b;
        return best;
      }
      if (f == "setunion" || f == "concat" || f == "merge") return sum(0);
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace

std::optional<int64_t> instance_bound(const Expr& expr, const EvalScope& scope) {
  return bound_of(expr, scope, 0);
}

namespace {

// Splat expressions (`x[*].attr`) in `e`, outermost first.
void find_splats(const Expr* e, std::vector<const Expr*>& out) {
  if (!e) return;
  if (e->kind == ExprKind::Splat) out.push_back(e);
  for (const auto& c : e->children) find_splats(c.get(), out);
  for (const auto& item : e->items) {
    find_splats(item.key.get(), out);
    find_splats(item.value.get(), out);
  }
  if (e->for_clause) {
    find_splats(e->for_clause->collection.get(), out);
    find_splats(e->for_clause->key_expr.get(), out);
    find_splats(e->for_clause->value_expr.get(), out);
    find_splats(e->for_clause->cond.get(), out);
  }
}

// ".private_dns" for a splat's `each` part SplatItem.private_dns ("" for anything else).
std::string splat_attributes(const Expr* each) {
  std::string out;
  while (each && each->kind == ExprKind::GetAttr && !each->children.empty()) {
    out = "." + each->name + out;
    each = each->children[0].get();
  }
  return each && each->kind == ExprKind::SplatItem ? out : "";
}

}  // namespace

std::vector<std::string> unknown_references(const Expr& expr, const EvalScope& scope) {
  // A splat is judged as a whole: `sim_machine.node[*].private_dns` may be known while
  // `sim_machine.node` is not (its ids are known only after apply).
  std::vector<const Expr*> splats;
  find_splats(&expr, splats);
  struct SplatInfo {
    bool known = false;
    std::string attributes;  // ".private_dns"
  };
  std::map<const Expr*, SplatInfo> splat_of_source;
  for (const Expr* sp : splats) {
    if (sp->children.empty() || !sp->children[0]) continue;
    Diagnostics scratch;
    SplatInfo info;
    info.known = evaluate(*sp, scope, scratch).is_wholly_known();
    info.attributes = splat_attributes(sp->children.size() > 1 ? sp->children[1].get() : nullptr);
    splat_of_source[sp->children[0].get()] = info;
  }
  std::vector<std::string> out;
  for (const Reference& ref : references(expr)) {
    if (!ref.expr || !ref.is_object()) continue;
    std::string text = ref.address();
    auto splat = splat_of_source.find(ref.expr);
    if (ref.splat && splat != splat_of_source.end()) {
      if (splat->second.known) continue;
      text += "[*]" + splat->second.attributes;
    } else {
      Diagnostics scratch;
      if (evaluate(*ref.expr, scope, scratch).is_wholly_known()) continue;
      if (ref.splat) text += "[*]";
      if (ref.index) text += "[...]";
      if (!ref.attribute.empty()) text += "." + ref.attribute;
    }
    if (std::find(out.begin(), out.end(), text) == out.end()) out.push_back(std::move(text));
  }
  return out;
}

}  // namespace orch
