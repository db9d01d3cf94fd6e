// Execution graph: aggregate nodes for splats (no dense edges), any-of, replacements, destroy
// order, cycles with their path, determinism, -target, longest path and DOT.
#include "planner/graph.h"

#include <gtest/gtest.h>

namespace orch {
namespace {

GraphInstance inst(std::string address, std::string block, PlanAction a = PlanAction::Create) {
  GraphInstance i;
  i.address = std::move(address);
  i.block = std::move(block);
  i.action = a;
  return i;
}

bool has_edge(const PlanGraph& g, const std::string& from, const std::string& to) {
  int f = g.find(from), t = g.find(to);
  for (const auto& e : g.edges)
    if (e.from == f && e.to == t) return true;
  return false;
}

TEST(Graph, SplatGoesThroughOneAggregateNode) {
  const int n = 300, m = 400;
  std::vector<GraphInstance> in;
  for (int i = 0; i < n; ++i)
    in.push_back(inst("sim_machine.node[" + std::to_string(i) + "]", "sim_machine.node"));
  for (int j = 0; j < m; ++j) {
    auto t = inst("sim_task.t[" + std::to_string(j) + "]", "sim_task.t");
    t.needs_blocks = {"sim_machine.node"};
    in.push_back(t);
  }
  Diagnostics d;
  PlanGraph g = build_plan_graph(in, d);
  EXPECT_FALSE(d.has_errors());
  EXPECT_EQ(g.nodes.size(), static_cast<size_t>(n + m + 1));
  EXPECT_EQ(g.edges.size(), static_cast<size_t>(n + m));  // not n * m
  EXPECT_TRUE(has_edge(g, "sim_machine.node[7]", "sim_machine.node[*]"));
  EXPECT_TRUE(has_edge(g, "sim_machine.node[*]", "sim_task.t[9]"));
}

TEST(Graph, AnyOfNodeAndSingleInstanceShortcut) {
  std::vector<GraphInstance> in;
  for (int i = 0; i < 3; ++i)
    in.push_back(inst("sim_machine.node[" + std::to_string(i) + "]", "sim_machine.node"));
  auto e = inst("sim_election.master", "sim_election.master");
  e.needs_any = {"sim_machine.node"};
  in.push_back(e);
  auto s = inst("sim_task.setup", "sim_task.setup");
  s.needs_blocks = {"sim_election.master"};
  in.push_back(s);
  Diagnostics d;
  PlanGraph g = build_plan_graph(in, d);
  int any = g.find("any(sim_machine.node)");
  ASSERT_GE(any, 0);
  EXPECT_EQ(g.nodes[any].kind, NodeKind::AnyOf);
  EXPECT_TRUE(has_edge(g, "sim_machine.node[2]", "any(sim_machine.node)"));
  EXPECT_TRUE(has_edge(g, "any(sim_machine.node)", "sim_election.master"));
  // A block with one unkeyed instance needs no aggregate.
  EXPECT_TRUE(has_edge(g, "sim_election.master", "sim_task.setup"));
  EXPECT_EQ(g.find("sim_election.master[*]"), -1);
}

TEST(Graph, DeferredBlockIsOneExpansionNodeThatDependentsWaitFor) {
  std::vector<GraphInstance> in;
  in.push_back(inst("sim_election.master", "sim_election.master"));
  auto w = inst("sim_task.worker", "sim_task.worker");
  w.expand = true;
  w.needs_blocks = {"sim_election.master"};
  in.push_back(w);
  auto all = inst("sim_task.after_all", "sim_task.after_all");
  all.needs_blocks = {"sim_task.worker"};
  in.push_back(all);
  auto one = inst("sim_task.after_one", "sim_task.after_one");
  one.needs_instances = {"sim_task.worker[\"a\"]"};  // its key is not known at plan time
  in.push_back(one);
  auto first = inst("sim_task.after_first", "sim_task.after_first");
  first.needs_any = {"sim_task.worker"};
  in.push_back(first);
  Diagnostics d;
  PlanGraph g = build_plan_graph(in, d);
  ASSERT_FALSE(d.has_errors());
  int e = g.find("sim_task.worker (expand)");
  ASSERT_GE(e, 0);
  EXPECT_EQ(g.nodes[e].kind, NodeKind::Expand);
  EXPECT_EQ(g.nodes[e].address, "sim_task.worker");
  EXPECT_TRUE(has_edge(g, "sim_election.master", "sim_task.worker (expand)"));
  // Dependents wait on the block's aggregate (or any-of node), which waits for the expansion;
  // apply adds the instances in between.
  EXPECT_TRUE(has_edge(g, "sim_task.worker (expand)", "sim_task.worker[*]"));
  EXPECT_TRUE(has_edge(g, "sim_task.worker[*]", "sim_task.after_all"));
  EXPECT_TRUE(has_edge(g, "sim_task.worker[*]", "sim_task.after_one"));
  EXPECT_TRUE(has_edge(g, "sim_task.worker (expand)", "any(sim_task.worker)"));
  EXPECT_TRUE(has_edge(g, "any(sim_task.worker)", "sim_task.after_first"));
  EXPECT_EQ(g.nodes.size(), 7u);
  // -target of the deferred block keeps its expansion and what it needs.
  auto kept = targeted_addresses(g, {"sim_task.worker"}, d);
  EXPECT_EQ(kept, (std::vector<std::string>{"sim_election.master", "sim_task.worker"}));
}

TEST(Graph, ReplacementsOrderDestroyAndCreate) {
  std::vector<GraphInstance> in = {inst("a.x", "a.x", PlanAction::DeleteThenCreate),
                                   inst("a.y", "a.y", PlanAction::CreateThenDelete)};
  Diagnostics d;
  PlanGraph g = build_plan_graph(in, d);
  EXPECT_TRUE(has_edge(g, "a.x (destroy)", "a.x"));
  EXPECT_TRUE(has_edge(g, "a.y", "a.y (destroy)"));
  EXPECT_EQ(g.nodes[g.find("a.x (destroy)")].op, NodeOp::Delete);
  EXPECT_EQ(g.nodes[g.find("a.x")].op, NodeOp::Create);
}

TEST(Graph, DestroyOrderIsReversed) {
  // Tasks depended on machines; everything is destroyed: tasks go first.
  std::vector<GraphInstance> in;
  for (int i = 0; i < 2; ++i)
    in.push_back(inst("m.n[" + std::to_string(i) + "]", "m.n", PlanAction::Delete));
  for (int i = 0; i < 2; ++i) {
    auto t = inst("t.w[" + std::to_string(i) + "]", "t.w", PlanAction::Delete);
    t.destroy_deps = {"m.n"};
    in.push_back(t);
  }
  Diagnostics d;
  PlanGraph g = build_plan_graph(in, d);
  EXPECT_FALSE(d.has_errors());
  auto order = topological_order(g);
  ASSERT_FALSE(order.empty());
  std::vector<int> pos(g.nodes.size());
  for (size_t i = 0; i < order.size(); ++i) pos[order[i]] = static_cast<int>(i);
  for (int t = 0; t < 2; ++t)
    for (int m = 0; m < 2; ++m)
      EXPECT_LT(pos[g.find("t.w[" + std::to_string(t) + "] (destroy)")],
                pos[g.find("m.n[" + std::to_string(m) + "] (destroy)")]);
  // Through one node, not 2×2 edges.
  EXPECT_GE(g.find("m.n (destroy dependents)"), 0);
  EXPECT_EQ(g.edges.size(), 4u);
}

TEST(Graph, DataReadsWaitForTheDeletesOfWhatTheyDependOn) {
  std::vector<GraphInstance> in;
  in.push_back(inst("chef_node.web[0]", "chef_node.web", PlanAction::NoOp));
  in.push_back(inst("chef_node.web[1]", "chef_node.web", PlanAction::Delete));
  auto search = inst("data.chef_search.web", "data.chef_search.web", PlanAction::Read);
  search.needs_blocks = {"chef_node.web"};
  in.push_back(search);
  auto lb = inst("chef_converge.lb", "chef_converge.lb", PlanAction::Update);
  lb.needs_instances = {"data.chef_search.web"};
  in.push_back(lb);
  Diagnostics d;
  PlanGraph g = build_plan_graph(in, d);
  EXPECT_FALSE(d.has_errors());
  EXPECT_TRUE(has_edge(g, destroy_node_id("chef_node.web[1]"), "data.chef_search.web"));
  EXPECT_TRUE(has_edge(g, "data.chef_search.web", "chef_converge.lb"));
}

TEST(Graph, CycleReportedWithPath) {
  auto a = inst("a.a", "a.a");
  a.needs_blocks = {"b.b"};
  auto b = inst("b.b", "b.b");
  b.needs_instances = {"c.c"};
  auto c = inst("c.c", "c.c");
  c.needs_blocks = {"a.a"};
  c.range.file = "main.orch";
  c.range.start.line = 7;
  Diagnostics d;
  build_plan_graph({a, b, c}, d);
  ASSERT_TRUE(d.has_errors());
  const auto& diag = d.list()[0];
  EXPECT_EQ(diag.summary, "Cycle: a.a → c.c → b.b → a.a");
  EXPECT_EQ(diag.range.start.line, 7);
}

TEST(Graph, DeterministicRegardlessOfInputOrder) {
  std::vector<GraphInstance> in;
  for (int i = 0; i < 20; ++i) {
    auto x = inst("t.w[" + std::to_string(i) + "]", "t.w");
    x.needs_blocks = {"m.n"};
    x.needs_any = {"m.n"};
    in.push_back(x);
    in.push_back(inst("m.n[" + std::to_string(i) + "]", "m.n"));
  }
  Diagnostics d;
  PlanGraph g1 = build_plan_graph(in, d);
  std::reverse(in.begin(), in.end());
  PlanGraph g2 = build_plan_graph(in, d);
  ASSERT_EQ(g1.nodes.size(), g2.nodes.size());
  for (size_t i = 0; i < g1.nodes.size(); ++i) EXPECT_EQ(g1.nodes[i].id, g2.nodes[i].id);
  EXPECT_EQ(g1.edges, g2.edges);
  EXPECT_EQ(render_dot(g1), render_dot(g2));
}

TEST(Graph, TargetKeepsDependencies) {
  auto m0 = inst("m.n[0]", "m.n"), m1 = inst("m.n[1]", "m.n");
  auto e = inst("e.x", "e.x");
  e.needs_instances = {"m.n[1]"};
  auto other = inst("o.o", "o.o");
  Diagnostics d;
  PlanGraph g = build_plan_graph({m0, m1, e, other}, d);
  auto kept = targeted_addresses(g, {"e.x"}, d);
  EXPECT_EQ(kept, (std::vector<std::string>{"e.x", "m.n[1]"}));
  kept = targeted_addresses(g, {"m.n"}, d);
  EXPECT_EQ(kept, (std::vector<std::string>{"m.n[0]", "m.n[1]"}));
  targeted_addresses(g, {"not an address["}, d);
  EXPECT_TRUE(d.has_errors());
}

TEST(Graph, LongestPathAndDot) {
  auto a = inst("a.a", "a.a"), b = inst("b.b", "b.b"), c = inst("c.c", "c.c");
  b.needs_blocks = {"a.a"};
  c.needs_blocks = {"b.b"};
  auto z = inst("z.z", "z.z");
  Diagnostics d;
  PlanGraph g = build_plan_graph({a, b, c, z}, d);
  auto path = longest_path(g);
  ASSERT_EQ(path.size(), 3u);
  EXPECT_EQ(g.nodes[path[0]].id, "a.a");
  EXPECT_EQ(g.nodes[path[2]].id, "c.c");
  std::string dot = render_dot(g, {path, {}});
  EXPECT_NE(dot.find("\"a.a\" -> \"b.b\" [color = red, penwidth = 2];"), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"z.z\" [label = \"z.z\"];"), std::string::npos) << dot;
  EXPECT_EQ(dot.rfind("digraph orch {", 0), 0u);
}

}  // namespace
}  // namespace orch
