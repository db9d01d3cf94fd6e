// The shared HTTP client (providers/http/client.h) against a real loopback server
// (tests/fakes/http_server.h): methods, headers, keep-alive, concurrency on one loop, timeouts,
// injected faults, streaming, TLS verification, and the blocking variant.
#include "providers/http/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>

#include "tests/fakes/http_server.h"
#include "tests/support/temp_dir.h"

namespace orch::http {
namespace {

using fakes::HttpRequest;
using fakes::HttpResponse;
using fakes::HttpServer;
using namespace std::chrono_literals;

// Echoes what it received: method, path, query, a header and the body.
HttpServer::Handler echo() {
  return HttpServer::sync([](const HttpRequest& r) {
    std::string body = r.method + " " + r.path + "?" + r.query + " x-test=" + r.header("X-Test") +
                       " body=" + r.body;
    return HttpResponse::text(200, body);
  });
}

// Runs `n` requests on one loop and returns their responses (in completion order).
std::vector<Response> run_all(std::vector<Request> requests, ClientOptions options = {}) {
  boost::asio::io_context io;
  Client client(io, options);
  std::vector<Response> out;
  for (auto& r : requests)
    client.send(std::move(r), [&](Response res) { out.push_back(std::move(res)); });
  io.run();
  return out;
}

TEST(HttpClientTest, GetAndPostCarryMethodHeadersAndBody) {
  HttpServer server(echo());
  Request get;
  get.url = server.url() + "/nodes/a%20b?rows=10";
  get.headers = {{"X-Test", "one"}};
  Request post;
  post.method = "POST";
  post.url = server.url() + "/search/node";
  post.body = "{\"name\":[\"name\"]}";
  Request put;
  put.method = "PUT";
  put.url = server.url() + "/nodes/x";
  put.body = "data";
  Request del;
  del.method = "DELETE";
  del.url = server.url() + "/nodes/x";
  auto res = run_all({get, post, put, del});
  ASSERT_EQ(res.size(), 4u);
  std::set<std::string> bodies;
  for (const auto& r : res) {
    EXPECT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.header("content-type"), "text/plain");
    EXPECT_EQ(r.header("Content-Type"), "text/plain");
    bodies.insert(r.body);
  }
  EXPECT_TRUE(bodies.count("GET /nodes/a b?rows=10 x-test=one body="));
  EXPECT_TRUE(bodies.count("POST /search/node? x-test= body={\"name\":[\"name\"]}"));
  EXPECT_TRUE(bodies.count("PUT /nodes/x? x-test= body=data"));
  EXPECT_TRUE(bodies.count("DELETE /nodes/x? x-test= body="));
}

TEST(HttpClientTest, ManyConcurrentRequestsOverlapOnOneLoopAndReuseConnections) {
  HttpServer server(echo());
  fakes::Faults f;
  f.latency = 100ms;
  server.set_faults(f);
  std::vector<Request> requests(200);
  for (auto& r : requests) r.url = server.url() + "/x";
  ClientOptions options;
  options.max_connections_per_host = 50;
  auto start = std::chrono::steady_clock::now();
  auto res = run_all(requests, options);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(res.size(), 200u);
  for (const auto& r : res) EXPECT_TRUE(r.ok()) << r.describe();
  // 200 requests at 100 ms each over at most 50 connections: 4 rounds, not 200.
  EXPECT_LT(took, 3s);
  EXPECT_LE(server.stats().connections, 50u);
  EXPECT_EQ(server.stats().requests, 200u);
}

TEST(HttpClientTest, TimeoutIsATransportErrorWorthRetrying) {
  HttpServer server(echo());
  fakes::Faults f;
  f.hang_rate = 1;
  server.set_faults(f);
  Request r;
  r.url = server.url() + "/slow";
  r.timeout = 300ms;
  auto res = run_all({r});
  ASSERT_EQ(res.size(), 1u);
  EXPECT_FALSE(res[0].ok());
  EXPECT_TRUE(res[0].transport_failed());
  EXPECT_TRUE(res[0].retryable());
  EXPECT_EQ(res[0].status, 0);
  EXPECT_NE(res[0].describe().find("imeout"), std::string::npos) << res[0].describe();
}

TEST(HttpClientTest, DroppedConnectionAndInjectedErrorsAreRetryable) {
  HttpServer server(echo());
  fakes::Faults f;
  f.drop_rate = 1;
  server.set_faults(f);
  Request r;
  r.url = server.url() + "/x";
  auto dropped = run_all({r});
  EXPECT_TRUE(dropped[0].transport_failed());
  EXPECT_TRUE(dropped[0].retryable()) << dropped[0].describe();

  f.drop_rate = 0;
  f.error_rate = 1;
  f.error_statuses = {503};
  server.set_faults(f);
  auto errored = run_all({r});
  EXPECT_EQ(errored[0].status, 503);
  EXPECT_TRUE(errored[0].retryable());
  ASSERT_TRUE(errored[0].retry_after());
  EXPECT_EQ(*errored[0].retry_after(), 0ms);
  EXPECT_EQ(errored[0].describe(), "HTTP 503 Service Unavailable");
}

TEST(HttpClientTest, ConnectionRefusedIsReported) {
  uint16_t port;
  {
    HttpServer server(echo());
    port = server.port();
  }
  Request r;
  r.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  auto res = run_all({r});
  EXPECT_TRUE(res[0].transport_failed());
  EXPECT_TRUE(res[0].retryable());
  EXPECT_NE(res[0].describe().find("onnect"), std::string::npos) << res[0].describe();
}

TEST(HttpClientTest, ClientErrorsAreNotRetryable) {
  HttpServer server(HttpServer::sync(
      [](const HttpRequest&) { return HttpResponse::json(404, "{\"error\":[\"not found\"]}"); }));
  Request r;
  r.url = server.url() + "/nodes/none";
  auto res = run_all({r});
  EXPECT_EQ(res[0].status, 404);
  EXPECT_FALSE(res[0].ok());
  EXPECT_FALSE(res[0].retryable());
  EXPECT_EQ(res[0].body, "{\"error\":[\"not found\"]}");
}

TEST(HttpClientTest, StreamingDeliversPiecesAndCanStop) {
  // A handler that answers late with a large body, read as a stream.
  HttpServer server(HttpServer::sync(
      [](const HttpRequest&) { return HttpResponse::text(200, std::string(1 << 20, 'x')); }));
  size_t seen = 0;
  Request r;
  r.url = server.url() + "/stream";
  r.on_data = [&](std::string_view piece) {
    seen += piece.size();
    return seen < 100000;
  };
  auto res = run_all({r});
  EXPECT_TRUE(res[0].aborted);
  EXPECT_FALSE(res[0].transport_failed());
  EXPECT_TRUE(res[0].body.empty());
  EXPECT_GE(seen, 100000u);
  EXPECT_LT(seen, 1u << 20);
}

TEST(HttpClientTest, HandlersMayAnswerLater) {
  // The handler keeps `respond` and the answer is sent later, from the server's thread.
  std::function<void(HttpResponse)> saved;
  std::atomic<bool> received{false};
  HttpServer server([&](const HttpRequest&, std::function<void(HttpResponse)> respond) {
    saved = std::move(respond);
    received = true;
  });
  boost::asio::io_context io;
  Client client(io);
  Request r;
  r.url = server.url() + "/";
  std::optional<Response> res;
  client.send(r, [&](Response x) { res = std::move(x); });
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!received && std::chrono::steady_clock::now() < deadline) io.run_for(10ms);
  ASSERT_TRUE(received);
  io.run_for(50ms);
  EXPECT_FALSE(res);  // not answered yet
  server.post([&] { saved(HttpResponse::text(202, "later")); });
  while (!res && std::chrono::steady_clock::now() < deadline) io.run_for(10ms);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  EXPECT_EQ(res->body, "later");
}

