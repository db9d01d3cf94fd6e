// libcurl multi on the Asio loop (see curl_driver.h).
#include "planner/curl_driver.h"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>

namespace orch {

struct CurlDriver::State {
  explicit State(boost::asio::io_context& io) : timer(io) {}
  boost::asio::steady_timer timer;
  bool armed = false;
};

CurlDriver::CurlDriver(boost::asio::io_context& io)
    : state_(std::make_shared<State>(io)), multi_(curl_multi_init()) {}

CurlDriver::~CurlDriver() {
  state_->timer.cancel();
  for (auto& [easy, done] : transfers_) {
    curl_multi_remove_handle(multi_, easy);
    curl_easy_cleanup(easy);
  }
  curl_multi_cleanup(multi_);
}

void CurlDriver::add(CURL* easy, std::function<void(CURLcode, CURL*)> done) {
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  transfers_.emplace(easy, std::move(done));
  curl_multi_add_handle(multi_, easy);
  arm();
}

void CurlDriver::arm() {
  if (state_->armed || transfers_.empty()) return;
  long wait_ms = -1;
  curl_multi_timeout(multi_, &wait_ms);
  // Poll sockets at least every 5 ms while transfers run; curl's own timeout when sooner.
  wait_ms = wait_ms < 0 ? 5 : std::min<long>(wait_ms, 5);
  state_->armed = true;
  std::weak_ptr<State> guard = state_;
  state_->timer.expires_after(std::chrono::milliseconds(wait_ms));
  state_->timer.async_wait([this, guard](const boost::system::error_code& ec) {
    auto state = guard.lock();
    if (!state || ec) return;
    state->armed = false;
    tick();
  });
}

void CurlDriver::tick() {
  int running = 0;
  curl_multi_perform(multi_, &running);
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    CURLcode code = msg->data.result;
    curl_multi_remove_handle(multi_, easy);
    auto it = transfers_.find(easy);
    auto done = std::move(it->second);
    transfers_.erase(it);
    std::weak_ptr<State> guard = state_;
    done(code, easy);
    curl_easy_cleanup(easy);
    if (guard.expired()) return;  // `done` destroyed the driver
  }
  arm();
}

}  // namespace orch
