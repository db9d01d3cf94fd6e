// Retries of transient provider errors: bounded attempts, exponential backoff with jitter that
// is a pure function of (seed, address, attempt), so simulated runs are reproducible.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "planner/clock.h"
#include "providers/provider.h"

namespace orch {

struct RetryPolicy {
  int max_attempts = 5;  // including the first; 1: never retry
  Duration initial = std::chrono::seconds(1);
  Duration max_delay = std::chrono::seconds(60);
  double multiplier = 2.0;
  // Fraction of the delay that is randomised: delay * (1 - jitter + jitter * u), u in [0, 1).
  double jitter = 0.5;
};

// True when `error` should be retried after failed attempt number `attempt` (1-based).
bool should_retry(const RetryPolicy& policy, const ProviderError& error, int attempt);

// Delay before attempt `attempt + 1` after attempt `attempt` failed: initial *
// multiplier^(attempt-1), capped at max_delay, jittered deterministically, and never below the
// server's retry_after.
Duration backoff_delay(const RetryPolicy& policy, const ProviderError& error, int attempt,
                       uint64_t seed, std::string_view address);

// A stable 64-bit hash (FNV-1a folded with splitmix64) for deterministic pseudo-randomness.
uint64_t stable_hash(std::string_view text, uint64_t seed);
// Uniform in [0, 1) from a hash.
double unit_interval(uint64_t hash);

}  // namespace orch
