// Planning one instance, an orphan, or a deferred block (see plan_instance.h).
#include "planner/plan_instance.h"

#include <algorithm>

#include "compiler/eval.h"
#include "planner/adopt.h"
#include "planner/clock.h"
#include "planner/diff.h"
#include "planner/run_impl.h"

namespace orch {

const Schema* InstancePlanner::schema_of(const Resource& r, Provider* p) const {
  if (!p) return nullptr;
  const auto& ps = p->schema();
  auto& table = r.is_data() ? ps.data_sources : ps.resources;
  auto it = table.find(r.type);
  return it == table.end() ? nullptr : &it->second;
}

static LifecycleRules lifecycle_of(const Resource& r) {
  LifecycleRules l;
  l.create_before_destroy = r.lifecycle.create_before_destroy;
  l.prevent_destroy = r.lifecycle.prevent_destroy;
  l.ignore_changes = r.lifecycle.ignore_changes;
  l.ignore_all_changes = r.lifecycle.ignore_all_changes;
  l.prevent_destroy_range = r.lifecycle.range;
  return l;
}

static void set_needs(GraphInstance& gi, ResourceChange& rc, const InstanceNeeds& needs) {
  gi.needs_instances.assign(needs.instances.begin(), needs.instances.end());
  gi.needs_blocks.assign(needs.blocks.begin(), needs.blocks.end());
  gi.needs_any.assign(needs.any.begin(), needs.any.end());
  std::set<std::string> deps(needs.blocks.begin(), needs.blocks.end());
  deps.insert(needs.instances.begin(), needs.instances.end());
  deps.insert(needs.any.begin(), needs.any.end());
  rc.depends_on.assign(deps.begin(), deps.end());
}

InstancePlanner::Planned InstancePlanner::instance(Model::Block& b, const ExpandedInstance& inst) {
  const Resource& r = *b.resource;
  Provider* p = provider_for(r.provider_key, r.type);
  Model::Repetition rep{inst.count_index, inst.each_key, inst.each_value, std::nullopt};
  auto is = model.scope(*b.module, rep);
  ValueMap cfg = destroy ? ValueMap{} : model.evaluate_body(r, *is, diags);
  InstanceDiffInput in;
  in.addr = inst.addr;
  in.provider = r.provider_key;
  in.schema = schema_of(r, p);
  auto st = state.resources.find(inst.addr);
  in.prior = st == state.resources.end() ? nullptr : &st->second;
  if (current) {
    if (auto c = current->find(inst.address); c != current->end())
      in.current = std::move(c->second);  // each instance is planned once
  } else if (in.prior && in.prior->has_object() && in.prior->mode != ResourceMode::Data) {
    in.current = ObjectState{in.prior->id, in.prior->attributes};
  }
  in.refreshed = refreshed && refreshed->count(inst.address) > 0;
  // Adoption: no object in state, but one exists (a create interrupted after its intent was
  // recorded, found by refresh; or one marked for this stack that the state lost).
  std::string adopt;
  if (!r.is_data() && !destroy && !(in.prior && in.prior->has_object())) {
    if (in.current) {
      adopt = in.current->id;
    } else if (owned) {
      if (auto o = owned->find(inst.address); o != owned->end()) {
        in.current = o->second;
        adopt = o->second.id;
      }
    }
    if (owned) owned->erase(inst.address);
  }
  in.lifecycle = lifecycle_of(r);
  in.replace_requested = replace && replace->count(inst.address) > 0;
  in.destroy_mode = destroy;
  in.range = r.range;
  if (!destroy) in.config = cfg;
  if (r.is_data() && !destroy && p && clock && object_known(cfg)) {
    // Data sources with known configuration are read now.
    std::optional<ValueMap> got;
    p->read_data(r.type, cfg, [&](std::optional<ValueMap> v, std::optional<ProviderError> e) {
      if (e) diags.error(r.range, "Reading " + inst.address + " failed: " + e->summary, e->detail);
      got = std::move(v);
    });
    clock->run();
    if (got) in.current = ObjectState{"", *got};
  } else if (p && !destroy && !(r.is_data() && !clock)) {
    PlanRequest req;
    req.type = r.type;
    req.address = inst.address;
    req.prior = in.current;
    req.config = cfg;
    PlanResponse resp = p->plan(req);
    diags.append(resp.diagnostics);
    in.planned = std::move(resp);
  }
  Planned out;
  ResourceChange& rc = out.change;
  rc = diff_instance(in, diags);
  if (!adopt.empty()) mark_adoption(rc, adopt);
  rc.gate_pending = in.prior && in.prior->gate_pending && rc.action == PlanAction::NoOp &&
                    r.ready_when && !destroy;
  if (r.is_data() && rc.action == PlanAction::NoOp && in.current && clock)
    rc.after = Value::object(in.current->attributes);
  if (r.is_data() && !clock && !destroy) {  // during apply: read by the step
    rc.action = PlanAction::Read;
    rc.after = Value::object(cfg);
  }
  GraphInstance& gi = out.graph;
  gi.address = inst.address;
  gi.block = b.address;
  gi.action = graph_action(rc);
  set_needs(gi, rc, model.needs(b, inst));
  if (in.prior)
    for (const auto& d : in.prior->dependencies) gi.destroy_deps.push_back(d.resource().str());
  gi.range = r.range;
  if (rc.action != PlanAction::Delete) model.set_value(inst.address, b.address, rc.after);
  return out;
}

InstancePlanner::Planned InstancePlanner::orphan(const ResourceAddress& addr,
                                                 const ResourceState& r) {
  std::string a = addr.str();
  InstanceDiffInput in;
  in.addr = addr;
  in.provider = r.provider;
  in.prior = &r;
  if (current) {
    if (auto c = current->find(a); c != current->end()) in.current = std::move(c->second);
  } else if (r.has_object() && r.mode != ResourceMode::Data) {
    in.current = ObjectState{r.id, r.attributes};
  }
  in.refreshed = refreshed && refreshed->count(a) > 0;
  in.destroy_mode = destroy;
  std::string block = addr.resource().str();
  in.orphan_reason = ChangeReason::DeleteBecauseNoResourceConfig;
  if (Model::Block* b = model.block(block)) {
    in.orphan_reason = addr.key.kind == InstanceKey::Kind::Int
                           ? ChangeReason::DeleteBecauseCountIndex
                           : ChangeReason::DeleteBecauseEachKey;
    in.lifecycle.prevent_destroy = b->resource->lifecycle.prevent_destroy;
    in.lifecycle.prevent_destroy_range = b->resource->lifecycle.range;
  }
  Planned out;
  out.change = diff_instance(in, diags);
  if (out.change.action == PlanAction::NoOp && !in.current)
    out.change.drift = "has been deleted outside orch";
  out.graph.address = a;
  out.graph.block = block;
  out.graph.action = out.change.action;
  for (const auto& d : r.dependencies) out.graph.destroy_deps.push_back(d.resource().str());
  return out;
}

std::pair<PlanDeferred, GraphInstance> InstancePlanner::deferred(Model::Block& b) {
  const Resource& r = *b.resource;
  Provider* p = provider_for(r.provider_key, r.type);
  PlanDeferred d;
  d.block = b.address;
  d.provider = r.provider_key;
  const Expr* meta = r.count ? r.count : r.for_each;
  d.meta = r.count ? "count" : "for_each";
  auto scope = model.scope(*b.module);
  if (meta) {
    auto waiting = unknown_references(*meta, *scope);
    for (size_t i = 0; i < waiting.size(); ++i) d.waiting_for += (i ? ", " : "") + waiting[i];
    d.max_instances = instance_bound(*meta, *scope);
  }
  // The instances' attributes as far as they are known: count.index / each.* unknown.
  Model::Repetition rep;
  if (r.count) rep.count_index = Value::unknown(Type::number());
  if (r.for_each) {
    rep.each_key = Value::unknown(Type::string());
    rep.each_value = Value::unknown();
  }
  auto is = model.scope(*b.module, rep);
  Diagnostics scratch;  // errors show again, for real, when the instances are expanded
  ValueMap cfg = model.evaluate_body(r, *is, scratch);
  ValueMap planned = cfg;
  if (p && !r.is_data()) {
    PlanRequest req;
    req.type = r.type;
    req.address = b.address;
    req.config = cfg;
    planned = p->plan(req).planned;
  }
  d.after = Value::object(mark_schema_sensitive(schema_of(r, p), std::move(planned)));
  ResourceAddress block = block_address(r, b.module->path);
  for (const auto& [addr, rs] : state.resources)
    if (addr.resource() == block && addr.has_key()) d.existing.push_back(addr.str());

  GraphInstance gi;
  gi.address = b.address;
  gi.block = b.address;
  gi.action = PlanAction::Create;
  gi.expand = true;
  gi.range = r.range;
  ResourceChange unused;
  set_needs(gi, unused, model.expansion_needs(b));
  return {std::move(d), std::move(gi)};
}

}  // namespace orch
