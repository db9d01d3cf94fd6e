// Building and checking execution graphs (see exec_graph.h).
#include "planner/exec_graph.h"

#include <fmt/format.h>
#include <deque>

namespace orch {

std::string ExecGate::describe() const {
  std::string text = target.empty() ? kind : kind + " " + target;
  if (expect_status) {
    text += kind == "command" ? fmt::format(" (expect exit {})", *expect_status)
                              : fmt::format(" (expect {})", *expect_status);
  }
  return text;
}

StepId ExecGraph::add(ExecStep step) {
  steps.push_back(std::move(step));
  return static_cast<StepId>(steps.size() - 1);
}

int ExecGraph::add_rollout(ExecRollout rollout) {
  const int index = static_cast<int>(rollouts.size());
  for (StepId m : rollout.members)
    if (m < steps.size() && steps[m].rollout < 0) steps[m].rollout = index;
  rollouts.push_back(std::move(rollout));
  return index;
}

std::vector<std::string> ExecGraph::validate() const {
  std::vector<std::string> problems;
  const size_t n = steps.size();
  auto check_id = [&](StepId from, StepId to) {
    if (to >= n) {
      problems.push_back(fmt::format("{}: dependency #{} does not exist", steps[from].address, to));
      return false;
    }
    return true;
  };
  std::vector<uint32_t> indegree(n, 0);
  std::vector<std::vector<StepId>> dependents(n);
  for (StepId id = 0; id < n; ++id) {
    const auto& s = steps[id];
    for (StepId d : s.depends_on)
      if (check_id(id, d)) {
        ++indegree[id];
        dependents[d].push_back(id);
      }
    for (const auto& group : s.any_of) {
      if (group.empty()) problems.push_back(fmt::format("{}: empty any-of group", s.address));
      for (StepId d : group)
        if (check_id(id, d)) {
          ++indegree[id];
          dependents[d].push_back(id);
        }
    }
  }
  std::vector<int> rollout_of(n, -1);
  for (size_t r = 0; r < rollouts.size(); ++r) {
    const auto& ro = rollouts[r];
    if (ro.canary < 0 || ro.batch < 0 || ro.batch_percent < 0 || ro.batch_percent > 100 ||
        ro.max_failures < 0 || ro.pause.count() < 0)
      problems.push_back(fmt::format("rollout {}: negative or out-of-range setting", ro.name));
    for (StepId m : ro.members) {
      if (m >= n) {
        problems.push_back(fmt::format("rollout {}: member #{} does not exist", ro.name, m));
        continue;
      }
      if (rollout_of[m] >= 0)
        problems.push_back(fmt::format("{}: member of two rollouts ({} and {})", steps[m].address,
                                       rollouts[rollout_of[m]].name, ro.name));
      rollout_of[m] = static_cast<int>(r);
      if (steps[m].rollout != static_cast<int>(r))
        problems.push_back(fmt::format("{}: not registered with rollout {} (use add_rollout)",
                                       steps[m].address, ro.name));
    }
  }
  // Cycles: whatever Kahn's algorithm cannot order lies on or behind a cycle.
  std::deque<StepId> queue;
  for (StepId id = 0; id < n; ++id)
    if (indegree[id] == 0) queue.push_back(id);
  size_t ordered = 0;
  while (!queue.empty()) {
    StepId id = queue.front();
    queue.pop_front();
    ++ordered;
    for (StepId t : dependents[id])
      if (--indegree[t] == 0) queue.push_back(t);
  }
  if (ordered < n) {
    std::string names;
    int shown = 0;
    for (StepId id = 0; id < n && shown < 10; ++id)
      if (indegree[id] > 0) {
        names += (shown++ ? ", " : "") + steps[id].address;
      }
    problems.push_back(fmt::format("dependency cycle among {} steps: {}{}", n - ordered, names,
                                   n - ordered > 10 ? ", ..." : ""));
  }
  return problems;
}

}  // namespace orch
