// The EC2 Query API client: form-encoded POSTs signed with SigV4 (libcurl's CURLOPT_AWS_SIGV4),
// a token bucket per provider (max_requests_per_second), retries of throttling
// (RequestLimitExceeded), 5xx and transport failures with jittered exponential backoff, and the
// API's error XML (<Response><Errors><Error><Code>…) turned into ApiError.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <pugixml.hpp>

#include "planner/clock.h"
#include "providers/ec2/credentials.h"
#include "providers/ec2/token_bucket.h"

namespace orch::http {
class Client;
}

namespace orch::ec2 {

inline constexpr const char* kApiVersion = "2016-11-15";

using Params = std::vector<std::pair<std::string, std::string>>;

struct ApiError {
  std::string code;     // "InvalidInstanceID.NotFound", "RequestLimitExceeded", "" for transport
  std::string message;  // the API's message, or the transport failure
  std::string request_id;
  long status = 0;  // HTTP status; 0 for transport failures
  bool retryable = false;
  // "InvalidAMIID.Malformed: Invalid id: \"x\" (HTTP 400, request 1234)"
  std::string describe() const;
};

struct ApiResult {
  std::shared_ptr<pugi::xml_document> xml;  // the response document (success only)
  std::optional<ApiError> error;
  int attempts = 0;
  pugi::xml_node root() const { return xml ? xml->document_element() : pugi::xml_node(); }
};

struct ClientConfig {
  std::string endpoint;  // "https://ec2.us-east-1.amazonaws.com" or an override
  std::string region;
  Credentials credentials;
  double max_requests_per_second = 0;  // 0: unlimited
  int max_attempts = 8;                // per call, the first included
  Duration backoff_initial = std::chrono::milliseconds(250);
  Duration backoff_max = std::chrono::seconds(20);
  Duration request_timeout = std::chrono::seconds(30);
  uint64_t seed = 1;  // jitter
  std::string ca_file;
};

// The encoded body of a call: Action, Version and the parameters, percent-encoded.
std::string encode_form(const std::string& action, const Params& params);
// The error inside an EC2 error document; nullopt when the body is not one.
std::optional<ApiError> parse_error_xml(const std::string& body);
// Codes that mean "try again later".
bool retryable_code(const std::string& code);

class QueryClient {
 public:
  QueryClient(Clock* clock, ClientConfig config);
  ~QueryClient();
  QueryClient(const QueryClient&) = delete;
  QueryClient& operator=(const QueryClient&) = delete;

  // Calls `action`; `done` runs on the loop with the document or the (final) error. Urgent
  // calls (state polls) take the next token before queued ordinary ones.
  void call(const std::string& action, Params params, std::function<void(ApiResult)> done,
            bool urgent = false);

  uint64_t requests() const { return requests_; }    // HTTP requests sent (retries included)
  uint64_t throttled() const { return throttled_; }  // RequestLimitExceeded answers received
  uint64_t retries() const { return retries_; }
  const ClientConfig& config() const { return config_; }
  TokenBucket& bucket() { return bucket_; }

 private:
  void attempt(std::shared_ptr<struct Call> call);
  // At most kMaxInFlight requests on the wire; the others wait here (urgent ones first).
  void when_slot_free(bool urgent, std::function<void()> send);
  void slot_done();
  void send(std::weak_ptr<char> guard, std::shared_ptr<struct Call> call);
  Duration backoff(int attempt, uint64_t salt) const;

  Clock* clock_;
  ClientConfig config_;
  TokenBucket bucket_;
  std::unique_ptr<http::Client> http_;
  uint64_t requests_ = 0, throttled_ = 0, retries_ = 0, calls_ = 0;
  size_t in_flight_ = 0;
  std::deque<std::function<void()>> waiting_, waiting_urgent_;
  std::shared_ptr<char> alive_ = std::make_shared<char>(0);
};

}  // namespace orch::ec2
