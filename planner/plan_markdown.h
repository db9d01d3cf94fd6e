// A compact plan summary for pull-request comments: counts, then one collapsible <details>
// section per action listing the addresses (with what forces each replacement).
#pragma once

#include <string>

#include "planner/plan.h"

namespace orch {

std::string render_plan_markdown(const Plan& plan);

}  // namespace orch