TEST(HttpClientTest, BlockingPerformWorksWithoutALoop) {
  HttpServer server(echo());
  Request r;
  r.method = "POST";
  r.url = server.url() + "/kv";
  r.body = "abc";
  Response res = perform(r);
  EXPECT_TRUE(res.ok()) << res.describe();
  EXPECT_EQ(res.body, "POST /kv? x-test= body=abc");
}

// A self-signed certificate for 127.0.0.1, made with the openssl command.
struct SelfSigned {
  testing::TempDir dir;
  std::string cert = dir.file("cert.pem");
  std::string key = dir.file("key.pem");
  bool ok = false;
  SelfSigned() {
    std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
        "-addext subjectAltName=IP:127.0.0.1 -keyout " +
        key + " -out " + cert + " >/dev/null 2>&1";
    ok = std::system(cmd.c_str()) == 0;
  }
};

TEST(HttpClientTest, TlsIsVerifiedByDefault) {
  SelfSigned pki;
  ASSERT_TRUE(pki.ok) << "openssl could not make a test certificate";
  HttpServer server(echo(), "127.0.0.1", 0, fakes::ServerTls{pki.cert, pki.key});
  Request r;
  r.url = server.url() + "/secure";

  // Unknown issuer: refused, and not worth retrying.
  auto refused = run_all({r});
  EXPECT_TRUE(refused[0].transport_failed());
  EXPECT_FALSE(refused[0].retryable());
  EXPECT_NE(refused[0].describe().find("certificate"), std::string::npos) << refused[0].describe();

  // Trusting the certificate's CA file: accepted.
  ClientOptions trusted;
  trusted.tls.ca_file = pki.cert;
  auto ok = run_all({r}, trusted);
  EXPECT_TRUE(ok[0].ok()) << ok[0].describe();
  EXPECT_EQ(ok[0].body, "GET /secure? x-test= body=");

  // Verification turned off explicitly: accepted.
  ClientOptions insecure;
  insecure.tls.verify = false;
  EXPECT_TRUE(run_all({r}, insecure)[0].ok());
}

