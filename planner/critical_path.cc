// Critical chain and dependency lower bound of a run (see critical_path.h).
#include "planner/critical_path.h"

#include <algorithm>
#include <deque>

namespace orch {

std::vector<StepId> critical_chain(const std::vector<StepRecord>& records) {
  StepId last = kNoStep;
  for (StepId id = 0; id < records.size(); ++id) {
    const auto& r = records[id];
    if (r.status != StepStatus::Done && r.status != StepStatus::Failed) continue;
    if (last == kNoStep || r.finished_at > records[last].finished_at ||
        (r.finished_at == records[last].finished_at && r.finish_order > records[last].finish_order))
      last = id;
  }
  std::vector<StepId> chain;
  // `cause` links always point to steps that finished earlier, so this ends; the size guard
  // protects against corrupt records.
  for (StepId id = last; id != kNoStep && chain.size() < records.size(); id = records[id].cause)
    chain.push_back(id);
  std::reverse(chain.begin(), chain.end());
  return chain;
}

Duration dependency_lower_bound(const ExecGraph& graph, const std::vector<StepRecord>& records) {
  const size_t n = graph.steps.size();
  auto duration = [&](StepId id) {
    const auto& r = records[id];
    if (r.started_at.count() < 0 || r.finished_at.count() < 0) return Duration(0);
    return r.finished_at - r.started_at;
  };
  // Kahn's order over all-of and any-of edges.
  std::vector<uint32_t> indegree(n, 0);
  std::vector<std::vector<StepId>> dependents(n);
  for (StepId id = 0; id < n; ++id) {
    const auto& s = graph.steps[id];
    for (StepId d : s.depends_on) {
      ++indegree[id];
      dependents[d].push_back(id);
    }
    for (const auto& group : s.any_of)
      for (StepId d : group) {
        ++indegree[id];
        dependents[d].push_back(id);
      }
  }
  std::vector<Duration> finish(n, Duration(0));
  std::deque<StepId> queue;
  for (StepId id = 0; id < n; ++id)
    if (indegree[id] == 0) queue.push_back(id);
  Duration best(0);
  while (!queue.empty()) {
    StepId id = queue.front();
    queue.pop_front();
    const auto& s = graph.steps[id];
    Duration start(0);
    for (StepId d : s.depends_on) start = std::max(start, finish[d]);
    for (const auto& group : s.any_of) {
      // The earliest member that was done; failed or skipped members satisfy nothing.
      Duration earliest(-1);
      for (StepId d : group)
        if (records[d].status == StepStatus::Done && (earliest.count() < 0 || finish[d] < earliest))
          earliest = finish[d];
      start = std::max(start, std::max(earliest, Duration(0)));
    }
    finish[id] = start + duration(id);
    best = std::max(best, finish[id]);
    for (StepId t : dependents[id])
      if (--indegree[t] == 0) queue.push_back(t);
  }
  return best;
}

}  // namespace orch
