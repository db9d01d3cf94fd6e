// The simulated world and its JSON file (see sim_world.h).
#include "providers/sim/sim_world.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "planner/retry.h"
#include "planner/value_json.h"

namespace orch {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kFormat = "orch-sim-world";

std::string string_attr(const SimObject& o, const char* name) {
  auto it = o.attributes.find(name);
  if (it == o.attributes.end() || it->second.kind() != ValueKind::String) return {};
  return it->second.as_string();
}

bool write_all(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

bool SimWorld::load(const std::string& path, std::string* error) {
  objects_.clear();
  by_token_.clear();
  machine_refs_.clear();
  ips_.clear();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!fs::exists(path)) return true;
    *error = fmt::format("cannot read the simulated world {}: {}", path, std::strerror(errno));
    return false;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  json doc = json::parse(buf.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    *error = fmt::format("the simulated world {} is not valid JSON", path);
    return false;
  }
  if (doc.value("format", "") != kFormat) {
    *error = fmt::format("{} is not a simulated world (format is not \"{}\")", path, kFormat);
    return false;
  }
  auto objects = doc.find("objects");
  if (objects == doc.end()) return true;
  if (!objects->is_object()) {
    *error = fmt::format("{}: \"objects\" must be an object keyed by id", path);
    return false;
  }
  std::map<std::string, SimObject> loaded;
  for (auto& [id, j] : objects->items()) {
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
      *error = fmt::format("{}: object \"{}\" has no \"type\"", path, id);
      return false;
    }
    SimObject o;
    o.type = j["type"].get<std::string>();
    o.address = j.value("address", "");
    o.token = j.value("token", "");
    std::string err;
    if (j.contains("attributes") && !value_map_from_json(j["attributes"], o.attributes, &err,
                                                         "objects." + id + ".attributes")) {
      *error = fmt::format("{}: {}", path, err);
      return false;
    }
    o.attributes["id"] = Value::string(id);  // the key is the truth
    loaded.emplace(id, std::move(o));
  }
  objects_ = std::move(loaded);
  for (const auto& [id, o] : objects_) index(id, o);
  return true;
}

bool SimWorld::save(const std::string& path, std::string* error) const {
  json objects = json::object();
  for (const auto& [id, o] : objects_) {
    json attrs;
    std::string err;
    if (!value_map_to_json(o.attributes, attrs, &err, id)) {
      *error = "cannot encode the simulated world: " + err;
      return false;
    }
    objects[id] = json{{"type", o.type},
                       {"address", o.address},
                       {"token", o.token},
                       {"attributes", std::move(attrs)}};
  }
  json doc{{"format", kFormat}, {"version", 1}, {"objects", std::move(objects)}};
  const std::string text = doc.dump(2) + "\n";

  const fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = fmt::format("cannot write {}: {}", tmp, std::strerror(errno));
    return false;
  }
  bool ok = write_all(fd, text) && ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    if (ok) saved = errno;
    ::unlink(tmp.c_str());
    *error = fmt::format("cannot write {}: {}", path, std::strerror(saved));
    return false;
  }
  // Make the rename itself durable.
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

void SimWorld::index(const std::string& id, const SimObject& o) {
  if (!o.token.empty()) by_token_[o.token] = id;
  if (o.type != "sim_machine") return;
  for (const char* ref : {"name", "private_dns", "private_ip"}) {
    std::string v = string_attr(o, ref);
    if (!v.empty()) machine_refs_.emplace(v, id);
  }
  if (std::string ip = string_attr(o, "private_ip"); !ip.empty()) ips_.insert(ip);
}

void SimWorld::unindex(const std::string& id, const SimObject& o) {
  if (auto it = by_token_.find(o.token); it != by_token_.end() && it->second == id)
    by_token_.erase(it);
  if (o.type != "sim_machine") return;
  for (const char* ref : {"name", "private_dns", "private_ip"})
    if (auto it = machine_refs_.find(string_attr(o, ref));
        it != machine_refs_.end() && it->second == id)
      machine_refs_.erase(it);
  ips_.erase(string_attr(o, "private_ip"));
}

const SimObject* SimWorld::find(const std::string& id) const {
  auto it = objects_.find(id);
  return it == objects_.end() ? nullptr : &it->second;
}

const SimObject* SimWorld::find_by_token(const std::string& token) const {
  auto it = by_token_.find(token);
  return token.empty() || it == by_token_.end() ? nullptr : find(it->second);
}

const SimObject* SimWorld::find_machine(const std::string& ref) const {
  if (auto* o = find(ref); o && o->type == "sim_machine") return o;
  auto it = machine_refs_.find(ref);
  return it == machine_refs_.end() ? nullptr : find(it->second);
}

void SimWorld::put(const std::string& id, SimObject object) {
  object.attributes["id"] = Value::string(id);
  if (auto it = objects_.find(id); it != objects_.end()) unindex(id, it->second);
  index(id, object);
  objects_[id] = std::move(object);
}

bool SimWorld::erase(const std::string& id) {
  auto it = objects_.find(id);
  if (it == objects_.end()) return false;
  unindex(id, it->second);
  objects_.erase(it);
  return true;
}

std::string SimWorld::new_id(const std::string& prefix, const std::string& key,
                             uint64_t seed) const {
  for (uint64_t salt = 0;; ++salt) {
    std::string id =
        fmt::format("{}-{:012x}", prefix, stable_hash(key, seed + salt) & 0xffffffffffffULL);
    if (!objects_.count(id)) return id;
  }
}

std::string SimWorld::allocate_ip(const std::string& name) const {
  // 10.0.0.0/8 with last octets 1..254.
  constexpr uint64_t kSpace = 256ULL * 256 * 254;
  const uint64_t h = stable_hash(name, 0x5157) % kSpace;
  for (uint64_t i = 0; i < kSpace; ++i) {
    const uint64_t k = (h + i) % kSpace;
    std::string ip = fmt::format("10.{}.{}.{}", k / (256 * 254), (k / 254) % 256, k % 254 + 1);
    if (!ips_.count(ip)) return ip;
  }
  return "10.255.255.254";
}

}  // namespace orch
