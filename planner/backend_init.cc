// The backend record of `orch init` (see backend_init.h).
#include "planner/backend_init.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "compiler/config.h"
#include "compiler/eval.h"
#include "planner/value_json.h"

namespace orch {

namespace fs = std::filesystem;

namespace {

std::string record_path(const std::string& work_dir) {
  return (fs::path(work_dir.empty() ? "." : work_dir) / ".orch" / "backend.json").string();
}

std::string setting(const BackendConfig& c, const std::string& name, const std::string& def) {
  auto it = c.settings.find(name);
  if (it == c.settings.end() || it->second.unmarked().kind() != ValueKind::String) return def;
  return it->second.unmarked().as_string();
}

std::string describe_identity(const std::string& identity) {
  size_t colon = identity.find(':');
  if (colon == std::string::npos) return identity;
  std::string type = identity.substr(0, colon), where = identity.substr(colon + 1);
  return type == "local" ? fmt::format("the local state file \"{}\"", where)
                         : fmt::format("{} state \"{}\"", type, where);
}

}  // namespace

std::string backend_identity(const BackendConfig& config) {
  if (config.type == "local") return "local:" + setting(config, "path", ".orch/state.json");
  std::string prefix = setting(config, "prefix", "");
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  return config.type + ":" + prefix;
}

std::optional<BackendRecord> read_backend_record(const std::string& work_dir, std::string* error) {
  std::ifstream in(record_path(work_dir), std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    if (error) *error = record_path(work_dir) + " is not a backend record; run `orch init` again";
    return std::nullopt;
  }
  BackendRecord r;
  r.type = j["type"].get<std::string>();
  r.identity = j.value("identity", "");
  if (auto o = j.find("overrides"); o != j.end() && o->is_object())
    for (const auto& [k, v] : o->items())
      if (v.is_string()) r.overrides[k] = v.get<std::string>();
  if (auto st = j.find("settings"); st != j.end()) {
    std::string e;
    if (!value_map_from_json(*st, r.settings, &e)) r.settings.clear();
  }
  return r;
}

BackendConfig BackendRecord::config(const std::string& work_dir) const {
  BackendConfig c;
  c.type = type;
  c.settings = settings;
  c.work_dir = work_dir;
  return c;
}

BackendRecord backend_record_of(const BackendConfig& config,
                                std::map<std::string, std::string> overrides) {
  BackendRecord r;
  r.type = config.type;
  r.identity = backend_identity(config);
  r.overrides = std::move(overrides);
  r.settings = config.settings;
  return r;
}

std::optional<BackendRecord> implicit_local_record(const std::string& work_dir) {
  fs::path dir = fs::path(work_dir.empty() ? "." : work_dir) / ".orch";
  std::error_code ec;
  if (!fs::exists(dir / "state.json", ec) && !fs::exists(dir / "state.journal", ec))
    return std::nullopt;
  return backend_record_of(BackendConfig{}, {});
}

bool write_backend_record(const std::string& work_dir, const BackendRecord& record,
                          std::string* error) {
  const std::string path = record_path(work_dir);
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  nlohmann::json settings;
  std::string e;
  if (!value_map_to_json(record.settings, settings, &e)) settings = nlohmann::json::object();
  nlohmann::json j = {{"type", record.type},
                      {"identity", record.identity},
                      {"overrides", record.overrides},
                      {"settings", settings}};
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << j.dump(2) << "\n";
    if (!out) {
      if (error) *error = "cannot write " + tmp;
      return false;
    }
  }
  fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, ec);
  fs::rename(tmp, path, ec);
  if (ec) {
    if (error) *error = fmt::format("cannot write {}: {}", path, ec.message());
    return false;
  }
  return true;
}

std::map<std::string, std::string> effective_backend_overrides(
    const std::string& type, const std::string& work_dir,
    const std::map<std::string, std::string>& flags, bool use_recorded) {
  std::map<std::string, std::string> out;
  std::string ignored;
  if (use_recorded)
    if (auto record = read_backend_record(work_dir, &ignored); record && record->type == type)
      out = record->overrides;
  for (const auto& [k, v] : flags) out[k] = v;
  return out;
}

bool resolve_backend_config(const Config* config,
                            const std::map<std::string, std::string>& overrides,
                            const std::string& work_dir, BackendConfig& out, std::string* error) {
  out = BackendConfig{};
  out.work_dir = work_dir;
  if (config && config->backend) {
    out.type = config->backend->type;
    if (config->backend->body) {
      BasicScope scope;
      Diagnostics diags;
      for (const auto& a : config->backend->body->attributes)
        if (a.value) out.settings[a.name] = evaluate(*a.value, scope, diags);
      if (diags.has_errors()) {
        if (error)
          *error = "the backend block may use only constant values: " + diags.list()[0].summary;
        return false;
      }
    }
  } else if (!overrides.empty()) {
    if (error)
      *error =
          "-backend-config needs a backend block in the configuration (for example "
          "`backend \"etcd\" {}`, with the settings given on the command line)";
    return false;
  }
  for (const auto& [k, v] : overrides) out.settings[k] = Value::string(v);
  return true;
}

std::optional<std::string> backend_needs_init(const BackendConfig& config,
                                              const std::string& work_dir) {
  std::string e;
  auto record = read_backend_record(work_dir, &e);
  if (!e.empty()) return e;
  const std::string now = backend_identity(config);
  if (record) {
    if (record->identity == now) return std::nullopt;
    return fmt::format(
        "The state backend changed since `orch init`: it was {}, the configuration now says {}. "
        "Run `orch init -migrate-state` to copy the state over, or `orch init -reconfigure` to "
        "use the new backend as it is.",
        describe_identity(record->identity), describe_identity(now));
  }
  if (config.type == "local") return std::nullopt;
  fs::path dir = fs::path(work_dir.empty() ? "." : work_dir) / ".orch";
  std::error_code ec;
  if (fs::exists(dir / "state.json", ec) || fs::exists(dir / "state.journal", ec)) {
    return fmt::format(
        "The configuration uses {}, but there is a local state in \"{}\" that orch would ignore. "
        "Run `orch init -migrate-state` to copy it there, or `orch init -reconfigure` to use the "
        "new backend as it is.",
        describe_identity(now), (dir / "state.json").string());
  }
  return std::nullopt;
}

}  // namespace orch
