// Rollout batches: how the members of an ExecRollout split into a canary batch and the batches
// after it.
#pragma once

#include <vector>

#include <string>

#include "planner/exec_graph.h"
#include "planner/plan.h"

namespace orch {

// Size of the batches after the canary, for `rest` members left after it: `batch`, or
// ceil(rest * batch_percent / 100) (at least 1), or all of `rest` when neither is set.
int rollout_batch_size(const ExecRollout& rollout, int rest);

// The batch of each member, by position in `rollout.members`: the first min(canary, n) members
// form batch 0 when canary > 0, then consecutive batches of rollout_batch_size().
std::vector<int> rollout_batches(const ExecRollout& rollout);

// Splits `members` (in instance order) into the plan rollout's waves: min(canary, n) canaries,
// then batches of `batch` ("3", "50%" of the members after the canaries, or all of them when
// empty); sets `rollout.batch_size` and `rollout.waves`.
void set_rollout_waves(PlanRollout& rollout, const std::vector<std::string>& members);

}  // namespace orch
