// Retry decisions and deterministic jittered exponential backoff (see retry.h).
#include "planner/retry.h"

#include <algorithm>
#include <cmath>

namespace orch {

uint64_t stable_hash(std::string_view text, uint64_t seed) {
  uint64_t h = 1469598103934665603ULL ^ seed;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  // splitmix64 finaliser: spreads nearby inputs over the whole range.
  h += 0x9e3779b97f4a7c15ULL;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

double unit_interval(uint64_t hash) {
  return static_cast<double>(hash >> 11) * 0x1.0p-53;
}

bool should_retry(const RetryPolicy& policy, const ProviderError& error, int attempt) {
  return error.retryable && attempt < policy.max_attempts;
}

Duration backoff_delay(const RetryPolicy& policy, const ProviderError& error, int attempt,
                       uint64_t seed, std::string_view address) {
  const double base = static_cast<double>(policy.initial.count()) *
                      std::pow(policy.multiplier, std::max(0, attempt - 1));
  const double capped = std::min(base, static_cast<double>(policy.max_delay.count()));
  const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  const double u = unit_interval(stable_hash(address, seed ^ (0x51ed2701ULL * attempt)));
  auto delay = Duration(static_cast<int64_t>(capped * (1.0 - jitter + jitter * u)));
  if (error.retry_after && *error.retry_after > delay) delay = *error.retry_after;
  return delay;
}

}  // namespace orch
