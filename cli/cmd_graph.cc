// `orch graph [-type=plan|apply] [-critical-path] [DIR]`: the dependency graph in DOT.
// plan: one node per resource block; apply: the execution graph a plan would run.
#include <iostream>
#include <set>

#include "cli/run_common.h"
#include "planner/graph.h"

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
}  // namespace

void register_graph(CLI::App& root, CliContext& ctx) {
  auto args = std::make_shared<GraphArgs>();
  CLI::App* app = root.add_subcommand("graph", "Print the dependency graph in DOT");
  add_run_flags(app, args->run);
  app->add_option("--type", args->type, "plan (resource blocks) or apply (execution steps)")
      ->check(CLI::IsMember({"plan", "apply"}));
  app->add_flag("--critical-path", args->critical_path, "Highlight the longest chain of steps");
  ctx.add(app, [args, &ctx]() {
    RunOptions o = run_options(args->run);
    o.refresh = false;
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
    if (args->critical_path) d.highlight = longest_path(g);
    std::cout << render_dot(g, d);
    return int(kExitOk);
  });
}

}  // namespace orch::cli
