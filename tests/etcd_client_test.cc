// Tests of providers/etcd/etcd_codec.h, etcd_client.h, state_blob.h and lease_keeper.h: the
// gateway's wire format (base64, int64 strings beyond 2^53, omitted fields, prefix ends), how
// answers are judged (503/14 retried, 4xx not, refused connections fail over), retries and
// failover in both clients (against a scripted server speaking the gateway's error format), the
// retry budget, blobs, and lease keep-alive against a real etcd.
#include "providers/etcd/etcd_client.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "planner/real_clock.h"
#include "providers/etcd/etcd_codec.h"
#include "providers/etcd/lease_keeper.h"
#include "providers/etcd/state_blob.h"
#include "providers/http/request.h"
#include "tests/fakes/http_server.h"
#include "tests/support/etcd_cluster.h"

namespace orch::etcd {
namespace {

using fakes::HttpRequest;
using fakes::HttpResponse;
using fakes::HttpServer;

TEST(EtcdCodecTest, Base64RoundTripsBytes) {
  for (std::string s : {std::string(), std::string("a"), std::string("ab"), std::string("abc"),
                        std::string("/orch/nodes/"), std::string("\0\xff\x01", 3)}) {
    std::string back;
    ASSERT_TRUE(base64_decode(base64_encode(s), back));
    EXPECT_EQ(back, s);
  }
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  std::string out;
  EXPECT_FALSE(base64_decode("Zm9", out)) << "bad length";
  EXPECT_FALSE(base64_decode("Zm9*", out)) << "outside the alphabet";
}

TEST(EtcdCodecTest, PrefixEnd) {
  EXPECT_EQ(prefix_end("/orch/nodes/"), "/orch/nodes0");
  EXPECT_EQ(prefix_end("a\xff"), "b");
  EXPECT_EQ(prefix_end(""), std::string(1, '\0'));
  EXPECT_EQ(prefix_end("\xff\xff"), std::string(1, '\0'));
}

TEST(EtcdCodecTest, Int64FieldsAreStringsAndExact) {
  // Lease IDs exceed 2^53: parsed from the string, never through double.
  auto j = json::parse(R"({"ID":"7587862233422471941","TTL":"30","n":12,"bad":"x"})");
  EXPECT_EQ(int64_field(j, "ID"), 7587862233422471941LL);
  EXPECT_EQ(int64_field(j, "TTL"), 30);
  EXPECT_EQ(int64_field(j, "n"), 12);
  EXPECT_EQ(int64_field(j, "absent"), 0) << "omitted means zero";
  EXPECT_EQ(int64_field(j, "bad"), 0);
  EXPECT_EQ(int64_value(7587862233422471941LL), json("7587862233422471941"));
}

TEST(EtcdCodecTest, OmittedFieldsMeanDefaults) {
  // A failed txn has no "succeeded"; an empty range has no "kvs"; a PUT event has no "type".
  TxnResponse t = parse_txn(json::parse(R"({"header":{"revision":"9"}})"));
  EXPECT_FALSE(t.succeeded);
  EXPECT_EQ(t.revision, 9);
  std::vector<KeyValue> kvs;
  std::string e;
  EXPECT_TRUE(parse_kvs(json::parse(R"({"header":{}})"), kvs, &e));
  EXPECT_TRUE(kvs.empty());
  auto kv = parse_kv(json::parse(R"({"key":"L2E=","create_revision":"2","mod_revision":"3"})"), &e);
  ASSERT_TRUE(kv);
  EXPECT_EQ(kv->key, "/a");
  EXPECT_EQ(kv->value, "");
  EXPECT_EQ(kv->version, 0);
  EXPECT_FALSE(parse_kv(json::parse(R"({"key":"***"})"), &e));
}

TEST(EtcdCodecTest, RequestBodies) {
  json c = compare_create_revision("/a", 0);
  EXPECT_EQ(c["target"], "CREATE");
  EXPECT_EQ(c["create_revision"], "0");
  json r = range_request("/p/", RangeOptions{prefix_end("/p/"), 5, 7, true, false, true});
  EXPECT_EQ(r["range_end"], base64_encode("/p0"));
  EXPECT_EQ(r["limit"], "5");
  EXPECT_EQ(r["revision"], "7");
  EXPECT_EQ(r["sort_target"], "CREATE");
  json p = put_request("/k", "v", 0x1234);
  EXPECT_EQ(p["lease"], "4660");
}

http::Response answer(long status, std::string body) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(EtcdClientTest, JudgesTheGatewaysAnswers) {
  Verdict ok = judge(answer(200, R"({"header":{}})"), "http://e");
  EXPECT_EQ(ok.action, Verdict::Action::Done);
  Verdict no_leader = judge(
      answer(503,
             R"({"error":"etcdserver: no leader","message":"etcdserver: no leader","code":14})"),
      "http://e");
  EXPECT_EQ(no_leader.action, Verdict::Action::Retry);
  EXPECT_TRUE(no_leader.next_endpoint);
  EXPECT_FALSE(no_leader.maybe_applied) << "no leader: nothing was proposed";
  Verdict timed_out =
      judge(answer(503, R"({"error":"x","message":"etcdserver: request timed out","code":14})"),
            "http://e");
  EXPECT_TRUE(timed_out.maybe_applied) << "a timed-out proposal may still be applied";
  Verdict bad =
      judge(answer(400, R"({"error":"x","message":"etcdserver: request is too large","code":3})"),
            "http://e");
  EXPECT_EQ(bad.action, Verdict::Action::Fail);
  EXPECT_EQ(bad.error.code, 3);
  EXPECT_NE(bad.error.message.find("http://e: HTTP 400: etcdserver: request is too large"),
            std::string::npos)
      << bad.error.message;
  // Streamed calls (keepalive, watch) wrap errors in an object.
  Verdict streamed = judge(answer(200, R"({"error":{"grpc_code":5,"http_code":404,
                                   "message":"etcdserver: requested lease not found"}})"),
                           "http://e");
  EXPECT_EQ(streamed.action, Verdict::Action::Fail);
  EXPECT_EQ(streamed.error.code, 5);
  http::Response refused;
  refused.transport_code = 7;  // CURLE_COULDNT_CONNECT
  refused.transport_error = "Connection refused";
  Verdict r = judge(refused, "http://e");
  EXPECT_EQ(r.action, Verdict::Action::Retry);
  EXPECT_TRUE(r.refused);
  EXPECT_FALSE(r.maybe_applied);
  Verdict junk = judge(answer(200, "<html>"), "http://e");
  EXPECT_EQ(junk.action, Verdict::Action::Fail);
  EXPECT_EQ(junk.error.kind, Error::Kind::Protocol);
}

