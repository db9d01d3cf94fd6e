// `orch state list|show|rm|mv` as functions on State, and the lock-load-change-write frame.
#include "planner/state_ops.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "planner/plan_json.h"

namespace orch {

namespace {

bool fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

bool is_identifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

std::string indent_continuation(const std::string& text, const std::string& pad) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out += pad;
  }
  return out;
}

bool module_prefix_equals(const ResourceAddress& a, const std::vector<ModuleStep>& prefix) {
  return a.module.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), a.module.begin());
}

// What a move does to one address, or nullopt if it is not affected.
struct MoveRule {
  enum class Kind { Module, Resource, Instance } kind;
  ResourceAddress src, dst;

  std::optional<ResourceAddress> apply(const ResourceAddress& a) const {
    switch (kind) {
      case Kind::Module: {
        if (!module_prefix_equals(a, src.module)) return std::nullopt;
        ResourceAddress out = a;
        out.module = dst.module;
        out.module.insert(out.module.end(), a.module.begin() + src.module.size(), a.module.end());
        return out;
      }
      case Kind::Resource:
        if (a.resource() != src) return std::nullopt;
        return dst.with_key(a.key);
      case Kind::Instance:
        if (a != src) return std::nullopt;
        return dst;
    }
    return std::nullopt;
  }
};

}  // namespace

bool parse_address_args(const std::vector<std::string>& args, std::vector<ResourceAddress>& out,
                        std::string* error) {
  out.clear();
  for (const auto& arg : args) {
    ParsedAddress p = parse_address(arg, /*allow_module_only=*/true);
    if (!p.ok()) return fail(error, p.error->str(arg));
    out.push_back(*p.address);
  }
  return true;
}

std::vector<ResourceAddress> state_list(const State& state,
                                        const std::vector<ResourceAddress>& patterns) {
  std::vector<ResourceAddress> out;
  for (const auto& [addr, r] : state.resources) {
    bool selected =
        patterns.empty() || std::any_of(patterns.begin(), patterns.end(),
                                        [&](const ResourceAddress& p) { return p.selects(addr); });
    if (selected) out.push_back(addr);
  }
  return out;
}

std::string state_list_json(const State& state, const std::vector<ResourceAddress>& patterns) {
  nlohmann::json resources = nlohmann::json::array();
  for (const auto& addr : state_list(state, patterns)) {
    const ResourceState& r = state.resources.at(addr);
    nlohmann::json j = {{"address", addr.str()},
                        {"mode", addr.mode == ResourceMode::Data ? "data" : "managed"},
                        {"type", addr.type},
                        {"name", addr.name},
                        {"provider", r.provider},
                        {"id", r.id},
                        {"status", status_name(r.status)}};
    if (!addr.module.empty()) j["module"] = addr.module_str();
    if (addr.key.kind == InstanceKey::Kind::Int) j["index"] = addr.key.index;
    if (addr.key.kind == InstanceKey::Kind::String) j["index"] = addr.key.key;
    resources.push_back(std::move(j));
  }
  nlohmann::json out = {{"format_version", "1.0"}, {"resources", std::move(resources)}};
  return out.dump(2) + "\n";
}

std::string state_values_json(const State& state) {
  nlohmann::json resources = nlohmann::json::array();
  for (const auto& [addr, r] : state.resources) {
    const Value values = Value::object(r.attributes);
    nlohmann::json j = {{"address", addr.str()},
                        {"mode", addr.mode == ResourceMode::Data ? "data" : "managed"},
                        {"type", addr.type},
                        {"name", addr.name},
                        {"provider_name", r.provider},
                        {"id", r.id},
                        {"status", status_name(r.status)},
                        {"values", value_to_plain_json(values)}};
    nlohmann::json mask = sensitive_mask(values);
    j["sensitive_values"] =
        mask.is_boolean() && !mask.get<bool>() ? nlohmann::json::object() : mask;
    if (!addr.module.empty()) j["module"] = addr.module_str();
    if (addr.key.kind == InstanceKey::Kind::Int) j["index"] = addr.key.index;
    if (addr.key.kind == InstanceKey::Kind::String) j["index"] = addr.key.key;
    resources.push_back(std::move(j));
  }
  nlohmann::json outputs = nlohmann::json::object();
  for (const auto& [name, o] : state.outputs) {
    const bool sensitive = o.sensitive || o.value.contains_sensitive();
    outputs[name] = {{"sensitive", sensitive}};
    if (!sensitive) outputs[name]["value"] = value_to_plain_json(o.value);
  }
  nlohmann::json out = {
      {"format_version", "1.0"},
      {"serial", state.serial},
      {"lineage", state.lineage},
      {"values", {{"outputs", std::move(outputs)}, {"root_module", {{"resources", resources}}}}}};
  return out.dump(2) + "\n";
}

