// AWS Signature Version 4, computed independently of libcurl (OpenSSL HMAC-SHA256), for the
// fake EC2 endpoint to verify clients' Authorization headers and for tests to craft requests
// (expired, wrongly signed) that a correct client would never send.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace orch::fakes {

std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw bytes
std::string hex(std::string_view bytes);

// The parts of "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/ec2/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=…".
struct SigV4Authorization {
  std::string access_key, date, region, service, terminal;
  std::string signed_headers;  // "content-type;host;x-amz-date"
  std::string signature;
};
std::optional<SigV4Authorization> parse_authorization(std::string_view header);

struct SigV4Input {
  std::string method = "POST";
  std::string path = "/";
  std::string query;                           // raw, without '?'
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// The canonical request for `in` over the headers named in `signed_headers`.
std::string canonical_request(const SigV4Input& in, const std::string& signed_headers);
// The hex signature: `amz_date` is "20150830T123600Z", scope date its first 8 characters.
std::string signature(const std::string& secret, const std::string& amz_date,
                      const std::string& region, const std::string& service,
                      const std::string& canonical);
// Signs `in` in place: sets x-amz-date (and x-amz-security-token) and authorization over every
// header present (host must be set).
void sign(SigV4Input& in, const std::string& access_key, const std::string& secret,
          const std::string& region, const std::string& service, const std::string& amz_date,
          const std::string& session_token = "");

}  // namespace orch::fakes
