// The sim provider's simulated world: every object it has created (machines, tasks, elections),
// persisted as JSON (`.orch/sim-world.json` by default) and written atomically. People may edit
// or delete objects in the file: the next refresh sees that as drift.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "compiler/value.h"

namespace orch {

struct SimObject {
  std::string type;     // "sim_machine"
  std::string address;  // the address that created it (for people reading the file)
  std::string token;    // idempotency token of the create
  ValueMap attributes;  // id and computed attributes included
};

class SimWorld {
 public:
  // Reads `path`; a missing file is an empty world. False and `error` for unreadable or invalid
  // content (the world is left empty).
  bool load(const std::string& path, std::string* error);
  // Writes to a temporary file, fsyncs, renames over `path` (creating its directory).
  bool save(const std::string& path, std::string* error);
  // True when `path` is not the file this world was last loaded from or saved to (someone
  // edited, replaced or deleted it since).
  bool changed_on_disk(const std::string& path) const;

  const std::map<std::string, SimObject>& objects() const { return objects_; }
  const SimObject* find(const std::string& id) const;
  const SimObject* find_by_token(const std::string& token) const;
  // The machine whose id, name, private_dns or private_ip is `ref`.
  const SimObject* find_machine(const std::string& ref) const;
  void put(const std::string& id, SimObject object);
  bool erase(const std::string& id);

  // A new id "<prefix>-<12 hex>" derived from (key, seed), unique in the world.
  std::string new_id(const std::string& prefix, const std::string& key, uint64_t seed) const;
  // A deterministic 10.x.y.z address derived from `name`, probing onward past taken ones.
  std::string allocate_ip(const std::string& name) const;

 private:
  void index(const std::string& id, const SimObject& o);
  void unindex(const std::string& id, const SimObject& o);

  std::map<std::string, SimObject> objects_;  // by id
  // Lookups that would otherwise scan the world per operation (O(N^2) over an apply).
  // Point lookups only (hashed: tokens share a long lineage prefix, slow to compare in order).
  std::unordered_map<std::string, std::string> by_token_;
  std::unordered_map<std::string, std::string> machine_refs_;  // name / dns / ip → id
  std::unordered_set<std::string> ips_;
  // The file as last loaded or saved: inode, size, modification time (0s: none).
  struct Stamp {
    uint64_t ino = 0, size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };
  static Stamp stamp_of(const std::string& path);
  Stamp stamp_;
};

}  // namespace orch
