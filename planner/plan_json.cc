// Plan → JSON (documented in docs/plan-json.md). nlohmann::json keeps keys sorted, so the output
// is byte-identical for the same plan.
#include "planner/plan_json.h"

#include "planner/graph.h"

namespace orch {

using json = nlohmann::json;

json value_to_plain_json(const Value& v) {
  if (v.is_sensitive() || v.is_unknown()) return nullptr;
  switch (v.kind()) {
    case ValueKind::Null:
    case ValueKind::Unknown:
      return nullptr;
    case ValueKind::Bool:
      return v.as_bool();
    case ValueKind::Number: {
      const Number& n = v.as_number();
      if (n.is_int) return n.i;
      return n.d;
    }
    case ValueKind::String:
      return v.as_string();
    case ValueKind::List:
    case ValueKind::Set:
    case ValueKind::Tuple: {
      json arr = json::array();
      for (const auto& e : v.elements()) arr.push_back(value_to_plain_json(e));
      return arr;
    }
    case ValueKind::Map:
    case ValueKind::Object: {
      json obj = json::object();
      for (const auto& [k, e] : v.attributes())
        if (!e.is_unknown()) obj[k] = value_to_plain_json(e);
      return obj;
    }
  }
  return nullptr;
}

// Builds a mask: `pred(v)` marks a whole value; collections mirror their structure and keep
// only the entries that hold a mark somewhere (arrays keep every position).
template <typename Pred>
static json mask(const Value& v, Pred pred) {
  if (pred(v)) return true;
  if (v.is_unknown() || v.is_null()) return false;
  if (v.is_sequence()) {
    json arr = json::array();
    bool any = false;
    for (const auto& e : v.elements()) {
      json m = mask(e, pred);
      if (!(m.is_boolean() && !m.get<bool>())) any = true;
      arr.push_back(std::move(m));
    }
    return any ? arr : json::array();
  }
  if (v.is_mapping()) {
    json obj = json::object();
    for (const auto& [k, e] : v.attributes()) {
      json m = mask(e, pred);
      if (m.is_boolean() && !m.get<bool>()) continue;
      if ((m.is_object() || m.is_array()) && m.empty()) continue;
      obj[k] = std::move(m);
    }
    return obj;
  }
  return false;
}

json unknown_mask(const Value& v) {
  return mask(v, [](const Value& x) { return x.is_unknown(); });
}

json sensitive_mask(const Value& v) {
  return mask(v, [](const Value& x) { return x.is_sensitive(); });
}

// Masks of a top-level object are objects even when nothing is marked.
static json object_mask(json m) {
  if (m.is_boolean() && !m.get<bool>()) return json::object();
  return m;
}

static json duration_json(Duration d) {
  return format_duration(d);
}

static json change_json(PlanAction action, const Value& before, const Value& after) {
  json c;
  c["actions"] = action_names(action);
  c["before"] = value_to_plain_json(before);
  c["after"] = value_to_plain_json(after);
  c["after_unknown"] = object_mask(unknown_mask(after));
  c["before_sensitive"] = object_mask(sensitive_mask(before));
  c["after_sensitive"] = object_mask(sensitive_mask(after));
  return c;
}

json plan_to_json(const Plan& plan) {
  json j;
  j["format_version"] = kPlanJsonFormatVersion;
  j["orch_version"] = plan.orch_version;
  j["errored"] = plan.errored;
  j["plan_mode"] = plan.destroy_mode ? "destroy" : "normal";

  json vars = json::object();
  for (const auto& v : plan.variables) {
    json e;
    if (v.sensitive || v.value.contains_sensitive())
      e["sensitive"] = true;
    else
      e["value"] = value_to_plain_json(v.value);
    vars[v.name] = e;
  }
  j["variables"] = vars;

  json changes = json::array();
  for (const auto& rc : plan.changes) {
    json e;
    e["address"] = rc.address;
    if (!rc.addr.module.empty()) e["module_address"] = rc.addr.module_str();
    e["mode"] = rc.addr.mode == ResourceMode::Data ? "data" : "managed";
    e["type"] = rc.addr.type;
    e["name"] = rc.addr.name;
    if (rc.addr.key.kind == InstanceKey::Kind::Int) e["index"] = rc.addr.key.index;
    if (rc.addr.key.kind == InstanceKey::Kind::String) e["index"] = rc.addr.key.key;
    e["provider_name"] = rc.provider;
    json c = change_json(rc.action, rc.before, rc.after);
    if (!rc.replace_paths.empty()) {
      json paths = json::array();
      for (const auto& p : rc.replace_paths) paths.push_back(json::array({p}));
      c["replace_paths"] = paths;
    }
    if (!rc.adopt_id.empty()) c["importing"] = {{"id", rc.adopt_id}};
    e["change"] = c;
    if (!rc.notes.empty()) e["notes"] = rc.notes;
    if (rc.reason != ChangeReason::None) e["action_reason"] = reason_name(rc.reason);
    if (!rc.depends_on.empty()) e["depends_on"] = rc.depends_on;
    if (rc.create_before_destroy) e["create_before_destroy"] = true;
    if (!rc.drift.empty()) e["drift"] = rc.drift;
    if (rc.gate_pending) e["gate_pending"] = true;
    changes.push_back(e);
  }
  j["resource_changes"] = changes;

  // Blocks whose count/for_each is known only after apply (Terraform's deferred_changes).
  json deferred = json::array();
  for (const auto& d : plan.deferred) {
    auto block = parse_address(d.block);
    json rc;
    rc["address"] = aggregate_node_id(d.block);
    if (block.ok()) {
      if (!block.address->module.empty()) rc["module_address"] = block.address->module_str();
      rc["mode"] = block.address->mode == ResourceMode::Data ? "data" : "managed";
      rc["type"] = block.address->type;
      rc["name"] = block.address->name;
    }
    rc["provider_name"] = d.provider;
    rc["change"] = change_json(PlanAction::Create, Value(), d.after);
    json e;
    e["reason"] = "instance_count_unknown";
    e["resource_change"] = rc;
    e["meta_argument"] = d.meta;
    if (!d.waiting_for.empty()) e["waiting_for"] = d.waiting_for;
    if (d.max_instances) e["max_instances"] = *d.max_instances;
    if (!d.existing.empty()) e["existing_instances"] = d.existing;
    deferred.push_back(e);
  }
  j["deferred_changes"] = deferred;

  json outputs = json::object();
  for (const auto& oc : plan.outputs) {
    Value b = oc.sensitive ? oc.before.mark_sensitive() : oc.before;
    Value a = oc.sensitive ? oc.after.mark_sensitive() : oc.after;
    json c;
    c["actions"] = action_names(oc.action);
    c["before"] = value_to_plain_json(b);
    c["after"] = value_to_plain_json(a);
    c["after_unknown"] = unknown_mask(oc.after);
    c["before_sensitive"] = oc.sensitive ? json(true) : sensitive_mask(oc.before);
    c["after_sensitive"] = oc.sensitive ? json(true) : sensitive_mask(oc.after);
    outputs[oc.name] = c;
  }
  j["output_changes"] = outputs;

  json nodes = json::array();
  for (const auto& n : plan.graph.nodes) {
    json e;
    e["id"] = n.id;
    e["kind"] = node_kind_name(n.kind);
    if (n.op != NodeOp::None) e["op"] = node_op_name(n.op);
    e["address"] = n.address;
    nodes.push_back(e);
  }
  json edges = json::array();
  for (const auto& ed : plan.graph.edges)
    edges.push_back(json::array({plan.graph.nodes[ed.from].id, plan.graph.nodes[ed.to].id}));
  j["graph"] = {{"nodes", nodes}, {"edges", edges}};

  json rollouts = json::array();
  for (const auto& r : plan.rollouts) {
    json e;
    e["block"] = r.block;
    e["canary"] = r.canary;
    e["batch"] = r.batch;
    e["batch_size"] = r.batch_size;
    e["max_failures"] = r.max_failures;
    e["pause"] = duration_json(r.pause);
    e["waves"] = r.waves;
    rollouts.push_back(e);
  }
  j["rollouts"] = rollouts;

  json gates = json::array();
  for (const auto& g : plan.gates) {
    json e;
    e["block"] = g.block;
    e["kind"] = g.kind;
    if (g.condition.contains_sensitive())
      e["condition_sensitive"] = true;
    else
      e["condition"] = value_to_plain_json(g.condition);
    if (!g.condition.is_wholly_known()) e["condition_unknown"] = true;
    if (g.per_instance) e["per_instance"] = true;  // condition: the first instance's
    e["timeout"] = duration_json(g.timeout);
    e["interval"] = duration_json(g.interval);
    if (g.simulate_after) e["simulate_after"] = duration_json(*g.simulate_after);
    gates.push_back(e);
  }
  j["gates"] = gates;

  json limits;
  limits["parallelism"] = plan.parallelism;
  json providers = json::array();
  for (const auto& l : plan.limits) {
    json e;
    e["provider"] = l.provider;
    if (l.max_concurrency > 0) e["max_concurrency"] = l.max_concurrency;
    if (l.requests_per_second > 0) e["requests_per_second"] = l.requests_per_second;
    if (auto exempt = l.exempt_in(plan); !exempt.empty()) e["not_counted_types"] = exempt;
    providers.push_back(e);
  }
  limits["providers"] = providers;
  j["limits"] = limits;

  json st;
  st["lineage"] = plan.state_lineage;
  st["serial"] = plan.state_serial;
  j["prior_state"] = st;
  if (!plan.targets.empty()) j["targets"] = plan.targets;
  if (!plan.replace.empty()) j["replace"] = plan.replace;
  return j;
}

std::string render_plan_json(const Plan& plan) {
  return plan_to_json(plan).dump(2) + "\n";
}

}  // namespace orch
