// Chef request signing (see chef_signing.h). Protocol facts: /work/shared/notes/chef-signing.md
// and Mixlib::Authentication's SignedHeaderAuth; tests/chef_signing_test.cc checks this signer
// against vectors produced by the real Mixlib.
#include "providers/chef/chef_signing.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

namespace orch::chef {
namespace {

struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, CtxFree>;
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

// OpenSSL's reason for the last failure (never key material), and clears its error queue.
std::string openssl_error() {
  unsigned long e = ERR_get_error();
  std::string out;
  if (e) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out = buf;
  }
  ERR_clear_error();
  return out;
}

std::string digest(std::string_view data, const EVP_MD* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(data.data(), data.size(), out, &len, md, nullptr)) return {};
  return std::string(reinterpret_cast<char*>(out), len);
}

const EVP_MD* md_for(SignVersion v) {
  return v == SignVersion::V1_3 ? EVP_sha256() : EVP_sha1();
}

std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

std::string header_of(const std::map<std::string, std::string>& h, const std::string& name) {
  auto it = h.find(name);
  return it == h.end() ? std::string() : it->second;
}

}  // namespace

std::optional<SignVersion> parse_sign_version(std::string_view text) {
  if (text == "1.0") return SignVersion::V1_0;
  if (text == "1.3") return SignVersion::V1_3;
  return std::nullopt;
}

const char* to_string(SignVersion v) {
  return v == SignVersion::V1_3 ? "1.3" : "1.0";
}

std::optional<RsaKey> RsaKey::from_pem(std::string_view pem, std::string* error) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    *error = "out of memory";
    return std::nullopt;
  }
  RsaKey key;
  // A passphrase callback that refuses: an encrypted key is an error, never a prompt.
  auto no_passphrase = [](char*, int, int, void*) -> int { return -1; };
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr);
  key.private_ = k != nullptr;
  if (!k) {
    ERR_clear_error();
    bio.reset(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    k = PEM_read_bio_PUBKEY(bio.get(), nullptr, no_passphrase, nullptr);
  }
  if (!k) {
    std::string why = openssl_error();
    *error = pem.find("ENCRYPTED") != std::string_view::npos
                 ? "the key is encrypted with a passphrase; Chef client keys are unencrypted PEM"
                 : "not a PEM RSA key" + (why.empty() ? std::string() : " (" + why + ")");
    return std::nullopt;
  }
  key.key_ = std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free);
  if (EVP_PKEY_base_id(k) != EVP_PKEY_RSA) {
    *error = "not an RSA key (Chef signs with RSA keys only)";
    return std::nullopt;
  }
  return key;
}

std::optional<RsaKey> RsaKey::from_file(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read the key file";
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return from_pem(ss.str(), error);
}

int RsaKey::size_bits() const {
  return key_ ? EVP_PKEY_get_bits(key_.get()) : 0;
}

std::string RsaKey::public_pem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || !key_ || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) return {};
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string clean;
  for (char c : text)
    if (c != '\n' && c != '\r' && c != ' ') clean += c;
  if (clean.size() % 4 != 0) return std::nullopt;
  std::string out(clean.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0) return std::nullopt;
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock keeps the bytes that padding stands for: drop them.
  if (!clean.empty() && clean.back() == '=') --len;
  if (clean.size() > 1 && clean[clean.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

std::string canonical_path(std::string_view path) {
  std::string out;
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out += c;
  }
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::string content_hash(std::string_view body, SignVersion v) {
  return base64_encode(digest(body, md_for(v)));
}

std::string string_to_sign(const SignInput& in) {
  const std::string path = canonical_path(in.path);
  const std::string hash = content_hash(in.body, in.version);
  if (in.version == SignVersion::V1_3) {
    return "Method:" + upper(in.method) + "\nPath:" + path + "\nX-Ops-Content-Hash:" + hash +
           "\nX-Ops-Sign:version=1.3\nX-Ops-Timestamp:" + in.timestamp +
           "\nX-Ops-UserId:" + in.user_id + "\nX-Ops-Server-API-Version:" + in.server_api_version;
  }
  return "Method:" + upper(in.method) + "\nHashed Path:" + base64_encode(digest(path, EVP_sha1())) +
         "\nX-Ops-Content-Hash:" + hash + "\nX-Ops-Timestamp:" + in.timestamp +
         "\nX-Ops-UserId:" + in.user_id;
}

std::string chef_timestamp(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<std::chrono::system_clock::time_point> parse_chef_timestamp(std::string_view text) {
  int y, mo, d, h, mi, s;
  char z = 0;
  std::string str(text);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &z) != 7 ||
      z != 'Z' || str.size() != 20)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  std::time_t t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

Headers sign_request(const SignInput& in, const RsaKey& key, std::string* error) {
  if (!key.get() || !key.is_private()) {
    *error = "a private key is needed to sign requests";
    return {};
  }
  const std::string text = string_to_sign(in);
  std::string sig;
  if (in.version == SignVersion::V1_3) {
    MdCtx ctx(EVP_MD_CTX_new());
    size_t len = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &len,
                       reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1) {
      *error = "signing failed: " + openssl_error();
      return {};
    }
    sig.resize(len);
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1) {
      *error = "signing failed: " + openssl_error();
      return {};
    }
    sig.resize(len);
  } else {
    // 1.0: PKCS#1 type-1 padding of the string itself (RSA "private encrypt"), no digest.
    PkeyCtx ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
    size_t len = 0;
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_sign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(text.data()),
                      text.size()) != 1) {
      *error = "signing failed: " + openssl_error();
      return {};
    }
    sig.resize(len);
    if (EVP_PKEY_sign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                      reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1) {
      *error = "signing failed (protocol 1.0 needs a key of 2048 bits or more): " + openssl_error();
      return {};
    }
    sig.resize(len);
  }
  Headers h;
  h.emplace_back("X-Ops-Sign", in.version == SignVersion::V1_3 ? "algorithm=sha256;version=1.3;"
                                                               : "algorithm=sha1;version=1.0;");
  h.emplace_back("X-Ops-Userid", in.user_id);
  h.emplace_back("X-Ops-Timestamp", in.timestamp);
  h.emplace_back("X-Ops-Content-Hash", content_hash(in.body, in.version));
  const std::string b64 = base64_encode(sig);
  for (size_t i = 0, n = 1; i < b64.size(); i += 60, ++n)
    h.emplace_back("X-Ops-Authorization-" + std::to_string(n), b64.substr(i, 60));
  return h;
}

