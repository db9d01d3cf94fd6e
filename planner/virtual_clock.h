// A virtual clock: events in a priority queue of (time, sequence); run() pops them in order and
// jumps time straight to each. Single-threaded and deterministic: the same schedule calls give
// the same order, with ties broken by the order of scheduling.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "planner/clock.h"

namespace orch {

class VirtualClock final : public Clock {
 public:
  TimePoint now() const override { return now_; }
  void schedule(Duration delay, std::function<void()> fn) override;
  // Runs every event in time order (events may schedule more) until none is left or stop().
  void run() override;
  void stop() override { stopped_ = true; }
  bool is_virtual() const override { return true; }

  // Runs events due at or before `until`, then sets the time to `until` (if later than now).
  void run_until(TimePoint until);
  // Runs the next event, if any; returns false when nothing is scheduled.
  bool run_one();
  size_t pending() const { return events_.size(); }
  uint64_t events_run() const { return events_run_; }

 private:
  // Heap entries are small PODs; the callbacks stay put in `fns_` (slots reused via `free_`),
  // so sifting the heap never moves a std::function.
  struct Event {
    TimePoint at;
    uint64_t seq;
    uint32_t fn;
  };
  // Min-heap order for std::push_heap / std::pop_heap.
  static bool later(const Event& a, const Event& b) {
    return a.at != b.at ? a.at > b.at : a.seq > b.seq;
  }

  TimePoint now_{0};
  uint64_t seq_ = 0;
  uint64_t events_run_ = 0;
  bool stopped_ = false;
  std::vector<Event> events_;
  std::vector<std::function<void()>> fns_;
  std::vector<uint32_t> free_;
};

}  // namespace orch
