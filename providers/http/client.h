// The HTTP client the providers share: libcurl easy handles run by a CurlDriver on the run's
// Asio loop (no thread per request), keep-alive connections reused, TLS verified by default,
// timeouts on every transfer. A blocking variant serves synchronous callers (state backends).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "providers/http/request.h"

namespace boost::asio {
class io_context;
}

namespace orch {
class CurlDriver;
}

namespace orch::http {

struct ClientOptions {
  Tls tls;
  std::string user_agent = "orch/" ORCH_VERSION;
  long max_connections_per_host = 0;  // 0: libcurl's default (unlimited; reuse when idle)
  long max_connections = 0;           // 0: libcurl's default
};

class Client {
 public:
  Client(boost::asio::io_context& io, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `request`; `done` is called once, on the loop, with the response or the transport
  // failure. Destroying the client drops pending requests without calling their `done`.
  void send(Request request, std::function<void(Response)> done);
  size_t in_flight() const;
  const ClientOptions& options() const { return options_; }

 private:
  ClientOptions options_;
  std::unique_ptr<CurlDriver> driver_;
};

// Sends one request and waits for the answer (curl_easy_perform: no event loop needed).
Response perform(const Request& request, const ClientOptions& options = {});

}  // namespace orch::http