bool verify_request(const VerifyInput& in, const RsaKey& public_key, std::string* why) {
  const auto& h = *in.headers;
  for (const char* name : {"x-ops-sign", "x-ops-userid", "x-ops-timestamp", "x-ops-content-hash",
                           "x-ops-authorization-1"}) {
    if (!h.count(name)) {
      *why = std::string("required authentication header ") + name + " missing";
      return false;
    }
  }
  // "algorithm=sha256;version=1.3;" (parts in any order)
  std::string sign = header_of(h, "x-ops-sign"), algorithm, version;
  std::stringstream parts(sign);
  for (std::string part; std::getline(parts, part, ';');) {
    auto eq = part.find('=');
    if (eq == std::string::npos) continue;
    std::string k = part.substr(0, eq), v = part.substr(eq + 1);
    while (!k.empty() && k.front() == ' ') k.erase(0, 1);
    if (k == "algorithm") algorithm = v;
    if (k == "version") version = v;
  }
  auto v = parse_sign_version(version);
  if (!v || algorithm != (*v == SignVersion::V1_3 ? "sha256" : "sha1")) {
    *why = "unsupported signing version or algorithm: " + sign;
    return false;
  }
  SignInput si;
  si.method = in.method;
  si.path = in.path;
  si.body = in.body;
  si.timestamp = header_of(h, "x-ops-timestamp");
  si.user_id = header_of(h, "x-ops-userid");
  si.version = *v;
  si.server_api_version = h.count("x-ops-server-api-version")
                              ? header_of(h, "x-ops-server-api-version")
                              : std::string("0");
  if (header_of(h, "x-ops-content-hash") != content_hash(in.body, *v)) {
    *why = "the content hash does not match the body";
    return false;
  }
  std::string b64;
  for (int n = 1;; ++n) {
    auto it = h.find("x-ops-authorization-" + std::to_string(n));
    if (it == h.end()) break;
    b64 += it->second;
  }
  auto sig = base64_decode(b64);
  if (!sig) {
    *why = "the signature is not base64";
    return false;
  }
  const std::string text = string_to_sign(si);
  if (*v == SignVersion::V1_3) {
    MdCtx ctx(EVP_MD_CTX_new());
    bool ok =
        ctx &&
        EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, public_key.get()) == 1 &&
        EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig->data()),
                         sig->size(), reinterpret_cast<const unsigned char*>(text.data()),
                         text.size()) == 1;
    ERR_clear_error();
    if (!ok) *why = "the signature does not match the request";
    return ok;
  }
  PkeyCtx ctx(EVP_PKEY_CTX_new(public_key.get(), nullptr));
  std::string recovered(static_cast<size_t>(EVP_PKEY_get_size(public_key.get())), '\0');
  size_t len = recovered.size();
  bool ok = ctx && EVP_PKEY_verify_recover_init(ctx.get()) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) == 1 &&
            EVP_PKEY_verify_recover(ctx.get(), reinterpret_cast<unsigned char*>(recovered.data()),
                                    &len, reinterpret_cast<const unsigned char*>(sig->data()),
                                    sig->size()) == 1;
  ERR_clear_error();
  if (ok) {
    recovered.resize(len);
    ok = recovered == text;
  }
  if (!ok) *why = "the signature does not match the request";
  return ok;
}

}  // namespace orch::chef
