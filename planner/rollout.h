// Rollout batches: how the members of an ExecRollout split into a canary batch and the batches
// after it.
#pragma once

#include <vector>

#include "planner/exec_graph.h"

namespace orch {

// Size of the batches after the canary, for `rest` members left after it: `batch`, or
// ceil(rest * batch_percent / 100) (at least 1), or all of `rest` when neither is set.
int rollout_batch_size(const ExecRollout& rollout, int rest);

// The batch of each member, by position in `rollout.members`: the first min(canary, n) members
// form batch 0 when canary > 0, then consecutive batches of rollout_batch_size().
std::vector<int> rollout_batches(const ExecRollout& rollout);

}  // namespace orch
