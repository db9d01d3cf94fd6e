// The state model: changes, selection, sensitive paths, lineage UUIDs and timestamps.
#include "planner/state.h"

#include <algorithm>
#include <array>
#include <ctime>
#include <stdexcept>

#include <fmt/format.h>
#include <openssl/rand.h>

namespace orch {

namespace {

bool is_identifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

void collect_sensitive(const Value& v, AttributePath& path, std::vector<AttributePath>& out) {
  if (v.is_sensitive()) out.push_back(path);
  if (v.is_sequence()) {
    const auto& elems = v.elements();
    for (size_t i = 0; i < elems.size(); ++i) {
      path.emplace_back(static_cast<int64_t>(i));
      collect_sensitive(elems[i], path, out);
      path.pop_back();
    }
  } else if (v.is_mapping()) {
    for (const auto& [k, e] : v.attributes()) {
      path.emplace_back(k);
      collect_sensitive(e, path, out);
      path.pop_back();
    }
  }
}

// Rebuilds `v` with the value at path[depth...] marked sensitive; keeps types and marks.
Value mark_at(const Value& v, const AttributePath& path, size_t depth) {
  if (depth == path.size()) return v.mark_sensitive(true);
  const PathStep& step = path[depth];
  if (v.is_sequence()) {
    const int64_t* index = std::get_if<int64_t>(&step);
    if (!index || *index < 0 || static_cast<size_t>(*index) >= v.elements().size()) return v;
    ValueList elems = v.elements();
    elems[*index] = mark_at(elems[*index], path, depth + 1);
    Value out;
    switch (v.kind()) {
      case ValueKind::List:
        out = Value::list(std::move(elems), v.type().element());
        break;
      case ValueKind::Set:
        out = Value::set(std::move(elems), v.type().element());
        break;
      default:
        out = Value::tuple(std::move(elems));
        break;
    }
    return out.mark_sensitive(v.is_sensitive());
  }
  if (v.is_mapping()) {
    const std::string* key = std::get_if<std::string>(&step);
    if (!key || !v.attributes().count(*key)) return v;
    ValueMap attrs = v.attributes();
    attrs[*key] = mark_at(attrs[*key], path, depth + 1);
    Value out = v.kind() == ValueKind::Map ? Value::map(std::move(attrs), v.type().element())
                                           : Value::object(std::move(attrs));
    return out.mark_sensitive(v.is_sensitive());
  }
  return v;
}

}  // namespace

std::string path_str(const AttributePath& path) {
  std::string out;
  for (const auto& step : path) {
    if (const auto* i = std::get_if<int64_t>(&step)) {
      out += fmt::format("[{}]", *i);
    } else {
      const auto& s = std::get<std::string>(step);
      if (is_identifier(s)) {
        if (!out.empty()) out += '.';
        out += s;
      } else {
        out += "[" + quote_key(s) + "]";
      }
    }
  }
  return out;
}

const char* status_name(ResourceStatus s) {
  switch (s) {
    case ResourceStatus::Created:
      return "created";
    case ResourceStatus::Tainted:
      return "tainted";
    case ResourceStatus::Creating:
      return "creating";
  }
  return "created";
}

std::optional<ResourceStatus> parse_status(std::string_view s) {
  if (s == "created") return ResourceStatus::Created;
  if (s == "tainted") return ResourceStatus::Tainted;
  if (s == "creating") return ResourceStatus::Creating;
  return std::nullopt;
}

bool ResourceState::operator==(const ResourceState& o) const {
  return type == o.type && provider == o.provider && mode == o.mode && status == o.status &&
         id == o.id && attributes == o.attributes && dependencies == o.dependencies &&
         create_intents == o.create_intents && gate_pending == o.gate_pending &&
         sensitive_paths(attributes) == sensitive_paths(o.attributes);
}

StateChange StateChange::put(ResourceAddress a, ResourceState r) {
  StateChange c;
  c.kind = Kind::Put;
  c.address = std::move(a);
  c.resource = std::move(r);
  return c;
}

StateChange StateChange::remove(ResourceAddress a) {
  StateChange c;
  c.kind = Kind::Remove;
  c.address = std::move(a);
  return c;
}

StateChange StateChange::creating(ResourceAddress a, std::string type, std::string provider,
                                  std::string token, std::string created_time) {
  StateChange c;
  c.kind = Kind::Intent;
  c.resource.type = std::move(type);
  c.resource.provider = std::move(provider);
  c.resource.mode = a.mode;
  c.resource.status = ResourceStatus::Creating;
  c.address = std::move(a);
  c.intent = CreateIntent{std::move(token), std::move(created_time)};
  return c;
}

StateChange StateChange::intent_done(ResourceAddress a, std::string token) {
  StateChange c;
  c.kind = Kind::IntentDone;
  c.address = std::move(a);
  c.intent.token = std::move(token);
  return c;
}

StateChange StateChange::put_output(std::string name, OutputState o) {
  StateChange c;
  c.kind = Kind::PutOutput;
  c.output_name = std::move(name);
  c.output = std::move(o);
  return c;
}

StateChange StateChange::remove_output(std::string name) {
  StateChange c;
  c.kind = Kind::RemoveOutput;
  c.output_name = std::move(name);
  return c;
}

State State::fresh() {
  State s;
  s.lineage = new_uuid();
  s.serial = 0;
  s.orch_version = ORCH_VERSION;
  return s;
}

const ResourceState* State::find(const ResourceAddress& a) const {
  auto it = resources.find(a);
  return it == resources.end() ? nullptr : &it->second;
}

std::vector<ResourceAddress> State::select(const ResourceAddress& pattern) const {
  std::vector<ResourceAddress> out;
  if (!pattern.is_module_only() && pattern.has_key()) {
    if (resources.count(pattern)) out.push_back(pattern);
    return out;
  }
  for (const auto& [addr, r] : resources) {
    if (pattern.selects(addr)) out.push_back(addr);
  }
  return out;
}

void State::apply(const StateChange& c) {
  switch (c.kind) {
    case StateChange::Kind::Put:
      resources[c.address] = c.resource;
      break;
    case StateChange::Kind::Remove:
      resources.erase(c.address);
      break;
    case StateChange::Kind::Intent: {
      auto [it, inserted] = resources.try_emplace(c.address);
      ResourceState& r = it->second;
      if (inserted) {
        r.type = c.resource.type.empty() ? c.address.type : c.resource.type;
        r.provider = c.resource.provider;
        r.mode = c.address.mode;
        r.status = ResourceStatus::Creating;
      }
      bool known = std::any_of(r.create_intents.begin(), r.create_intents.end(),
                               [&](const CreateIntent& i) { return i.token == c.intent.token; });
      if (!known) r.create_intents.push_back(c.intent);
      break;
    }
    case StateChange::Kind::IntentDone: {
      auto it = resources.find(c.address);
      if (it == resources.end()) break;
      auto& intents = it->second.create_intents;
      std::erase_if(intents, [&](const CreateIntent& i) { return i.token == c.intent.token; });
      if (intents.empty() && it->second.status == ResourceStatus::Creating) resources.erase(it);
      break;
    }
    case StateChange::Kind::PutOutput:
      outputs[c.output_name] = c.output;
      break;
    case StateChange::Kind::RemoveOutput:
      outputs.erase(c.output_name);
      break;
  }
}

std::vector<AttributePath> sensitive_paths(const ValueMap& attrs) {
  std::vector<AttributePath> out;
  AttributePath path;
  for (const auto& [k, v] : attrs) {
    path.emplace_back(k);
    collect_sensitive(v, path, out);
    path.pop_back();
  }
  return out;
}

ValueMap mark_sensitive_paths(ValueMap attrs, const std::vector<AttributePath>& paths) {
  for (const auto& path : paths) {
    if (path.empty()) continue;
    const auto* name = std::get_if<std::string>(&path[0]);
    if (!name) continue;
    auto it = attrs.find(*name);
    if (it == attrs.end()) continue;
    it->second = mark_at(it->second, path, 1);
  }
  return attrs;
}

std::string new_uuid() {
  std::array<unsigned char, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    // OpenSSL's CSPRNG failing means the system has no entropy source: nothing sensible to do.
    throw std::runtime_error("OpenSSL RAND_bytes failed: cannot generate a UUID");
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  std::string out;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += fmt::format("{:02x}", b[i]);
  }
  return out;
}

std::string utc_now_rfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace orch