TEST(HttpClientTest, DestroyingTheClientDropsPendingRequests) {
  HttpServer server(echo());
  fakes::Faults f;
  f.hang_rate = 1;
  server.set_faults(f);
  boost::asio::io_context io;
  int called = 0;
  {
    auto client = std::make_unique<Client>(io);
    Request r;
    r.url = server.url() + "/";
    client->send(r, [&](Response) { ++called; });
    io.run_for(50ms);
  }
  io.run_for(50ms);
  EXPECT_EQ(called, 0);
}

TEST(HttpClientTest, DoneMayDestroyTheClient) {
  HttpServer server(echo());
  boost::asio::io_context io;
  auto client = std::make_unique<Client>(io);
  Request r;
  r.url = server.url() + "/";
  int called = 0;
  client->send(r, [&](Response) {
    ++called;
    client.reset();
  });
  client->send(r, [&](Response) {
    ++called;
    client.reset();
  });
  io.run();
  EXPECT_GE(called, 1);
  EXPECT_EQ(client, nullptr);
}

TEST(HttpRequestTest, Helpers) {
  EXPECT_EQ(url_encode("a b/c~d"), "a%20b%2Fc~d");
  EXPECT_EQ(join_url("https://h:443/", "/organizations/x"), "https://h:443/organizations/x");
  EXPECT_EQ(join_url("https://h", "nodes"), "https://h/nodes");
  Response r;
  r.status = 429;
  r.headers = {{"retry-after", "7"}};
  EXPECT_TRUE(r.retryable());
  EXPECT_EQ(*r.retry_after(), 7000ms);
  r.headers = {{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}};
  EXPECT_EQ(*r.retry_after(), 0ms);  // in the past
  r.status = 501;
  EXPECT_FALSE(r.retryable());
  EXPECT_EQ(reason_phrase(409), "Conflict");
}

TEST(FakeFaultsTest, ParsesSpecs) {
  std::string err;
  auto f = fakes::parse_faults("latency=50ms,jitter=1s,error_rate=0.2,errors=500/429,seed=9", &err);
  ASSERT_TRUE(f) << err;
  EXPECT_EQ(f->latency, 50ms);
  EXPECT_EQ(f->jitter, 1000ms);
  EXPECT_DOUBLE_EQ(f->error_rate, 0.2);
  EXPECT_EQ(f->error_statuses, (std::vector<int>{500, 429}));
  EXPECT_EQ(f->seed, 9u);
  EXPECT_FALSE(fakes::parse_faults("error_rate=2", &err));
  EXPECT_FALSE(fakes::parse_faults("bogus=1", &err));
  EXPECT_NE(err.find("bogus"), std::string::npos);
}

}  // namespace
}  // namespace orch::http
