// The plan as JSON in Terraform's style (format_version, resource_changes[].change{actions,
// before, after, after_unknown, before_sensitive, after_sensitive}) plus orch's graph, rollouts
// and gates. Sensitive values never appear: they are null, and flagged in *_sensitive.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "compiler/value.h"
#include "planner/plan.h"

namespace orch {

inline constexpr const char* kPlanJsonFormatVersion = "1.0";

nlohmann::json plan_to_json(const Plan& plan);
// Pretty-printed (2 spaces), keys sorted, ending with a newline.
std::string render_plan_json(const Plan& plan);

// A value as plain JSON: sensitive parts and unknown parts are null; inside objects and maps
// unknown attributes are left out, as in Terraform's `after`.
nlohmann::json value_to_plain_json(const Value& v);
// true where the value is unknown, mirroring its structure; false/absent where known.
nlohmann::json unknown_mask(const Value& v);
// true where the value is sensitive, mirroring its structure.
nlohmann::json sensitive_mask(const Value& v);

}  // namespace orch
