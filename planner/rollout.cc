// Rollout batches (see rollout.h).
#include "planner/rollout.h"

#include <algorithm>
#include <cstdlib>

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

void set_rollout_waves(PlanRollout& r, const std::vector<std::string>& members) {
  const int total = static_cast<int>(members.size());
  const int canary = std::clamp(r.canary, 0, total);
  const int rest = total - canary;
  ExecRollout spec;
  if (!r.batch.empty() && r.batch.back() == '%')
    spec.batch_percent = std::atoi(r.batch.c_str());
  else if (!r.batch.empty())
    spec.batch = std::atoi(r.batch.c_str());
  r.batch_size = rollout_batch_size(spec, rest);
  r.waves.clear();
  if (canary > 0) r.waves.emplace_back(members.begin(), members.begin() + canary);
  for (int i = canary; i < total;) {
    int n = std::min(total - i, std::max(1, r.batch_size));
    r.waves.emplace_back(members.begin() + i, members.begin() + i + n);
    i += n;
  }
}

}  // namespace orch
