// What `orch state list|show|rm|mv` and `orch force-unlock` do, as library functions on State
// and Backend; the CLI only parses flags and prints.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "planner/backend.h"
#include "planner/state.h"

namespace orch {

// Parses command-line address arguments (module paths allowed); false and `error` (naming the
// argument and column) on the first bad one.
bool parse_address_args(const std::vector<std::string>& args, std::vector<ResourceAddress>& out,
                        std::string* error);

// Instances selected by any of `patterns` (every instance when empty), in natural order.
std::vector<ResourceAddress> state_list(const State& state,
                                        const std::vector<ResourceAddress>& patterns);
// `state list -json`: {"format_version": 1, "resources": [{"address", "module", "mode",
// "type", "name", "index", "provider", "id", "status"}]}.
std::string state_list_json(const State& state, const std::vector<ResourceAddress>& patterns);

// `orch show -json` without a plan file: the state in the shape of `terraform show -json`
// ({"format_version", "serial", "lineage", "values": {"outputs", "root_module": {"resources":
// [{"address", "mode", "type", "name", "index", "module", "provider_name", "id", "status",
// "values", "sensitive_values"}]}}}); sensitive values are null in "values" and true in
// "sensitive_values".
std::string state_values_json(const State& state);

// `state show ADDRESS`: the instance as HCL-like text, sensitive values hidden. False and
// `error` when the address is not exactly one instance in state.
bool state_show(const State& state, const ResourceAddress& address, std::string& out,
                std::string* error);

// Removes every instance the patterns select. All-or-nothing: if any pattern selects nothing,
// nothing is removed and `error` names it. `removed` lists what went, in order.
bool state_rm(State& state, const std::vector<ResourceAddress>& patterns,
              std::vector<ResourceAddress>& removed, std::string* error);

// Moves (renames) state entries. `src` may be an instance, a whole resource (all its instances
// keep their keys; `dst` must then be a resource address) or a module path (everything inside
// it moves under `dst`, also a module path). Types must match; nothing is overwritten
// (all-or-nothing). Dependencies pointing at moved entries are rewritten. `moved` lists
// (from, to) pairs in order.
bool state_mv(State& state, const ResourceAddress& src, const ResourceAddress& dst,
              std::vector<std::pair<ResourceAddress, ResourceAddress>>& moved, std::string* error);

// Lock, load, change, write a new snapshot, unlock: the frame of every state-changing command.
// `change` returns false (and sets its error) to abandon without writing. Warnings from the
// backend (stale lock taken over, torn journal record) are appended to `warnings`.
bool modify_state(Backend& backend, const std::string& operation,
                  const std::function<bool(State&, std::string* error)>& change,
                  std::vector<std::string>& warnings, std::string* error);

// Loads state read-only (no lock; a journal is replayed in memory, never folded).
bool read_state(Backend& backend, State& out, std::vector<std::string>& warnings,
                std::string* error);

}  // namespace orch
