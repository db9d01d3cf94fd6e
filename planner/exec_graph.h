// The execution graph the executor runs: steps (one provider operation each), their all-of and
// any-of dependencies, readiness gates, rollouts, locks and provider concurrency limits. The
// planner builds it from a plan; the executor never sees providers' wire formats.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "planner/clock.h"
#include "providers/provider.h"

namespace orch {

using StepId = uint32_t;
inline constexpr StepId kNoStep = UINT32_MAX;

// A readiness gate: the step counts as done only when it holds. Core kinds (`http`, `tcp`,
// `command`) are run by gates.h; other kinds (a provider's, like `chef_tag`) bring `check`.
// Under a virtual clock every gate is simulated: it holds `simulate_after` after the operation
// (default: at once), or fails at `timeout` when that is shorter.
struct ExecGate {
  std::string kind;    // "http", "tcp", "command", or a provider's kind
  std::string target;  // http: URL; tcp: "host:port"; command: a /bin/sh command line
  // http: the expected status (nullopt: any 2xx); command: the expected exit code (nullopt: 0).
  std::optional<int> expect_status;
  Duration timeout = std::chrono::minutes(10);
  Duration interval = std::chrono::seconds(10);
  std::optional<Duration> simulate_after;
  // Provider kinds: one check of the condition. Empty for core kinds.
  std::function<void(std::function<void(GateResult)>)> check;

  // For messages and plans: "http http://x:7180/ (expect 200)".
  std::string describe() const;
};

// Given to a step's operation when it starts (and again on each retry).
struct StepContext {
  StepId id = kNoStep;
  int attempt = 1;  // 1 for the first try
  // For each any-of group of the step (same order as ExecStep::any_of): the member whose
  // completion satisfied it (the first to be done). Elections learn their winner from this.
  std::vector<StepId> satisfied_by;
};

// What an operation reports when it completes.
struct StepOutcome {
  std::optional<ProviderError> error;  // retryable errors are retried by the executor
  // The gate resolved against the applied object (`self.private_dns`); replaces ExecStep::gate.
  std::optional<ExecGate> gate;
};

using StepDone = std::function<void(StepOutcome)>;
// Runs the step's provider operation and calls `done` exactly once, on the clock's loop
// (synchronously is allowed).
using StepOperation = std::function<void(const StepContext&, StepDone done)>;

struct ExecStep {
  std::string address;             // unique, for results and messages: "sim_machine.node[3]"
  std::string provider;            // the limits that apply (ExecGraph::limits key); empty: none
  StepOperation operation;         // empty: nothing to do (done at once, after its gate)
  std::vector<StepId> depends_on;  // all of these must be done
  std::vector<std::vector<StepId>> any_of;  // each group: ONE member done is enough
  std::optional<ExecGate> gate;
  std::string lock;  // steps with the same non-empty lock never overlap (gate time included)
  int rollout = -1;  // index into ExecGraph::rollouts; set by add_rollout
};

// Instances of one resource rolled out canary first, then in batches. A batch opens when every
// member of the one before is finished (done with its gate holding, failed or skipped) and
// `pause` has passed. Once failures exceed `max_failures`, members not yet started are skipped.
struct ExecRollout {
  std::string name;             // "chef_converge.worker"
  std::vector<StepId> members;  // in instance order
  int canary = 0;               // the first batch's size (0: no canary batch)
  int batch = 0;                // instances per batch; 0 (and no percent): all the rest at once
  int batch_percent = 0;        // 1..100: batch = ceil(members * P / 100), at least 1
  int max_failures = 0;
  Duration pause{0};
};

class ExecGraph {
 public:
  // Appends a step; its id is its index. Dependencies may name steps added later.
  StepId add(ExecStep step);
  // Registers a rollout over existing steps (a step belongs to at most one rollout).
  int add_rollout(ExecRollout rollout);
  void set_limits(const std::string& provider, ProviderLimits value) { limits[provider] = value; }

  // Problems that would make a run meaningless: dependencies out of range, a step in two
  // rollouts, cycles (named by address), empty any-of groups. Empty when the graph is sound.
  std::vector<std::string> validate() const;

  size_t size() const { return steps.size(); }

  std::vector<ExecStep> steps;
  std::vector<ExecRollout> rollouts;
  std::map<std::string, ProviderLimits> limits;  // by ExecStep::provider
};

}  // namespace orch
