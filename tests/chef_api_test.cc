// The signed Chef API client (providers/chef/chef_api.cc) against the fake Chef Server and a
// scripted HTTP server: both signing protocols and API versions accepted, 401s for an unknown
// client, a wrong key and a skewed clock (naming client and key file, never the key), erchef's
// error messages quoted, 413, retries with their events and Retry-After, the concurrency limit,
// and TLS verification on by default.
#include "providers/chef/chef_api.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "planner/real_clock.h"
#include "tests/chef_fixture.h"

namespace orch::chef {
namespace {

using testing::kChefData;
using testing::read_text;

struct ApiRig {
  explicit ApiRig(fakes::FakeChef& fake, std::function<void(ChefSettings&)> tweak = {}) {
    std::string err;
    settings.server_url = fake.url();
    settings.client_name = "orch-ci";
    settings.key = RsaKey::from_file(kChefData + "test_client.pem", &err);
    settings.key_file = kChefData + "test_client.pem";
    settings.key_source = "key file " + settings.key_file;
    if (tweak) tweak(settings);
    api = std::make_unique<ChefApi>(
        *clock.io_context(), clock, settings,
        [this](const std::string& a, const std::string& m, std::chrono::milliseconds d) {
          retries.push_back({a, m, d});
        });
  }
  ChefReply call(ChefCall c) {
    std::optional<ChefReply> out;
    api->call(std::move(c), [&](ChefReply r) { out = std::move(r); });
    clock.run();
    EXPECT_TRUE(out);
    return out ? *out : ChefReply{};
  }
  struct Retry {
    std::string address, message;
    std::chrono::milliseconds delay;
  };
  RealClock clock;
  ChefSettings settings;
  std::unique_ptr<ChefApi> api;
  std::vector<Retry> retries;
};

ChefCall get(std::string path) {
  ChefCall c;
  c.path = std::move(path);
  return c;
}

TEST(ChefApiTest, SignedRequestsAreAcceptedWithEitherProtocolAndApiVersion) {
  fakes::FakeChef fake;
  fake.add_client("orch-ci", read_text(kChefData + "test_client.pub"));
  for (auto v : {SignVersion::V1_3, SignVersion::V1_0})
    for (std::string api : {"0", "1", "2"}) {
      ApiRig rig(fake, [&](ChefSettings& s) {
        s.sign_version = v;
        s.api_version = api;
      });
      ChefCall post;
      post.method = "POST";
      post.path = "/roles";
      post.body = Json{{"name", "r" + api + to_string(v)}};
      ChefReply r = rig.call(post);
      EXPECT_FALSE(r.error) << r.error->summary << r.error->detail;
      EXPECT_EQ(r.status, 201);
      ChefReply g = rig.call(get("/roles/r" + api + to_string(v)));
      EXPECT_EQ(g.status, 200);
      EXPECT_EQ(g.body["name"], "r" + api + to_string(v));
    }
  EXPECT_EQ(fake.unauthorized(), 0u);
}

TEST(ChefApiTest, UnauthorizedSaysWhichClientAndKeyButNeverTheKey) {
  fakes::FakeChef fake;
  fake.add_client("orch-ci", read_text(kChefData + "test_client.pub"));
  const std::string pem = read_text(kChefData + "other_client.pem");
  {
    ApiRig rig(fake, [](ChefSettings& s) { s.client_name = "intruder"; });
    ChefReply r = rig.call(get("/nodes"));
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.status, 401);
    EXPECT_FALSE(r.error->retryable);
    EXPECT_NE(r.error->summary.find("refused the signature of client \"intruder\""),
              std::string::npos);
    EXPECT_NE(r.error->summary.find("Failed to authenticate as 'intruder'. Ensure that your "
                                    "node_name and client key are correct."),
              std::string::npos)
        << r.error->summary;
    EXPECT_NE(r.error->detail.find("key file " + kChefData + "test_client.pem"), std::string::npos)
        << r.error->detail;
  }
  {
    ApiRig rig(fake, [&](ChefSettings& s) {
      std::string err;
      s.key = RsaKey::from_pem(pem, &err);
      s.key_source = "the provider's \"key\" attribute";
    });
    ChefReply r = rig.call(get("/nodes"));
    ASSERT_TRUE(r.error);
    EXPECT_NE(r.error->summary.find("Invalid signature for user or client 'orch-ci'"),
              std::string::npos);
    EXPECT_NE(r.error->detail.find("the provider's \"key\" attribute"), std::string::npos);
    for (const std::string& text : {r.error->summary, r.error->detail})
      EXPECT_EQ(text.find(pem.substr(40, 40)), std::string::npos);
  }
  {
    ApiRig rig(fake);
    rig.api->set_time_source(
        [] { return std::chrono::system_clock::now() - std::chrono::minutes(16); });
    ChefReply r = rig.call(get("/nodes"));
    ASSERT_TRUE(r.error);
    EXPECT_NE(r.error->summary.find("Synchronize the clock on your host"), std::string::npos);
    EXPECT_NE(r.error->detail.find("clock is within 15 minutes"), std::string::npos);
    rig.api->set_time_source(
        [] { return std::chrono::system_clock::now() - std::chrono::minutes(14); });
    EXPECT_FALSE(rig.call(get("/nodes")).error);
  }
  EXPECT_EQ(fake.unauthorized(), 3u);
}

TEST(ChefApiTest, ServerErrorsAreQuotedAndExpectedStatusesPassThrough) {
  fakes::FakeChef fake;
  fake.add_client("orch-ci", read_text(kChefData + "test_client.pub"));
  ApiRig rig(fake);
  ChefReply missing = rig.call(get("/roles/nope"));
  ASSERT_TRUE(missing.error);
  EXPECT_EQ(missing.error->summary,
            "Chef Server: GET /roles/nope failed with 404 Not Found: Cannot load role nope");
  ChefCall accepted = get("/roles/nope");
  accepted.accept = {404};
  ChefReply ok = rig.call(accepted);
  EXPECT_FALSE(ok.error);
  EXPECT_EQ(ok.status, 404);
  ChefCall bad;
  bad.method = "POST";
  bad.path = "/nodes";
  bad.body = Json{{"name", "x"}, {"run_list", {"not a recipe!"}}};
  ChefReply invalid = rig.call(bad);
  ASSERT_TRUE(invalid.error);
  EXPECT_NE(
      invalid.error->summary.find("400 Bad Request: Field 'run_list' is not a valid run list"),
      std::string::npos)
      << invalid.error->summary;
  ChefCall big;
  big.method = "POST";
  big.path = "/nodes";
  big.body = Json{{"name", "big"}, {"normal", {{"blob", std::string(1100000, 'x')}}}};
  ChefReply too_big = rig.call(big);
  ASSERT_TRUE(too_big.error);
  EXPECT_NE(too_big.error->summary.find("too large (413"), std::string::npos);
  EXPECT_NE(too_big.error->summary.find("JSON must be no more than 1000000 bytes."),
            std::string::npos);
  ChefCall def;
  def.method = "DELETE";
  def.path = "/environments/_default";
  ChefReply refused = rig.call(def);
  ASSERT_TRUE(refused.error);
  EXPECT_NE(refused.error->summary.find("The '_default' environment cannot be modified."),
            std::string::npos);
}

TEST(ChefApiTest, TransientFailuresAreRetriedWithEventsAndRetryAfter) {
  std::atomic<int> calls{0};
  fakes::HttpServer server(fakes::HttpServer::sync([&](const fakes::HttpRequest&) {
    int n = ++calls;
    if (n == 1 || n <= 0) return fakes::HttpResponse::json(503, R"({"error":["busy"]})");
    if (n == 2) {
      auto r = fakes::HttpResponse::json(429, R"({"error":["slow down"]})");
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    return fakes::HttpResponse::json(200, R"({"ok":true})");
  }));
  fakes::FakeChef unused;
  ApiRig rig(unused, [&](ChefSettings& s) { s.server_url = server.url() + "/organizations/o"; });
  ChefCall c = get("/nodes/x");
  c.address = "chef_node.x";
  auto start = std::chrono::steady_clock::now();
  ChefReply r = rig.call(c);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.attempts, 3);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
  ASSERT_EQ(rig.retries.size(), 2u);
  EXPECT_EQ(rig.retries[0].address, "chef_node.x");
  EXPECT_NE(rig.retries[0].message.find("503 Service Unavailable: busy (attempt 1 of 4)"),
            std::string::npos)
      << rig.retries[0].message;
  EXPECT_EQ(rig.retries[1].delay, std::chrono::milliseconds(1000));
  // A request that must not run twice is not retried.
  calls = 0;
  ChefCall once = get("/x");
  once.retry = false;
  ChefReply r2 = rig.call(once);
  ASSERT_TRUE(r2.error);
  EXPECT_TRUE(r2.error->retryable);
  EXPECT_EQ(r2.attempts, 1);
  // Exhausted attempts: the error says so and stays retryable for the executor.
  calls = -100;
  ChefReply r3 = rig.call(get("/y"));
  ASSERT_TRUE(r3.error);
  EXPECT_NE(r3.error->summary.find("after 4 attempts"), std::string::npos) << r3.error->summary;
}

TEST(ChefApiTest, RequestsInFlightNeverExceedTheConcurrencyLimit) {
  std::atomic<int> now{0}, peak{0};
  fakes::HttpServer* srv = nullptr;
  fakes::HttpServer server(
      [&](const fakes::HttpRequest&, std::function<void(fakes::HttpResponse)> respond) {
        int n = ++now;
        int p = peak.load();
        while (n > p && !peak.compare_exchange_weak(p, n)) {
        }
        // Answer 20 ms later, on the server's thread, so that requests overlap.
        std::thread([&, respond] {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          --now;
          srv->post([respond] { respond(fakes::HttpResponse::json(200, "{}")); });
        }).detach();
      });
  srv = &server;
  fakes::FakeChef unused;
  ApiRig rig(unused, [&](ChefSettings& s) {
    s.server_url = server.url() + "/organizations/o";
    s.concurrency = 5;
  });
  int done = 0;
  for (int i = 0; i < 40; ++i)
    rig.api->call(get("/nodes/n" + std::to_string(i)), [&](ChefReply r) {
      EXPECT_FALSE(r.error);
      ++done;
    });
  rig.clock.run();
  EXPECT_EQ(done, 40);
  EXPECT_LE(peak.load(), 5);
  EXPECT_GE(peak.load(), 4);
}

TEST(ChefApiTest, TlsIsVerifiedByDefaultAndTheErrorSaysWhatToDo) {
  testing::TempDir dir;
  std::string cert = dir.file("cert.pem"), key = dir.file("key.pem");
  std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  fakes::FakeChefOptions opts;
  opts.tls = fakes::ServerTls{cert, key};
  fakes::FakeChef fake(opts);
  fake.add_client("orch-ci", read_text(kChefData + "test_client.pub"));
  {
    ApiRig rig(fake, [](ChefSettings& s) { s.max_attempts = 1; });
    ChefReply r = rig.call(get("/nodes"));
    ASSERT_TRUE(r.error);
    EXPECT_NE(r.error->detail.find("ca_file"), std::string::npos) << r.error->summary;
  }
  {
    ApiRig rig(fake, [&](ChefSettings& s) { s.ca_file = cert; });
    EXPECT_FALSE(rig.call(get("/nodes")).error);
  }
  {
    ApiRig rig(fake, [](ChefSettings& s) { s.ssl_verify = false; });
    EXPECT_FALSE(rig.call(get("/nodes")).error);
  }
}

}  // namespace
}  // namespace orch::chef
