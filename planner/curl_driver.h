// Runs libcurl transfers on the clock's Asio loop through the multi interface: a short timer
// drives curl_multi_perform while transfers are active, so the loop is never blocked.
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
  // the result and the handle (still valid inside `done`; cleaned up after it returns).
  void add(CURL* easy, std::function<void(CURLcode, CURL*)> done);
  size_t active() const { return transfers_.size(); }

 private:
  void tick();
  void arm();

  struct State;
  std::shared_ptr<State> state_;
  CURLM* multi_ = nullptr;
  std::map<CURL*, std::function<void(CURLcode, CURL*)>> transfers_;
};

}  // namespace orch
