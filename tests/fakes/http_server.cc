// The fakes' HTTP server on Boost.Beast (see http_server.h).
#include "tests/fakes/http_server.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <random>
#include <set>
#include <sstream>
#include <type_traits>

namespace orch::fakes {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool parse_millis(std::string_view v, std::chrono::milliseconds& out) {
  size_t i = 0;
  while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) ++i;
  if (i == 0) return false;
  long long n = std::stoll(std::string(v.substr(0, i)));
  std::string_view unit = v.substr(i);
  if (unit == "ms" || unit.empty())
    out = std::chrono::milliseconds(n);
  else if (unit == "s")
    out = std::chrono::milliseconds(n * 1000);
  else
    return false;
  return true;
}

}  // namespace

std::string HttpRequest::header(std::string_view name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? "" : it->second;
}

std::map<std::string, std::string> HttpRequest::params() const {
  std::map<std::string, std::string> out;
  std::string_view q = query;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    size_t eq = pair.find('=');
    std::string key = percent_decode(pair.substr(0, eq), true);
    std::string value =
        eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1), true);
    if (!key.empty()) out[key] = value;
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

HttpResponse HttpResponse::text(int status, std::string body, std::string content_type) {
  HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

std::optional<Faults> parse_faults(std::string_view spec, std::string* error) {
  Faults f;
  auto fail = [&](std::string msg) -> std::optional<Faults> {
    if (error) *error = std::move(msg);
    return std::nullopt;
  };
  while (!spec.empty()) {
    size_t comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      return fail("expected name=value, got \"" + std::string(item) + "\"");
    std::string_view name = item.substr(0, eq), value = item.substr(eq + 1);
    try {
      if (name == "latency") {
        if (!parse_millis(value, f.latency)) return fail("bad duration for latency");
      } else if (name == "jitter") {
        if (!parse_millis(value, f.jitter)) return fail("bad duration for jitter");
      } else if (name == "error_rate") {
        f.error_rate = std::stod(std::string(value));
      } else if (name == "drop_rate") {
        f.drop_rate = std::stod(std::string(value));
      } else if (name == "hang_rate") {
        f.hang_rate = std::stod(std::string(value));
      } else if (name == "seed") {
        f.seed = std::stoull(std::string(value));
      } else if (name == "errors") {
        f.error_statuses.clear();
        std::string v(value);
        std::stringstream ss(v);
        std::string code;
        while (std::getline(ss, code, '/')) f.error_statuses.push_back(std::stoi(code));
        if (f.error_statuses.empty()) return fail("errors needs at least one status");
      } else {
        return fail("unknown fault \"" + std::string(name) + "\"");
      }
    } catch (const std::exception&) {
      return fail("bad value for " + std::string(name));
    }
  }
  for (double r : {f.error_rate, f.drop_rate, f.hang_rate})
    if (r < 0 || r > 1) return fail("rates must be between 0 and 1");
  return f;
}

struct HttpServer::Impl {
  explicit Impl(Handler h)
      : handler(std::move(h)), acceptor(io), ssl(asio::ssl::context::tls_server) {}
  asio::io_context io;
  Handler handler;
  tcp::acceptor acceptor;
  asio::ssl::context ssl;
  bool use_tls = false;
  Faults faults;
  std::mt19937_64 rng{1};
  mutable std::mutex stats_mutex;
  ServerStats stats;
  std::vector<std::shared_ptr<void>> hung;  // sessions kept open without an answer

  template <class Session>
  void dispatch(std::shared_ptr<Session> session, HttpRequest req);
  void accept();
  void count(uint64_t ServerStats::*field) {
    std::lock_guard<std::mutex> lock(stats_mutex);
    ++(stats.*field);
  }
  double draw() { return std::uniform_real_distribution<double>(0, 1)(rng); }
};

namespace {

// One connection: read a request, answer it, repeat while keep-alive holds.
template <class Stream>
struct Session : std::enable_shared_from_this<Session<Stream>> {
  template <class... Args>
  explicit Session(HttpServer::Impl* impl, Args&&... args)
      : impl(impl), stream(std::forward<Args>(args)...) {}

  HttpServer::Impl* impl;
  Stream stream;
  beast::flat_buffer buffer;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser;
  bhttp::response<bhttp::string_body> res;
  bool keep_alive = true;

  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  void start() {
    if constexpr (kTls) {
      auto self = this->shared_from_this();
      stream.async_handshake(asio::ssl::stream_base::server, [self](beast::error_code ec) {
        if (ec) return self->close();
        self->read();
      });
    } else {
      read();
    }
  }

  void read() {
    parser.emplace();
    parser->body_limit(256 * 1024 * 1024);
    auto self = this->shared_from_this();
    bhttp::async_read(stream, buffer, *parser,
                      [self](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec) return close();
    auto msg = parser->release();
    keep_alive = msg.keep_alive();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    size_t q = req.target.find('?');
    req.path = percent_decode(std::string_view(req.target).substr(0, q), false);
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    for (const auto& f : msg)
      req.headers[lower(std::string(f.name_string()))] = std::string(f.value());
    req.body = std::move(msg.body());
    impl->dispatch(this->shared_from_this(), std::move(req));
  }

  void write(HttpResponse r) {
    res = {};
    res.version(11);
    res.result(static_cast<unsigned>(r.status));
    for (auto& [k, v] : r.headers) res.set(k, v);
    res.body() = std::move(r.body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    auto self = this->shared_from_this();
    bhttp::async_write(stream, res, [self](beast::error_code ec, size_t) {
      if (ec || !self->keep_alive) return self->close();
      self->read();
    });
  }

  void close() {
    beast::error_code ec;
    auto& socket = beast::get_lowest_layer(stream).socket();
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }
};

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

}  // namespace

template <class S>
void HttpServer::Impl::dispatch(std::shared_ptr<S> session, HttpRequest req) {
  auto respond = [session](HttpResponse r) {
    // Handlers may answer from any callback on this thread; the session keeps itself alive.
    session->write(std::move(r));
  };
  if (req.path.rfind("/_fake/", 0) == 0) {
    if (req.path == "/_fake/faults" && req.method == "POST") {
      std::string error;
      auto f = parse_faults(req.body, &error);
      if (!f) return respond(HttpResponse::text(400, error + "\n"));
      faults = *f;
      rng.seed(faults.seed);
      return respond(HttpResponse::text(200, "ok\n"));
    }
    if (req.path == "/_fake/stats" && req.method == "GET") {
      ServerStats s;
      {
        std::lock_guard<std::mutex> lock(stats_mutex);
        s = stats;
      }
      std::ostringstream o;
      o << "{\"requests\":" << s.requests << ",\"injected_errors\":" << s.injected_errors
        << ",\"dropped\":" << s.dropped << ",\"hung\":" << s.hung
        << ",\"connections\":" << s.connections << "}";
      return respond(HttpResponse::json(200, o.str()));
    }
    return handler(req, respond);  // the fake's own control endpoints, never faulted
  }
  count(&ServerStats::requests);
  double u = draw();
  enum { None, Hang, Drop, Error } fault = None;
  if (u < faults.hang_rate)
    fault = Hang;
  else if (u < faults.hang_rate + faults.drop_rate)
    fault = Drop;
  else if (u < faults.hang_rate + faults.drop_rate + faults.error_rate)
    fault = Error;
  int error_status = faults.error_statuses.empty()
                         ? 500
                         : faults.error_statuses[rng() % faults.error_statuses.size()];
  if (fault == Hang) {
    count(&ServerStats::hung);
    hung.push_back(session);
    return;
  }
  if (fault == Drop) {
    count(&ServerStats::dropped);
    return session->close();
  }
  auto go = [this, session, respond, req = std::move(req), fault, error_status]() mutable {
    if (fault == Error) {
      count(&ServerStats::injected_errors);
      HttpResponse r = HttpResponse::json(error_status, "{\"error\":[\"injected fault: HTTP " +
                                                            std::to_string(error_status) + "\"]}");
      if (error_status == 429 || error_status == 503) r.headers.emplace_back("Retry-After", "0");
      return respond(std::move(r));
    }
    handler(req, respond);
  };
  auto delay = faults.latency;
  if (faults.jitter.count() > 0)
    delay += std::chrono::milliseconds(rng() % static_cast<uint64_t>(faults.jitter.count()));
  if (delay.count() <= 0) return go();
  auto timer = std::make_shared<asio::steady_timer>(io, delay);
  timer->async_wait(
      [timer, go = std::move(go)](const boost::system::error_code&) mutable { go(); });
}

void HttpServer::Impl::accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec) return;  // stopped
    count(&ServerStats::connections);
    socket.set_option(tcp::no_delay(true));
    if (use_tls) {
      auto s = std::make_shared<Session<TlsStream>>(this, std::move(socket), ssl);
      s->start();
    } else {
      auto s = std::make_shared<Session<beast::tcp_stream>>(this, std::move(socket));
      s->start();
    }
    accept();
  });
}

