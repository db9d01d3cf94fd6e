// libcurl's multi-socket interface on the Asio loop (see curl_driver.h).
#include "planner/curl_driver.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>

namespace orch {

namespace asio = boost::asio;

// One socket curl asked us to watch. Handlers hold it by shared_ptr: after curl is done with the
// socket (`removed`), queued handlers still run (aborted) and must find it alive.
struct CurlDriver::Socket {
  Socket(asio::io_context& io, curl_socket_t fd) : fd(fd), descriptor(io, fd) {}
  curl_socket_t fd;
  asio::posix::stream_descriptor descriptor;
  int what = 0;  // CURL_POLL_IN / OUT / INOUT
  bool read_armed = false;
  bool write_armed = false;
  bool removed = false;
};

// What queued handlers need to tell whether the driver still exists.
struct CurlDriver::Shared {
  explicit Shared(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
  CurlDriver* driver = nullptr;  // nullptr once the driver is destroyed
};

CurlDriver::CurlDriver(asio::io_context& io)
    : io_(io), shared_(std::make_shared<Shared>(io)), multi_(curl_multi_init()) {
  shared_->driver = this;
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlDriver::on_socket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlDriver::on_timer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

CurlDriver::~CurlDriver() {
  shared_->driver = nullptr;
  shared_->timer.cancel();
  for (auto& [easy, done] : transfers_) {
    curl_multi_remove_handle(multi_, easy);
    curl_easy_cleanup(easy);
  }
  transfers_.clear();
  curl_multi_cleanup(multi_);
  // Sockets curl did not report removed: stop watching them (curl closed or will close them).
  for (auto& [fd, socket] : sockets_) {
    socket->removed = true;
    socket->descriptor.release();
  }
}

void CurlDriver::set_connection_limits(long per_host, long total) {
  if (per_host > 0) curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, per_host);
  if (total > 0) curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, total);
}

void CurlDriver::add(CURL* easy, std::function<void(CURLcode, CURL*)> done) {
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  transfers_.emplace(easy, std::move(done));
  // Adding sets curl's timer (to 0): the transfer starts from the loop, never inside add().
  curl_multi_add_handle(multi_, easy);
}

void CurlDriver::cancel(CURL* easy) {
  auto it = transfers_.find(easy);
  if (it == transfers_.end()) return;
  transfers_.erase(it);
  curl_multi_remove_handle(multi_, easy);
  curl_easy_cleanup(easy);
}

int CurlDriver::on_socket(CURL*, curl_socket_t fd, int what, void* self, void*) {
  auto* driver = static_cast<CurlDriver*>(self);
  if (what == CURL_POLL_REMOVE) {
    auto it = driver->sockets_.find(fd);
    if (it != driver->sockets_.end()) {
      it->second->removed = true;
      // Stop watching without closing: the descriptor belongs to curl.
      it->second->descriptor.release();
      driver->sockets_.erase(it);
    }
    return 0;
  }
  driver->watch(fd, what);
  return 0;
}

int CurlDriver::on_timer(CURLM*, long timeout_ms, void* self) {
  auto* driver = static_cast<CurlDriver*>(self);
  auto& timer = driver->shared_->timer;
  if (timeout_ms < 0) {
    timer.cancel();
    return 0;
  }
  timer.expires_after(std::chrono::milliseconds(timeout_ms));
  std::weak_ptr<Shared> weak = driver->shared_;
  timer.async_wait([weak](const boost::system::error_code& ec) {
    auto shared = weak.lock();
    if (ec || !shared || !shared->driver) return;
    shared->driver->action(CURL_SOCKET_TIMEOUT, 0);
  });
  return 0;
}

void CurlDriver::watch(curl_socket_t fd, int what) {
  auto it = sockets_.find(fd);
  if (it == sockets_.end()) it = sockets_.emplace(fd, std::make_shared<Socket>(io_, fd)).first;
  std::shared_ptr<Socket> socket = it->second;
  socket->what = what;
  if ((what & CURL_POLL_IN) && !socket->read_armed) arm(socket, false);
  if ((what & CURL_POLL_OUT) && !socket->write_armed) arm(socket, true);
}

void CurlDriver::arm(const std::shared_ptr<Socket>& socket, bool for_write) {
  (for_write ? socket->write_armed : socket->read_armed) = true;
  std::weak_ptr<Shared> weak = shared_;
  auto kind = for_write ? asio::posix::stream_descriptor::wait_write
                        : asio::posix::stream_descriptor::wait_read;
  socket->descriptor.async_wait(
      kind, [weak, socket, for_write](const boost::system::error_code& ec) {
        (for_write ? socket->write_armed : socket->read_armed) = false;
        if (ec || socket->removed) return;
        auto shared = weak.lock();
        if (!shared || !shared->driver) return;
        CurlDriver* driver = shared->driver;
        driver->action(socket->fd, for_write ? CURL_CSELECT_OUT : CURL_CSELECT_IN);
        // The transfer's callback may have destroyed the driver, or curl may be done with the
        // socket.
        if (!shared->driver || socket->removed) return;
        int want = for_write ? CURL_POLL_OUT : CURL_POLL_IN;
        bool armed = for_write ? socket->write_armed : socket->read_armed;
        if ((socket->what & want) && !armed) driver->arm(socket, for_write);
      });
}

void CurlDriver::action(curl_socket_t fd, int events) {
  int running = 0;
  curl_multi_socket_action(multi_, fd, events, &running);
  finish_done();
}

void CurlDriver::finish_done() {
  std::shared_ptr<Shared> shared = shared_;
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    CURLcode code = msg->data.result;
    curl_multi_remove_handle(multi_, easy);
    auto it = transfers_.find(easy);
    if (it == transfers_.end()) {
      curl_easy_cleanup(easy);
      continue;
    }
    auto done = std::move(it->second);
    transfers_.erase(it);
    done(code, easy);
    curl_easy_cleanup(easy);
    if (!shared->driver) return;  // `done` destroyed the driver
  }
}

}  // namespace orch
