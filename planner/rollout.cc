// Rollout batches (see rollout.h).
#include "planner/rollout.h"

#include <algorithm>

namespace orch {

int rollout_batch_size(const ExecRollout& rollout, int rest) {
  if (rest <= 0) return 1;
  if (rollout.batch > 0) return rollout.batch;
  if (rollout.batch_percent > 0) {
    int64_t size = (static_cast<int64_t>(rest) * rollout.batch_percent + 99) / 100;
    return static_cast<int>(std::clamp<int64_t>(size, 1, rest));
  }
  return rest;
}

std::vector<int> rollout_batches(const ExecRollout& rollout) {
  const int n = static_cast<int>(rollout.members.size());
  std::vector<int> batch_of(n, 0);
  const int canary = std::clamp(rollout.canary, 0, n);
  int batch = 0;
  int i = 0;
  if (canary > 0) {
    for (; i < canary; ++i) batch_of[i] = 0;
    batch = 1;
  }
  const int size = rollout_batch_size(rollout, n - canary);
  for (int in_batch = 0; i < n; ++i) {
    batch_of[i] = batch;
    if (++in_batch == size) {
      in_batch = 0;
      ++batch;
    }
  }
  return batch_of;
}

}  // namespace orch
