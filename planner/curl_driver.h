// Runs libcurl transfers on the clock's Asio loop through the multi-socket interface: curl tells
// which sockets to watch and when its timer fires, Asio waits on them, so thousands of transfers
// share one thread and an idle driver costs nothing.
#pragma once

#include <curl/curl.h>

#include <functional>
#include <map>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace orch {

class CurlDriver {
 public:
  explicit CurlDriver(boost::asio::io_context& io);
  ~CurlDriver();
  CurlDriver(const CurlDriver&) = delete;
  CurlDriver& operator=(const CurlDriver&) = delete;

  // Takes ownership of a configured easy handle and runs it; `done` is called on the loop with
  // the result and the handle (still valid inside `done`; cleaned up after it returns). `done`
  // may add transfers or destroy the driver.
  void add(CURL* easy, std::function<void(CURLcode, CURL*)> done);
  // Aborts a transfer without calling its `done` (no-op when it already finished).
  void cancel(CURL* easy);
  size_t active() const { return transfers_.size(); }
  // Limits for the connection pool: per host and in total (0: libcurl's defaults).
  void set_connection_limits(long per_host, long total);

 private:
  struct Socket;
  struct Shared;
  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void* socket_data);
  static int on_timer(CURLM* multi, long timeout_ms, void* self);
  void watch(curl_socket_t fd, int what);
  void arm(const std::shared_ptr<Socket>& socket, bool for_write);
  void action(curl_socket_t fd, int events);
  void finish_done();

  boost::asio::io_context& io_;
  std::shared_ptr<Shared> shared_;  // outlives the driver for handlers still queued
  CURLM* multi_ = nullptr;
  std::map<CURL*, std::function<void(CURLcode, CURL*)>> transfers_;
  std::map<curl_socket_t, std::shared_ptr<Socket>> sockets_;
};

}  // namespace orch
