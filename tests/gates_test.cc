// Tests of readiness gates: http against a small HTTP server on 127.0.0.1 (Boost.Asio, on the
// same loop), tcp connects, command exit codes and output, timeouts, provider checks, the
// simulated gates of the virtual clock, and a gated step run by the executor in real time.
#include "planner/gates.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "planner/executor.h"
#include "planner/real_clock.h"
#include "planner/virtual_clock.h"

namespace orch {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Answers every request with the status `status(n)` for the n-th request (0-based).
class HttpServer {
 public:
  HttpServer(asio::io_context& io, std::function<int(int)> status)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        status_(std::move(status)) {
    accept();
  }
  ~HttpServer() { stop(); }
  void stop() {
    boost::system::error_code ec;
    acceptor_.close(ec);
  }
  int port() const { return acceptor_.local_endpoint().port(); }
  int requests() const { return requests_; }

 private:
  struct Conn {
    explicit Conn(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    asio::streambuf in;
    std::string out;
  };

  void accept() {
    auto conn =
        std::make_shared<Conn>(static_cast<asio::io_context&>(acceptor_.get_executor().context()));
    acceptor_.async_accept(conn->socket, [this, conn](const boost::system::error_code& ec) {
      if (ec) return;
      asio::async_read_until(conn->socket, conn->in, "\r\n\r\n",
                             [this, conn](const boost::system::error_code& ec2, size_t) {
                               if (ec2) return;
                               int status = status_(requests_++);
                               conn->out = "HTTP/1.1 " + std::to_string(status) +
                                           " X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
                               asio::async_write(conn->socket, asio::buffer(conn->out),
                                                 [conn](const boost::system::error_code&, size_t) {
                                                   boost::system::error_code ignored;
                                                   conn->socket.close(ignored);
                                                 });
                             });
      accept();
    });
  }

