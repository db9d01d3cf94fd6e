// The EC2 Query API client (providers/ec2/query.h) against the fake endpoint: libcurl's SigV4
// accepted (session tokens too), API errors parsed, throttling retried with backoff.
#include "providers/ec2/query.h"

#include <gtest/gtest.h>

#include "planner/real_clock.h"
#include "tests/fakes/fake_ec2.h"

namespace orch::ec2 {
namespace {

using fakes::FakeEc2Options;
using fakes::FakeEc2Server;

ClientConfig config_for(const FakeEc2Server& s, std::string key = "AKIDFAKEEC2",
                        std::string secret = "fake/secret/key") {
  ClientConfig c;
  c.endpoint = s.url();
  c.region = "us-east-1";
  c.credentials = Credentials{key, secret, "", "test"};
  c.backoff_initial = std::chrono::milliseconds(20);
  c.backoff_max = std::chrono::milliseconds(200);
  return c;
}

ApiResult call_once(QueryClient& q, RealClock& clock, const std::string& action, Params p) {
  ApiResult out;
  q.call(action, std::move(p), [&](ApiResult r) { out = std::move(r); });
  clock.run();
  return out;
}

TEST(Ec2Query, EncodesFormBodies) {
  EXPECT_EQ(encode_form("CreateTags", {{"Tag.1.Key", "a b"}, {"Tag.1.Value", "x/y&z"}}),
            "Action=CreateTags&Version=2016-11-15&Tag.1.Key=a%20b&Tag.1.Value=x%2Fy%26z");
}

TEST(Ec2Query, ParsesErrorDocuments) {
  auto e = parse_error_xml(
      "<?xml version=\"1.0\"?><Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code>"
      "<Message>The instance ID 'i-1' does not exist</Message></Error></Errors>"
      "<RequestID>req-1</RequestID></Response>");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "InvalidInstanceID.NotFound");
  EXPECT_EQ(e->request_id, "req-1");
  EXPECT_EQ(e->describe(),
            "InvalidInstanceID.NotFound: The instance ID 'i-1' does not exist (request req-1)");
  EXPECT_FALSE(parse_error_xml("<html>502 Bad Gateway</html>"));
  EXPECT_TRUE(retryable_code("RequestLimitExceeded"));
  EXPECT_FALSE(retryable_code("InvalidAMIID.NotFound"));
}

TEST(Ec2Query, SignedByLibcurlAndAnswered) {
  FakeEc2Server server;
  RealClock clock;
  QueryClient q(&clock, config_for(server));
  ApiResult r = call_once(q, clock, "DescribeInstances", {});
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_STREQ(r.root().name(), "DescribeInstancesResponse");
  EXPECT_EQ(std::string(r.root().attribute("xmlns").value()),
            "http://ec2.amazonaws.com/doc/2016-11-15/");
  EXPECT_EQ(server.ec2().stats().auth_failures, 0);
}

TEST(Ec2Query, SessionTokensAreSentAndSigned) {
  FakeEc2Options o;
  o.keys = {{"ASIATEMP", {"temp-secret", "the-session-token"}}};
  FakeEc2Server server(o);
  RealClock clock;
  ClientConfig c = config_for(server, "ASIATEMP", "temp-secret");
  c.credentials.session_token = "the-session-token";
  QueryClient q(&clock, c);
  ApiResult r = call_once(q, clock, "DescribeInstances", {});
  EXPECT_FALSE(r.error) << r.error->describe();
}

TEST(Ec2Query, ApiErrorsAreNotRetried) {
  FakeEc2Server server;
  RealClock clock;
  QueryClient wrong(&clock, config_for(server, "AKIDFAKEEC2", "wrong"));
  ApiResult r = call_once(wrong, clock, "DescribeInstances", {});
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, "SignatureDoesNotMatch");
  EXPECT_EQ(r.error->status, 403);
  EXPECT_EQ(r.attempts, 1);

  QueryClient q(&clock, config_for(server));
  ApiResult bad = call_once(
      q, clock, "RunInstances",
      {{"ImageId", "nope"}, {"InstanceType", "t3.micro"}, {"MinCount", "1"}, {"MaxCount", "1"}});
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->code, "InvalidAMIID.Malformed");
  EXPECT_FALSE(bad.error->retryable);
}

TEST(Ec2Query, ThrottlingIsRetriedWithBackoff) {
  FakeEc2Options o;
  o.rate = 5;
  o.burst = 1;
  FakeEc2Server server(o);
  RealClock clock;
  ClientConfig c = config_for(server);
  c.backoff_max = std::chrono::seconds(1);
  c.max_attempts = 12;
  QueryClient q(&clock, c);
  int ok = 0;
  for (int i = 0; i < 6; ++i)
    q.call("DescribeInstances", {}, [&](ApiResult r) { ok += r.error ? 0 : 1; });
  clock.run();
  EXPECT_EQ(ok, 6);
  EXPECT_GT(q.throttled(), 0u);
  EXPECT_EQ(q.throttled(), static_cast<uint64_t>(server.ec2().stats().throttled));
  EXPECT_EQ(q.requests(), 6 + q.retries());
}

TEST(Ec2Query, TransportFailuresEndWithAnErrorAfterRetries) {
  RealClock clock;
  ClientConfig c;
  c.endpoint = "http://127.0.0.1:1";  // nothing listens there
  c.region = "us-east-1";
  c.credentials = Credentials{"AK", "S", "", "test"};
  c.max_attempts = 3;
  c.backoff_initial = std::chrono::milliseconds(5);
  QueryClient q(&clock, c);
  ApiResult r = call_once(q, clock, "DescribeInstances", {});
  ASSERT_TRUE(r.error);
  EXPECT_TRUE(r.error->code.empty());
  EXPECT_EQ(r.attempts, 3);
}

// Thousands of calls queued at once (max_requests_per_second = 0) do not open thousands of
// connections: at most 64 requests are on the wire, the rest wait their turn, all succeed.
TEST(Ec2Query, RequestsInFlightAreCapped) {
  FakeEc2Server server;
  fakes::Faults slow;
  slow.latency = std::chrono::milliseconds(20);  // so that uncapped calls would all overlap
  server.http().set_faults(slow);
  RealClock clock;
  QueryClient q(&clock, config_for(server));
  int ok = 0, failed = 0;
  for (int i = 0; i < 300; ++i)
    q.call(
        "DescribeInstances", {}, [&](ApiResult r) { (r.error ? failed : ok)++; }, i % 7 == 0);
  clock.run();
  EXPECT_EQ(ok, 300);
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(q.requests(), 300u);
  // Uncapped, the 300 overlapping calls open 300 connections. Capped, 64 are open at a time
  // (libcurl may close and reopen a few of them between requests).
  EXPECT_LE(server.http().stats().connections, 128u);
}

}  // namespace
}  // namespace orch::ec2
