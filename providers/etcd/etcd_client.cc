// Calls to the etcd v3 JSON gateway: settings, judging answers, retries and failover (see
// etcd_client.h).
#include "providers/etcd/etcd_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <thread>

#include <fmt/format.h>

#include "compiler/duration.h"
#include "providers/etcd/etcd_codec.h"
#include "providers/http/client.h"

namespace orch::etcd {

namespace {

using SteadyClock = std::chrono::steady_clock;

uint64_t seed_of(const ClientConfig& c) {
  if (c.seed != 0) return c.seed;
  return static_cast<uint64_t>(SteadyClock::now().time_since_epoch().count()) ^
         reinterpret_cast<uintptr_t>(&c);
}

http::Request make_request(const std::string& endpoint, const std::string& path, const json& body,
                           Duration timeout) {
  http::Request r;
  r.method = "POST";
  r.url = http::join_url(endpoint, path);
  r.headers = {{"Content-Type", "application/json"}};
  r.body = body.dump();
  r.timeout = timeout;
  r.connect_timeout =
      std::min<http::Millis>(timeout.count() > 0 ? timeout : Duration(5000), Duration(5000));
  return r;
}

// The error object of an answer: {"error": "...", "message": "...", "code": 14}, or the
// streaming form {"error": {"grpc_code": 14, "http_code": 503, "message": "..."}}.
bool error_of(const json& body, int& code, std::string& message) {
  if (!body.is_object()) return false;
  auto e = body.find("error");
  if (e == body.end()) return false;
  if (e->is_object()) {
    code = static_cast<int>(int64_field(*e, "grpc_code"));
    message = e->value("message", std::string());
    return true;
  }
  code = static_cast<int>(int64_field(body, "code"));
  message = body.value("message", e->is_string() ? e->get<std::string>() : std::string());
  return true;
}

std::string endpoints_text(const std::vector<std::string>& endpoints) {
  std::string out;
  for (const auto& e : endpoints) out += (out.empty() ? "" : ", ") + e;
  return out;
}

Error unavailable(const ClientConfig& config, const Error& last, Duration spent, int attempts) {
  Error e = last;
  e.kind = Error::Kind::Unavailable;
  e.message = fmt::format(
      "etcd is unavailable: no useful answer from {} after {} attempt{} in {} "
      "(last: {})",
      endpoints_text(config.endpoints), attempts, attempts == 1 ? "" : "s", format_duration(spent),
      last.message);
  return e;
}

}  // namespace

// --- settings -----------------------------------------------------------------------------------

std::optional<std::string> string_setting(const ValueMap& settings, const std::string& name,
                                          std::string* error) {
  auto it = settings.find(name);
  if (it == settings.end() || it->second.is_null()) return std::nullopt;
  Value v = it->second.unmarked();
  if (v.kind() != ValueKind::String) {
    if (error) *error = fmt::format("`{}` must be a string", name);
    return std::nullopt;
  }
  return v.as_string();
}

std::optional<Duration> duration_setting(const ValueMap& settings, const std::string& name,
                                         std::string* error) {
  std::string e;
  auto s = string_setting(settings, name, &e);
  if (!e.empty()) {
    if (error) *error = e + " (a duration such as \"30s\")";
    return std::nullopt;
  }
  if (!s) return std::nullopt;
  auto d = parse_duration(*s, &e);
  if (!d && error) *error = fmt::format("`{}`: {}", name, e);
  return d;
}

bool parse_client_settings(const ValueMap& settings, ClientConfig& out, std::set<std::string>& used,
                           std::string* error) {
  auto fail = [&](std::string m) {
    if (error) *error = std::move(m);
    return false;
  };
  used.insert({"endpoints", "ca_file", "cert_file", "key_file", "timeout", "request_timeout"});
  out.endpoints.clear();
  auto it = settings.find("endpoints");
  if (it == settings.end() || it->second.is_null())
    return fail("`endpoints` is required: the etcd client URLs, e.g. [\"http://10.0.0.1:2379\"]");
  Value v = it->second.unmarked();
  if (v.kind() == ValueKind::String) {
    // -backend-config endpoints=http://a:2379,http://b:2379
    std::string s = v.as_string();
    size_t start = 0;
    while (start <= s.size()) {
      size_t comma = s.find(',', start);
      std::string part =
          s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      part.erase(0, part.find_first_not_of(" \t"));
      part.erase(part.find_last_not_of(" \t") + 1);
      if (!part.empty()) out.endpoints.push_back(part);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  } else if (v.is_sequence() && v.is_wholly_known()) {
    for (const auto& e : v.elements()) {
      Value u = e.unmarked();
      if (u.kind() != ValueKind::String) return fail("`endpoints` must be a list of URL strings");
      out.endpoints.push_back(u.as_string());
    }
  } else {
    return fail("`endpoints` must be a list of URL strings");
  }
  if (out.endpoints.empty()) return fail("`endpoints` must name at least one etcd client URL");
  for (auto& e : out.endpoints) {
    if (e.rfind("http://", 0) != 0 && e.rfind("https://", 0) != 0)
      return fail(fmt::format("endpoint \"{}\" must start with http:// or https://", e));
    while (e.size() > 8 && e.back() == '/') e.pop_back();
  }
  std::string e;
  auto file = [&](const char* name, std::string& dst) {
    if (auto s = string_setting(settings, name, &e)) dst = *s;
    return e.empty();
  };
  if (!file("ca_file", out.tls.ca_file) || !file("cert_file", out.tls.cert_file) ||
      !file("key_file", out.tls.key_file))
    return fail(e);
  if (out.tls.cert_file.empty() != out.tls.key_file.empty())
    return fail("`cert_file` and `key_file` go together (the client certificate and its key)");
  if (auto d = duration_setting(settings, "timeout", &e)) out.retry_timeout = *d;
  if (!e.empty()) return fail(e);
  if (auto d = duration_setting(settings, "request_timeout", &e)) out.request_timeout = *d;
  if (!e.empty()) return fail(e);
  if (out.request_timeout.count() <= 0) return fail("`request_timeout` must be more than 0s");
  return true;
}

// --- judging one exchange -----------------------------------------------------------------------

Verdict judge(const http::Response& r, const std::string& endpoint) {
  Verdict v;
  v.error.status = r.status;
  if (r.transport_failed()) {
    auto code = static_cast<CURLcode>(r.transport_code);
    v.error.message = fmt::format("etcd at {}: {}", endpoint, r.describe());
    switch (code) {
      case CURLE_COULDNT_CONNECT:
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
        v.action = Verdict::Action::Retry;
        v.next_endpoint = true;
        v.refused = true;
        return v;
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_CIPHER:
      case CURLE_SSL_ISSUER_ERROR:
      case CURLE_SSL_CRL_BADFILE:
        // A TLS configuration problem does not go away by retrying.
        v.action = Verdict::Action::Fail;
        v.error.kind = Error::Kind::Rejected;
        v.error.message += " (check ca_file, cert_file and key_file)";
        return v;
      default:
        if (r.transport_error.find("alert") != std::string::npos &&
            r.transport_error.find("SSL") != std::string::npos) {
          // The server refused our certificate (TLS 1.3 reports it on the first read).
          v.action = Verdict::Action::Fail;
          v.error.kind = Error::Kind::Rejected;
          v.error.message +=
              " (etcd refused the TLS client certificate: check cert_file and "
              "key_file)";
          return v;
        }
        v.action = Verdict::Action::Retry;
        v.next_endpoint = true;
        v.maybe_applied = true;  // the request may have been sent before the failure
        return v;
    }
  }
  json body = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  int code = 0;
  std::string message;
  bool has_error = !body.is_discarded() && error_of(body, code, message);
  if (r.status == 200 && !body.is_discarded() && !has_error) {
    v.action = Verdict::Action::Done;
    v.body = std::move(body);
    return v;
  }
  v.error.code = code;
  v.error.etcd_message = message;
  if (body.is_discarded() || (!has_error && r.status != 200)) {
    std::string snippet = r.body.substr(0, 200);
    v.error.message = fmt::format("etcd at {}: {}{}{}", endpoint, r.describe(),
                                  snippet.empty() ? "" : ": ", snippet);
    if (r.status == 502 || r.status == 503 || r.status == 504) {
      v.action = Verdict::Action::Retry;
      v.next_endpoint = true;
      v.maybe_applied = true;
      return v;
    }
    v.action = Verdict::Action::Fail;
    v.error.kind = r.status == 200 ? Error::Kind::Protocol : Error::Kind::Rejected;
    if (r.status == 200) v.error.message += " (not the etcd v3 JSON gateway?)";
    return v;
  }
  v.error.message =
      fmt::format("etcd at {}: HTTP {}: {} (code {})", endpoint, r.status, message, code);
  // 14 Unavailable: "no leader", "request timed out", "leader changed"; 4: deadline exceeded.
  if (code == 14 || code == 4 || r.status == 503 || r.status == 504) {
    v.action = Verdict::Action::Retry;
    v.next_endpoint = true;
    v.maybe_applied = message.find("no leader") == std::string::npos;
    return v;
  }
  v.action = Verdict::Action::Fail;
  v.error.kind = Error::Kind::Rejected;
  return v;
}

Duration retry_delay(int retry, std::mt19937_64& rng) {
  const int64_t base = 100;
  int64_t d = base << std::min(retry - 1, 5);
  d = std::min<int64_t>(d, 2000);
  std::uniform_real_distribution<double> u(0.5, 1.0);
  return Duration(static_cast<int64_t>(static_cast<double>(d) * u(rng)));
}

namespace {

// The retry loop's bookkeeping, shared by both clients.
struct Attempts {
  const ClientConfig& config;
  Duration budget;  // all attempts together
  SteadyClock::time_point start = SteadyClock::now();
  int attempts = 0;
  int retries = 0;
  size_t tried_this_round = 0;
  size_t refused_in_a_row = 0;
  bool maybe_applied = false;
  Error last;

  explicit Attempts(const ClientConfig& c, Duration b = Duration(0))
      : config(c), budget(b.count() > 0 ? b : c.retry_timeout) {}
  // One attempt's timeout: the request timeout, but not (much) past the budget.
  Duration attempt_timeout(Duration request_timeout) const {
    return std::min(request_timeout, std::max(budget - spent(), Duration(500)));
  }

  Duration spent() const {
    return std::chrono::duration_cast<Duration>(SteadyClock::now() - start);
  }
  // After a failed attempt to retry: the delay before the next one, or nullopt to give up.
  std::optional<Duration> next(const Verdict& v, size_t& current, std::mt19937_64& rng) {
    last = v.error;
    maybe_applied = maybe_applied || v.maybe_applied;
    const size_t n = config.endpoints.size();
    refused_in_a_row = v.refused ? refused_in_a_row + 1 : 0;
    // Every endpoint refused connections three rounds running: etcd is down, not electing.
    if (refused_in_a_row >= 3 * n) return std::nullopt;
    Duration delay(0);
    ++tried_this_round;
    if (v.next_endpoint) current = (current + 1) % n;
    if (!v.next_endpoint || tried_this_round >= n) {
      tried_this_round = 0;
      delay = retry_delay(++retries, rng);
    }
    if (spent() + delay > budget) return std::nullopt;
    return delay;
  }
  Result give_up() const {
    Result r;
    r.error = unavailable(config, last, spent(), attempts);
    r.attempts = attempts;
    r.maybe_applied_before = maybe_applied;
    return r;
  }
};

}  // namespace

// --- SyncClient ---------------------------------------------------------------------------------

SyncClient::SyncClient(ClientConfig config) : config_(std::move(config)), rng_(seed_of(config_)) {}

Result SyncClient::call(const std::string& path, const json& body, Duration request_timeout,
                        int max_attempts) {
  Attempts a(config_);
  const Duration timeout = request_timeout.count() > 0 ? request_timeout : config_.request_timeout;
  for (;;) {
    const std::string& endpoint = config_.endpoints[current_];
    http::ClientOptions options;
    options.tls = config_.tls;
    http::Response resp =
        http::perform(make_request(endpoint, path, body, a.attempt_timeout(timeout)), options);
    ++a.attempts;
    Verdict v = judge(resp, endpoint);
    if (v.action != Verdict::Action::Retry) {
      Result r;
      r.attempts = a.attempts;
      r.maybe_applied_before = a.maybe_applied;
      if (v.action == Verdict::Action::Done)
        r.body = std::move(v.body);
      else
        r.error = std::move(v.error);
      return r;
    }
    auto delay = a.next(v, current_, rng_);
    if (!delay || (max_attempts > 0 && a.attempts >= max_attempts)) return a.give_up();
    if (delay->count() > 0) std::this_thread::sleep_for(*delay);
  }
}

Result SyncClient::call_once(const std::string& path, const json& body, Duration request_timeout) {
  Result r;
  const size_t n = config_.endpoints.size();
  for (size_t i = 0; i < n; ++i) {
    const std::string& endpoint = config_.endpoints[current_];
    http::ClientOptions options;
    options.tls = config_.tls;
    http::Response resp =
        http::perform(make_request(endpoint, path, body, request_timeout), options);
    ++r.attempts;
    Verdict v = judge(resp, endpoint);
    if (v.action == Verdict::Action::Done) {
      r.body = std::move(v.body);
      r.error.reset();
      return r;
    }
    r.error = v.error;
    if (v.action == Verdict::Action::Fail) return r;
    r.maybe_applied_before = r.maybe_applied_before || v.maybe_applied;
    current_ = (current_ + 1) % n;
  }
  r.error->kind = Error::Kind::Unavailable;
  return r;
}

// --- AsyncClient --------------------------------------------------------------------------------

struct AsyncClient::Call {
  std::string path;
  json body;
  Duration timeout{0};
  Attempts attempts;
  std::function<void(Result)> done;
  std::function<void(const std::string&, Duration)> on_retry;
  // Streams only.
  bool streaming = false;
  std::function<bool(const json&)> on_message;
  std::function<void(std::optional<Error>)> stream_done;
  std::string buffer;
  bool got_message = false;
  bool stopped = false;  // on_message returned false

  Call(const ClientConfig& c, Duration budget) : attempts(c, budget) {}
};

AsyncClient::AsyncClient(Clock& clock, ClientConfig config)
    : clock_(clock),
      config_(std::move(config)),
      rng_(seed_of(config_)),
      alive_(std::make_shared<char>(0)) {
  http::ClientOptions options;
  options.tls = config_.tls;
  http_ = std::make_unique<http::Client>(*clock_.io_context(), options);
}

AsyncClient::~AsyncClient() = default;

void AsyncClient::call(const std::string& path, json body, std::function<void(Result)> done,
                       Duration request_timeout, Duration budget,
                       std::function<void(const std::string&, Duration)> on_retry) {
  auto c = std::make_shared<Call>(config_, budget);
  c->on_retry = std::move(on_retry);
  c->path = path;
  c->body = std::move(body);
  c->timeout = request_timeout.count() > 0 ? request_timeout : config_.request_timeout;
  c->done = std::move(done);
  attempt(std::move(c));
}

void AsyncClient::attempt(std::shared_ptr<Call> c) {
  const std::string endpoint = config_.endpoints[current_];
  std::weak_ptr<char> alive = alive_;
  http_->send(make_request(endpoint, c->path, c->body, c->attempts.attempt_timeout(c->timeout)),
              [this, alive, c, endpoint](http::Response resp) {
                if (alive.expired()) return;
                ++c->attempts.attempts;
                Verdict v = judge(resp, endpoint);
                if (v.action != Verdict::Action::Retry) {
                  Result r;
                  r.attempts = c->attempts.attempts;
                  r.maybe_applied_before = c->attempts.maybe_applied;
                  if (v.action == Verdict::Action::Done)
                    r.body = std::move(v.body);
                  else
                    r.error = std::move(v.error);
                  return c->done(std::move(r));
                }
                auto delay = c->attempts.next(v, current_, rng_);
                if (!delay) return c->done(c->attempts.give_up());
                if (c->on_retry) c->on_retry(v.error.message, *delay);
                clock_.schedule(*delay, [this, alive, c] {
                  if (!alive.expired()) attempt(c);
                });
              });
}

void AsyncClient::stream(const std::string& path, json body, Duration timeout,
                         std::function<bool(const json&)> on_message,
                         std::function<void(std::optional<Error>)> done) {
  auto c = std::make_shared<Call>(config_, timeout);
  c->path = path;
  c->body = std::move(body);
  c->timeout = timeout;
  c->streaming = true;
  c->on_message = std::move(on_message);
  c->stream_done = std::move(done);
  attempt_stream(std::move(c));
}

void AsyncClient::attempt_stream(std::shared_ptr<Call> c) {
  const std::string endpoint = config_.endpoints[current_];
  const auto elapsed = c->attempts.spent();
  const Duration left = c->timeout - elapsed;
  if (left.count() <= 0) return c->stream_done(std::nullopt);
  http::Request req = make_request(endpoint, c->path, c->body, left);
  c->buffer.clear();
  req.on_data = [c](std::string_view piece) {
    c->buffer.append(piece);
    size_t nl;
    while ((nl = c->buffer.find('\n')) != std::string::npos) {
      std::string line = c->buffer.substr(0, nl);
      c->buffer.erase(0, nl + 1);
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded()) continue;
      c->got_message = true;
      if (!c->on_message(j)) {
        c->stopped = true;
        return false;
      }
    }
    return true;
  };
  std::weak_ptr<char> alive = alive_;
  http_->send(std::move(req), [this, alive, c, endpoint](http::Response resp) {
    if (alive.expired()) return;
    ++c->attempts.attempts;
    if (c->stopped || resp.aborted) return c->stream_done(std::nullopt);
    if (resp.transport_code == CURLE_OPERATION_TIMEDOUT && c->got_message)
      return c->stream_done(std::nullopt);  // the stream ran for its whole time
    Verdict v = judge(resp, endpoint);
    if (!resp.transport_failed() && resp.status == 200) {
      // The server ended the stream: a message-level end (e.g. a cancelled watch) the caller
      // saw already, or an early close the caller restarts.
      return c->stream_done(std::nullopt);
    }
    if (c->got_message || v.action != Verdict::Action::Retry) return c->stream_done(v.error);
    if (resp.transport_code == CURLE_OPERATION_TIMEDOUT) return c->stream_done(std::nullopt);
    auto delay = c->attempts.next(v, current_, rng_);
    if (!delay) return c->stream_done(c->attempts.give_up().error);
    clock_.schedule(*delay, [this, alive, c] {
      if (!alive.expired()) attempt_stream(c);
    });
  });
}

}  // namespace orch::etcd
