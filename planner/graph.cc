// Building the execution graph and the graph algorithms the planner needs. Every pass is
// O(V+E): no transitive reduction, no all-pairs work.
#include "planner/graph.h"

#include <algorithm>
#include <queue>
#include <set>
#include <unordered_map>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/topological_sort.hpp>

namespace orch {

std::string destroy_node_id(const std::string& address) {
  return address + " (destroy)";
}
std::string aggregate_node_id(const std::string& block) {
  return block + "[*]";
}
std::string any_node_id(const std::string& block) {
  return "any(" + block + ")";
}
std::string expand_node_id(const std::string& block) {
  return block + " (expand)";
}
static std::string destroy_dependents_id(const std::string& block) {
  return block + " (destroy dependents)";
}

namespace {

bool has_forward(PlanAction a) {
  return a != PlanAction::Delete;
}
bool has_destroy(PlanAction a) {
  return a == PlanAction::Delete || a == PlanAction::DeleteThenCreate ||
         a == PlanAction::CreateThenDelete;
}
NodeOp forward_op(PlanAction a) {
  switch (a) {
    case PlanAction::Create:
    case PlanAction::DeleteThenCreate:
    case PlanAction::CreateThenDelete:
      return NodeOp::Create;
    case PlanAction::Update:
      return NodeOp::Update;
    case PlanAction::Read:
      return NodeOp::Read;
    case PlanAction::NoOp:
      return NodeOp::NoOp;
    case PlanAction::Delete:
      return NodeOp::Delete;
  }
  return NodeOp::NoOp;
}

// Accumulates nodes and edges by id, then sorts everything into canonical order.
class Builder {
 public:
  int node(const std::string& id, NodeKind kind, NodeOp op, const std::string& address) {
    auto [it, inserted] = index_.try_emplace(id, static_cast<int>(nodes_.size()));
    if (inserted) {
      PlanNode n;
      n.id = id;
      n.kind = kind;
      n.op = op;
      n.address = address;
      nodes_.push_back(std::move(n));
    }
    return it->second;
  }
  int find(const std::string& id) const {
    auto it = index_.find(id);
    return it == index_.end() ? -1 : it->second;
  }
  void edge(int from, int to) {
    if (from >= 0 && to >= 0 && from != to) edges_.push_back({from, to});
  }
  PlanGraph finish() {
    std::vector<int> order(nodes_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    std::sort(order.begin(), order.end(),
              [&](int a, int b) { return nodes_[a].id < nodes_[b].id; });
    std::vector<int> remap(nodes_.size());
    PlanGraph g;
    g.nodes.reserve(nodes_.size());
    for (size_t i = 0; i < order.size(); ++i) {
      remap[order[i]] = static_cast<int>(i);
      g.nodes.push_back(std::move(nodes_[order[i]]));
    }
    g.edges.reserve(edges_.size());
    for (const auto& e : edges_) g.edges.push_back({remap[e.from], remap[e.to]});
    std::sort(g.edges.begin(), g.edges.end(), [](const PlanEdge& a, const PlanEdge& b) {
      return a.from != b.from ? a.from < b.from : a.to < b.to;
    });
    g.edges.erase(std::unique(g.edges.begin(), g.edges.end()), g.edges.end());
    return g;
  }

 private:
  std::vector<PlanNode> nodes_;
  std::vector<PlanEdge> edges_;
  std::unordered_map<std::string, int> index_;
};

}  // namespace

PlanGraph build_plan_graph(const std::vector<GraphInstance>& instances, Diagnostics& diags) {
  Builder b;
  // Instances by block, in the given order (callers pass them sorted by address).
  std::map<std::string, std::vector<const GraphInstance*>> by_block;
  std::unordered_map<std::string, const GraphInstance*> by_address;
  std::map<std::string, int> expand_of;  // deferred block → its expansion node
  for (const auto& inst : instances) {
    if (inst.expand) {
      expand_of[inst.block] =
          b.node(expand_node_id(inst.block), NodeKind::Expand, NodeOp::None, inst.block);
      continue;
    }
    by_block[inst.block].push_back(&inst);
    by_address[inst.address] = &inst;
    if (has_forward(inst.action))
      b.node(inst.address, NodeKind::Instance, forward_op(inst.action), inst.address);
    if (has_destroy(inst.action))
      b.node(destroy_node_id(inst.address), NodeKind::Instance, NodeOp::Delete, inst.address);
  }
  auto forward = [&](const GraphInstance& i) {
    if (i.expand) return expand_of[i.block];
    return has_forward(i.action) ? b.find(i.address) : -1;
  };
  // A single unkeyed instance is its own aggregate: no extra node. A deferred block's aggregate
  // follows its expansion node (apply adds the instances in between).
  auto block_node = [&](const std::string& block) -> int {
    if (auto e = expand_of.find(block); e != expand_of.end()) {
      int agg = b.find(aggregate_node_id(block));
      if (agg >= 0) return agg;
      agg = b.node(aggregate_node_id(block), NodeKind::Aggregate, NodeOp::None, block);
      b.edge(e->second, agg);
      return agg;
    }
    auto it = by_block.find(block);
    if (it != by_block.end() && it->second.size() == 1 && it->second[0]->address == block)
      return forward(*it->second[0]);
    int agg = b.find(aggregate_node_id(block));
    if (agg >= 0) return agg;
    agg = b.node(aggregate_node_id(block), NodeKind::Aggregate, NodeOp::None, block);
    if (it != by_block.end())
      for (const auto* m : it->second) b.edge(forward(*m), agg);
    return agg;
  };
  // The instance `address` of a deferred block stands for the block (its key is not known yet).
  auto deferred_block_of = [&](const std::string& address) -> std::string {
    for (const auto& [block, node] : expand_of)
      if (address.size() > block.size() && address.compare(0, block.size(), block) == 0 &&
          address[block.size()] == '[')
        return block;
    return "";
  };
  auto any_node = [&](const std::string& block) -> int {
    if (auto e = expand_of.find(block); e != expand_of.end()) {
      // Its any-of group is filled in by apply when the instances are known.
      int n = b.find(any_node_id(block));
      if (n >= 0) return n;
      n = b.node(any_node_id(block), NodeKind::AnyOf, NodeOp::None, block);
      b.edge(e->second, n);
      return n;
    }
    auto it = by_block.find(block);
    if (it == by_block.end() || it->second.empty()) return block_node(block);
    int n = b.find(any_node_id(block));
    if (n >= 0) return n;
    n = b.node(any_node_id(block), NodeKind::AnyOf, NodeOp::None, block);
    for (const auto* m : it->second) b.edge(forward(*m), n);
    return n;
  };

  for (const auto& inst : instances) {
    int f = forward(inst);
    int d = has_destroy(inst.action) ? b.find(destroy_node_id(inst.address)) : -1;
    if (f >= 0) {
      for (const auto& a : inst.needs_instances) {
        auto it = by_address.find(a);
        if (it != by_address.end()) {
          b.edge(forward(*it->second), f);
        } else if (!expand_of.empty()) {
          std::string blk = deferred_block_of(a);
          if (!blk.empty()) b.edge(block_node(blk), f);
        }
      }
      for (const auto& blk : inst.needs_blocks) b.edge(block_node(blk), f);
      for (const auto& blk : inst.needs_any) b.edge(any_node(blk), f);
    }
    if (inst.action == PlanAction::DeleteThenCreate) b.edge(d, f);
    if (inst.action == PlanAction::CreateThenDelete) b.edge(f, d);
    // A data source read during apply reads the world after its dependencies' changes, their
    // deletes included (a search must not find the node being removed).
    if (inst.action == PlanAction::Read && f >= 0) {
      std::set<std::string> blocks(inst.needs_blocks.begin(), inst.needs_blocks.end());
      blocks.insert(inst.needs_any.begin(), inst.needs_any.end());
      for (const auto& blk : blocks)
        if (auto it = by_block.find(blk); it != by_block.end())
          for (const auto* m : it->second)
            if (has_destroy(m->action)) b.edge(b.find(destroy_node_id(m->address)), f);
    }
  }

  // Destroy order: a delete of anything in block B waits for the deletes of the instances that
  // depended on B, gathered through one node per B.
  for (const auto& inst : instances) {
    if (inst.expand || !has_destroy(inst.action)) continue;
    int d = b.find(destroy_node_id(inst.address));
    std::set<std::string> deps(inst.destroy_deps.begin(), inst.destroy_deps.end());
    for (const auto& a : inst.needs_instances)
      if (auto it = by_address.find(a); it != by_address.end()) deps.insert(it->second->block);
    deps.insert(inst.needs_blocks.begin(), inst.needs_blocks.end());
    deps.insert(inst.needs_any.begin(), inst.needs_any.end());
    for (const auto& blk : deps) {
      auto it = by_block.find(blk);
      if (it == by_block.end() || blk == inst.block) continue;
      bool any_destroyed = false;
      for (const auto* m : it->second) any_destroyed |= has_destroy(m->action);
      if (!any_destroyed) continue;
      std::string id = destroy_dependents_id(blk);
      int dd = b.find(id);
      if (dd < 0) {
        dd = b.node(id, NodeKind::Aggregate, NodeOp::None, blk);
        for (const auto* m : it->second)
          if (has_destroy(m->action)) b.edge(dd, b.find(destroy_node_id(m->address)));
      }
      b.edge(d, dd);
    }
  }

  PlanGraph g = b.finish();
  std::vector<int> cycle;
  if (topological_order(g, &cycle).empty() && !g.nodes.empty()) {
    std::string path;
    for (int n : cycle) path += g.nodes[n].id + " → ";
    path += g.nodes[cycle.front()].id;
    Range range;
    for (int n : cycle) {
      auto it = by_address.find(g.nodes[n].address);
      if (it != by_address.end() && it->second->range.valid()) {
        range = it->second->range;
        break;
      }
    }
    diags.error(range, "Cycle: " + path,
                "These steps depend on each other, so none of them can start. Remove one of the "
                "references or depends_on entries that close the cycle.");
  }
  return g;
}

Adjacency adjacency(const PlanGraph& g) {
  Adjacency a;
  a.preds.resize(g.nodes.size());
  a.succs.resize(g.nodes.size());
  for (const auto& e : g.edges) {
    a.succs[e.from].push_back(e.to);
    a.preds[e.to].push_back(e.from);
  }
  for (auto& v : a.preds) std::sort(v.begin(), v.end());
  for (auto& v : a.succs) std::sort(v.begin(), v.end());
  return a;
}

// Finds one cycle with an iterative DFS (no recursion: graphs have tens of thousands of nodes).
static std::vector<int> find_cycle(const PlanGraph& g, const Adjacency& adj) {
  size_t n = g.nodes.size();
  std::vector<int> color(n, 0), parent(n, -1);
  std::vector<std::pair<int, size_t>> stack;
  for (size_t root = 0; root < n; ++root) {
    if (color[root]) continue;
    stack.push_back({static_cast<int>(root), 0});
    color[root] = 1;
    while (!stack.empty()) {
      auto& [v, i] = stack.back();
      if (i < adj.succs[v].size()) {
        int w = adj.succs[v][i++];
        if (color[w] == 0) {
          color[w] = 1;
          parent[w] = v;
          stack.push_back({w, 0});
        } else if (color[w] == 1) {
          std::vector<int> cycle;
          for (int x = v; x != w; x = parent[x]) cycle.push_back(x);
          cycle.push_back(w);
          std::reverse(cycle.begin(), cycle.end());
          return cycle;
        }
      } else {
        color[v] = 2;
        stack.pop_back();
      }
    }
  }
  return {};
}

std::vector<int> topological_order(const PlanGraph& g, std::vector<int>* cycle) {
  using BGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
  BGraph bg(g.nodes.size());
  for (const auto& e : g.edges) boost::add_edge(e.from, e.to, bg);
  std::vector<BGraph::vertex_descriptor> reversed;
  try {
    boost::topological_sort(bg, std::back_inserter(reversed));
  } catch (const boost::not_a_dag&) {
    if (cycle) *cycle = find_cycle(g, adjacency(g));
    return {};
  }
  // Boost's order depends on vertex numbering only, which is the sorted id order: deterministic.
  std::vector<int> order(reversed.rbegin(), reversed.rend());
  return order;
}

std::vector<std::string> targeted_addresses(const PlanGraph& g,
                                            const std::vector<std::string>& patterns,
                                            Diagnostics& diags) {
  std::vector<ResourceAddress> pats;
  for (const auto& p : patterns) {
    auto parsed = parse_address(p, true);
    if (!parsed.ok()) {
      diags.error({}, "Invalid -target address", parsed.error->str(p));
      continue;
    }
    pats.push_back(*parsed.address);
  }
  Adjacency adj = adjacency(g);
  std::vector<char> keep(g.nodes.size(), 0);
  std::vector<int> work;
  auto selectable = [&](size_t i) {
    return g.nodes[i].kind == NodeKind::Instance || g.nodes[i].kind == NodeKind::Expand;
  };
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (!selectable(i)) continue;
    auto a = parse_address(g.nodes[i].address);
    if (!a.ok()) continue;
    for (const auto& p : pats)
      if (p.selects(*a.address)) {
        keep[i] = 1;
        work.push_back(static_cast<int>(i));
        break;
      }
  }
  while (!work.empty()) {
    int v = work.back();
    work.pop_back();
    for (int p : adj.preds[v])
      if (!keep[p]) {
        keep[p] = 1;
        work.push_back(p);
      }
  }
  std::set<std::string> out;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (keep[i] && selectable(i)) out.insert(g.nodes[i].address);
  return {out.begin(), out.end()};
}

std::vector<int> longest_path(const PlanGraph& g, const std::vector<int64_t>& weight) {
  std::vector<int> order = topological_order(g);
  if (order.empty()) return {};
  Adjacency adj = adjacency(g);
  std::vector<int64_t> best(g.nodes.size(), 0);
  std::vector<int> from(g.nodes.size(), -1);
  auto w = [&](int v) { return weight.empty() ? 1 : weight[v]; };
  int end = -1;
  for (int v : order) {
    int64_t base = 0;
    for (int p : adj.preds[v])
      if (from[v] < 0 || best[p] > base) {
        base = best[p];
        from[v] = p;
      }
    best[v] = base + w(v);
    if (end < 0 || best[v] > best[end]) end = v;
  }
  std::vector<int> path;
  for (int v = end; v >= 0; v = from[v]) path.push_back(v);
  std::reverse(path.begin(), path.end());
  return path;
}

static std::string dot_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string render_dot(const PlanGraph& g, const DotOptions& options) {
  std::set<int> hot(options.highlight.begin(), options.highlight.end());
  std::set<std::pair<int, int>> hot_edges;
  for (size_t i = 1; i < options.highlight.size(); ++i)
    hot_edges.insert({options.highlight[i - 1], options.highlight[i]});
  std::string out = "digraph orch {\n  rankdir = \"LR\";\n  node [shape = box];\n";
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const PlanNode& n = g.nodes[i];
    auto it = options.labels.find(n.id);
    std::string label = it != options.labels.end() ? it->second : n.id;
    std::string attrs = "label = " + dot_quote(label);
    if (n.kind == NodeKind::AnyOf) attrs += ", shape = diamond";
    if (n.kind == NodeKind::Aggregate) attrs += ", shape = ellipse";
    if (n.op == NodeOp::Delete) attrs += ", style = dashed";
    if (hot.count(static_cast<int>(i))) attrs += ", color = red, penwidth = 2";
    out += "  " + dot_quote(n.id) + " [" + attrs + "];\n";
  }
  for (const auto& e : g.edges) {
    out += "  " + dot_quote(g.nodes[e.from].id) + " -> " + dot_quote(g.nodes[e.to].id);
    if (hot_edges.count({e.from, e.to})) out += " [color = red, penwidth = 2]";
    out += ";\n";
  }
  out += "}\n";
  return out;
}

}  // namespace orch