HttpServer::HttpServer(Handler handler, std::string host, uint16_t port,
                       std::optional<ServerTls> tls)
    : impl_(std::make_unique<Impl>(std::move(handler))) {
  if (tls) {
    impl_->use_tls = true;
    tls_ = true;
    impl_->ssl.use_certificate_chain_file(tls->cert_file);
    impl_->ssl.use_private_key_file(tls->key_file, asio::ssl::context::pem);
  }
  tcp::endpoint ep(asio::ip::make_address(host), port);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen(asio::socket_base::max_listen_connections);
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->accept();
  thread_ = std::thread([this] {
    auto guard = asio::make_work_guard(impl_->io);
    impl_->io.run();
  });
}

HttpServer::~HttpServer() {
  stop();
}

std::string HttpServer::url() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

void HttpServer::set_faults(const Faults& faults) {
  post([this, faults] {
    impl_->faults = faults;
    impl_->rng.seed(faults.seed);
  });
}

ServerStats HttpServer::stats() const {
  std::lock_guard<std::mutex> lock(impl_->stats_mutex);
  return impl_->stats;
}

void HttpServer::post(std::function<void()> fn) {
  asio::post(impl_->io, std::move(fn));
}

void HttpServer::wait() {
  if (thread_.joinable()) thread_.join();
}

void HttpServer::stop() {
  if (!impl_) return;
  impl_->io.stop();
  if (thread_.joinable()) thread_.join();
}

HttpServer::Handler HttpServer::sync(std::function<HttpResponse(const HttpRequest&)> fn) {
  return [fn = std::move(fn)](const HttpRequest& req, std::function<void(HttpResponse)> respond) {
    respond(fn(req));
  };
}

}  // namespace orch::fakes
