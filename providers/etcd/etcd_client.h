// Calls to the etcd v3 JSON gateway with several endpoints: failover to the next endpoint when
// one is unreachable or has no leader, retries with jittered backoff on etcd's transient
// answers (503 / gRPC code 14 "no leader", "request timed out"; connection resets), and errors
// that say which endpoint answered what. Two flavours over the same rules: SyncClient (blocking,
// http::perform: the state backend and the lease keeper's thread) and AsyncClient (on the run's
// Asio loop through http::Client: the provider), which also streams (watch).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/value.h"
#include "planner/clock.h"
#include "providers/http/request.h"

namespace orch::http {
class Client;
struct Response;
}  // namespace orch::http

namespace orch::etcd {

using nlohmann::json;

struct ClientConfig {
  std::vector<std::string> endpoints;                   // base URLs: "http://127.0.0.1:2379"
  http::Tls tls;                                        // CA file, client certificate and key
  Duration request_timeout = std::chrono::seconds(10);  // one HTTP request
  Duration retry_timeout = std::chrono::seconds(30);    // all attempts of one call together
  uint64_t seed = 0;                                    // jitter; 0: from the clock
};

// Reads the settings shared by `backend "etcd"` and `provider "etcd"`: endpoints (a list, or a
// comma-separated string as -backend-config gives it), ca_file, cert_file, key_file, timeout,
// request_timeout. Names it used are added to `used`. False and `error` on bad values.
bool parse_client_settings(const ValueMap& settings, ClientConfig& out, std::set<std::string>& used,
                           std::string* error);

// A string setting (strings only); nullopt when absent or null. Errors on other types.
std::optional<std::string> string_setting(const ValueMap& settings, const std::string& name,
                                          std::string* error);
// A duration setting ("30s"); nullopt when absent.
std::optional<Duration> duration_setting(const ValueMap& settings, const std::string& name,
                                         std::string* error);

struct Error {
  enum class Kind {
    Unavailable,  // no endpoint answered usefully within the retry budget (down, no quorum)
    Rejected,     // etcd refused the request (bad request, lease not found, too large, ...)
    Protocol,     // the answer is not what the gateway sends
  };
  Kind kind = Kind::Unavailable;
  std::string message;       // "etcd http://127.0.0.1:2379: HTTP 503: etcdserver: no leader"
  long status = 0;           // HTTP status of the last answer (0: none)
  int code = 0;              // gRPC code of the last answer (0: none)
  std::string etcd_message;  // etcd's own message ("etcdserver: request is too large")
};

struct Result {
  json body;
  std::optional<Error> error;
  int attempts = 0;
  // Some failed attempt may have reached etcd and been applied (a timeout after sending, a reset,
  // "request timed out"): a txn that then fails its compare may be our own earlier success.
  bool maybe_applied_before = false;
  bool ok() const { return !error.has_value(); }
};

// How one HTTP exchange turned out, and what to do about it.
struct Verdict {
  enum class Action { Done, Retry, Fail } action = Action::Fail;
  bool next_endpoint = false;  // this endpoint is unhealthy: try another one
  bool maybe_applied = false;  // the request may have been applied although it failed
  bool refused = false;        // the connection was refused (nothing reached etcd)
  json body;                   // Done: the parsed answer
  Error error;                 // Retry / Fail: what went wrong
};
Verdict judge(const http::Response& response, const std::string& endpoint);

// Backoff before retry number `retry` (1-based), jittered: 100 ms doubling, capped at 2 s.
Duration retry_delay(int retry, std::mt19937_64& rng);

class SyncClient {
 public:
  explicit SyncClient(ClientConfig config);
  // POSTs `body` to `path` ("/v3/kv/range") and retries until done or the retry budget is spent.
  // `request_timeout` overrides the config's for this call (0: the config's); `max_attempts`
  // bounds the attempts (0: only the retry budget does).
  Result call(const std::string& path, const json& body, Duration request_timeout = Duration(0),
              int max_attempts = 0);
  // One attempt per endpoint at most (no backoff): for keep-alives, which have their own rhythm.
  Result call_once(const std::string& path, const json& body, Duration request_timeout);
  const ClientConfig& config() const { return config_; }

 private:
  ClientConfig config_;
  size_t current_ = 0;  // the endpoint that answered last
  std::mt19937_64 rng_;
};

class AsyncClient {
 public:
  // `clock` must be a real clock (it needs its io_context).
  AsyncClient(Clock& clock, ClientConfig config);
  ~AsyncClient();
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;

  // As SyncClient::call, on the loop; `done` is called once, on the loop (never after the
  // client is destroyed). `budget` overrides the config's retry_timeout for this call.
  // `on_retry` (optional) hears about each retry: what failed and the delay before the next try.
  void call(const std::string& path, json body, std::function<void(Result)> done,
            Duration request_timeout = Duration(0), Duration budget = Duration(0),
            std::function<void(const std::string&, Duration)> on_retry = {});
  // A streaming call (watch): `on_message` gets each JSON object of the stream and returns false
  // to end it. It runs inside libcurl's write callback: it must not start other transfers (do
  // that in `done`). Connection failures before the first message fail over like call(); `done`
  // gets nullopt when the stream ended because on_message said so or `timeout` passed, else the
  // error.
  void stream(const std::string& path, json body, Duration timeout,
              std::function<bool(const json&)> on_message,
              std::function<void(std::optional<Error>)> done);
  const ClientConfig& config() const { return config_; }
  Clock& clock() { return clock_; }

 private:
  struct Call;
  void attempt(std::shared_ptr<Call> call);
  void attempt_stream(std::shared_ptr<Call> call);

  Clock& clock_;
  ClientConfig config_;
  std::unique_ptr<http::Client> http_;
  size_t current_ = 0;
  std::mt19937_64 rng_;
  std::shared_ptr<char> alive_;  // expires with the client: callbacks check it
};

}  // namespace orch::etcd
