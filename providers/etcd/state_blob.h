// Stored blobs of the etcd state backend: zlib compression, SHA-256 checksums, and splitting
// into chunks that each fit in one etcd request (etcd refuses requests over 1.5 MiB).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace orch::etcd {

// zlib (RFC 1950) at `level` (1 fastest .. 9 smallest).
std::string zlib_compress(std::string_view data, int level = 1);
// Inflates `data`, which must decompress to exactly `expected_size` bytes. False and `error`
// ("corrupt zlib data: …", "size mismatch …") otherwise.
bool zlib_decompress(std::string_view data, size_t expected_size, std::string& out,
                     std::string* error);

// Lower-case hex SHA-256.
std::string sha256_hex(std::string_view data);

// `data` cut into pieces of at most `chunk_size` bytes (at least one piece, maybe empty).
std::vector<std::string_view> split_chunks(std::string_view data, size_t chunk_size);

}  // namespace orch::etcd
