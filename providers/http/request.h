// HTTP requests and responses as the providers see them: plain structs, no libcurl types, plus
// the rules every provider shares (which failures are transient, how long the server asks us
// to wait, how a failure reads in a message).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace orch::http {

using Millis = std::chrono::milliseconds;
using Header = std::pair<std::string, std::string>;

// TLS settings of a connection. Verification is on unless a user turns it off explicitly.
struct Tls {
  bool verify = true;
  std::string ca_file;    // PEM bundle of trusted CAs; empty: the system store
  std::string cert_file;  // client certificate (PEM), for mutual TLS
  std::string key_file;   // its private key (PEM)
};

// AWS Signature Version 4, computed by libcurl (CURLOPT_AWS_SIGV4).
struct SigV4 {
  std::string provider = "aws:amz";
  std::string region;
  std::string service;
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // sent as X-Amz-Security-Token when set
};

struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<Header> headers;  // sent in this order
  std::string body;
  Millis timeout = std::chrono::seconds(60);  // whole transfer; 0: none (streams)
  Millis connect_timeout = std::chrono::seconds(10);
  std::optional<SigV4> sigv4;
  // Streaming: called with each piece of the body as it arrives (the body is then not kept in
  // Response::body); return false to end the transfer (the response then has `aborted` set).
  std::function<bool(std::string_view)> on_data;
};

struct Response {
  long status = 0;              // HTTP status; 0 when no response arrived
  std::vector<Header> headers;  // names in lower case, in arrival order (last response only)
  std::string body;
  int transport_code = 0;       // libcurl's CURLcode; 0 when a response arrived
  std::string transport_error;  // curl's message for a transport failure
  bool aborted = false;         // on_data asked to stop
  Millis elapsed{0};

  // The first header named `name` (case-insensitive); empty when absent.
  std::string header(std::string_view name) const;
  bool transport_failed() const { return transport_code != 0 && !aborted; }
  bool ok() const { return !transport_failed() && status >= 200 && status < 300; }
  // Worth retrying: connection failures, timeouts, resets, 408, 429, 500, 502, 503, 504.
  bool retryable() const;
  // Retry-After (seconds or an HTTP date), when the server sent one.
  std::optional<Millis> retry_after() const;
  // One line for messages: "HTTP 503 Service Unavailable" or "connection refused (…)".
  std::string describe() const;
};

// "Service Unavailable" for 503; "" when unknown.
std::string_view reason_phrase(long status);

// Percent-encodes everything but RFC 3986's unreserved characters (A-Z a-z 0-9 - _ . ~).
std::string url_encode(std::string_view text);

// "https://host:8443/base" + "/organizations/x" without doubled or missing slashes.
std::string join_url(std::string_view base, std::string_view path);

}  // namespace orch::http
