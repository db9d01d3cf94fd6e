// Saved plans (`orch plan -out FILE`): everything apply needs to run exactly what was reviewed —
// the plan with its execution graph, the variable values and a snapshot of the configuration's
// files (to evaluate values known only after apply) — plus the state lineage/serial it was made
// against, so that apply refuses a stale plan. Written atomically with mode 0600: like
// Terraform's plan files it holds sensitive values, which are never printed from it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "compiler/value.h"
#include "planner/plan.h"

namespace orch {

inline constexpr int kPlanFileFormat = 2;

struct PlanFile {
  Plan plan;
  std::string config_dir;                           // the root module's directory when planned
  std::map<std::string, std::string> config_files;  // relative path → contents (all modules)
  std::map<std::string, std::string> options;       // e.g. "parallelism" → "10"
};

// The file's text: an envelope of plain JSON (one change, graph node or rollout per line) with
// values in value_json.h's exact encoding plus {"$unknown": TYPE} and {"$sensitive": V}
// (json_values.h). Written and read without a JSON tree: plans at 20,000 nodes are 20 MB.
// False and `error` when a string is not UTF-8.
bool plan_file_to_text(const PlanFile& pf, std::string& text, std::string* error);
std::optional<PlanFile> plan_file_from_text(std::string_view text, std::string* error);

// The same as JSON trees, for tests and tools.
nlohmann::json value_to_json_exact(const Value& v);
// Inverse of value_to_json_exact; sets `error` on malformed input.
Value value_from_json_exact(const nlohmann::json& j, std::string* error);
nlohmann::json plan_file_to_json(const PlanFile& pf);
std::optional<PlanFile> plan_file_from_json(const nlohmann::json& j, std::string* error);

bool write_plan_file(const std::string& path, const PlanFile& pf, std::string* error);
std::optional<PlanFile> read_plan_file(const std::string& path, std::string* error);

// Empty when the plan still applies to the current state; else the message to show.
std::string stale_plan_message(const Plan& plan, bool state_exists, const std::string& lineage,
                               uint64_t serial);

}  // namespace orch
