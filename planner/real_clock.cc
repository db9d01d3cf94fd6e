// The real clock on Boost.Asio (see real_clock.h).
#include "planner/real_clock.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

namespace orch {

RealClock::RealClock() : origin_(std::chrono::steady_clock::now()) {}

TimePoint RealClock::now() const {
  return std::chrono::duration_cast<TimePoint>(std::chrono::steady_clock::now() - origin_);
}

void RealClock::schedule(Duration delay, std::function<void()> fn) {
  if (delay.count() <= 0) {
    boost::asio::post(io_, std::move(fn));
    return;
  }
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, delay);
  timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (!ec) fn();
  });
}

void RealClock::run() {
  io_.restart();
  io_.run();
}

}  // namespace orch
