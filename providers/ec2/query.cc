// EC2 Query API client (see query.h).
#include "providers/ec2/query.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "planner/retry.h"
#include "providers/http/client.h"

namespace orch::ec2 {

struct Call {
  std::string action;
  std::string body;
  std::function<void(ApiResult)> done;
  int attempts = 0;
  uint64_t salt = 0;
  bool urgent = false;
};

std::string ApiError::describe() const {
  std::string s = code.empty() ? message : code + (message.empty() ? "" : ": " + message);
  std::vector<std::string> extra;
  if (status > 0) extra.push_back(fmt::format("HTTP {}", status));
  if (!request_id.empty()) extra.push_back("request " + request_id);
  if (!extra.empty()) {
    s += " (";
    for (size_t i = 0; i < extra.size(); ++i) s += (i ? ", " : "") + extra[i];
    s += ")";
  }
  return s;
}

std::string encode_form(const std::string& action, const Params& params) {
  std::string body = "Action=" + http::url_encode(action) + "&Version=" + kApiVersion;
  for (const auto& [k, v] : params) body += "&" + http::url_encode(k) + "=" + http::url_encode(v);
  return body;
}

bool retryable_code(const std::string& code) {
  return code == "RequestLimitExceeded" || code == "Throttling" || code == "ThrottlingException" ||
         code == "InternalError" || code == "InternalFailure" || code == "Unavailable" ||
         code == "ServiceUnavailable" || code == "InsufficientInstanceCapacity";
}

std::optional<ApiError> parse_error_xml(const std::string& body) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return std::nullopt;
  pugi::xml_node root = doc.document_element();
  // <Response><Errors><Error>… (EC2); some compatible clouds answer <ErrorResponse><Error>….
  pugi::xml_node err = root.child("Errors").child("Error");
  if (!err) err = root.child("Error");
  if (!err && std::string_view(root.name()) == "Error") err = root;
  if (!err) return std::nullopt;
  ApiError e;
  e.code = err.child_value("Code");
  e.message = err.child_value("Message");
  e.request_id = root.child_value("RequestID");
  if (e.request_id.empty()) e.request_id = root.child_value("RequestId");
  if (e.code.empty()) return std::nullopt;
  return e;
}

QueryClient::QueryClient(Clock* clock, ClientConfig config)
    : clock_(clock),
      config_(std::move(config)),
      bucket_(clock, config_.max_requests_per_second,
              std::max(1.0, config_.max_requests_per_second)) {
  if (clock_ && clock_->io_context()) {
    http::ClientOptions o;
    o.tls.ca_file = config_.ca_file;
    http_ = std::make_unique<http::Client>(*clock_->io_context(), o);
  }
}

QueryClient::~QueryClient() = default;

Duration QueryClient::backoff(int attempt, uint64_t salt) const {
  // Exponential with "equal jitter": half fixed, half random, so retries of many callers that
  // were throttled together spread out instead of returning together.
  double base = static_cast<double>(config_.backoff_initial.count()) *
                std::pow(2.0, std::min(attempt - 1, 16));
  base = std::min(base, static_cast<double>(config_.backoff_max.count()));
  double u = unit_interval(stable_hash(fmt::format("{}/{}", salt, attempt), config_.seed));
  return Duration(static_cast<int64_t>(base / 2 + u * base / 2));
}

void QueryClient::call(const std::string& action, Params params,
                       std::function<void(ApiResult)> done, bool urgent) {
  auto c = std::make_shared<Call>();
  c->action = action;
  c->body = encode_form(action, params);
  c->done = std::move(done);
  c->salt = ++calls_;
  c->urgent = urgent;
  if (!http_) {
    ApiResult r;
    r.error =
        ApiError{"", "the ec2 provider needs a real event loop (it cannot run under -simulate)", "",
                 0, false};
    return c->done(std::move(r));
  }
  attempt(std::move(c));
}

void QueryClient::attempt(std::shared_ptr<Call> c) {
  std::weak_ptr<char> guard = alive_;
  bucket_.acquire(
      [this, guard, c] {
        if (guard.expired()) return;
        when_slot_free(c->urgent, [this, guard, c] { send(guard, c); });
      },
      c->urgent);
}

namespace {
// Requests on the wire at once. Without a cap, max_requests_per_second = 0 (unlimited) and
// 20,000 queued creates opened 20,000 connections at once: the endpoint fell behind, requests
// timed out and were retried, and nothing finished. 64 in flight is far above any EC2 account's
// request rate at real latencies, so the cap never slows a real run.
constexpr size_t kMaxInFlight = 64;
}  // namespace

void QueryClient::when_slot_free(bool urgent, std::function<void()> send) {
  if (in_flight_ < kMaxInFlight) {
    ++in_flight_;
    return send();
  }
  (urgent ? waiting_urgent_ : waiting_).push_back(std::move(send));
}

void QueryClient::slot_done() {
  --in_flight_;
  auto& queue = waiting_urgent_.empty() ? waiting_ : waiting_urgent_;
  if (queue.empty()) return;
  std::function<void()> next = std::move(queue.front());
  queue.pop_front();
  ++in_flight_;
  // Not from inside the response callback: the next request starts from the loop.
  clock_->schedule(Duration(0), std::move(next));
}

void QueryClient::send(std::weak_ptr<char> guard, std::shared_ptr<Call> c) {
  if (guard.expired()) return;
  ++c->attempts;
  ++requests_;
  http::Request req;
  req.method = "POST";
  req.url = http::join_url(config_.endpoint, "/");
  req.body = c->body;
  req.timeout = config_.request_timeout;
  // Set explicitly so that it is among the headers libcurl signs.
  req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"});
  http::SigV4 s;
  s.region = config_.region;
  s.service = "ec2";
  s.access_key = config_.credentials.access_key;
  s.secret_key = config_.credentials.secret_key;
  s.session_token = config_.credentials.session_token;
  req.sigv4 = s;
  http_->send(std::move(req), [this, guard, c](http::Response res) {
    if (guard.expired()) return;
    slot_done();
    ApiResult out;
    out.attempts = c->attempts;
    ApiError err;
    bool failed = false;
    if (res.transport_failed()) {
      err.message = res.describe();
      err.retryable = true;
      failed = true;
    } else if (!res.ok()) {
      failed = true;
      if (auto parsed = parse_error_xml(res.body))
        err = *parsed;
      else
        err.message = res.describe();
      err.status = res.status;
      err.retryable = retryable_code(err.code) || res.status >= 500 || res.status == 429;
      if (err.code == "RequestLimitExceeded" || err.code == "Throttling" || res.status == 429) {
        ++throttled_;
        bucket_.drain();
      }
    } else {
      auto doc = std::make_shared<pugi::xml_document>();
      if (!doc->load_buffer(res.body.data(), res.body.size())) {
        failed = true;
        err.message = "the endpoint answered with a document that is not XML";
        err.status = res.status;
      } else {
        out.xml = std::move(doc);
      }
    }
    if (!failed) return c->done(std::move(out));
    if (err.retryable && c->attempts < config_.max_attempts) {
      ++retries_;
      Duration d = backoff(c->attempts, c->salt);
      if (auto ra = res.retry_after()) d = std::max(d, Duration(ra->count()));
      clock_->schedule(d, [this, guard, c] {
        if (!guard.expired()) attempt(c);
      });
      return;
    }
    out.error = std::move(err);
    c->done(std::move(out));
  });
}

}  // namespace orch::ec2
