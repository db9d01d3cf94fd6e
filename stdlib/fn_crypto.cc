// Hash functions (OpenSSL): md5 sha1 sha256 sha512 as hex, base64sha256 base64sha512.
#include <openssl/evp.h>

#include <fmt/format.h>

#include "stdlib/fn_util.h"

namespace orch::fn {

namespace {

std::string digest(const EVP_MD* md, const std::string& s) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), out, &n, md, nullptr);
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string hex(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Function hasher(const std::string& name, const EVP_MD* (*md)(), bool b64) {
  return make(name, 1, 1, name + "(str)", returns(Type::string()),
              [md, b64](const Args& a, const CallContext&) {
                std::string d = digest(md(), str(a, 0, "str"));
                return Value::string(b64 ? base64(d) : hex(d));
              });
}

}  // namespace

void add_crypto(Functions& f) {
  f.add(hasher("md5", EVP_md5, false));
  f.add(hasher("sha1", EVP_sha1, false));
  f.add(hasher("sha256", EVP_sha256, false));
  f.add(hasher("sha512", EVP_sha512, false));
  f.add(hasher("base64sha256", EVP_sha256, true));
  f.add(hasher("base64sha512", EVP_sha512, true));
}

}  // namespace orch::fn
