// `orch graph [-type=plan|apply] [-critical-path] [DIR]`: the dependency graph in DOT.
// plan: one node per resource block; apply: the execution graph a plan would run.
// -critical-path: the chain that determines the plan's simulated makespan
// (planner/plan_simulation.h).
#include <iostream>
#include <set>

#include "cli/run_common.h"
#include "planner/graph.h"
#include "planner/plan_simulation.h"
#include "planner/simulation.h"
#include "planner/timeline_report.h"
#include "providers/registry.h"

namespace orch::cli {

namespace {
struct GraphArgs {
  RunFlags run;
  std::string type = "plan";
  bool critical_path = false;
};

// Collapses instance nodes into their blocks (aggregate/any nodes fold into their block too).
PlanGraph block_graph(const PlanGraph& g) {
  std::map<std::string, int> index;
  std::vector<int> of(g.nodes.size());
  PlanGraph out;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    auto a = parse_address(g.nodes[i].address);
    std::string block = a.ok() ? a.address->resource().str() : g.nodes[i].address;
    auto [it, fresh] = index.try_emplace(block, 0);
    if (fresh) {
      it->second = static_cast<int>(out.nodes.size());
      PlanNode n;
      n.id = block;
      n.address = block;
      out.nodes.push_back(n);
    }
    of[i] = it->second;
  }
  std::set<std::pair<int, int>> edges;
  for (const auto& e : g.edges)
    if (of[e.from] != of[e.to]) edges.insert({of[e.from], of[e.to]});
  for (const auto& [f, t] : edges) out.edges.push_back({f, t});
  // Canonical order: nodes by id.
  std::vector<int> order(out.nodes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return out.nodes[a].id < out.nodes[b].id; });
  std::vector<int> remap(order.size());
  PlanGraph sorted;
  for (size_t i = 0; i < order.size(); ++i) {
    remap[order[i]] = static_cast<int>(i);
    sorted.nodes.push_back(out.nodes[order[i]]);
  }
  for (const auto& e : out.edges) sorted.edges.push_back({remap[e.from], remap[e.to]});
  std::sort(sorted.edges.begin(), sorted.edges.end(), [](const PlanEdge& a, const PlanEdge& b) {
    return a.from != b.from ? a.from < b.from : a.to < b.to;
  });
  return sorted;
}
// Highlights the simulated critical path in `g` (the apply graph itself, or its block graph)
// and labels nodes with their simulated durations.
void critical_path_labels(const PlanGraph& apply_graph, const PlanGraph& g,
                          const PlanSimulation& ps, bool apply_type, DotOptions& d) {
  if (apply_type) {
    d.highlight = ps.critical_path;
    for (size_t i = 0; i < g.nodes.size(); ++i)
      if (g.nodes[i].kind == NodeKind::Instance && ps.duration[i].count() > 0)
        d.labels[g.nodes[i].id] =
            g.nodes[i].id + " (" + short_duration(ps.duration[i].count()) + ")";
    return;
  }
  auto block_of = [](const std::string& address) {
    auto a = parse_address(address);
    return a.ok() ? a.address->resource().str() : address;
  };
  std::map<std::string, int64_t> longest;  // per block: its longest instance
  for (size_t i = 0; i < apply_graph.nodes.size(); ++i) {
    auto& l = longest[block_of(apply_graph.nodes[i].address)];
    l = std::max(l, static_cast<int64_t>(ps.duration[i].count()));
  }
  for (const auto& [block, ms] : longest)
    if (ms > 0) d.labels[block] = block + " (" + short_duration(ms) + ")";
  for (int i : ps.critical_path) {
    const int b = g.find(block_of(apply_graph.nodes[i].address));
    if (b >= 0 && (d.highlight.empty() || d.highlight.back() != b)) d.highlight.push_back(b);
  }
}

}  // namespace

void register_graph(CLI::App& root, CliContext& ctx) {
  auto args = std::make_shared<GraphArgs>();
  CLI::App* app = root.add_subcommand("graph", "Print the dependency graph in DOT");
  add_run_flags(app, args->run);
  app->add_option("--type", args->type, "plan (resource blocks) or apply (execution steps)")
      ->check(CLI::IsMember({"plan", "apply"}));
  app->add_flag("--critical-path", args->critical_path,
                "Highlight the chain of steps that determines the simulated makespan, with "
                "simulated durations");
  ctx.add(app, [args, &ctx]() {
    RunOptions o = run_options(args->run);
    o.refresh = false;
    const SchemaRegistry* schemas = o.schemas;
    Session s(std::move(o));
    if (!s.load()) {
      print_session_diagnostics(s, ctx.global);
      return int(kExitError);
    }
    auto plan = s.plan();
    print_session_diagnostics(s, ctx.global);
    if (!plan) return int(kExitError);
    PlanGraph g = args->type == "apply" ? plan->graph : block_graph(plan->graph);
    DotOptions d;
    if (args->critical_path) {
      // The critical path of the plan's simulated timeline: durations from the simulation
      // model (schema hints, the simulate block, -simulate-profile), any-of, rollouts, gates.
      SimulationOptions so;
      so.profile_path = args->run.simulate_profile;
      if (args->run.simulate_seed >= 0) so.seed = static_cast<uint64_t>(args->run.simulate_seed);
      auto sim =
          Simulation::prepare(*s.config(), args->run.dir, so, schemas, s.sources(), s.diags());
      print_session_diagnostics(s, ctx.global);
      if (!sim) return int(kExitError);
      PlanSimulationOptions po;
      po.parallelism = args->run.parallelism;
      for (const auto& name : builtin_provider_names())
        if (auto p = make_provider(name)) po.limits[name] = p->limits();
      PlanSimulation ps = simulate_plan(*plan, *schemas, sim->model(), po);
      critical_path_labels(plan->graph, g, ps, args->type == "apply", d);
    }
    std::cout << render_dot(g, d);
    return int(kExitOk);
  });
}

}  // namespace orch::cli
