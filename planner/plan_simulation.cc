// Expected timelines of plans (see plan_simulation.h).
#include "planner/plan_simulation.h"

#include <algorithm>
#include <set>

#include "planner/executor.h"
#include "planner/graph.h"
#include "planner/rollout.h"
#include "planner/virtual_clock.h"

namespace orch {

namespace {

const char* op_of(NodeOp op) {
  switch (op) {
    case NodeOp::Delete:
      return "delete";
    case NodeOp::Update:
      return "update";
    case NodeOp::Read:
      return "read";
    default:
      return "create";
  }
}

}  // namespace

PlanSimulation simulate_plan(const Plan& plan, const SchemaRegistry& schemas,
                             const TwinModel& model, const PlanSimulationOptions& options) {
  PlanSimulation out;
  const PlanGraph& pg = plan.graph;
  const size_t n = pg.nodes.size();
  out.duration.assign(n, Duration{0});
  Adjacency adj = adjacency(pg);
  std::map<std::string, const ResourceChange*> change_of;
  for (const auto& rc : plan.changes) change_of[rc.address] = &rc;

  VirtualClock clock;
  ExecGraph eg;
  std::vector<Duration> op_time(n, Duration{0});
  auto gate_of = [&](const std::string& block, const std::string& type,
                     const std::string& address) -> std::optional<ExecGate> {
    for (const PlanGate* g : plan.gates_of(block)) {
      ExecGate gate;
      gate.kind = g->kind;
      gate.timeout = g->timeout;
      gate.interval = g->interval;
      gate.simulate_after = g->simulate_after;
      if (!gate.simulate_after) gate.simulate_after = model.gate_latency(type, address);
      return gate;
    }
    return std::nullopt;
  };

  // A deferred block, when its expansion runs: as many instances as it may have at most (the
  // estimate is an upper bound), created as the configuration says, in its rollout.
  Executor* executor = nullptr;
  PlanGraph steps = pg;  // the plan's nodes, then the instances expansions add (for the timeline)
  std::vector<int> origin;  // by added step: the expansion node that added it
  auto expand = [&](const PlanDeferred* d, StepId self) {
    const int64_t count = std::clamp<int64_t>(d->max_instances.value_or(1), 0, 100000);
    auto pa = parse_address(d->block);
    const std::string type = pa.ok() ? pa.address->type : "";
    const Schema* schema = schemas.resource(type);
    const ValueMap attrs = d->after.is_mapping() ? d->after.attributes() : ValueMap{};
    ExecExtension ext;
    StepId next = static_cast<StepId>(steps.nodes.size());
    std::vector<StepId> added;
    std::vector<std::string> addresses;
    for (int64_t k = 0; k < count; ++k) {
      const std::string address = d->block + "[" + std::to_string(k) + "]";
      ExecStep st;
      st.address = address;
      st.depends_on = {self};
      st.provider = SchemaRegistry::provider_of(type);
      const Duration t = model.latency(type, schema, "create", attrs, address);
      st.operation = [&clock, t](const StepContext&, StepDone done) {
        clock.schedule(t, [done] { done({}); });
      };
      st.gate = gate_of(d->block, type, address);
      ext.steps.push_back(std::move(st));
      steps.nodes.push_back(PlanNode{address, NodeKind::Instance, NodeOp::Create, address});
      origin.push_back(static_cast<int>(self));
      added.push_back(next++);
      addresses.push_back(address);
    }
    if (int agg = pg.find(aggregate_node_id(d->block)); agg >= 0)
      for (StepId a : added) ext.waits.push_back({static_cast<StepId>(agg), a});
    if (int any = pg.find(any_node_id(d->block)); any >= 0 && !added.empty())
      ext.any_groups.push_back({static_cast<StepId>(any), added});
    if (const PlanRollout* r = plan.rollout(d->block); r && !added.empty()) {
      PlanRollout waves = *r;
      set_rollout_waves(waves, addresses);
      ExecRollout er;
      er.name = r->block;
      er.members = added;
      er.canary = waves.canary;
      er.batch = waves.batch_size;
      er.max_failures = waves.max_failures;
      er.pause = waves.pause;
      ext.rollouts.push_back(std::move(er));
    }
    executor->extend(std::move(ext), self);
  };
  for (size_t i = 0; i < n; ++i) {
    const PlanNode& node = pg.nodes[i];
    ExecStep step;
    step.address = node.id;
    if (node.kind == NodeKind::AnyOf) {
      step.any_of.push_back({});
      for (int p : adj.preds[i]) step.any_of.back().push_back(static_cast<StepId>(p));
    } else {
      for (int p : adj.preds[i]) step.depends_on.push_back(static_cast<StepId>(p));
    }
    if (node.kind == NodeKind::Expand) {
      if (const PlanDeferred* d = plan.deferred_block(node.address))
        step.operation = [&, d, i](const StepContext&, StepDone done) {
          expand(d, static_cast<StepId>(i));
          done({});
        };
      eg.add(std::move(step));
      continue;
    }
    auto it = change_of.find(node.address);
    const bool operation = node.kind == NodeKind::Instance && node.op != NodeOp::NoOp &&
                           node.op != NodeOp::None && it != change_of.end();
    if (operation) {
      const ResourceChange& rc = *it->second;
      const std::string op = op_of(node.op);
      const Schema* schema = rc.addr.mode == ResourceMode::Data ? schemas.data_source(rc.addr.type)
                                                                : schemas.resource(rc.addr.type);
      const Value& basis = node.op == NodeOp::Delete ? rc.before : rc.after;
      const ValueMap attrs = basis.is_mapping() ? basis.attributes() : ValueMap{};
      op_time[i] = model.latency(rc.addr.type, schema, op, attrs, rc.address);
      step.provider = SchemaRegistry::provider_of(rc.addr.type);
      if (auto real = options.limits.find(step.provider);
          real != options.limits.end() && !real->second.holds(rc.addr.type))
        step.provider.clear();
      const Duration d = op_time[i];
      step.operation = [&clock, d](const StepContext&, StepDone done) {
        clock.schedule(d, [done] { done({}); });
      };
      if (node.op != NodeOp::Delete) step.gate = gate_of(rc.block(), rc.addr.type, rc.address);
    }
    eg.add(std::move(step));
  }
  std::set<std::string> providers;
  for (const auto& s : eg.steps)
    if (!s.provider.empty()) providers.insert(s.provider);
  for (const auto& p : providers) {
    auto it = options.limits.find(p);
    eg.set_limits(p, model.limits(p, it == options.limits.end() ? ProviderLimits{} : it->second));
  }
  for (const auto& r : plan.rollouts) {
    ExecRollout er;
    er.name = r.block;
    for (const auto& wave : r.waves)
      for (const auto& a : wave) {
        const int idx = pg.find(a);
        if (idx >= 0) er.members.push_back(static_cast<StepId>(idx));
      }
    if (er.members.empty()) continue;
    er.canary = r.canary;
    er.batch = r.batch_size;
    er.max_failures = r.max_failures;
    er.pause = r.pause;
    eg.add_rollout(std::move(er));
  }
  if (!eg.validate().empty()) return out;

  ExecOptions eo;
  eo.parallelism = options.parallelism;
  eo.seed = model.seed();
  Executor ex(clock, std::move(eg), eo);
  executor = &ex;
  const ExecResult& result = ex.run();
  executor = nullptr;
  out.makespan = result.makespan;
  for (size_t i = 0; i < n; ++i) {
    const StepRecord& r = result.records[i];
    if (r.started_at.count() >= 0 && r.finished_at.count() >= 0)
      out.duration[i] = r.finished_at - r.started_at;
  }
  // A step an expansion added stands for its expansion node in the plan's graph.
  for (StepId id : result.critical_path) {
    const int node = id < n ? static_cast<int>(id) : origin[id - n];
    if (out.critical_path.empty() || out.critical_path.back() != node)
      out.critical_path.push_back(node);
  }
  out.timeline = build_timeline(steps, ex.graph(), result);
  out.timeline.simulated = true;
  out.timeline.seed = model.seed();
  out.timeline.command = "plan";
  out.timeline.parallelism = options.parallelism;
  return out;
}

}  // namespace orch
