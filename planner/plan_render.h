// Human-readable plan text in the style Terraform users know: `+ ~ - -/+ +/- <=`, nested attribute
// diffs, `(known after apply)`, `(sensitive value)`, `# forces replacement`, rollouts and gates.
#pragma once

#include <string>

#include "compiler/value.h"
#include "planner/plan.h"

namespace orch {

struct PlanRenderOptions {
  bool color = false;  // ANSI colours; callers enable it on a TTY only (and not with NO_COLOR)
};

// The whole plan as `orch plan` prints it, ending with the summary line (or "No changes.").
std::string render_plan_text(const Plan& plan, const PlanRenderOptions& options = {});

// "Plan: 3 to add, 1 to change, 0 to destroy."
std::string render_plan_summary(const Plan& plan);

// A primitive or collection on one line the way the plan shows it: "a", 3, true, null,
// ["a", "b"], { a = 1 }, (known after apply), (sensitive value).
std::string render_value_inline(const Value& v);

}  // namespace orch
