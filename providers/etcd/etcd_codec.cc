// The etcd v3 JSON gateway's wire format (see etcd_codec.h).
#include "providers/etcd/etcd_codec.h"

#include <openssl/evp.h>

#include <charconv>

namespace orch::etcd {

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

bool base64_decode(std::string_view text, std::string& out) {
  out.clear();
  if (text.size() % 4 != 0) return false;
  if (text.empty()) return true;
  size_t pad = 0;
  if (text.back() == '=') ++pad;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++pad;
  out.resize(3 * (text.size() / 4));
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0 || static_cast<size_t>(n) < pad) return false;
  out.resize(static_cast<size_t>(n) - pad);  // EVP_DecodeBlock counts padding as zero bytes
  return true;
}

std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

int64_t int64_field(const json& object, std::string_view name) {
  if (!object.is_object()) return 0;
  auto it = object.find(name);
  if (it == object.end()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number_unsigned()) return static_cast<int64_t>(it->get<uint64_t>());
  if (!it->is_string()) return 0;
  const std::string& s = it->get_ref<const std::string&>();
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    // Lease IDs are int64 but may arrive as uint64 text from some gateways.
    uint64_t u = 0;
    auto [p2, ec2] = std::from_chars(s.data(), s.data() + s.size(), u);
    return ec2 == std::errc() && p2 == s.data() + s.size() ? static_cast<int64_t>(u) : 0;
  }
  return v;
}

bool bool_field(const json& object, std::string_view name) {
  if (!object.is_object()) return false;
  auto it = object.find(name);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

json int64_value(int64_t v) {
  return std::to_string(v);
}

std::optional<KeyValue> parse_kv(const json& j, std::string* error) {
  KeyValue kv;
  auto bytes = [&](const char* name, std::string& out) {
    auto it = j.find(name);
    if (it == j.end()) return true;  // omitted: empty
    if (!it->is_string() || !base64_decode(it->get_ref<const std::string&>(), out)) {
      if (error) *error = std::string("etcd returned a `") + name + "` that is not base64";
      return false;
    }
    return true;
  };
  if (!j.is_object() || !bytes("key", kv.key) || !bytes("value", kv.value)) {
    if (error && error->empty()) *error = "etcd returned a malformed key-value";
    return std::nullopt;
  }
  kv.create_revision = int64_field(j, "create_revision");
  kv.mod_revision = int64_field(j, "mod_revision");
  kv.version = int64_field(j, "version");
  kv.lease = int64_field(j, "lease");
  return kv;
}

bool parse_kvs(const json& range_response, std::vector<KeyValue>& out, std::string* error) {
  out.clear();
  auto it = range_response.is_object() ? range_response.find("kvs") : range_response.end();
  if (!range_response.is_object() || it == range_response.end()) return true;
  if (!it->is_array()) {
    if (error) *error = "etcd returned `kvs` that is not a list";
    return false;
  }
  out.reserve(it->size());
  for (const auto& e : *it) {
    auto kv = parse_kv(e, error);
    if (!kv) return false;
    out.push_back(std::move(*kv));
  }
  return true;
}

int64_t header_revision(const json& response) {
  if (!response.is_object()) return 0;
  auto it = response.find("header");
  return it == response.end() ? 0 : int64_field(*it, "revision");
}

json range_request(std::string_view key, const RangeOptions& o) {
  json j = {{"key", base64_encode(key)}};
  if (!o.range_end.empty()) j["range_end"] = base64_encode(o.range_end);
  if (o.limit > 0) j["limit"] = int64_value(o.limit);
  if (o.revision > 0) j["revision"] = int64_value(o.revision);
  if (o.keys_only) j["keys_only"] = true;
  if (o.count_only) j["count_only"] = true;
  if (o.sort_by_create_ascending) {
    j["sort_order"] = "ASCEND";
    j["sort_target"] = "CREATE";
  }
  return j;
}

json put_request(std::string_view key, std::string_view value, int64_t lease) {
  json j = {{"key", base64_encode(key)}, {"value", base64_encode(value)}};
  if (lease != 0) j["lease"] = int64_value(lease);
  return j;
}

json delete_request(std::string_view key, std::string_view range_end) {
  json j = {{"key", base64_encode(key)}};
  if (!range_end.empty()) j["range_end"] = base64_encode(range_end);
  return j;
}

json compare_create_revision(std::string_view key, int64_t revision) {
  return {{"result", "EQUAL"},
          {"target", "CREATE"},
          {"key", base64_encode(key)},
          {"create_revision", int64_value(revision)}};
}

json compare_mod_revision(std::string_view key, int64_t revision) {
  return {{"result", "EQUAL"},
          {"target", "MOD"},
          {"key", base64_encode(key)},
          {"mod_revision", int64_value(revision)}};
}

json compare_value(std::string_view key, std::string_view value) {
  return {{"result", "EQUAL"},
          {"target", "VALUE"},
          {"key", base64_encode(key)},
          {"value", base64_encode(value)}};
}

json op_put(std::string_view key, std::string_view value, int64_t lease) {
  return {{"request_put", put_request(key, value, lease)}};
}

json op_range(std::string_view key, const RangeOptions& options) {
  return {{"request_range", range_request(key, options)}};
}

json op_delete(std::string_view key, std::string_view range_end) {
  return {{"request_delete_range", delete_request(key, range_end)}};
}

json txn_request(std::vector<json> compare, std::vector<json> success, std::vector<json> failure) {
  json j = json::object();
  j["compare"] = std::move(compare);
  j["success"] = std::move(success);
  j["failure"] = std::move(failure);
  return j;
}

TxnResponse parse_txn(const json& response) {
  TxnResponse t;
  t.succeeded = bool_field(response, "succeeded");
  t.revision = header_revision(response);
  auto it = response.is_object() ? response.find("responses") : response.end();
  if (response.is_object() && it != response.end() && it->is_array()) {
    for (const auto& r : *it) {
      // {"response_range": {...}}: the one member is the operation's response.
      if (r.is_object() && r.size() == 1)
        t.responses.push_back(r.begin().value());
      else
        t.responses.push_back(json::object());
    }
  }
  return t;
}

}  // namespace orch::etcd