// A gateway that answers "no leader" twice, then works; a second endpoint that is down.
struct Flaky {
  std::atomic<int> calls{0};
  HttpServer server{HttpServer::sync([this](const HttpRequest&) {
    if (++calls <= 2)
      return HttpResponse::json(
          503, R"({"error":"etcdserver: no leader","message":"etcdserver: no leader","code":14})");
    return HttpResponse::json(200, R"({"header":{"revision":"5"},"kvs":[]})");
  })};
};

TEST(EtcdClientTest, SyncRetriesAndFailsOver) {
  Flaky flaky;
  ClientConfig c;
  c.endpoints = {"http://127.0.0.1:" + std::to_string(testing::free_loopback_port()),
                 flaky.server.url()};
  c.seed = 42;
  SyncClient client(c);
  Result r = client.call("/v3/kv/range", range_request("/a"));
  ASSERT_TRUE(r.ok()) << r.error->message;
  EXPECT_EQ(header_revision(r.body), 5);
  EXPECT_EQ(flaky.calls.load(), 3);
  EXPECT_GE(r.attempts, 4) << "the dead endpoint, then two 503s, then success";
}

TEST(EtcdClientTest, RetryBudgetEndsWithTheLastAnswer) {
  HttpServer always(HttpServer::sync([](const HttpRequest&) {
    return HttpResponse::json(503, R"({"error":"x","message":"etcdserver: no leader","code":14})");
  }));
  ClientConfig c;
  c.endpoints = {always.url()};
  c.retry_timeout = std::chrono::milliseconds(700);
  SyncClient client(c);
  auto t0 = std::chrono::steady_clock::now();
  Result r = client.call("/v3/kv/range", range_request("/a"));
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->kind, Error::Kind::Unavailable);
  EXPECT_NE(r.error->message.find("etcdserver: no leader"), std::string::npos) << r.error->message;
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  EXPECT_GE(r.attempts, 3);
}

