// Time for the executor: real time for real providers, a virtual clock for simulation.
// Both schedule callbacks; the virtual one jumps straight to the next event.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace boost::asio {
class io_context;
}

namespace orch {

using Duration = std::chrono::milliseconds;
// Milliseconds since the run started (virtual or real).
using TimePoint = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  // Runs `fn` on the loop after `delay` (0: as soon as possible, after what is already queued).
  virtual void schedule(Duration delay, std::function<void()> fn) = 0;
  // Runs the loop until nothing is scheduled and nothing is in flight, or stop() is called.
  virtual void run() = 0;
  virtual void stop() = 0;
  virtual bool is_virtual() const = 0;
  // The Asio loop behind a real clock, for I/O on the loop (sockets, curl, child processes);
  // nullptr for the virtual clock.
  virtual boost::asio::io_context* io_context() { return nullptr; }
};

}  // namespace orch