bool state_show(const State& state, const ResourceAddress& address, std::string& out,
                std::string* error) {
  const ResourceState* r = address.is_module_only() ? nullptr : state.find(address);
  if (!r) {
    auto matches = state.select(address);
    if (!matches.empty() && !(matches.size() == 1 && matches[0] == address)) {
      return fail(error, fmt::format("\"{}\" is {} instances ({} ...); show one of them",
                                     address.str(), matches.size(), matches[0].str()));
    }
    return fail(error, fmt::format("no instance \"{}\" in state", address.str()));
  }
  out = fmt::format("# {}:\n", address.str());
  if (r->status != ResourceStatus::Created) {
    out += fmt::format("# status: {}\n", status_name(r->status));
  }
  if (r->gate_pending) out += "# readiness gate not confirmed yet (the next apply checks it)\n";
  for (const auto& intent : r->create_intents) {
    out += fmt::format("# pending create (token {}, since {})\n", intent.token,
                       intent.created.empty() ? "?" : intent.created);
  }
  out +=
      fmt::format("{} \"{}\" \"{}\" {{\n", address.mode == ResourceMode::Data ? "data" : "resource",
                  address.type, address.name);
  std::vector<std::pair<std::string, std::string>> lines;
  if (!r->attributes.count("id") && !r->id.empty()) {
    lines.emplace_back("id", Value::string(r->id).to_display());
  }
  for (const auto& [k, v] : r->attributes) {
    std::string key = is_identifier(k) ? k : quote_key(k);
    lines.emplace_back(key, indent_continuation(v.to_display(), "  "));
  }
  std::sort(lines.begin(), lines.end());
  size_t width = 0;
  for (const auto& [k, v] : lines) width = std::max(width, k.size());
  for (const auto& [k, v] : lines) {
    out += fmt::format("  {:<{}} = {}\n", k, width, v);
  }
  out += "}\n";
  return true;
}

bool state_rm(State& state, const std::vector<ResourceAddress>& patterns,
              std::vector<ResourceAddress>& removed, std::string* error) {
  removed.clear();
  std::set<ResourceAddress> doomed;
  for (const auto& p : patterns) {
    auto matches = state.select(p);
    if (matches.empty()) {
      return fail(error,
                  fmt::format("no instances in state match \"{}\"; nothing was removed", p.str()));
    }
    doomed.insert(matches.begin(), matches.end());
  }
  for (const auto& a : doomed) {
    state.resources.erase(a);
    removed.push_back(a);
  }
  return true;
}

