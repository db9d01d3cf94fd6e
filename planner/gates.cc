// Readiness gates (see gates.h): the polling loop, simulation under a virtual clock, and the
// core checks (http through libcurl, tcp through Asio, command through a child process).
#include "planner/gates.h"

#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "planner/curl_driver.h"
#include "planner/gate_command.h"

namespace orch {

namespace asio = boost::asio;

bool is_core_gate_kind(std::string_view kind) {
  return kind == "http" || kind == "tcp" || kind == "command";
}

namespace {

std::string format_ms(Duration d) {
  auto ms = d.count();
  if (ms % 60000 == 0 && ms > 0) return fmt::format("{}m", ms / 60000);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

size_t discard_body(char*, size_t size, size_t n, void*) {
  return size * n;
}

// "host:port" or "[v6]:port".
bool split_host_port(const std::string& target, std::string& host, std::string& port) {
  if (!target.empty() && target.front() == '[') {
    auto close = target.find(']');
    if (close == std::string::npos || close + 1 >= target.size() || target[close + 1] != ':')
      return false;
    host = target.substr(1, close - 1);
    port = target.substr(close + 2);
  } else {
    auto colon = target.rfind(':');
    if (colon == std::string::npos) return false;
    host = target.substr(0, colon);
    port = target.substr(colon + 1);
  }
  return !host.empty() && !port.empty();
}

}  // namespace

struct GateRunner::Impl : std::enable_shared_from_this<GateRunner::Impl> {
  explicit Impl(Clock& c) : clock(c) {}
  Clock& clock;
  std::unique_ptr<CurlDriver> curl;

