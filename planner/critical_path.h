// The critical path of a finished run (the chain of steps that determined the makespan) and the
// dependency lower bound (the makespan an executor with no limits could reach).
#pragma once

#include <vector>

#include "planner/exec_graph.h"
#include "planner/executor.h"

namespace orch {

// From the step that finished last (ties: the last to finish in event order), back through each
// step's `cause` (its determining dependency, the step that freed its limit or lock, or the
// previous rollout batch), first to last. Skipped and abandoned steps end nothing: only done and
// failed steps are considered.
std::vector<StepId> critical_chain(const std::vector<StepRecord>& records);

// Longest path through the dependency graph where each step lasts as long as it ran
// (started → finished; 0 if it never started), any-of groups counting their earliest member,
// and rollout batches and pauses ignored. O(V + E).
Duration dependency_lower_bound(const ExecGraph& graph, const std::vector<StepRecord>& records);

}  // namespace orch
