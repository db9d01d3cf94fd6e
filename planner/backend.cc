// Backend-neutral pieces: lock holder info, the scoped lock, and choosing a backend by config.
#include "planner/backend.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "planner/local_backend.h"
#include "providers/etcd/etcd_backend.h"  // open_etcd_backend(): the etcd wire format stays there

namespace orch {

namespace {

std::string user_name() {
  if (const passwd* pw = getpwuid(geteuid()); pw && pw->pw_name) return pw->pw_name;
  if (const char* u = std::getenv("USER"); u && *u) return u;
  return fmt::format("uid{}", geteuid());
}

}  // namespace

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "localhost";
  return buf;
}

LockInfo LockInfo::for_this_process(std::string operation) {
  LockInfo info;
  info.id = new_uuid();
  info.operation = std::move(operation);
  info.who = user_name() + "@" + host_name();
  info.pid = getpid();
  info.version = ORCH_VERSION;
  info.created = utc_now_rfc3339();
  return info;
}

std::string LockInfo::describe() const {
  return fmt::format("{} (pid {}) for `orch {}` since {}, lock ID {}", who.empty() ? "?" : who, pid,
                     operation.empty() ? "?" : operation, created.empty() ? "?" : created, id);
}

std::string LockInfo::to_json() const {
  nlohmann::json j = {{"id", id},   {"operation", operation}, {"who", who},
                      {"pid", pid}, {"version", version},     {"created", created}};
  return j.dump(2) + "\n";
}

std::optional<LockInfo> LockInfo::from_json(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("id") || !j["id"].is_string()) return std::nullopt;
  LockInfo info;
  auto str = [&](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  info.id = str("id");
  info.operation = str("operation");
  info.who = str("who");
  info.version = str("version");
  info.created = str("created");
  if (auto it = j.find("pid"); it != j.end() && it->is_number_integer()) {
    info.pid = it->get<int64_t>();
  }
  return info;
}

ScopedLock& ScopedLock::operator=(ScopedLock&& o) noexcept {
  if (this != &o) {
    (void)release();
    backend_ = o.backend_;
    id_ = std::move(o.id_);
    o.backend_ = nullptr;
  }
  return *this;
}

BackendStatus ScopedLock::release() {
  if (!backend_) return std::nullopt;
  Backend* b = backend_;
  backend_ = nullptr;
  return b->unlock(id_);
}

std::unique_ptr<Backend> open_backend(const BackendConfig& config, std::string* error) {
  auto fail = [&](std::string m) -> std::unique_ptr<Backend> {
    if (error) *error = std::move(m);
    return nullptr;
  };
  if (config.type == "local") {
    LocalBackendOptions opts;
    for (const auto& [key, value] : config.settings) {
      if (key != "path") {
        return fail(fmt::format("backend \"local\" has no setting `{}` (it takes `path`)", key));
      }
      if (value.kind() != ValueKind::String || value.as_string().empty()) {
        return fail("backend \"local\": `path` must be a non-empty string");
      }
      opts.path = value.as_string();
    }
    if (!config.work_dir.empty() && std::filesystem::path(opts.path).is_relative()) {
      opts.path = (std::filesystem::path(config.work_dir) / opts.path).string();
    }
    return std::make_unique<LocalBackend>(std::move(opts));
  }
  if (config.type == "etcd") return etcd::open_etcd_backend(config, error);
  return fail(
      fmt::format("unknown backend type \"{}\" (available: \"etcd\", \"local\")", config.type));
}

}  // namespace orch
