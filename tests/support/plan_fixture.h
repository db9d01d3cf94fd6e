// A hand-built plan exercising every action, unknown and sensitive values, a rollout, a gate and
// an execution graph: the input of the golden render tests and the plan file round-trip tests.
#pragma once

#include <string>

#include "planner/plan.h"

namespace orch::testing {

Plan sample_plan();
// A plan in which nothing changes.
Plan empty_plan();
// Reads a golden file under tests/golden/; with ORCH_UPDATE_GOLDEN=1 set, writes `actual` there
// first (to regenerate after an intended change) and returns it.
std::string golden(const std::string& relative_path, const std::string& actual);

}  // namespace orch::testing
