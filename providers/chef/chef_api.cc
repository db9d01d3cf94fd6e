// The signed Chef Server API client (see chef_api.h).
#include "providers/chef/chef_api.h"

#include <fmt/format.h>

#include <algorithm>

#include "compiler/duration.h"
#include "planner/retry.h"

namespace orch::chef {

namespace {

// What a client of this era sends; the server uses it only to pick compatible behaviour.
constexpr const char* kChefVersion = "18.0.0";

std::string path_only(const std::string& path) {
  return path.substr(0, path.find('?'));
}

// "/organizations/orch" from "https://host:443/organizations/orch".
std::string url_path(const std::string& url) {
  auto scheme = url.find("://");
  auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? std::string() : url.substr(slash);
}

std::string status_text(long status) {
  std::string_view phrase = http::reason_phrase(status);
  return phrase.empty() ? std::to_string(status) : fmt::format("{} {}", status, phrase);
}

}  // namespace

std::string server_messages(const nlohmann::json& body) {
  if (!body.is_object()) return {};
  auto it = body.find("error");
  if (it == body.end()) it = body.find("message");
  if (it == body.end()) return {};
  std::string out;
  auto add = [&](const nlohmann::json& m) {
    std::string text = m.is_string() ? m.get<std::string>() : m.dump();
    if (text.size() > 500) text = text.substr(0, 500) + "…";
    out += (out.empty() ? "" : "; ") + text;
  };
  if (it->is_array())
    for (const auto& m : *it) add(m);
  else
    add(*it);
  if (auto d = body.find("error_description"); d != body.end() && d->is_string())
    out += (out.empty() ? "" : ": ") + d->get<std::string>();
  return out;
}

struct ChefApi::Pending {
  ChefCall call;
  std::function<void(ChefReply)> done;
  int attempts = 0;
};

ChefApi::ChefApi(boost::asio::io_context& io, Clock& clock, ChefSettings settings,
                 RetryListener on_retry)
    : settings_(std::move(settings)), clock_(clock), on_retry_(std::move(on_retry)) {
  concurrency_ = settings_.concurrency > 0 ? settings_.concurrency : kDefaultConcurrency;
  http::ClientOptions opts;
  opts.tls.verify = settings_.ssl_verify;
  opts.tls.ca_file = settings_.ca_file;
  opts.max_connections_per_host = concurrency_;
  client_ = std::make_unique<http::Client>(io, opts);
  base_path_ = url_path(settings_.server_url);
}

ChefApi::~ChefApi() = default;

void ChefApi::call(ChefCall call, std::function<void(ChefReply)> done) {
  auto p = std::make_shared<Pending>();
  p->call = std::move(call);
  p->done = std::move(done);
  queue_.push_back(std::move(p));
  pump();
}

void ChefApi::pump() {
  while (in_flight_ < static_cast<size_t>(concurrency_) && !queue_.empty()) {
    auto p = std::move(queue_.front());
    queue_.pop_front();
    ++in_flight_;
    attempt(std::move(p));
  }
}

http::Request ChefApi::build(const ChefCall& call, std::string* error) const {
  http::Request r;
  r.method = call.method;
  r.url = settings_.server_url + call.path;
  r.timeout = settings_.timeout;
  if (call.body) r.body = call.body->dump();
  SignInput in;
  in.method = call.method;
  in.path = base_path_ + path_only(call.path);
  in.body = r.body;
  in.timestamp = chef_timestamp(now_ ? now_() : std::chrono::system_clock::now());
  in.user_id = settings_.client_name;
  in.server_api_version = settings_.api_version;
  in.version = settings_.sign_version;
  Headers signed_headers = sign_request(in, *settings_.key, error);
  if (signed_headers.empty()) return r;
  r.headers = {{"Accept", "application/json"},
               {"X-Chef-Version", kChefVersion},
               {"X-Ops-Server-API-Version", settings_.api_version}};
  if (call.body) r.headers.emplace_back("Content-Type", "application/json");
  for (auto& h : signed_headers) r.headers.push_back(std::move(h));
  return r;
}

void ChefApi::attempt(std::shared_ptr<Pending> p) {
  ++p->attempts;
  std::string error;
  http::Request req = settings_.key ? build(p->call, &error) : http::Request{};
  if (!settings_.key) error = "no client key is configured";
  if (!error.empty()) {
    ChefReply reply;
    reply.attempts = p->attempts;
    reply.error =
        ProviderError{fmt::format("cannot sign the request to the Chef Server: {}", error),
                      "orch signs as " + settings_.identity() + ".",
                      false,
                      {}};
    --in_flight_;
    auto done = std::move(p->done);
    done(std::move(reply));
    pump();
    return;
  }
  ++requests_sent_;
  std::weak_ptr<char> guard = alive_;
  client_->send(std::move(req), [this, guard, p](http::Response res) {
    if (guard.expired()) return;
    finish(p, std::move(res));
  });
}

void ChefApi::finish(std::shared_ptr<Pending> p, http::Response res) {
  const ChefCall& call = p->call;
  const std::string what = call.method + " " + path_only(call.path);
  ChefReply reply;
  reply.status = res.status;
  reply.attempts = p->attempts;
  if (!res.body.empty()) reply.body = nlohmann::json::parse(res.body, nullptr, false);
  if (reply.body.is_discarded()) reply.body = nullptr;

  const bool accepted =
      !res.transport_failed() &&
      ((res.status >= 200 && res.status < 300) ||
       std::find(call.accept.begin(), call.accept.end(), res.status) != call.accept.end());
  if (!accepted) {
    const std::string said = server_messages(reply.body);
    const std::string quote = said.empty() ? std::string() : ": " + said;
    ProviderError e;
    e.retryable = res.retryable();
    if (auto ra = res.retry_after()) e.retry_after = std::min(*ra, http::Millis(60000));
    if (res.transport_failed()) {
      e.summary = fmt::format("Chef Server at {} did not answer {}: {}", settings_.server_url, what,
                              res.describe());
      if (res.transport_code == 60 || res.transport_code == 35 || res.transport_code == 51 ||
          res.transport_code == 77)
        e.detail =
            "The TLS connection failed. Set ca_file to the CA bundle that signed the "
            "server's certificate (ssl_verify = false turns checking off; for tests only).";
    } else if (res.status == 401) {
      e.summary = fmt::format("Chef Server refused the signature of client \"{}\" ({}){}",
                              settings_.client_name, status_text(res.status), quote);
      e.detail = fmt::format(
          "orch signed {} as {} (protocol {}, server API version {}). Check that this client "
          "exists in the organization, that the key is its current key, and that this machine's "
          "clock is within 15 minutes of the server's.",
          what, settings_.identity(), to_string(settings_.sign_version), settings_.api_version);
    } else if (res.status == 403) {
      e.summary = fmt::format("Chef Server: client \"{}\" may not {} ({}){}", settings_.client_name,
                              what, status_text(res.status), quote);
      e.detail = fmt::format(
          "orch used {}. Grant this client the permission on the object or its container "
          "(knife acl), or configure a client that has it.",
          settings_.identity());
    } else if (res.status == 413) {
      e.summary = fmt::format("Chef Server rejected {}: the request is too large ({}){}", what,
                              status_text(res.status), quote);
      e.detail =
          "The server limits the size of JSON bodies (erchef's max_request_size, 1 MB by "
          "default). Keep large data out of node attributes and data bag items.";
    } else {
      e.summary =
          fmt::format("Chef Server: {} failed with {}{}", what, status_text(res.status), quote);
    }
    if (e.retryable && call.retry && p->attempts < settings_.max_attempts) {
      RetryPolicy policy;
      policy.max_attempts = settings_.max_attempts;
      policy.initial = std::chrono::milliseconds(100);
      policy.max_delay = std::chrono::seconds(10);
      Duration delay = backoff_delay(policy, e, p->attempts, requests_sent_, call.address + what);
      ++retries_;
      if (on_retry_)
        on_retry_(
            call.address,
            fmt::format("{} (attempt {} of {})", e.summary, p->attempts, settings_.max_attempts),
            delay);
      std::weak_ptr<char> guard = alive_;
      clock_.schedule(delay, [this, guard, p] {
        if (!guard.expired()) attempt(p);
      });
      return;
    }
    if (e.retryable && p->attempts > 1)
      e.summary += fmt::format(" (after {} attempts)", p->attempts);
    reply.error = std::move(e);
  }
  --in_flight_;
  auto done = std::move(p->done);
  done(std::move(reply));
  pump();
}

}  // namespace orch::chef
