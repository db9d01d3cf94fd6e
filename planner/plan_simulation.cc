// Expected timelines of plans (see plan_simulation.h).
#include "planner/plan_simulation.h"

#include <set>

#include "planner/executor.h"
#include "planner/graph.h"
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
      if (node.op != NodeOp::Delete)
        for (const PlanGate* g : plan.gates_of(rc.block())) {
          ExecGate gate;
          gate.kind = g->kind;
          gate.timeout = g->timeout;
          gate.interval = g->interval;
          gate.simulate_after = g->simulate_after;
          if (!gate.simulate_after)
            gate.simulate_after = model.gate_latency(rc.addr.type, rc.address);
          step.gate = gate;
          break;
        }
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
  const ExecResult& result = ex.run();
  out.makespan = result.makespan;
  for (size_t i = 0; i < n; ++i) {
    const StepRecord& r = result.records[i];
    if (r.started_at.count() >= 0 && r.finished_at.count() >= 0)
      out.duration[i] = r.finished_at - r.started_at;
  }
  for (StepId id : result.critical_path) out.critical_path.push_back(static_cast<int>(id));
  out.timeline = build_timeline(pg, ex.graph(), result);
  out.timeline.simulated = true;
  out.timeline.seed = model.seed();
  out.timeline.command = "plan";
  out.timeline.parallelism = options.parallelism;
  return out;
}

}  // namespace orch
