// SigV4 for the fake EC2 endpoint (see fake_ec2_sigv4.h).
#include "tests/fakes/fake_ec2_sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <vector>

namespace orch::fakes {

std::string hex(std::string_view bytes) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return hex(std::string_view(reinterpret_cast<char*>(md), sizeof md));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  return std::string(reinterpret_cast<char*>(md), len);
}

namespace {

std::string trim_collapse(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string uri_encode(std::string_view s, bool keep_slash) {
  static const char* d = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/'))
      out += static_cast<char>(c);
    else {
      out += '%';
      out += d[c >> 4];
      out += d[c & 15];
    }
  }
  return out;
}

std::string decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::optional<SigV4Authorization> parse_authorization(std::string_view h) {
  const std::string_view algo = "AWS4-HMAC-SHA256 ";
  if (h.substr(0, algo.size()) != algo) return std::nullopt;
  h.remove_prefix(algo.size());
  SigV4Authorization a;
  std::string credential;
  while (!h.empty()) {
    size_t comma = h.find(',');
    std::string part = trim_collapse(h.substr(0, comma));
    h = comma == std::string_view::npos ? std::string_view() : h.substr(comma + 1);
    size_t eq = part.find('=');
    if (eq == std::string::npos) return std::nullopt;
    std::string k = part.substr(0, eq), v = part.substr(eq + 1);
    if (k == "Credential")
      credential = v;
    else if (k == "SignedHeaders")
      a.signed_headers = v;
    else if (k == "Signature")
      a.signature = v;
  }
  std::vector<std::string> scope;
  size_t start = 0;
  while (start <= credential.size()) {
    size_t slash = credential.find('/', start);
    scope.push_back(credential.substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (scope.size() != 5 || a.signed_headers.empty() || a.signature.empty()) return std::nullopt;
  a.access_key = scope[0];
  a.date = scope[1];
  a.region = scope[2];
  a.service = scope[3];
  a.terminal = scope[4];
  return a;
}

std::string canonical_request(const SigV4Input& in, const std::string& signed_headers) {
  // Query: decoded pairs, re-encoded, sorted by name then value.
  std::vector<std::pair<std::string, std::string>> q;
  std::string_view rest = in.query;
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    size_t eq = pair.find('=');
    if (!pair.empty())
      q.emplace_back(
          uri_encode(decode(pair.substr(0, eq)), false),
          eq == std::string_view::npos ? "" : uri_encode(decode(pair.substr(eq + 1)), false));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  std::sort(q.begin(), q.end());
  std::string query;
  for (const auto& [k, v] : q) query += (query.empty() ? "" : "&") + k + "=" + v;
  std::string headers;
  size_t start = 0;
  while (start <= signed_headers.size()) {
    size_t semi = signed_headers.find(';', start);
    std::string name = signed_headers.substr(start, semi - start);
    auto it = in.headers.find(name);
    headers += name + ":" + (it == in.headers.end() ? "" : trim_collapse(it->second)) + "\n";
    if (semi == std::string::npos) break;
    start = semi + 1;
  }
  return in.method + "\n" + uri_encode(in.path.empty() ? "/" : in.path, true) + "\n" + query +
         "\n" + headers + "\n" + signed_headers + "\n" + sha256_hex(in.body);
}

std::string signature(const std::string& secret, const std::string& amz_date,
                      const std::string& region, const std::string& service,
                      const std::string& canonical) {
  std::string date = amz_date.substr(0, 8);
  std::string scope = date + "/" + region + "/" + service + "/aws4_request";
  std::string to_sign =
      "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + sha256_hex(canonical);
  std::string k = hmac_sha256("AWS4" + secret, date);
  k = hmac_sha256(k, region);
  k = hmac_sha256(k, service);
  k = hmac_sha256(k, "aws4_request");
  return hex(hmac_sha256(k, to_sign));
}

void sign(SigV4Input& in, const std::string& access_key, const std::string& secret,
          const std::string& region, const std::string& service, const std::string& amz_date,
          const std::string& session_token) {
  in.headers["x-amz-date"] = amz_date;
  if (!session_token.empty()) in.headers["x-amz-security-token"] = session_token;
  in.headers.erase("authorization");
  std::string signed_headers;
  for (const auto& [k, v] : in.headers) signed_headers += (signed_headers.empty() ? "" : ";") + k;
  std::string sig =
      signature(secret, amz_date, region, service, canonical_request(in, signed_headers));
  in.headers["authorization"] =
      "AWS4-HMAC-SHA256 Credential=" + access_key + "/" + amz_date.substr(0, 8) + "/" + region +
      "/" + service + "/aws4_request, SignedHeaders=" + signed_headers + ", Signature=" + sig;
}

}  // namespace orch::fakes