TEST(EtcdClientTest, AsyncRetriesAndFailsOverOnTheLoop) {
  Flaky flaky;
  RealClock clock;
  ClientConfig c;
  c.endpoints = {"http://127.0.0.1:" + std::to_string(testing::free_loopback_port()),
                 flaky.server.url()};
  AsyncClient client(clock, c);
  Result got;
  int calls = 0;
  client.call("/v3/kv/range", range_request("/a"), [&](Result r) {
    got = std::move(r);
    ++calls;
  });
  clock.run();
  EXPECT_EQ(calls, 1);
  ASSERT_TRUE(got.ok()) << got.error->message;
  EXPECT_EQ(flaky.calls.load(), 3);
}

TEST(StateBlobTest, CompressChecksumAndChunks) {
  std::string data(100000, 'x');
  std::string z = zlib_compress(data);
  EXPECT_LT(z.size(), data.size() / 10);
  std::string back, e;
  ASSERT_TRUE(zlib_decompress(z, data.size(), back, &e)) << e;
  EXPECT_EQ(back, data);
  EXPECT_FALSE(zlib_decompress(z, data.size() - 1, back, &e));
  std::string bad = z;
  bad[bad.size() / 2] ^= 0x55;
  EXPECT_FALSE(zlib_decompress(bad, data.size(), back, &e));
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  auto chunks = split_chunks(data, 30000);
  ASSERT_EQ(chunks.size(), 4u);
  EXPECT_EQ(chunks.back().size(), 10000u);
  EXPECT_EQ(split_chunks("", 10).size(), 1u);
}

TEST(LeaseKeeperTest, KeepsAliveAndReportsLoss) {
  if (!testing::EtcdCluster::available()) GTEST_SKIP() << "etcd is not installed (etcd-server)";
  testing::EtcdCluster etcd;
  std::string err;
  ASSERT_TRUE(etcd.start(&err)) << err;
  ClientConfig c;
  c.endpoints = etcd.endpoints();
  SyncClient client(c);
  Result g = client.call("/v3/lease/grant", {{"TTL", int64_value(2)}});
  ASSERT_TRUE(g.ok());
  int64_t lease = int64_field(g.body, "ID");
  LeaseKeeper keeper(c);
  std::atomic<int> lost_calls{0};
  keeper.keep(lease, std::chrono::seconds(2), [&](const std::string&) { ++lost_calls; });
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));
  Result ttl = client.call("/v3/lease/timetolive", {{"ID", int64_value(lease)}});
  EXPECT_GT(int64_field(ttl.body, "TTL"), 0) << "alive past its TTL";
  EXPECT_FALSE(keeper.lost(lease));
  EXPECT_GE(keeper.sent(), 3);
  ASSERT_TRUE(client.call("/v3/lease/revoke", {{"ID", int64_value(lease)}}).ok());
  for (int i = 0; i < 100 && !keeper.lost(lease); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(keeper.lost(lease));
  EXPECT_NE(keeper.lost(lease)->find("no longer exists"), std::string::npos);
  EXPECT_EQ(lost_calls.load(), 1);
}

}  // namespace
}  // namespace orch::etcd
