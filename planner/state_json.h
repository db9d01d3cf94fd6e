// State ↔ JSON: the snapshot file format (format_version 1) and journal records.
//
// Snapshot:
//   {"format_version": 1, "lineage": "…", "serial": 3, "orch_version": "0.1.0",
//    "outputs": {"name": {"value": V, "sensitive": true}},
//    "resources": [
//      {"address": "sim_machine.node[0]", "provider": "sim", "status": "created", "id": "m-1",
//       "attributes": {…}, "sensitive_attributes": [["password"]],
//       "dependencies": ["sim_machine.base"], "create_intents": [{"token": "…", "created": "…"}]},
//      …]}
// one resource per line, in natural address order, so identical states are identical bytes.
// Values use value_json.h's exact encoding; sensitive values are stored unmarked and listed in
// `sensitive_attributes`. Journal records are one JSON object per line (see change_to_json).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "planner/json_values.h"
#include "planner/state.h"

namespace orch {

// Serialises a whole state. False (and `error`) if it holds an unknown value or invalid UTF-8.
bool state_to_json_text(const State& state, std::string& out, std::string* error);

// Parses a snapshot. Errors name `file` and the position: `.orch/state.json:12:5: …` for
// syntax errors, `.orch/state.json: resources[3] ("a.b"): attributes.x: …` for bad content.
bool state_from_json_text(std::string_view text, const std::string& file, State& out,
                          std::string* error);

// One resource entry (with its "address") and back. The text forms are what files use (no
// nlohmann tree, see json_values.h); the json forms are for tests and small callers.
bool resource_to_text(const ResourceAddress& address, const ResourceState& r, std::string& out,
                      std::string* error);
// `taken`: the entry's attributes when they were taken out while parsing (the entry then holds
// null for them; see JsonValueSites::take).
bool resource_from_value(const Value& v, ResourceAddress& address, ResourceState& out,
                         std::string* error, ValueMap* taken = nullptr);
bool resource_to_json(const ResourceAddress& address, const ResourceState& r, nlohmann::json& out,
                      std::string* error);
bool resource_from_json(const nlohmann::json& j, ResourceAddress& address, ResourceState& out,
                        std::string* error);

// A journal record: {"op": "put"|"remove"|"intent"|"intent_done"|"output"|"remove_output", …}.
bool change_to_text(const StateChange& change, std::string& out, std::string* error);
// `v`: the record as read by read_json_values(text, tags = true).
bool change_from_value(const Value& v, StateChange& out, std::string* error);
bool change_to_json(const StateChange& change, nlohmann::json& out, std::string* error);
bool change_from_json(const nlohmann::json& j, StateChange& out, std::string* error);

// Where the values are in snapshots and journal records (for read_json_values).
const JsonValueSites& state_value_sites();

// Line and column (1-based) of a byte offset in `text`.
std::pair<int, int> line_column(std::string_view text, size_t offset);

}  // namespace orch
