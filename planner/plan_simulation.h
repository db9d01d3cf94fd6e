// A plan's expected timeline without applying it: its execution graph run by the real executor
// on a virtual clock, each operation lasting what the simulation model (providers/simtwin)
// draws for it, gates holding after their simulate_after (or the profile's gate duration),
// rollouts and provider limits as in an apply. Failures are not drawn: this is the plan's
// timeline when everything works. `orch graph -critical-path` highlights its critical path and
// `orch plan -simulate` prints its makespan; with the same seed its numbers are those of
// `orch apply -simulate` (unless durations depend on values known only after apply).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compiler/schema.h"
#include "planner/plan.h"
#include "planner/timeline.h"
#include "providers/provider.h"
#include "providers/simtwin/twin_model.h"

namespace orch {

struct PlanSimulation {
  std::vector<Duration> duration;  // per plan graph node: operation + gate (0 for others)
  std::vector<int> critical_path;  // plan graph node indices, first to last
  Timeline timeline;
  TimePoint makespan{0};
};

struct PlanSimulationOptions {
  int parallelism = 0;
  std::map<std::string, ProviderLimits> limits;  // by provider name (real providers' limits)
};

PlanSimulation simulate_plan(const Plan& plan, const SchemaRegistry& schemas,
                             const TwinModel& model, const PlanSimulationOptions& options = {});

}  // namespace orch
