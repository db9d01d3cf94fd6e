// The virtual clock (see virtual_clock.h).
#include "planner/virtual_clock.h"

#include <algorithm>

namespace orch {

void VirtualClock::schedule(Duration delay, std::function<void()> fn) {
  if (delay.count() < 0) delay = Duration(0);
  events_.push_back(Event{now_ + delay, seq_++, std::move(fn)});
  std::push_heap(events_.begin(), events_.end(), later);
}

bool VirtualClock::run_one() {
  if (events_.empty()) return false;
  std::pop_heap(events_.begin(), events_.end(), later);
  Event ev = std::move(events_.back());
  events_.pop_back();
  now_ = ev.at;
  ++events_run_;
  ev.fn();
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
