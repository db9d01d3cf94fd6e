// Small helpers shared by the etcd provider's files: attribute access, key names, errors.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "compiler/value.h"
#include "providers/etcd/etcd_client.h"
#include "providers/etcd/etcd_codec.h"
#include "providers/provider.h"

namespace orch::etcd {

inline const Value* attr(const ValueMap& m, const std::string& name) {
  auto it = m.find(name);
  return it == m.end() ? nullptr : &it->second;
}

inline std::optional<std::string> known_string(const ValueMap& m, const std::string& name) {
  const Value* v = attr(m, name);
  if (!v || v->unmarked().kind() != ValueKind::String) return std::nullopt;
  return v->unmarked().as_string();
}

inline std::optional<std::vector<std::string>> known_strings(const ValueMap& m,
                                                             const std::string& name) {
  const Value* v = attr(m, name);
  if (!v || !v->is_sequence() || !v->is_wholly_known()) return std::nullopt;
  std::vector<std::string> out;
  for (const Value& e : v->elements()) {
    if (e.unmarked().kind() != ValueKind::String) return std::nullopt;
    out.push_back(e.unmarked().as_string());
  }
  return out;
}

// <prefix>/<name>/<leaf>: an election's keys.
inline std::string election_key(const std::string& prefix, const std::string& name,
                                const std::string& leaf) {
  return (prefix == "/" ? "" : prefix) + "/" + name + "/" + leaf;
}

// <prefix>/locks/<name>: a step lock's name for /v3/lock (its keys are <name>/<lease hex>).
inline std::string lock_name(const std::string& prefix, const std::string& name) {
  return (prefix == "/" ? "" : prefix) + "/locks/" + name;
}

inline std::string lease_hex(int64_t lease) {
  return lease == 0 ? std::string() : fmt::format("{:x}", lease);
}

// A client error as a provider error: retryable when etcd was unavailable (the executor retries
// with backoff on top of the client's own retries).
inline ProviderError provider_error(const Error& e, const std::string& what) {
  ProviderError p;
  p.summary = what + ": " + e.message;
  p.retryable = e.kind == Error::Kind::Unavailable;
  return p;
}

// An etcd_key's attributes from what etcd holds and what state recorded (ttl is configuration).
inline ValueMap key_attributes(const KeyValue& kv, const ValueMap& stored) {
  ValueMap a;
  a["key"] = Value::string(kv.key);
  a["id"] = Value::string(kv.key);
  a["value"] = Value::string(kv.value);
  if (auto v = stored.find("value"); v != stored.end() && v->second.is_sensitive())
    a["value"] = a["value"].mark_sensitive();
  auto ttl = stored.find("ttl");
  a["ttl"] = ttl == stored.end() ? Value::null(Type::string()) : ttl->second;
  a["create_revision"] = Value::number(kv.create_revision);
  a["mod_revision"] = Value::number(kv.mod_revision);
  a["version"] = Value::number(kv.version);
  a["lease"] = Value::string(lease_hex(kv.lease));
  return a;
}

}  // namespace orch::etcd
