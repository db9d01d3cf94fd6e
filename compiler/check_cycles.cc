// Cycle detection among a module's locals, resources, data sources and module calls: one error
// per cycle naming the whole path, with a note at each reference that closes it.
#include <fmt/format.h>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/strong_components.hpp>
#include <deque>

#include "compiler/check_internal.h"

namespace orch::detail {

namespace {

struct RefGraph {
  std::vector<std::string> names;                         // node index → address, sorted
  std::map<std::string, size_t> index;                    // address → node
  std::vector<std::vector<size_t>> out;                   // sorted successor lists
  std::map<std::pair<size_t, size_t>, Range> edge_range;  // first reference of each edge
};

void add_edges(RefGraph& g, size_t from, const std::vector<Reference>& refs) {
  for (const Reference& r : refs) {
    if (!r.is_object()) continue;
    auto it = g.index.find(r.address());
    if (it == g.index.end()) continue;  // undeclared: reported by evaluation
    size_t to = it->second;
    if (g.edge_range.emplace(std::pair{from, to}, r.range).second) g.out[from].push_back(to);
  }
}

RefGraph build_graph(const Config& c) {
  RefGraph g;
  for (const auto& [name, _] : c.locals) g.names.push_back("local." + name);
  for (const auto& [address, _] : c.resources) g.names.push_back(address);
  for (const auto& [name, _] : c.modules) g.names.push_back("module." + name);
  std::sort(g.names.begin(), g.names.end());
  for (size_t i = 0; i < g.names.size(); ++i) g.index[g.names[i]] = i;
  g.out.resize(g.names.size());
  for (const auto& [name, l] : c.locals) {
    std::vector<Reference> refs;
    if (l.value) collect_references(*l.value, refs);
    add_edges(g, g.index["local." + name], refs);
  }
  for (const auto& [address, r] : c.resources) {
    std::vector<Reference> refs;
    if (r.body) collect_references(*r.body, refs);
    add_edges(g, g.index[address], refs);
  }
  for (const auto& [name, m] : c.modules) {
    std::vector<Reference> refs;
    for (const auto& [_, a] : m.inputs) {
      if (a->value) collect_references(*a->value, refs);
    }
    for (const Expr* e : {m.count, m.for_each}) {
      if (e) collect_references(*e, refs);
    }
    for (const auto& d : m.depends_on) {
      if (d.expr) collect_references(*d.expr, refs);
    }
    add_edges(g, g.index["module." + name], refs);
  }
  for (auto& succ : g.out) std::sort(succ.begin(), succ.end());
  return g;
}

// The shortest cycle through `start` inside its component (breadth-first, deterministic).
std::vector<size_t> cycle_through(const RefGraph& g, size_t start,
                                  const std::vector<int>& component) {
  std::vector<size_t> parent(g.names.size(), SIZE_MAX);
  std::deque<size_t> queue;
  for (size_t s : g.out[start]) {
    if (component[s] != component[start]) continue;
    if (s == start) return {start, start};
    if (parent[s] == SIZE_MAX) {
      parent[s] = start;
      queue.push_back(s);
    }
  }
  while (!queue.empty()) {
    size_t u = queue.front();
    queue.pop_front();
    for (size_t v : g.out[u]) {
      if (component[v] != component[start]) continue;
      if (v == start) {
        std::vector<size_t> path = {start};
        for (size_t x = u; x != start; x = parent[x]) path.push_back(x);
        std::reverse(path.begin() + 1, path.end());
        path.push_back(start);
        return path;
      }
      if (parent[v] == SIZE_MAX) {
        parent[v] = u;
        queue.push_back(v);
      }
    }
  }
  return {};
}

}  // namespace

void check_cycles(const Config& config, Diagnostics& diags) {
  RefGraph g = build_graph(config);
  if (g.names.empty()) return;
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
  Graph bg(g.names.size());
  for (size_t u = 0; u < g.out.size(); ++u) {
    for (size_t v : g.out[u]) boost::add_edge(u, v, bg);
  }
  std::vector<int> component(g.names.size());
  const int n = boost::strong_components(bg, component.data());
  std::vector<size_t> size(static_cast<size_t>(n));
  for (int c : component) ++size[static_cast<size_t>(c)];
  std::vector<bool> reported(static_cast<size_t>(n));
  const std::string prefix = config.address_prefix();
  for (size_t u = 0; u < g.names.size(); ++u) {  // smallest name of each component first
    const size_t c = static_cast<size_t>(component[u]);
    const bool self_loop = g.edge_range.count({u, u}) > 0;
    if (reported[c] || (size[c] < 2 && !self_loop)) continue;
    reported[c] = true;
    std::vector<size_t> path = cycle_through(g, u, component);
    if (path.size() < 2) continue;
    std::vector<std::string> names;
    for (size_t x : path) names.push_back(prefix + g.names[x]);
    const Range& first = g.edge_range[{path[0], path[1]}];
    auto& d = diags.error(
        first, fmt::format("Dependency cycle: {}", fmt::join(names, " → ")),
        path.size() == 2
            ? fmt::format("{} refers to itself, so it can never be evaluated.", names[0])
            : "These objects refer to each other in a loop, so none of them "
              "can be evaluated first. Remove one of the references to break "
              "the loop.");
    for (size_t i = 0; i + 1 < path.size(); ++i) {
      d.notes.push_back({fmt::format("{} refers to {} here", names[i], names[i + 1]),
                         g.edge_range[{path[i], path[i + 1]}]});
    }
  }
}

}  // namespace orch::detail