  void check_http(const ExecGate& gate, Duration limit, std::function<void(GateResult)> done) {
    auto* io = clock.io_context();
    if (!curl) curl = std::make_unique<CurlDriver>(*io);
    CURL* easy = curl_easy_init();
    curl_easy_setopt(easy, CURLOPT_URL, gate.target.c_str());
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard_body);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(std::max<int64_t>(1, limit.count())));
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::max<int64_t>(1, limit.count())));
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    auto expect = gate.expect_status;
    curl->add(easy, [done = std::move(done), expect](CURLcode code, CURL* handle) {
      GateResult r;
      if (code != CURLE_OK) {
        r.message = std::string("request failed: ") + curl_easy_strerror(code);
        return done(r);
      }
      long status = 0;
      curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
      r.holds = expect ? status == *expect : (status >= 200 && status < 300);
      r.message = expect ? fmt::format("status {} (expected {})", status, *expect)
                         : fmt::format("status {} (expected 2xx)", status);
      done(r);
    });
  }

  void check_tcp(const ExecGate& gate, Duration limit, std::function<void(GateResult)> done) {
    std::string host, port;
    if (!split_host_port(gate.target, host, port)) {
      GateResult r;
      r.message = fmt::format("\"{}\" is not host:port", gate.target);
      return done(r);
    }
    auto* io = clock.io_context();
    struct Attempt {
      Attempt(asio::io_context& io) : resolver(io), socket(io), timer(io) {}
      asio::ip::tcp::resolver resolver;
      asio::ip::tcp::socket socket;
      asio::steady_timer timer;
      std::function<void(GateResult)> done;
      bool finished = false;
      void finish(bool holds, std::string message) {
        if (finished) return;
        finished = true;
        timer.cancel();
        resolver.cancel();
        boost::system::error_code ignored;
        socket.close(ignored);
        GateResult r;
        r.holds = holds;
        r.message = std::move(message);
        auto cb = std::move(done);
        cb(r);
      }
    };
    auto a = std::make_shared<Attempt>(*io);
    a->done = std::move(done);
    a->timer.expires_after(limit);
    a->timer.async_wait([a](const boost::system::error_code& ec) {
      if (!ec) a->finish(false, "connect timed out");
    });
    a->resolver.async_resolve(
        host, port, [a, target = gate.target](const boost::system::error_code& ec, auto results) {
          if (ec) return a->finish(false, "cannot resolve " + target + ": " + ec.message());
          asio::async_connect(
              a->socket, results, [a, target](const boost::system::error_code& ec2, const auto&) {
                if (ec2)
                  return a->finish(false, "cannot connect to " + target + ": " + ec2.message());
                a->finish(true, "connected to " + target);
              });
        });
  }

  void check_once(const ExecGate& gate, Duration limit, std::function<void(GateResult)> done) {
    if (gate.check) return gate.check(std::move(done));
    if (!clock.io_context()) {
      GateResult r;
      r.message = "core gates need a real clock";
      return done(r);
    }
    if (gate.kind == "http") return check_http(gate, limit, std::move(done));
    if (gate.kind == "tcp") return check_tcp(gate, limit, std::move(done));
    if (gate.kind == "command")
      return run_gate_command(*clock.io_context(), gate.target, gate.expect_status.value_or(0),
                              limit, std::move(done));
    GateResult r;
    r.message = fmt::format("unknown gate kind \"{}\"", gate.kind);
    r.error = ProviderError{r.message, "no provider offers this readiness condition", false, {}};
    done(r);
  }

  void simulate(const ExecGate& gate, std::function<void(GateResult)> done) {
    const Duration after = gate.simulate_after.value_or(Duration(0));
    GateResult r;
    if (after > gate.timeout) {
      r.message = fmt::format("timed out after {} (simulated gate holds after {})",
                              format_ms(gate.timeout), format_ms(after));
      clock.schedule(gate.timeout, [done = std::move(done), r] { done(r); });
      return;
    }
    r.holds = true;
    r.message = "simulated";
    if (after.count() == 0) return done(r);
    clock.schedule(after, [done = std::move(done), r] { done(r); });
  }

  // Checks, then re-checks every interval until it holds or the deadline passes.
  void poll(std::shared_ptr<ExecGate> gate, TimePoint deadline,
            std::shared_ptr<std::function<void(GateResult)>> done) {
    // Each check may take up to an interval (at least 1s), and never less than a fair chance
    // (250 ms, or the interval up to 1s) even as the deadline nears, so that the last check
    // reports what it saw rather than its own cut-off.
    const Duration left = deadline - clock.now();
    const Duration floor = std::min(Duration(1000), std::max(gate->interval, Duration(250)));
    const Duration limit =
        std::min(std::max(left, floor), std::max(gate->interval, Duration(1000)));
    std::weak_ptr<Impl> weak = weak_from_this();
    check_once(*gate, limit, [weak, gate, deadline, done](GateResult r) {
      auto self = weak.lock();
      if (!self) return;
      if (r.holds || r.error) return (*done)(r);
      const TimePoint now = self->clock.now();
      if (now >= deadline) {
        r.message = fmt::format("timed out after {}: {}", format_ms(gate->timeout), r.message);
        return (*done)(r);
      }
      const Duration wait = std::min(gate->interval, deadline - now);
      self->clock.schedule(wait, [weak, gate, deadline, done] {
        if (auto s = weak.lock()) s->poll(gate, deadline, done);
      });
    });
  }
};

GateRunner::GateRunner(Clock& clock) : impl_(std::make_shared<Impl>(clock)) {}
GateRunner::~GateRunner() = default;

void GateRunner::run(const ExecGate& gate, std::function<void(GateResult)> done) {
  if (impl_->clock.is_virtual()) return impl_->simulate(gate, std::move(done));
  impl_->poll(std::make_shared<ExecGate>(gate), impl_->clock.now() + gate.timeout,
              std::make_shared<std::function<void(GateResult)>>(std::move(done)));
}

void GateRunner::check_once(const ExecGate& gate, Duration limit,
                            std::function<void(GateResult)> done) {
  impl_->check_once(gate, limit, std::move(done));
}

}  // namespace orch
