// Chef request signing (providers/chef/chef_signing.h) against fixed vectors made by the real
// Mixlib::Authentication (tests/testdata/chef/signing_vectors.rb → signing_vectors.json): same
// key, body and timestamp give byte-identical headers, for protocols 1.3 and 1.0; and the
// verifier the fake server uses accepts them and rejects tampering.
#include "providers/chef/chef_signing.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/temp_dir.h"

namespace orch::chef {
namespace {

const std::string kData = ORCH_SOURCE_DIR "/tests/testdata/chef/";

RsaKey load(const std::string& file) {
  std::string err;
  auto k = RsaKey::from_file(kData + file, &err);
  EXPECT_TRUE(k) << err;
  return *k;
}

SignInput input_of(const nlohmann::json& in, std::string& body) {
  SignInput s;
  s.method = in["http_method"].get<std::string>();
  s.path = in["path"].get<std::string>();
  body = in["body"].get<std::string>();
  s.body = body;
  s.timestamp = in["timestamp"].get<std::string>();
  s.user_id = in["user_id"].get<std::string>();
  s.version = *parse_sign_version(in["proto_version"].get<std::string>());
  if (in["server_api_version"].is_string())
    s.server_api_version = in["server_api_version"].get<std::string>();
  return s;
}

TEST(ChefSigningTest, MatchesMixlibVectorsExactly) {
  auto vectors = nlohmann::json::parse(testing::read_text(kData + "signing_vectors.json"));
  ASSERT_EQ(vectors.size(), 4u);
  RsaKey key = load("test_client.pem");
  for (const auto& v : vectors) {
    std::string body;
    SignInput in = input_of(v["input"], body);
    std::string err;
    Headers h = sign_request(in, key, &err);
    ASSERT_TRUE(err.empty()) << err;
    nlohmann::json got = nlohmann::json::object();
    for (const auto& [name, value] : h) got[name] = value;
    EXPECT_EQ(got, v["headers"]) << "vector " << v["input"].dump();
    // Header order as Mixlib builds it, authorization pieces numbered from 1.
    ASSERT_GE(h.size(), 5u);
    EXPECT_EQ(h[0].first, "X-Ops-Sign");
    EXPECT_EQ(h[4].first, "X-Ops-Authorization-1");
    for (size_t i = 4; i + 1 < h.size(); ++i) EXPECT_EQ(h[i].second.size(), 60u);
  }
}

TEST(ChefSigningTest, CanonicalPathAndStringToSign) {
  EXPECT_EQ(canonical_path("//organizations/orch//search/node/"),
            "/organizations/orch/search/node");
  EXPECT_EQ(canonical_path("/"), "/");
  EXPECT_EQ(canonical_path("///"), "/");
  SignInput in;
  in.method = "post";
  in.path = "/organizations/o/nodes/";
  in.body = "";
  in.timestamp = "2026-11-24T23:24:23Z";
  in.user_id = "ci";
  in.server_api_version = "1";
  EXPECT_EQ(string_to_sign(in),
            "Method:POST\nPath:/organizations/o/nodes\n"
            "X-Ops-Content-Hash:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
            "X-Ops-Sign:version=1.3\nX-Ops-Timestamp:2026-11-24T23:24:23Z\nX-Ops-UserId:ci\n"
            "X-Ops-Server-API-Version:1");
  in.version = SignVersion::V1_0;
  EXPECT_EQ(string_to_sign(in),
            "Method:POST\nHashed Path:WodjWuSavgQPJPLeD5se7cr72OE=\n"
            "X-Ops-Content-Hash:2jmj7l5rSw0yVb/vlWAYkK/YBwk=\n"
            "X-Ops-Timestamp:2026-11-24T23:24:23Z\nX-Ops-UserId:ci");
}

TEST(ChefSigningTest, TimestampsRoundTrip) {
  auto t = parse_chef_timestamp("2026-11-24T23:24:23Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(chef_timestamp(*t), "2026-11-24T23:24:23Z");
  EXPECT_FALSE(parse_chef_timestamp("2026-11-24 23:24:23"));
  EXPECT_FALSE(parse_chef_timestamp("2026-11-24T23:24:23+01:00"));
}

TEST(ChefSigningTest, VerifierAcceptsBothVersionsAndRejectsTampering) {
  RsaKey key = load("test_client.pem");
  std::string err;
  auto pub = RsaKey::from_pem(key.public_pem(), &err);
  ASSERT_TRUE(pub) << err;
  EXPECT_FALSE(pub->is_private());
  for (SignVersion v : {SignVersion::V1_3, SignVersion::V1_0}) {
    SignInput in;
    in.method = "PUT";
    in.path = "/organizations/o/nodes/web-1";
    std::string body = "{\"name\":\"web-1\"}";
    in.body = body;
    in.timestamp = "2026-01-02T03:04:05Z";
    in.user_id = "ci";
    in.version = v;
    Headers h = sign_request(in, key, &err);
    std::map<std::string, std::string> lower;
    for (auto& [n, val] : h) {
      std::string l = n;
      for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      lower[l] = val;
    }
    lower["x-ops-server-api-version"] = "1";
    std::string why;
    VerifyInput vi{"PUT", "/organizations/o/nodes/web-1", body, &lower};
    EXPECT_TRUE(verify_request(vi, *pub, &why)) << why;
    std::string other = "{\"name\":\"web-2\"}";
    VerifyInput changed_body{"PUT", "/organizations/o/nodes/web-1", other, &lower};
    EXPECT_FALSE(verify_request(changed_body, *pub, &why));
    EXPECT_NE(why.find("content hash"), std::string::npos);
    VerifyInput changed_path{"PUT", "/organizations/o/nodes/web-2", body, &lower};
    EXPECT_FALSE(verify_request(changed_path, *pub, &why));
    VerifyInput changed_method{"POST", "/organizations/o/nodes/web-1", body, &lower};
    EXPECT_FALSE(verify_request(changed_method, *pub, &why));
    if (v == SignVersion::V1_3) {
      // The trap: an API version in the header different from the signed one.
      auto skewed = lower;
      skewed["x-ops-server-api-version"] = "2";
      VerifyInput vs{"PUT", "/organizations/o/nodes/web-1", body, &skewed};
      EXPECT_FALSE(verify_request(vs, *pub, &why));
    }
    auto missing = lower;
    missing.erase("x-ops-authorization-1");
    VerifyInput vm{"PUT", "/organizations/o/nodes/web-1", body, &missing};
    EXPECT_FALSE(verify_request(vm, *pub, &why));
    EXPECT_NE(why.find("x-ops-authorization-1"), std::string::npos);
    // Another client's key does not verify it.
    RsaKey other_key = load("other_client.pem");
    auto other_pub = RsaKey::from_pem(other_key.public_pem(), &err);
    EXPECT_FALSE(verify_request(vi, *other_pub, &why));
  }
}

TEST(ChefSigningTest, KeysLoadFromPkcs1AndPkcs8AndErrorsNeverQuoteTheKey) {
  EXPECT_TRUE(load("test_client.pem").is_private());   // PKCS#1 "RSA PRIVATE KEY"
  EXPECT_TRUE(load("other_client.pem").is_private());  // PKCS#8 "PRIVATE KEY"
  EXPECT_EQ(load("test_client.pem").size_bits(), 2048);
  std::string err;
  EXPECT_FALSE(RsaKey::from_file(kData + "missing.pem", &err));
  EXPECT_EQ(err, "cannot read the key file");
  std::string pem = testing::read_text(kData + "test_client.pem");
  std::string broken = pem.substr(0, pem.size() / 2);
  EXPECT_FALSE(RsaKey::from_pem(broken, &err));
  EXPECT_EQ(err.find(broken.substr(40, 30)), std::string::npos);
  // A public key cannot sign.
  auto pub = RsaKey::from_pem(load("test_client.pem").public_pem(), &err);
  ASSERT_TRUE(pub);
  SignInput in;
  in.method = "GET";
  in.path = "/";
  EXPECT_TRUE(sign_request(in, *pub, &err).empty());
  EXPECT_FALSE(err.empty());
}

TEST(ChefSigningTest, Base64RoundTrip) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto d = base64_decode(base64_encode(s));
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, s);
  }
  EXPECT_FALSE(base64_decode("abc"));
}

}  // namespace
}  // namespace orch::chef