  tcp::acceptor acceptor_;
  std::function<int(int)> status_;
  int requests_ = 0;
};

// Runs one gate on a real clock; returns its result and how long it took.
struct Outcome {
  GateResult result;
  Duration took{0};
};

Outcome run_gate(RealClock& clock, const ExecGate& gate) {
  GateRunner runner(clock);
  std::optional<GateResult> result;
  const TimePoint start = clock.now();
  Duration took{0};
  runner.run(gate, [&](GateResult r) {
    took = clock.now() - start;
    result = r;
    clock.stop();
  });
  clock.run();
  EXPECT_TRUE(result.has_value());
  return {result.value_or(GateResult{}), took};
}

ExecGate gate(std::string kind, std::string target, Duration timeout = seconds(5),
              Duration interval = milliseconds(50)) {
  ExecGate g;
  g.kind = std::move(kind);
  g.target = std::move(target);
  g.timeout = timeout;
  g.interval = interval;
  return g;
}

int free_port() {
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();  // closed when `a` goes: nothing listens there
}

TEST(GatesTest, HttpHoldsOnce2xxComesBack) {
  RealClock clock;
  HttpServer server(*clock.io_context(), [](int n) { return n < 2 ? 503 : 200; });
  auto out = run_gate(
      clock, gate("http", "http://127.0.0.1:" + std::to_string(server.port()) + "/health"));
  EXPECT_TRUE(out.result.holds) << out.result.message;
  EXPECT_EQ(server.requests(), 3);
  EXPECT_GE(out.took, milliseconds(100));  // two intervals of 50 ms
}

TEST(GatesTest, HttpExpectStatusAndTimeout) {
  RealClock clock;
  HttpServer server(*clock.io_context(), [](int) { return 200; });
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  ExecGate g = gate("http", url, milliseconds(300));
  g.expect_status = 204;
  auto out = run_gate(clock, g);
  EXPECT_FALSE(out.result.holds);
  EXPECT_NE(out.result.message.find("timed out"), std::string::npos) << out.result.message;
  EXPECT_NE(out.result.message.find("status 200 (expected 204)"), std::string::npos);
  EXPECT_GE(out.took, milliseconds(300));
  EXPECT_LT(out.took, seconds(3));

  g.expect_status = 200;
  EXPECT_TRUE(run_gate(clock, g).result.holds);
}

TEST(GatesTest, HttpConnectionRefusedIsNotReady) {
  RealClock clock;
  auto out = run_gate(clock, gate("http", "http://127.0.0.1:" + std::to_string(free_port()) + "/",
                                  milliseconds(200)));
  EXPECT_FALSE(out.result.holds);
  EXPECT_NE(out.result.message.find("request failed"), std::string::npos) << out.result.message;
}

TEST(GatesTest, TcpConnects) {
  RealClock clock;
  tcp::acceptor listening(*clock.io_context(),
                          tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto ok = run_gate(clock,
                     gate("tcp", "127.0.0.1:" + std::to_string(listening.local_endpoint().port())));
  EXPECT_TRUE(ok.result.holds) << ok.result.message;

  auto refused =
      run_gate(clock, gate("tcp", "127.0.0.1:" + std::to_string(free_port()), milliseconds(200)));
  EXPECT_FALSE(refused.result.holds);
  EXPECT_NE(refused.result.message.find("cannot connect"), std::string::npos)
      << refused.result.message;

  auto bad = run_gate(clock, gate("tcp", "no-port-here", milliseconds(100)));
  EXPECT_FALSE(bad.result.holds);
  EXPECT_NE(bad.result.message.find("is not host:port"), std::string::npos);
}

TEST(GatesTest, CommandExitCodes) {
  RealClock clock;
  EXPECT_TRUE(run_gate(clock, gate("command", "exit 0")).result.holds);
  ExecGate three = gate("command", "exit 3");
  three.expect_status = 3;
  EXPECT_TRUE(run_gate(clock, three).result.holds);

  auto failing = run_gate(clock, gate("command", "echo still booting; exit 1", milliseconds(200)));
  EXPECT_FALSE(failing.result.holds);
  EXPECT_NE(failing.result.message.find("exit code 1 (expected 0)"), std::string::npos)
      << failing.result.message;
  EXPECT_NE(failing.result.message.find("still booting"), std::string::npos);
}

TEST(GatesTest, CommandBecomesReady) {
  RealClock clock;
  char path[] = "/tmp/orch-gate-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  // Ready on the third check: the command counts its own runs in a file.
  const std::string cmd = std::string("echo x >> ") + path + "; test $(wc -l < " + path + ") -ge 3";
  auto out = run_gate(clock, gate("command", cmd));
  EXPECT_TRUE(out.result.holds) << out.result.message;
  unlink(path);
}

TEST(GatesTest, CommandTimeoutKillsTheChildAndNeverBlocksTheLoop) {
  RealClock clock;
  bool timer_fired = false;
  TimePoint fired_at{0};
  clock.schedule(milliseconds(50), [&] {
    timer_fired = true;
    fired_at = clock.now();
  });
  auto out = run_gate(clock, gate("command", "sleep 30", milliseconds(300)));
  EXPECT_FALSE(out.result.holds);
  EXPECT_NE(out.result.message.find("timed out"), std::string::npos) << out.result.message;
  EXPECT_LT(out.took, seconds(5));
  EXPECT_TRUE(timer_fired);
  EXPECT_LT(fired_at, milliseconds(250));  // the loop ran while the child slept
}

TEST(GatesTest, ProviderCheckIsPolledUntilItHolds) {
  RealClock clock;
  int calls = 0;
  ExecGate g = gate("chef_tag", "", seconds(5), milliseconds(10));
  g.check = [&](std::function<void(GateResult)> done) {
    GateResult r;
    r.holds = ++calls == 3;
    r.message = "tag missing";
    done(r);
  };
  EXPECT_TRUE(run_gate(clock, g).result.holds);
  EXPECT_EQ(calls, 3);
}

TEST(GatesTest, UnknownKindIsAnError) {
  RealClock clock;
  auto out = run_gate(clock, gate("etcd_key", "x"));
  EXPECT_FALSE(out.result.holds);
  ASSERT_TRUE(out.result.error);
  EXPECT_NE(out.result.message.find("unknown gate kind"), std::string::npos);
}

TEST(GatesTest, VirtualClockSimulatesGates) {
  VirtualClock clock;
  GateRunner runner(clock);
  std::optional<GateResult> at_once, later, too_late;
  TimePoint later_at{0}, too_late_at{0};
  runner.run(gate("http", "http://nowhere.invalid/"), [&](GateResult r) { at_once = r; });
  EXPECT_TRUE(at_once && at_once->holds);  // default: holds at once, no I/O

  ExecGate g = gate("tcp", "db:5432", seconds(60));
  g.simulate_after = seconds(20);
  runner.run(g, [&](GateResult r) {
    later = r;
    later_at = clock.now();
  });
  g.simulate_after = seconds(90);
  runner.run(g, [&](GateResult r) {
    too_late = r;
    too_late_at = clock.now();
  });
  clock.run();
  ASSERT_TRUE(later && too_late);
  EXPECT_TRUE(later->holds);
  EXPECT_EQ(later_at, seconds(20));
  EXPECT_FALSE(too_late->holds);
  EXPECT_EQ(too_late_at, seconds(60));
  EXPECT_NE(too_late->message.find("timed out after 1m"), std::string::npos) << too_late->message;
}

TEST(GatesTest, ExecutorWaitsForARealHttpGate) {
  RealClock clock;
  HttpServer server(*clock.io_context(), [](int n) { return n < 1 ? 503 : 200; });
  ExecGraph g;
  ExecStep web;
  web.address = "web";
  web.gate = gate("http", "http://127.0.0.1:" + std::to_string(server.port()) + "/");
  StepId w = g.add(std::move(web));
  ExecStep lb;
  lb.address = "lb";
  lb.depends_on = {w};
  StepId l = g.add(std::move(lb));
  Executor ex(clock, std::move(g));
  ex.start([&](const ExecResult&) { server.stop(); });
  clock.run();
  ASSERT_TRUE(ex.finished());
  const ExecResult& r = ex.result();
  EXPECT_TRUE(r.ok());
  EXPECT_GE(r.records[l].started_at, r.records[w].finished_at);
  EXPECT_GE(r.records[w].finished_at - r.records[w].applied_at, milliseconds(50));
  EXPECT_EQ(server.requests(), 2);
}

}  // namespace
}  // namespace orch
