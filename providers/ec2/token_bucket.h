// A token bucket on the run's clock: at most `rate` acquisitions per second on average, bursts
// of up to `burst`. Waiters are served first come, first served by one timer, never by polling.
#pragma once

#include <deque>
#include <functional>
#include <memory>

#include "planner/clock.h"

namespace orch::ec2 {

class TokenBucket {
 public:
  // rate <= 0: unlimited (acquire runs `fn` at once).
  TokenBucket(Clock* clock, double rate, double burst);
  // Runs `fn` (on the loop) once a token is available. `urgent` waiters go before the others
  // (state polls must not queue behind a thousand launches).
  void acquire(std::function<void()> fn, bool urgent = false);
  // Makes the bucket empty now, so the next acquisitions wait (after the server throttled us).
  void drain();
  size_t waiting() const { return waiters_.size(); }
  double rate() const { return rate_; }

 private:
  void refill();
  void serve();

  Clock* clock_;
  double rate_, burst_;
  double tokens_;
  TimePoint last_;
  bool timer_armed_ = false;
  std::deque<std::function<void()>> waiters_;
  std::shared_ptr<char> alive_ = std::make_shared<char>(0);
};

}  // namespace orch::ec2
