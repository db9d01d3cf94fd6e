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

#include "planner/state.h"

namespace orch {

// Serialises a whole state. False (and `error`) if it holds an unknown value or invalid UTF-8.
bool state_to_json_text(const State& state, std::string& out, std::string* error);

// Parses a snapshot. Errors name `file` and the position: `.orch/state.json:12:5: …` for
// syntax errors, `.orch/state.json: resources[3] ("a.b"): attributes.x: …` for bad content.
bool state_from_json_text(std::string_view text, const std::string& file, State& out,
                          std::string* error);

// One resource entry (with its "address") and back.
bool resource_to_json(const ResourceAddress& address, const ResourceState& r, nlohmann::json& out,
                      std::string* error);
bool resource_from_json(const nlohmann::json& j, ResourceAddress& address, ResourceState& out,
                        std::string* error);

// A journal record: {"op": "put"|"remove"|"intent"|"intent_done"|"output"|"remove_output", …}.
bool change_to_json(const StateChange& change, nlohmann::json& out, std::string* error);
bool change_from_json(const nlohmann::json& j, StateChange& out, std::string* error);

// Line and column (1-based) of a byte offset in `text`.
std::pair<int, int> line_column(std::string_view text, size_t offset);

}  // namespace orch
