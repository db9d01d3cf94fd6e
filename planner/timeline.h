// The timeline of one apply (simulated or real): every step's times (ready, started, applied,
// finished), what it waited for and why (its determining dependency, a rollout batch, a limit, a
// lock, its gate), failures and what they blocked, the critical path and the makespan. Built
// from the executor's records, saved as JSON under .orch/runs/ (.orch/simulate/runs/ for
// -simulate) after every apply, and read back by `orch show -timeline`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "planner/exec_graph.h"
#include "planner/executor.h"
#include "planner/plan.h"

namespace orch {

struct TimelineStep {
  std::string address;  // the instance ("sim_task.worker[3]"), or a node id for deletes
  std::string block;    // "sim_task.worker"
  std::string op;       // "create", "update", "delete", "read"
  std::string status;   // "done", "failed", "skipped", "abandoned"
  // Milliseconds since the apply started; -1 when it never happened.
  int64_t ready = -1, started = -1, applied = -1, finished = -1;
  // The step whose completion made this one ready (all-of: the last dependency to be done;
  // any-of: the first member): an instance address, empty when it was ready at once.
  std::string dependency;
  // What held it after it was ready (empty when nothing did): "rollout batch 2 of x",
  // "limit of provider ec2 (20 at once)", "-parallelism=10", "lock L".
  std::string waited_for;
  std::string rollout;  // the rollout's block, empty when none
  int batch = -1;       // 0-based batch within the rollout
  int attempts = 0;
  bool critical = false;
  std::string error;        // failed: the error's summary
  std::string skip_reason;  // skipped: why
  // Failed steps: the steps skipped because of this failure, directly or transitively.
  std::vector<std::string> blocked;

  // The operation's time: until it succeeded, or until it failed.
  int64_t operation_ms() const {
    const int64_t end = applied >= 0 ? applied : finished;
    return started < 0 || end < 0 ? 0 : end - started;
  }
  int64_t gate_ms() const { return applied < 0 || finished < 0 ? 0 : finished - applied; }
  int64_t waited_ms() const { return ready < 0 || started < 0 ? 0 : started - ready; }
};

struct Timeline {
  bool simulated = false;
  uint64_t seed = 0;        // simulated runs
  std::string command;      // "apply", "destroy"
  std::string recorded_at;  // RFC 3339 UTC, when the apply ended
  int parallelism = 0;      // -parallelism (0: none)
  int64_t makespan = 0;     // ms
  int64_t lower_bound = 0;  // ms: the longest dependency chain by the steps' own durations
  bool interrupted = false;
  std::vector<TimelineStep> steps;         // visible steps, by start time then address
  std::vector<std::string> critical_path;  // addresses, first to last

  const TimelineStep* find(const std::string& address) const;
};

// From a finished run over `plan`'s execution graph (node i is step i). Only instance steps
// with an operation are kept; aggregate and any-of nodes are looked through (a dependency on
// `x[*]` names the instance of x that finished last).
Timeline build_timeline(const PlanGraph& plan, const ExecGraph& graph, const ExecResult& result);

std::string timeline_to_json(const Timeline& t);
// nullopt and `error` when `text` is not a timeline this orch can read.
std::optional<Timeline> timeline_from_json(const std::string& text, std::string* error);

// Writes `t` to `dir`/<UTC time>-<command>.json (atomically) and keeps the newest `keep` files.
// Returns the file's path, or empty and `error`.
std::string record_timeline(const Timeline& t, const std::string& dir, std::string* error,
                            size_t keep = 20);
// The newest timeline file in `dir`; empty when there is none.
std::string latest_timeline(const std::string& dir);

}  // namespace orch
