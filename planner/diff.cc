// Instance diff. The decision order follows Terraform's: orphans and destroy mode delete; a
// missing object is created; tainted objects, -replace and changed force-new attributes replace;
// other differences update in place; otherwise nothing happens.
#include "planner/diff.h"

#include <algorithm>
#include <set>

namespace orch {
namespace {

bool same(const Value& a, const Value& b) {
  if (!a.is_wholly_known() || !b.is_wholly_known()) return false;
  return a.equals(b);
}

bool ignored(const LifecycleRules& lc, const std::string& name) {
  return lc.ignore_all_changes || std::find(lc.ignore_changes.begin(), lc.ignore_changes.end(),
                                            name) != lc.ignore_changes.end();
}

Value object_of(const ValueMap& m) {
  return Value::object(m);
}

// Linear lookup (schemas have a handful of attributes).
const AttributeSchema* find_attr(const Schema* schema, const std::string& name) {
  if (!schema) return nullptr;
  for (const auto& a : schema->attributes)
    if (a.name == name) return &a;
  return nullptr;
}

// Whether two attribute maps are equal once the names `skip` accepts are left out.
template <typename Skip>
bool same_settable(const ValueMap& a, const ValueMap& b, const Skip& skip) {
  auto i = a.begin();
  auto j = b.begin();
  while (true) {
    while (i != a.end() && skip(i->first)) ++i;
    while (j != b.end() && skip(j->first)) ++j;
    if (i == a.end() || j == b.end()) return i == a.end() && j == b.end();
    if (i->first != j->first || !i->second.equals(j->second)) return false;
    ++i, ++j;
  }
}

}  // namespace

ValueMap mark_schema_sensitive(const Schema* schema, ValueMap attrs) {
  if (!schema) return attrs;
  for (auto& [name, v] : attrs) {
    const AttributeSchema* a = find_attr(schema, name);
    if (a && a->sensitive && !v.is_null() && !v.is_sensitive()) v = v.mark_sensitive();
  }
  return attrs;
}

ResourceChange diff_instance(const InstanceDiffInput& in, Diagnostics& diags) {
  ResourceChange rc;
  rc.addr = in.addr;
  rc.address = in.addr.str();
  rc.provider = in.provider;
  rc.create_before_destroy = in.lifecycle.create_before_destroy;
  bool is_data = in.addr.mode == ResourceMode::Data;

  static const ValueMap kNone;
  if (in.current) {
    rc.before = Value::object(mark_schema_sensitive(in.schema, in.current->attributes));
    rc.prior_id = in.current->id;
  }
  // Read through rc.before: the map is built once (40,000 instances at scale).
  const ValueMap& before_attrs = in.current ? rc.before.attributes() : kNone;
  if (in.refreshed && in.prior && in.prior->has_object() && !in.current)
    rc.drift = "has been deleted outside orch";
  if (in.refreshed && in.prior && in.prior->has_object() && in.current && !is_data) {
    // Drift is a change of what the configuration can set: attributes only the provider
    // reports (computed, not configurable — a node's ohai_time) change on their own.
    // Compared in place, without copies (equality ignores sensitive marks).
    auto provider_only = [&](const std::string& name) {
      if (!in.schema) return false;
      for (const auto& a : in.schema->attributes)
        if (a.name == name) return a.computed && !a.optional && !a.required;
      return false;
    };
    if (!same_settable(in.prior->attributes, in.current->attributes, provider_only))
      rc.drift = "has changed outside orch";
  }

  auto prevent = [&](const char* what) {
    if (!in.lifecycle.prevent_destroy) return;
    Diagnostic& d = diags.error(
        in.lifecycle.prevent_destroy_range.valid() ? in.lifecycle.prevent_destroy_range : in.range,
        "Instance cannot be destroyed",
        rc.address + " has lifecycle.prevent_destroy set, but the plan calls for it to be " + what +
            ". To avoid this error and continue with the plan, either disable "
            "lifecycle.prevent_destroy or reduce the scope of the plan using -target.");
    (void)d;
  };

  // Data sources: read at plan time when their configuration is known (the caller does that and
  // passes the result as `current`); otherwise read during apply.
  if (is_data) {
    if (!in.config) {
      rc.action = PlanAction::NoOp;
      return rc;
    }
    Value cfg = object_of(*in.config);
    if (!cfg.is_wholly_known() || in.defer_read) {
      rc.action = PlanAction::Read;
      rc.reason = cfg.is_wholly_known() ? ChangeReason::ReadBecauseDependencyPending
                                        : ChangeReason::ReadBecauseConfigUnknown;
      rc.before = Value();
      rc.after = in.planned ? object_of(in.planned->planned) : cfg;
    } else {
      rc.action = PlanAction::NoOp;
      rc.after = rc.before;
    }
    return rc;
  }

  // Delete: not in configuration, or destroy mode.
  if (!in.config || in.destroy_mode) {
    rc.after = Value();
    if (!in.current) {
      rc.action = PlanAction::NoOp;  // nothing left to delete; the caller drops the state entry
      return rc;
    }
    rc.action = PlanAction::Delete;
    rc.reason = in.destroy_mode ? ChangeReason::DeleteBecauseDestroyMode : in.orphan_reason;
    prevent("destroyed");
    return rc;
  }

  ValueMap planned = in.planned ? in.planned->planned : *in.config;
  planned = mark_schema_sensitive(in.schema, std::move(planned));
  std::set<std::string> force_new;
  if (in.planned)
    force_new.insert(in.planned->force_new_paths.begin(), in.planned->force_new_paths.end());
  if (in.schema)
    for (const auto& a : in.schema->attributes)
      if (a.force_new) force_new.insert(a.name);

  if (!in.current) {
    rc.action = PlanAction::Create;
    rc.after = Value::object(std::move(planned));
    return rc;
  }

  // An existing object: computed attributes the configuration does not set keep their values,
  // ignored attributes keep theirs.
  auto computed_only = [&](const std::string& name) {
    if (!in.schema) return false;
    const AttributeSchema* a = find_attr(in.schema, name);
    if (!a || !a->computed) return false;
    auto c = in.config->find(name);
    return c == in.config->end() || c->second.is_null();
  };
  for (const auto& [name, bv] : before_attrs) {
    auto it = planned.find(name);
    bool missing = it == planned.end();
    if (ignored(in.lifecycle, name) && name != "id") {
      planned[name] = bv;
      continue;
    }
    // A provider that planned the object and says "unknown" means it: the value changes on
    // apply (an election whose leader left the candidates).
    if ((computed_only(name) || (name == "id" && !in.schema)) &&
        (missing || it->second.is_null() || (it->second.is_unknown() && !in.planned)))
      planned[name] = bv;
  }

  // Every name of either map in sorted order (both maps are sorted: a merge, no lookups).
  std::vector<std::string> changed;
  static const Value kNull;
  for (ValueMap::const_iterator b = before_attrs.begin(), a = planned.cbegin();
       b != before_attrs.end() || a != planned.end();) {
    bool take_b = b != before_attrs.end() && (a == planned.end() || b->first <= a->first);
    bool take_a = a != planned.end() && (b == before_attrs.end() || a->first <= b->first);
    const std::string& name = take_b ? b->first : a->first;
    const Value& bv = take_b ? b->second : kNull;
    const Value& av = take_a ? a->second : kNull;
    if (take_b) ++b;
    if (take_a) ++a;
    if (bv.is_null() && av.is_null()) continue;
    if (!same(bv, av) || bv.is_sensitive() != av.is_sensitive()) changed.push_back(name);
  }
  std::vector<std::string> forcing;
  for (const auto& name : changed)
    if (force_new.count(name)) forcing.push_back(name);

  bool tainted = in.prior && in.prior->status == ResourceStatus::Tainted;
  bool replace = tainted || in.replace_requested || !forcing.empty();
  if (replace) {
    rc.action = in.lifecycle.create_before_destroy ? PlanAction::CreateThenDelete
                                                   : PlanAction::DeleteThenCreate;
    rc.reason = in.replace_requested ? ChangeReason::ReplaceByRequest
                : tainted            ? ChangeReason::ReplaceBecauseTainted
                                     : ChangeReason::ReplaceBecauseCannotUpdate;
    rc.replace_paths = forcing;
    // A new object: computed attributes not set by the configuration are unknown again.
    ValueMap fresh = planned;
    for (auto& [name, v] : fresh)
      if (computed_only(name)) v = Value::unknown(v.type());
    if (in.schema)
      for (const auto& a : in.schema->attributes)
        if (computed_only(a.name) && !fresh.count(a.name)) fresh[a.name] = Value::unknown(a.type);
    rc.after = object_of(fresh);
    prevent("replaced");
    return rc;
  }
  rc.after = Value::object(std::move(planned));
  if (changed.empty()) {
    rc.action = PlanAction::NoOp;
    return rc;
  }
  rc.action = PlanAction::Update;
  if (in.planned) rc.notes = in.planned->notes;
  if (std::find(changed.begin(), changed.end(), "triggers") != changed.end())
    rc.reason = ChangeReason::UpdateBecauseTriggers;
  return rc;
}

}  // namespace orch
