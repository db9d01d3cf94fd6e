// Synthesized values for simulated objects (see synthesize.h).
#include "providers/simtwin/synthesize.h"

#include <fmt/format.h>

#include <cctype>
#include <ctime>

#include "planner/address.h"

namespace orch {

namespace {

// Words of an attribute name: "private_ip_address" → {private, ip, address}.
std::vector<std::string> words_of(const std::string& name) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : name) {
    if (c == '_' || c == '-' || c == '.') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

bool has(const std::vector<std::string>& words, std::initializer_list<const char*> any) {
  for (const auto& w : words)
    for (const char* a : any)
      if (w == a) return true;
  return false;
}

bool ends_with(const std::vector<std::string>& words, const char* last) {
  return !words.empty() && words.back() == last;
}

std::string sanitize(std::string_view s) {
  std::string out;
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u))
      out += static_cast<char>(std::tolower(u));
    else if (!out.empty() && out.back() != '-')
      out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

uint64_t bits(const SynthContext& ctx, const std::string& salt) {
  const double u = ctx.uniform ? ctx.uniform(salt) : 0.5;
  return static_cast<uint64_t>(u * 18446744073709551615.0);
}

std::string hex(const SynthContext& ctx, const std::string& salt, size_t digits) {
  std::string out;
  for (int round = 0; out.size() < digits; ++round)
    out += fmt::format("{:016x}", bits(ctx, salt + "/" + std::to_string(round)));
  return out.substr(0, digits);
}

std::string private_ip(const SynthContext& ctx, const std::string& salt) {
  const uint64_t h = bits(ctx, salt);
  return fmt::format("10.{}.{}.{}", (h >> 16) & 0xff, (h >> 8) & 0xff, 1 + (h & 0xff) % 254);
}

// 198.18.0.0/15 is reserved for benchmarking (RFC 2544): plausible, never someone's address.
std::string public_ip(const SynthContext& ctx, const std::string& salt) {
  const uint64_t h = bits(ctx, salt);
  return fmt::format("198.{}.{}.{}", 18 + ((h >> 16) & 1), (h >> 8) & 0xff, 1 + (h & 0xff) % 254);
}

// 2001:db8::/32 is the documentation prefix.
std::string ipv6(const SynthContext& ctx, const std::string& salt) {
  const uint64_t h = bits(ctx, salt);
  return fmt::format("2001:db8:{:x}:{:x}::{:x}", (h >> 48) & 0xffff, (h >> 32) & 0xffff,
                     h & 0xffff);
}

std::string timestamp(TimePoint now) {
  // 2025-01-01T00:00:00Z plus the virtual time: deterministic, and in order within a run.
  const std::time_t t = 1735689600 + now.count() / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string singular(const std::string& name) {
  if (name.size() > 3 && name.ends_with("ies")) return name.substr(0, name.size() - 3) + "y";
  if (name.size() > 3 && name.ends_with("ses")) return name.substr(0, name.size() - 2);
  if (name.size() > 1 && name.ends_with("s")) return name.substr(0, name.size() - 1);
  return name;
}

std::string synth_string(const std::string& name, const SynthContext& ctx) {
  const auto w = words_of(name);
  const std::string label = address_label(ctx.address);
  const std::string salt = "synth/" + name;
  const bool is_public = has(w, {"public", "external", "elastic"});
  if (name == "id") {
    std::string prefix = ctx.id_prefix;
    if (prefix.empty()) {
      auto tw = words_of(ctx.type);
      prefix = (tw.size() > 1 ? tw.back() : std::string("obj")) + "-";
    }
    return prefix + hex(ctx, salt, 12);
  }
  if (ends_with(w, "id") || ends_with(w, "ids")) {
    std::string stem = w.size() > 1 ? w[w.size() - 2] : "obj";
    return stem + "-" + hex(ctx, salt, 12);
  }
  if (has(w, {"ipv6"})) return ipv6(ctx, salt);
  if (has(w, {"ip", "ipv4", "ips", "ipaddress"}) || name == "address") {
    return is_public ? public_ip(ctx, salt) : private_ip(ctx, salt);
  }
  if (has(w, {"dns", "hostname", "fqdn", "host"})) {
    return is_public ? fmt::format("{}.{}.example.com", label, ctx.provider)
                     : fmt::format("{}.{}.internal", label, ctx.provider);
  }
  if (has(w, {"url", "uri", "endpoint", "endpoints"}))
    return fmt::format("https://{}.{}.example.com/", label, ctx.provider);
  if (has(w, {"arn"})) return fmt::format("arn:sim:{}:{}:{}", ctx.provider, ctx.type, label);
  if (name == "name" || ends_with(w, "name")) return label;
  if (has(w, {"state", "status", "phase"})) return "ready";
  if (has(w, {"mac"})) {
    const uint64_t h = bits(ctx, salt);
    return fmt::format("02:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", (h >> 32) & 0xff, (h >> 24) & 0xff,
                       (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
  }
  if (ends_with(w, "at") || (w.size() > 1 && w.front() == "last") ||
      has(w, {"time", "timestamp", "created", "date", "updated", "started", "finished"}))
    return timestamp(ctx.now);
  if (has(w, {"key", "fingerprint", "secret", "token", "password", "etag", "hash", "digest",
              "checksum", "signature"}))
    return hex(ctx, salt, 32);
  if (has(w, {"region"})) return "sim-region-1";
  if (has(w, {"zone", "az"})) return "sim-region-1a";
  return fmt::format("{}-{}", sanitize(name), hex(ctx, salt, 8));
}

Value synth_number(const std::string& name, const SynthContext& ctx) {
  const auto w = words_of(name);
  if (has(w, {"port"})) return Value::number(static_cast<int64_t>(1024 + bits(ctx, name) % 60000));
  if (has(w, {"pid"})) return Value::number(static_cast<int64_t>(1000 + bits(ctx, name) % 60000));
  if (has(w, {"code", "exit"}) && !has(w, {"http"})) return Value::number(int64_t{0});
  return Value::number(int64_t{1});  // counts, sizes, versions, revisions, epochs
}

bool synth_bool(const std::string& name) {
  return has(words_of(name), {"ready", "healthy", "enabled", "active", "available", "running",
                              "exists", "success", "ok", "up", "online"});
}

}  // namespace

std::string address_label(const std::string& address) {
  auto parsed = parse_address(address);
  if (!parsed.ok()) return sanitize(address);
  const ResourceAddress& a = *parsed.address;
  std::string out;
  for (const auto& m : a.module) {
    out += m.name;
    if (m.key.kind == InstanceKey::Kind::Int) out += "-" + std::to_string(m.key.index);
    if (m.key.kind == InstanceKey::Kind::String) out += "-" + m.key.key;
    out += "-";
  }
  out += a.name;
  if (a.key.kind == InstanceKey::Kind::Int) out += "-" + std::to_string(a.key.index);
  if (a.key.kind == InstanceKey::Kind::String) out += "-" + a.key.key;
  std::string s = sanitize(out);
  return s.empty() ? "obj" : s;
}

Value synthesize_value(const std::string& name, const Type& type, const SynthContext& ctx) {
  switch (type.kind) {
    case TypeKind::String:
    case TypeKind::Any:
      return Value::string(synth_string(name, ctx));
    case TypeKind::Number:
      return synth_number(name, ctx);
    case TypeKind::Bool:
      return Value::boolean(synth_bool(name));
    case TypeKind::List:
    case TypeKind::Set: {
      // Failures and errors: none, in a world where things work unless the profile says not.
      if (has(words_of(name), {"failed", "failures", "errors", "unreachable", "warnings"}))
        return type.kind == TypeKind::List ? Value::list({}, type.element())
                                           : Value::set({}, type.element());
      // One element: enough to be iterated over and indexed, plausible for most lists.
      Value e = synthesize_value(singular(name), type.element(), ctx);
      return type.kind == TypeKind::List ? Value::list({e}, type.element())
                                         : Value::set({e}, type.element());
    }
    case TypeKind::Map:
      return Value::map({}, type.element());
    case TypeKind::Object: {
      ValueMap attrs;
      for (const auto& [k, t] : type.attributes()) attrs[k] = synthesize_value(k, t, ctx);
      return Value::object(std::move(attrs));
    }
    case TypeKind::Tuple: {
      ValueList elems;
      int i = 0;
      for (const auto& t : type.elements())
        elems.push_back(synthesize_value(name + std::to_string(i++), t, ctx));
      return Value::tuple(std::move(elems));
    }
  }
  return Value::string(synth_string(name, ctx));
}

std::optional<std::string> expand_template(const std::string& text, const ValueMap& attributes) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find("${", i);
    if (open == std::string::npos) {
      out += text.substr(i);
      break;
    }
    size_t close = text.find('}', open);
    if (close == std::string::npos) return std::nullopt;
    out += text.substr(i, open - i);
    const std::string name = text.substr(open + 2, close - open - 2);
    auto it = attributes.find(name);
    if (it == attributes.end() || !it->second.is_wholly_known()) return std::nullopt;
    const Value v = it->second.unmarked();
    if (v.kind() == ValueKind::String)
      out += v.as_string();
    else if (v.kind() == ValueKind::Number)
      out += format_number(v.as_number());
    else
      return std::nullopt;
    i = close + 1;
  }
  return out;
}

}  // namespace orch
