// The simulated world and its JSON file (see sim_world.h).
#include "providers/sim/sim_world.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "planner/json_values.h"
#include "planner/retry.h"

namespace orch {

namespace fs = std::filesystem;

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

SimWorld::Stamp SimWorld::stamp_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return Stamp{static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size),
               static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

bool SimWorld::changed_on_disk(const std::string& path) const {
  return stamp_of(path) != stamp_;
}

bool SimWorld::load(const std::string& path, std::string* error) {
  stamp_ = stamp_of(path);
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
  // Read straight into one string (no stream buffer copy: the world is 15 MB at 20,000 nodes).
  std::string text;
  in.seekg(0, std::ios::end);
  if (auto size = in.tellg(); size > 0) text.resize(static_cast<size_t>(size));
  in.seekg(0, std::ios::beg);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (!in) {
    *error = fmt::format("cannot read the simulated world {}: {}", path, std::strerror(errno));
    return false;
  }
  std::map<std::string, SimObject> loaded;
  JsonValueSites sites;
  sites.maps = {"attributes"};
  sites.take = [&loaded](const std::vector<std::string>& at, ValueMap& map) {
    if (at.size() != 3 || at[0] != "objects") return false;
    // Ids arrive sorted (save writes them so): the end is the hint.
    loaded.try_emplace(loaded.end(), at[1])->second.attributes = std::move(map);
    return true;
  };
  Value doc;
  JsonReadError re;
  if (!read_json_values(text, &sites, doc, &re)) {
    *error = re.syntax ? fmt::format("the simulated world {} is not valid JSON", path)
                       : fmt::format("{}: {}: {}", path, re.path, re.message);
    return false;
  }
  if (doc.kind() != ValueKind::Object) {
    *error = fmt::format("the simulated world {} is not valid JSON", path);
    return false;
  }
  const Value* format = json_member(doc, "format");
  if (!format || format->kind() != ValueKind::String || format->as_string() != kFormat) {
    *error = fmt::format("{} is not a simulated world (format is not \"{}\")", path, kFormat);
    return false;
  }
  const Value* objects = json_member(doc, "objects");
  if (!objects) return true;
  if (objects->kind() != ValueKind::Object) {
    *error = fmt::format("{}: \"objects\" must be an object keyed by id", path);
    return false;
  }
  auto string_member = [](const Value& o, const char* key) {
    const Value* v = json_member(o, key);
    return v && v->kind() == ValueKind::String ? v->as_string() : std::string();
  };
  for (const auto& [id, j] : objects->attributes()) {
    const Value* type = json_member(j, "type");
    if (!type || type->kind() != ValueKind::String) {
      *error = fmt::format("{}: object \"{}\" has no \"type\"", path, id);
      return false;
    }
    SimObject& o = loaded[id];  // the attributes are in already (taken while parsing)
    o.type = type->as_string();
    o.address = string_member(j, "address");
    o.token = string_member(j, "token");
    if (const Value* attrs = json_member(j, "attributes"); attrs && !attrs->is_null()) {
      *error = fmt::format("{}: objects.{}.attributes: expected a JSON object", path, id);
      return false;
    }
    o.attributes["id"] = Value::string(id);  // the key is the truth
  }
  // Attributes of entries that were not objects with a type (skipped above) are dropped.
  std::erase_if(loaded, [&](const auto& kv) { return kv.second.type.empty(); });
  objects_ = std::move(loaded);
  for (const auto& [id, o] : objects_) index(id, o);
  return true;
}

bool SimWorld::save(const std::string& path, std::string* error) {
  // One object per line, so that people can find, edit or delete one (drift for the next plan).
  std::string text = "{\n  \"format\": \"" + std::string(kFormat) + "\",\n  \"version\": 1,\n";
  text += "  \"objects\": {";
  bool first = true;
  for (const auto& [id, o] : objects_) {
    text += first ? "\n    " : ",\n    ";
    first = false;
    bool ok = append_json_string(text, id);
    text += ": {\"type\": ";
    ok = append_json_string(text, o.type) && ok;
    text += ", \"address\": ";
    ok = append_json_string(text, o.address) && ok;
    text += ", \"token\": ";
    ok = append_json_string(text, o.token) && ok;
    text += ", \"attributes\": ";
    std::string err;
    if (!ok || !append_value_map_json(text, o.attributes, &err, id)) {
      *error = "cannot encode the simulated world: " + (ok ? err : id + ": invalid UTF-8");
      return false;
    }
    text += '}';
  }
  text += first ? "}\n}\n" : "\n  }\n}\n";

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
  stamp_ = stamp_of(path);
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
