// The real clock: a Boost.Asio io_context and steady timers. Times are milliseconds since the
// clock was created. I/O (sockets, curl, child processes) runs on the same loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>

#include "planner/clock.h"

namespace orch {

class RealClock final : public Clock {
 public:
  RealClock();
  TimePoint now() const override;
  void schedule(Duration delay, std::function<void()> fn) override;
  // Runs the loop until it has no work left (no timers, no pending I/O) or stop().
  void run() override;
  void stop() override { io_.stop(); }
  bool is_virtual() const override { return false; }
  boost::asio::io_context* io_context() override { return &io_; }

 private:
  boost::asio::io_context io_;
  std::chrono::steady_clock::time_point origin_;
};

}  // namespace orch
