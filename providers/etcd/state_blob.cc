// Compression, checksums and chunks of stored state (see state_blob.h).
#include "providers/etcd/state_blob.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <fmt/format.h>

namespace orch::etcd {

std::string zlib_compress(std::string_view data, int level) {
  uLongf bound = compressBound(static_cast<uLong>(data.size()));
  std::string out(bound, '\0');
  int rc = compress2(reinterpret_cast<Bytef*>(out.data()), &bound,
                     reinterpret_cast<const Bytef*>(data.data()), static_cast<uLong>(data.size()),
                     level);
  if (rc != Z_OK) return {};  // only on memory exhaustion; the caller's checksum then fails
  out.resize(bound);
  return out;
}

bool zlib_decompress(std::string_view data, size_t expected_size, std::string& out,
                     std::string* error) {
  out.assign(expected_size, '\0');
  uLongf size = static_cast<uLongf>(expected_size);
  int rc = uncompress(reinterpret_cast<Bytef*>(out.data()), &size,
                      reinterpret_cast<const Bytef*>(data.data()), static_cast<uLong>(data.size()));
  if (rc == Z_BUF_ERROR && size == expected_size) {
    if (error)
      *error = fmt::format("it inflates to more than the recorded {} bytes", expected_size);
    return false;
  }
  if (rc != Z_OK) {
    if (error)
      *error = fmt::format("corrupt zlib data ({})", rc == Z_DATA_ERROR ? "bad data" : zError(rc));
    return false;
  }
  if (size != expected_size) {
    if (error)
      *error = fmt::format("it inflates to {} bytes, not the recorded {}", size, expected_size);
    return false;
  }
  return true;
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) out += fmt::format("{:02x}", md[i]);
  return out;
}

std::vector<std::string_view> split_chunks(std::string_view data, size_t chunk_size) {
  std::vector<std::string_view> out;
  if (chunk_size == 0) chunk_size = 1;
  for (size_t pos = 0; pos < data.size(); pos += chunk_size)
    out.push_back(data.substr(pos, chunk_size));
  if (out.empty()) out.push_back(data.substr(0, 0));
  return out;
}

}  // namespace orch::etcd
