// The shared HTTP client on libcurl (see client.h).
#include "providers/http/client.h"

#include <curl/curl.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <cctype>

#include "planner/curl_driver.h"

namespace orch::http {

namespace {

// Everything one transfer needs to outlive curl_easy_perform or the driver's callback.
struct Transfer {
  Request request;
  Response response;
  curl_slist* header_list = nullptr;
  char error[CURL_ERROR_SIZE] = {0};
  bool in_headers = true;

  Transfer() = default;
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;
  ~Transfer() { curl_slist_free_all(header_list); }
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response (after a 100 Continue or a redirect): only the last one's headers count.
    t->response.headers.clear();
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  t->response.headers.emplace_back(std::move(name), std::string(value));
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view piece(data, size * count);
  if (t->request.on_data) {
    if (!t->request.on_data(piece)) {
      t->response.aborted = true;
      return 0;  // curl ends the transfer with CURLE_WRITE_ERROR
    }
    return piece.size();
  }
  t->response.body.append(piece);
  return piece.size();
}

CURL* configure(Transfer& t, const ClientOptions& options) {
  CURL* easy = curl_easy_init();
  if (!easy) return nullptr;
  const Request& r = t.request;
  curl_easy_setopt(easy, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t.error);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");  // whatever curl can decode
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout.count()));
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.connect_timeout.count()));

  // TLS: verification stays on unless turned off explicitly.
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, options.tls.verify ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, options.tls.verify ? 2L : 0L);
  if (!options.tls.ca_file.empty())
    curl_easy_setopt(easy, CURLOPT_CAINFO, options.tls.ca_file.c_str());
  if (!options.tls.cert_file.empty())
    curl_easy_setopt(easy, CURLOPT_SSLCERT, options.tls.cert_file.c_str());
  if (!options.tls.key_file.empty())
    curl_easy_setopt(easy, CURLOPT_SSLKEY, options.tls.key_file.c_str());

  if (r.method == "GET") {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else if (r.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else {
    if (r.method == "POST")
      curl_easy_setopt(easy, CURLOPT_POST, 1L);
    else
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    if (r.method == "POST" || !r.body.empty()) {
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r.body.data());
    }
  }

  for (const auto& [name, value] : r.headers) {
    std::string line = value.empty() ? name + ";" : name + ": " + value;
    t.header_list = curl_slist_append(t.header_list, line.c_str());
  }
  // No "Expect: 100-continue" round trip before large bodies.
  t.header_list = curl_slist_append(t.header_list, "Expect:");
  if (r.sigv4) {
    const SigV4& s = *r.sigv4;
    std::string spec = s.provider + ":" + s.region + ":" + s.service;
    curl_easy_setopt(easy, CURLOPT_AWS_SIGV4, spec.c_str());  // copied by curl
    curl_easy_setopt(easy, CURLOPT_USERNAME, s.access_key.c_str());
    curl_easy_setopt(easy, CURLOPT_PASSWORD, s.secret_key.c_str());
    if (!s.session_token.empty())
      t.header_list =
          curl_slist_append(t.header_list, ("X-Amz-Security-Token: " + s.session_token).c_str());
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t.header_list);
  return easy;
}

void finish(Transfer& t, CURLcode code, CURL* easy) {
  Response& res = t.response;
  if (code != CURLE_OK) {
    res.transport_code = static_cast<int>(code);
    res.transport_error = t.error;
  }
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  res.status = status;
  curl_off_t total_us = 0;
  curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &total_us);
  res.elapsed = Millis(total_us / 1000);
}

Response setup_failure() {
  Response r;
  r.transport_code = static_cast<int>(CURLE_FAILED_INIT);
  r.transport_error = "could not create a libcurl handle";
  return r;
}

}  // namespace

Client::Client(boost::asio::io_context& io, ClientOptions options)
    : options_(std::move(options)), driver_(std::make_unique<CurlDriver>(io)) {
  driver_->set_connection_limits(options_.max_connections_per_host, options_.max_connections);
}

Client::~Client() = default;

size_t Client::in_flight() const {
  return driver_->active();
}

void Client::send(Request request, std::function<void(Response)> done) {
  auto t = std::make_shared<Transfer>();
  t->request = std::move(request);
  CURL* easy = configure(*t, options_);
  if (!easy) {
    done(setup_failure());
    return;
  }
  driver_->add(easy, [t, done = std::move(done)](CURLcode code, CURL* handle) {
    finish(*t, code, handle);
    done(std::move(t->response));
  });
}

Response perform(const Request& request, const ClientOptions& options) {
  Transfer t;
  t.request = request;
  CURL* easy = configure(t, options);
  if (!easy) return setup_failure();
  CURLcode code = curl_easy_perform(easy);
  finish(t, code, easy);
  curl_easy_cleanup(easy);
  return std::move(t.response);
}

}  // namespace orch::http
