// A small HTTP/1.1 server for the fake API endpoints (Chef Server, EC2) that tests and benchmarks
// run on loopback: Boost.Beast on one Asio thread, keep-alive, optional TLS, and injected latency
// and faults (error statuses, dropped connections, requests never answered) so clients' retries
// and timeouts are exercised for real.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace orch::fakes {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // path and query as sent: "/nodes?rows=10"
  std::string path;                            // decoded path without the query: "/nodes"
  std::string query;                           // raw query string without '?'
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  std::string header(std::string_view name) const;  // "" when absent (name in any case)
  // Decoded query parameters (the last value of a repeated name wins).
  std::map<std::string, std::string> params() const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  static HttpResponse text(int status, std::string body, std::string content_type = "text/plain");
  static HttpResponse json(int status, std::string body) {
    return text(status, std::move(body), "application/json");
  }
};

// Faults injected into requests (never into /_fake/ control requests). Rates are in [0, 1] and
// drawn from a seeded generator, so a run is reproducible for a given request order.
struct Faults {
  std::chrono::milliseconds latency{0};  // added before every answer (timers, not sleeps)
  std::chrono::milliseconds jitter{0};   // plus uniform [0, jitter)
  double error_rate = 0;                 // answer with one of `error_statuses` instead
  std::vector<int> error_statuses = {500, 503, 429};
  double drop_rate = 0;  // close the connection without answering
  double hang_rate = 0;  // never answer (the client's timeout fires)
  uint64_t seed = 1;
};

// "latency=50ms,jitter=10ms,error_rate=0.2,errors=500/503/429,drop_rate=0.01,hang_rate=0,seed=7"
// (what the fakes' --faults flag and POST /_fake/faults take). nullopt and `error` on bad input.
std::optional<Faults> parse_faults(std::string_view spec, std::string* error);

struct ServerStats {
  uint64_t requests = 0;  // API requests received (control requests excluded)
  uint64_t injected_errors = 0, dropped = 0, hung = 0;
  uint64_t connections = 0;  // accepted connections (keep-alive reuse shows as few)
};

// TLS for the server: PEM files of its certificate chain and key.
struct ServerTls {
  std::string cert_file;
  std::string key_file;
};

class HttpServer {
 public:
  // Answers a request; call `respond` exactly once, now or later (from the server's thread).
  using Handler = std::function<void(const HttpRequest&, std::function<void(HttpResponse)>)>;

  // Listens on host:port (port 0: any free port) and serves on a thread of its own.
  HttpServer(Handler handler, std::string host = "127.0.0.1", uint16_t port = 0,
             std::optional<ServerTls> tls = std::nullopt);
  ~HttpServer();  // stops and joins
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT" (https with TLS).
  std::string url() const;
  void set_faults(const Faults& faults);
  ServerStats stats() const;
  // Runs `fn` on the server's thread (the only place handler state may be touched).
  void post(std::function<void()> fn);
  // Blocks the calling thread until stop() (for the fakes' main()).
  void wait();
  void stop();

  // A synchronous handler for the common case.
  static Handler sync(std::function<HttpResponse(const HttpRequest&)> fn);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  bool tls_ = false;
  std::thread thread_;
};

}  // namespace orch::fakes
