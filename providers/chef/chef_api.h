// The signed Chef Server API client every chef resource uses: requests signed per
// Mixlib::Authentication (chef_signing.h), sent through the shared HTTP client on the run's loop
// (keep-alive, TLS verified unless ssl_verify = false), at most `concurrency` in flight, transient
// failures (5xx, 429, timeouts, resets) retried with jittered backoff and reported as events, and
// every failure turned into a ProviderError that quotes the server's own "error" messages.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "planner/clock.h"
#include "providers/chef/chef_config.h"
#include "providers/http/client.h"
#include "providers/provider.h"

namespace orch::chef {

struct ChefCall {
  std::string method = "GET";
  // Below the organization URL, query included: "/nodes/web-1", "/search/node?q=*:*&rows=1000".
  std::string path;
  std::optional<nlohmann::json> body;
  std::string address;       // the resource served ("" for refresh): events and messages
  std::vector<long> accept;  // statuses besides 2xx that the caller handles (404, 409, ...)
  // Transient failures are retried (up to the settings' max_attempts). Turn off for requests
  // that must not run twice (starting a Push Jobs job).
  bool retry = true;
};

struct ChefReply {
  long status = 0;                     // 0: no response (transport failure)
  nlohmann::json body;                 // the parsed body; null when empty or not JSON
  std::optional<ProviderError> error;  // set unless 2xx or a status in `accept`
  int attempts = 0;
  bool ok() const { return !error; }
};

// The server's "error" messages of a failed response (`{"error": ["a", "b"]}` or
// `{"error": "a"}`), joined with "; ". Empty when the body has none.
std::string server_messages(const nlohmann::json& body);

// Called for each retry with the resource's address, what failed ("Chef Server: POST /nodes
// failed with 503 Service Unavailable (attempt 1 of 4)") and the delay before the next attempt.
using RetryListener =
    std::function<void(const std::string&, const std::string&, std::chrono::milliseconds)>;

class ChefApi {
 public:
  // `clock` schedules retries and must run on `io`.
  ChefApi(boost::asio::io_context& io, Clock& clock, ChefSettings settings,
          RetryListener on_retry = {});
  ~ChefApi();
  ChefApi(const ChefApi&) = delete;
  ChefApi& operator=(const ChefApi&) = delete;

  // Sends `call`; `done` runs once, on the loop. Destroying the API drops pending calls.
  void call(ChefCall call, std::function<void(ChefReply)> done);

  const ChefSettings& settings() const { return settings_; }
  int concurrency() const { return concurrency_; }
  // HTTP requests sent so far, retries included (benchmarks and batching checks).
  uint64_t requests_sent() const { return requests_sent_; }
  uint64_t retries() const { return retries_; }
  size_t in_flight() const { return in_flight_; }

  // For tests: the signing time (default: now).
  void set_time_source(std::function<std::chrono::system_clock::time_point()> now) {
    now_ = std::move(now);
  }

 private:
  struct Pending;
  void pump();
  void attempt(std::shared_ptr<Pending> p);
  void finish(std::shared_ptr<Pending> p, http::Response res);
  http::Request build(const ChefCall& call, std::string* error) const;

  ChefSettings settings_;
  Clock& clock_;
  std::unique_ptr<http::Client> client_;
  RetryListener on_retry_;
  std::string base_path_;  // "/organizations/orch" (signed with every path)
  int concurrency_ = kDefaultConcurrency;
  size_t in_flight_ = 0;
  std::deque<std::shared_ptr<Pending>> queue_;
  uint64_t requests_sent_ = 0, retries_ = 0;
  std::function<std::chrono::system_clock::time_point()> now_;
  std::shared_ptr<char> alive_ = std::make_shared<char>(0);
};

}  // namespace orch::chef
