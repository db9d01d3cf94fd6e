// Chef Server request signing (Mixlib::Authentication protocols 1.0 and 1.3) with OpenSSL: RSA
// keys, the canonical request, the X-Ops-* headers, and their verification (for the fake server).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

typedef struct evp_pkey_st EVP_PKEY;

namespace orch::chef {

enum class SignVersion { V1_0, V1_3 };

// "1.0" / "1.3" (nullopt for anything else; 1.1 is not offered).
std::optional<SignVersion> parse_sign_version(std::string_view text);
const char* to_string(SignVersion v);

// An RSA key (private, or public only) from PEM text: PKCS#1 or PKCS#8 private keys, SPKI public
// keys ("BEGIN PUBLIC KEY", what the Chef Server stores). Copies share the key. Its material is
// never printed or put in messages.
class RsaKey {
 public:
  static std::optional<RsaKey> from_pem(std::string_view pem, std::string* error);
  static std::optional<RsaKey> from_file(const std::string& path, std::string* error);
  bool is_private() const { return private_; }
  int size_bits() const;
  EVP_PKEY* get() const { return key_.get(); }
  // The public half as SPKI PEM ("-----BEGIN PUBLIC KEY-----"), for /clients/NAME/keys.
  std::string public_pem() const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
  bool private_ = false;
};

struct SignInput {
  std::string method;  // GET, POST, ... (upper-cased when signing)
  std::string path;    // URL path only, no query: "/organizations/orch/nodes/web-1"
  std::string_view body;
  std::string timestamp;                 // UTC ISO 8601: "2026-11-24T23:24:23Z"
  std::string user_id;                   // the client name
  std::string server_api_version = "1";  // 1.3 only; must equal the header sent
  SignVersion version = SignVersion::V1_3;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// Collapses repeated '/', drops a trailing '/' unless the path is "/".
std::string canonical_path(std::string_view path);
// Base64 of the body's SHA-256 (1.3) or SHA-1 (1.0).
std::string content_hash(std::string_view body, SignVersion v);
// The exact string that is signed.
std::string string_to_sign(const SignInput& in);
// "2026-11-24T23:24:23Z"
std::string chef_timestamp(std::chrono::system_clock::time_point t);
std::optional<std::chrono::system_clock::time_point> parse_chef_timestamp(std::string_view text);

// X-Ops-Sign, X-Ops-Userid, X-Ops-Timestamp, X-Ops-Content-Hash, X-Ops-Authorization-1..N (the
// base64 signature in 60-character pieces), in that order. Empty and `error` when the key cannot
// sign (a public key, or a key too small for 1.0's raw encryption).
Headers sign_request(const SignInput& in, const RsaKey& key, std::string* error);

// What a server checks: the headers (lower-case names) of a request against its method, path and
// body with the requester's public key. On failure, `why` says what did not match.
struct VerifyInput {
  std::string method;
  std::string path;
  std::string_view body;
  const std::map<std::string, std::string>* headers = nullptr;  // lower-case names
};
bool verify_request(const VerifyInput& in, const RsaKey& public_key, std::string* why);

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace orch::chef
