// The virtual clock (see virtual_clock.h).
#include "planner/virtual_clock.h"

#include <algorithm>

namespace orch {

void VirtualClock::schedule(Duration delay, std::function<void()> fn) {
  if (delay.count() < 0) delay = Duration(0);
  uint32_t slot;
  if (free_.empty()) {
    slot = static_cast<uint32_t>(fns_.size());
    fns_.push_back(std::move(fn));
  } else {
    slot = free_.back();
    free_.pop_back();
    fns_[slot] = std::move(fn);
  }
  events_.push_back(Event{now_ + delay, seq_++, slot});
  std::push_heap(events_.begin(), events_.end(), later);
}

bool VirtualClock::run_one() {
  if (events_.empty()) return false;
  std::pop_heap(events_.begin(), events_.end(), later);
  const Event ev = events_.back();
  events_.pop_back();
  now_ = ev.at;
  ++events_run_;
  std::function<void()> fn = std::move(fns_[ev.fn]);
  fns_[ev.fn] = nullptr;
  free_.push_back(ev.fn);
  fn();
  return true;
}

void VirtualClock::run() {
  stopped_ = false;
  while (!stopped_ && run_one()) {
  }
}

void VirtualClock::run_until(TimePoint until) {
  stopped_ = false;
  while (!stopped_ && !events_.empty() && events_.front().at <= until) run_one();
  if (!stopped_ && until > now_) now_ = until;
}

}  // namespace orch
