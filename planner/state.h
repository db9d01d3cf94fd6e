// The state model: what orch last applied (resource instances, their provider ids and
// attributes, pending create intents, outputs), identified by lineage and versioned by serial.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "compiler/value.h"
#include "planner/address.h"

namespace orch {

// A path into an attribute value: attribute names / map keys (strings) and list, tuple or set
// positions (integers; sets are sorted, so positions are stable). {"tags", "secret"}, {"disk", 0,
// "key"}.
using PathStep = std::variant<std::string, int64_t>;
using AttributePath = std::vector<PathStep>;

// `tags["secret"]`, `disk[0].key` (for people; state files store paths as JSON arrays).
std::string path_str(const AttributePath& path);

enum class ResourceStatus {
  Created,   // the object exists and was fully applied
  Tainted,   // the object exists but its create or readiness gate failed: replace on next apply
  Creating,  // no completed object: only create intents (the object may or may not exist remotely)
};

const char* status_name(ResourceStatus s);  // "created", "tainted", "creating"
std::optional<ResourceStatus> parse_status(std::string_view s);

// A write-ahead create intent: recorded (durably) before the provider is asked to create, so a
// rerun after a crash asks the provider to find the object by `token` instead of creating twice.
struct CreateIntent {
  std::string token;    // the idempotency token sent to the provider
  std::string created;  // RFC 3339 UTC time the intent was recorded

  bool operator==(const CreateIntent& o) const = default;
};

// One resource instance in state.
struct ResourceState {
  std::string type;      // the resource type (same as the address's)
  std::string provider;  // provider configuration: "sim", "sim.west" (alias)
  ResourceMode mode = ResourceMode::Managed;
  ResourceStatus status = ResourceStatus::Created;
  std::string id;  // provider id; empty while status is Creating
  // Last applied attributes, computed ones included; never unknown. Values that were sensitive
  // carry their sensitive mark here (stored in the file unmarked plus `sensitive_paths`).
  ValueMap attributes;
  std::vector<ResourceAddress> dependencies;  // sorted, unique (for destroy ordering)
  std::vector<CreateIntent> create_intents;   // pending creates, oldest first
  // Applied, but its readiness gate had not held yet when this was written (an apply stopped
  // while waiting for it): the next apply checks the gate again before its dependents run.
  bool gate_pending = false;

  bool has_object() const { return status != ResourceStatus::Creating; }
  bool operator==(const ResourceState& o) const;
};

struct OutputState {
  Value value;  // sensitive outputs keep their mark
  bool sensitive = false;
};

// One change recorded in the journal after a completed step; also how every change to State
// is applied (State::apply), so that replaying a journal gives the same state as live updates.
struct StateChange {
  enum class Kind {
    Put,           // address → resource (replaces the whole entry, intents included)
    Remove,        // address gone (deleted, or `state rm`)
    Intent,        // "creating ADDRESS with token T": adds a create intent (entry Creating if new)
    IntentDone,    // the create with token T finished or was abandoned: drops the intent (and
                   // the entry, if it had no object)
    PutOutput,     // output name → value
    RemoveOutput,  // output name gone
  };
  Kind kind = Kind::Put;
  ResourceAddress address;  // Put, Remove, Intent, IntentDone
  ResourceState resource;   // Put; for Intent: type/provider/mode of a new Creating entry
  CreateIntent intent;      // Intent, IntentDone (only token is used)
  std::string output_name;  // PutOutput, RemoveOutput
  OutputState output;       // PutOutput

  static StateChange put(ResourceAddress a, ResourceState r);
  static StateChange remove(ResourceAddress a);
  static StateChange creating(ResourceAddress a, std::string type, std::string provider,
                              std::string token, std::string created_time);
  static StateChange intent_done(ResourceAddress a, std::string token);
  static StateChange put_output(std::string name, OutputState o);
  static StateChange remove_output(std::string name);
};

// The whole state of one configuration.
struct State {
  static constexpr int kFormatVersion = 1;

  std::string lineage;       // UUID of this state's history; fixed at creation
  uint64_t serial = 0;       // incremented once per snapshot written
  std::string orch_version;  // version that wrote it
  std::map<ResourceAddress, ResourceState> resources;  // natural address order
  std::map<std::string, OutputState> outputs;

  // A new, empty state with a fresh random lineage and this orch's version.
  static State fresh();

  const ResourceState* find(const ResourceAddress& a) const;
  // Every instance the pattern selects (see ResourceAddress::selects), in order.
  std::vector<ResourceAddress> select(const ResourceAddress& pattern) const;
  // Applies one recorded change. Idempotent: applying the same sequence twice gives the same state.
  void apply(const StateChange& change);
};

// Paths of every sensitive-marked value inside `attrs`, in deterministic (sorted) order.
std::vector<AttributePath> sensitive_paths(const ValueMap& attrs);
// `attrs` with the values at `paths` marked sensitive (paths that do not exist are ignored).
ValueMap mark_sensitive_paths(ValueMap attrs, const std::vector<AttributePath>& paths);

// A random (version 4) UUID from OpenSSL's RAND_bytes, lower-case hex with dashes.
std::string new_uuid();
// The current UTC time as RFC 3339, seconds precision: "2026-11-25T07:01:02Z".
std::string utc_now_rfc3339();

}  // namespace orch
