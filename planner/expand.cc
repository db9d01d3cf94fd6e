// count / for_each expansion.
#include "planner/expand.h"

#include <cmath>

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
                          const EvalScope& scope, Diagnostics& diags) {
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

}  // namespace orch
