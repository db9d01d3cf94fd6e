// The execution graph of a plan: one node per operation on a resource instance, one aggregate
// node per referenced block (a splat referenced by M instances costs N+M edges, never N×M),
// any-of nodes, destroy ordering reversed, create_before_destroy; cycles reported with their
// path; deterministic order; DOT output for `orch graph`. Algorithms run on Boost.Graph.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compiler/diagnostic.h"
#include "planner/plan.h"

namespace orch {

// One instance's place in the graph, as the planner knows it after the diff.
struct GraphInstance {
  std::string address;  // "sim_machine.node[3]"
  std::string block;    // "sim_machine.node"
  PlanAction action = PlanAction::NoOp;
  // What its configuration needs done first, resolved by the planner:
  std::vector<std::string> needs_instances;  // exact instances (`x.y[2].id`)
  std::vector<std::string> needs_blocks;     // every instance of a block (`x.y[*].id`, `x.y`)
  std::vector<std::string> needs_any;        // ONE instance of a block (`depends_on = [any(x.y)]`)
  // Blocks it depended on when it was last applied (from state): deletes of those wait for the
  // delete of this instance (destroy order is the reverse of create order).
  std::vector<std::string> destroy_deps;
  Range range;  // the block in the configuration, for cycle diagnostics
  // A deferred block (count/for_each known only during apply): `address` is the block, and the
  // graph gets its expansion node, which its `needs_*` point to, instead of instance nodes.
  bool expand = false;
};

// Node ids: the instance address for its create/update/read/no-op; "ADDR (destroy)" for its
// delete; "BLOCK[*]" for a block's aggregate; "any(BLOCK)" for an any-of node;
// "BLOCK (destroy dependents)" for the aggregate that orders deletes.
std::string destroy_node_id(const std::string& address);
std::string aggregate_node_id(const std::string& block);
std::string any_node_id(const std::string& block);
std::string expand_node_id(const std::string& block);  // "BLOCK (expand)"

// Builds the graph; cycles become errors in `diags` ("Cycle: a → b → a").
PlanGraph build_plan_graph(const std::vector<GraphInstance>& instances, Diagnostics& diags);

// Predecessors and successors by node index (edge lists in ascending order).
struct Adjacency {
  std::vector<std::vector<int>> preds;
  std::vector<std::vector<int>> succs;
};
Adjacency adjacency(const PlanGraph& g);

// A topological order (deterministic: smallest id first among ready nodes); empty when the
// graph has a cycle, in which case `cycle` (if given) receives one cycle's node indices.
std::vector<int> topological_order(const PlanGraph& g, std::vector<int>* cycle = nullptr);

// Instance addresses that -target keeps: the instances selected by `patterns` plus everything
// they depend on (transitively). Patterns are resource or instance addresses (or module paths).
// Errors for malformed patterns go to `diags`.
std::vector<std::string> targeted_addresses(const PlanGraph& g,
                                            const std::vector<std::string>& patterns,
                                            Diagnostics& diags);

// The longest chain of nodes (by `weight` per node index, 1 each when empty), first to last.
std::vector<int> longest_path(const PlanGraph& g, const std::vector<int64_t>& weight = {});

struct DotOptions {
  std::vector<int> highlight;  // nodes on the critical path: drawn red and bold, with their edges
  std::map<std::string, std::string> labels;  // node id → label (default: the id)
};
std::string render_dot(const PlanGraph& g, const DotOptions& options = {});

}  // namespace orch
