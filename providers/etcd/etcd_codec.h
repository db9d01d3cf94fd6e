// The etcd v3 JSON gateway's wire format: base64 keys and values, int64 fields sent and received
// as JSON strings, zero fields omitted, prefix ranges, and builders for the request bodies orch
// sends (range, put, delete, txn). Nothing here does I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace orch::etcd {

using nlohmann::json;

// Standard base64 (with padding), as the gateway uses for bytes fields.
std::string base64_encode(std::string_view bytes);
// False on characters outside the alphabet or a bad length.
bool base64_decode(std::string_view text, std::string& out);

// The end of the range of every key starting with `prefix`: the prefix with its last byte
// incremented ("/orch/nodes/" → "/orch/nodes0"); "\0" (every key) for an empty prefix.
std::string prefix_end(std::string_view prefix);

// An int64 field that the gateway writes as a string (or, leniently, a number). Absent: 0 (the
// gateway omits zero fields). Never goes through double: lease IDs exceed 2^53.
int64_t int64_field(const json& object, std::string_view name);
// A bool field; absent: false.
bool bool_field(const json& object, std::string_view name);
// int64 as the gateway expects it: a JSON string.
json int64_value(int64_t v);

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
};

// Decodes one `kvs` element; nullopt (and `error`) when key or value is not base64.
std::optional<KeyValue> parse_kv(const json& j, std::string* error);
// Every element of `kvs` in a range response (absent: empty).
bool parse_kvs(const json& range_response, std::vector<KeyValue>& out, std::string* error);
// header.revision of a response.
int64_t header_revision(const json& response);

// --- request bodies -------------------------------------------------------------------------

struct RangeOptions {
  std::string range_end;  // empty: the single key
  int64_t limit = 0;      // 0: no limit
  int64_t revision = 0;   // 0: the latest
  bool keys_only = false;
  bool count_only = false;
  bool sort_by_create_ascending = false;  // sort_target CREATE, sort_order ASCEND
};
json range_request(std::string_view key, const RangeOptions& options = {});
json put_request(std::string_view key, std::string_view value, int64_t lease = 0);
json delete_request(std::string_view key, std::string_view range_end = {});

// Txn comparisons.
json compare_create_revision(std::string_view key, int64_t revision);  // 0: the key is absent
json compare_mod_revision(std::string_view key, int64_t revision);     // 0: the key is absent
json compare_value(std::string_view key, std::string_view value);

// Txn operations (elements of success / failure).
json op_put(std::string_view key, std::string_view value, int64_t lease = 0);
json op_range(std::string_view key, const RangeOptions& options = {});
json op_delete(std::string_view key, std::string_view range_end = {});

json txn_request(std::vector<json> compare, std::vector<json> success,
                 std::vector<json> failure = {});

// The parts of a txn response.
struct TxnResponse {
  bool succeeded = false;
  int64_t revision = 0;  // header.revision after the txn
  // responses[i]: the i-th operation's response body (response_range / response_put / ...).
  std::vector<json> responses;
};
TxnResponse parse_txn(const json& response);

}  // namespace orch::etcd