bool state_mv(State& state, const ResourceAddress& src, const ResourceAddress& dst,
              std::vector<std::pair<ResourceAddress, ResourceAddress>>& moved, std::string* error) {
  moved.clear();
  if (src == dst) return fail(error, fmt::format("\"{}\" is already there", src.str()));
  MoveRule rule{MoveRule::Kind::Instance, src, dst};
  if (src.is_module_only()) {
    if (!dst.is_module_only()) {
      return fail(error, fmt::format("cannot move module \"{}\" to \"{}\": the destination of a "
                                     "module must be a module path (module.NAME)",
                                     src.str(), dst.str()));
    }
    if (dst.module.size() >= src.module.size() &&
        std::equal(src.module.begin(), src.module.end(), dst.module.begin())) {
      return fail(error, fmt::format("cannot move module \"{}\" into itself (\"{}\")", src.str(),
                                     dst.str()));
    }
    rule.kind = MoveRule::Kind::Module;
  } else {
    if (dst.is_module_only()) {
      return fail(error, fmt::format("cannot move \"{}\" to module path \"{}\"; name the "
                                     "resource too, e.g. \"{}.{}.{}\"",
                                     src.str(), dst.str(), dst.str(), src.type, src.name));
    }
    if (src.mode != dst.mode || src.type != dst.type) {
      return fail(error, fmt::format("cannot move \"{}\" to \"{}\": the resource type must stay "
                                     "the same",
                                     src.str(), dst.str()));
    }
    if (!src.has_key()) {
      auto instances = state.select(src);
      bool single = instances.size() == 1 && instances[0] == src;
      if (!single) {
        rule.kind = MoveRule::Kind::Resource;
        if (dst.has_key()) {
          return fail(error, fmt::format("cannot move all {} instances of \"{}\" into the single "
                                         "instance \"{}\"; move them one by one or drop the key",
                                         instances.size(), src.str(), dst.str()));
        }
      }
    }
  }

  std::vector<std::pair<ResourceAddress, ResourceAddress>> plan;
  std::set<ResourceAddress> sources;
  for (const auto& [addr, r] : state.resources) {
    if (auto to = rule.apply(addr)) {
      plan.emplace_back(addr, *to);
      sources.insert(addr);
    }
  }
  if (plan.empty()) {
    return fail(error,
                fmt::format("no instances in state match \"{}\"; nothing was moved", src.str()));
  }
  for (const auto& [from, to] : plan) {
    if (state.resources.count(to) && !sources.count(to)) {
      return fail(error, fmt::format("cannot move \"{}\" to \"{}\": \"{}\" already exists in "
                                     "state; nothing was moved",
                                     from.str(), to.str(), to.str()));
    }
  }

  std::vector<std::pair<ResourceAddress, ResourceState>> entries;
  for (const auto& [from, to] : plan) {
    auto node = state.resources.extract(from);
    entries.emplace_back(to, std::move(node.mapped()));
  }
  for (auto& [to, r] : entries) state.resources.emplace(to, std::move(r));

  // Rewrite dependencies on moved entries (and on the moved resource/module as a whole).
  for (auto& [addr, r] : state.resources) {
    bool changed = false;
    for (auto& dep : r.dependencies) {
      if (auto to = rule.apply(dep)) {
        dep = *to;
        changed = true;
      } else if (rule.kind == MoveRule::Kind::Resource && dep == src) {
        dep = dst;
        changed = true;
      }
    }
    if (changed) {
      std::sort(r.dependencies.begin(), r.dependencies.end());
      r.dependencies.erase(std::unique(r.dependencies.begin(), r.dependencies.end()),
                           r.dependencies.end());
    }
  }
  moved = std::move(plan);
  return true;
}

bool modify_state(Backend& backend, const std::string& operation,
                  const std::function<bool(State&, std::string* error)>& change,
                  std::vector<std::string>& warnings, std::string* error) {
  LockInfo info = LockInfo::for_this_process(operation);
  if (auto e = backend.lock(info, warnings)) return fail(error, e->message);
  ScopedLock guard(&backend, info.id);
  LoadedState loaded;
  if (auto e = backend.load(loaded)) return fail(error, e->message);
  warnings.insert(warnings.end(), loaded.warnings.begin(), loaded.warnings.end());
  if (!change(loaded.state, error)) return false;
  if (auto e = backend.write_snapshot(loaded.state)) return fail(error, e->message);
  if (auto e = guard.release()) return fail(error, e->message);
  return true;
}

bool read_state(Backend& backend, State& out, std::vector<std::string>& warnings,
                std::string* error) {
  LoadedState loaded;
  if (auto e = backend.load(loaded)) return fail(error, e->message);
  warnings.insert(warnings.end(), loaded.warnings.begin(), loaded.warnings.end());
  out = std::move(loaded.state);
  return true;
}

}  // namespace orch
