// Token bucket (see token_bucket.h).
#include "providers/ec2/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace orch::ec2 {

TokenBucket::TokenBucket(Clock* clock, double rate, double burst)
    : clock_(clock), rate_(rate), burst_(std::max(1.0, burst)), tokens_(std::max(1.0, burst)) {
  last_ = clock_ ? clock_->now() : TimePoint(0);
}

void TokenBucket::refill() {
  if (!clock_) return;
  TimePoint now = clock_->now();
  double add = static_cast<double>((now - last_).count()) / 1000.0 * rate_;
  tokens_ = std::min(burst_, tokens_ + add);
  last_ = now;
}

void TokenBucket::drain() {
  if (rate_ <= 0) return;
  refill();
  tokens_ = std::min(tokens_, 0.0);
}

void TokenBucket::acquire(std::function<void()> fn, bool urgent) {
  if (rate_ <= 0 || !clock_) return fn();
  if (urgent)
    waiters_.push_front(std::move(fn));
  else
    waiters_.push_back(std::move(fn));
  serve();
}

void TokenBucket::serve() {
  refill();
  while (!waiters_.empty() && tokens_ >= 1.0) {
    tokens_ -= 1.0;
    auto fn = std::move(waiters_.front());
    waiters_.pop_front();
    // On the loop, not inside the caller's stack (acquire may be called from a callback).
    clock_->schedule(Duration(0), std::move(fn));
  }
  if (waiters_.empty() || timer_armed_) return;
  double missing = 1.0 - tokens_;
  auto wait = Duration(static_cast<int64_t>(std::ceil(missing / rate_ * 1000.0)));
  timer_armed_ = true;
  std::weak_ptr<char> guard = alive_;
  clock_->schedule(std::max(wait, Duration(1)), [this, guard] {
    if (guard.expired()) return;
    timer_armed_ = false;
    serve();
  });
}

}  // namespace orch::ec2
