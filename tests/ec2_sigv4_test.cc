// The fake EC2 endpoint's SigV4 verification (tests/fakes/fake_ec2_sigv4.h, fake_ec2.cc): the
// documented AWS example, and the rejections a real endpoint makes, as API error documents.
#include <gtest/gtest.h>

#include "providers/ec2/query.h"
#include "providers/http/client.h"
#include "tests/fakes/fake_ec2.h"
#include "tests/fakes/fake_ec2_sigv4.h"

namespace orch::fakes {
namespace {

TEST(Ec2SigV4, MatchesTheDocumentedExample) {
  // AWS's published example: IAM ListUsers, 2015-08-30, us-east-1.
  SigV4Input in;
  in.method = "GET";
  in.path = "/";
  in.query = "Action=ListUsers&Version=2010-05-08";
  in.headers = {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"},
                {"host", "iam.amazonaws.com"},
                {"x-amz-date", "20150830T123600Z"}};
  std::string canonical = canonical_request(in, "content-type;host;x-amz-date");
  EXPECT_EQ(sha256_hex(canonical),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
  EXPECT_EQ(signature("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830T123600Z", "us-east-1",
                      "iam", canonical),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

TEST(Ec2SigV4, ParsesAuthorizationHeaders) {
  auto a = parse_authorization(
      "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/ec2/aws4_request, "
      "SignedHeaders=host;x-amz-date, Signature=abc");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->access_key, "AK");
  EXPECT_EQ(a->region, "us-east-1");
  EXPECT_EQ(a->service, "ec2");
  EXPECT_EQ(a->signed_headers, "host;x-amz-date");
  EXPECT_FALSE(parse_authorization("AWS AK:sig"));
  EXPECT_FALSE(parse_authorization("AWS4-HMAC-SHA256 Credential=AK/2015/us-east-1, Signature=x"));
}

std::string amz_now(std::chrono::seconds offset = std::chrono::seconds(0)) {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + offset);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// A request signed by this test's own signer, sent with the blocking client (no libcurl signing).
http::Response send_signed(const std::string& url, const std::string& key,
                           const std::string& secret, const std::string& date,
                           const std::string& token = "", const std::string& tamper_body = "") {
  SigV4Input in;
  in.method = "POST";
  in.path = "/";
  in.body = "Action=DescribeInstances&Version=2016-11-15";
  in.headers["host"] = url.substr(std::string("http://").size());
  in.headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
  sign(in, key, secret, "us-east-1", "ec2", date, token);
  http::Request r;
  r.method = "POST";
  r.url = url + "/";
  r.body = tamper_body.empty() ? in.body : tamper_body;
  for (const auto& [k, v] : in.headers)
    if (k != "host") r.headers.push_back({k, v});
  return http::perform(r);
}

std::string code_of(const http::Response& r) {
  auto e = ec2::parse_error_xml(r.body);
  return e ? e->code : "";
}

TEST(Ec2SigV4, FakeAcceptsGoodSignaturesAndRejectsBadOnes) {
  FakeEc2Options o;
  o.keys = {{"AKGOOD", {"secret-good", ""}}, {"AKTOKEN", {"secret-tok", "session-1"}}};
  FakeEc2Server server(o);
  const std::string url = server.url();
  EXPECT_EQ(send_signed(url, "AKGOOD", "secret-good", amz_now()).status, 200);

  http::Response wrong = send_signed(url, "AKGOOD", "not-the-secret", amz_now());
  EXPECT_EQ(wrong.status, 403);
  EXPECT_EQ(code_of(wrong), "SignatureDoesNotMatch");

  http::Response tampered = send_signed(url, "AKGOOD", "secret-good", amz_now(), "",
                                        "Action=TerminateInstances&Version=2016-11-15");
  EXPECT_EQ(code_of(tampered), "SignatureDoesNotMatch");

  http::Response unknown = send_signed(url, "AKWHO", "secret-good", amz_now());
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(code_of(unknown), "AuthFailure");

  http::Response expired =
      send_signed(url, "AKGOOD", "secret-good", amz_now(-std::chrono::minutes(20)));
  EXPECT_EQ(code_of(expired), "RequestExpired");

  EXPECT_EQ(send_signed(url, "AKTOKEN", "secret-tok", amz_now(), "session-1").status, 200);
  EXPECT_EQ(code_of(send_signed(url, "AKTOKEN", "secret-tok", amz_now())), "AuthFailure");
  EXPECT_EQ(code_of(send_signed(url, "AKTOKEN", "secret-tok", amz_now(), "session-2")),
            "AuthFailure");

  http::Request unsigned_req;
  unsigned_req.method = "POST";
  unsigned_req.url = url + "/";
  unsigned_req.body = "Action=DescribeInstances&Version=2016-11-15";
  http::Response none = http::perform(unsigned_req);
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(code_of(none), "MissingAuthenticationToken");
  EXPECT_EQ(server.ec2().stats().auth_failures, 7);
  EXPECT_EQ(server.ec2().stats().calls["DescribeInstances"], 2);
}

}  // namespace
}  // namespace orch::fakes
