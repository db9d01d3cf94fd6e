// The executor: runs an ExecGraph on one event loop (a Clock), starting each step the instant its
// dependencies (all-of / any-of) are done, held back only by provider limits, -parallelism,
// locks and rollouts; retries transient errors, waits for readiness gates, isolates failures
// to their dependents, honours interrupts, and records a timeline with its critical path.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "planner/clock.h"
#include "planner/exec_graph.h"
#include "planner/retry.h"

namespace orch {

enum class StepStatus {
  Pending,    // waiting for dependencies
  Waiting,    // dependencies satisfied; held by a rollout batch, a limit or a lock
  Running,    // operation in flight (or in retry backoff)
  Gating,     // operation done; waiting for its readiness gate
  Done,       // operation done and gate held
  Failed,     // operation error, retries exhausted, or gate timed out
  Skipped,    // never started (see skip_reason)
  Abandoned,  // in flight when a second interrupt came; outcome unknown
};
const char* to_string(StepStatus s);

// Everything recorded about one step. Times are on the run's clock; -1 when it never happened.
struct StepRecord {
  StepStatus status = StepStatus::Pending;
  int attempts = 0;
  std::optional<ProviderError> error;  // Failed: why; Abandoned: "interrupted"
  std::string
      skip_reason;  // "dependency X failed", "rollout R stopped after N failures", "interrupted"
  bool applied =
      false;  // the operation succeeded (state should be recorded even if the gate failed)
  TimePoint ready_at{-1};     // dependencies satisfied
  TimePoint started_at{-1};   // operation first started
  TimePoint applied_at{-1};   // operation succeeded (before the gate)
  TimePoint finished_at{-1};  // terminal
  uint64_t finish_order = 0;  // 1 for the first step to become terminal, 2 for the next...
  Duration waited{0};         // started_at - ready_at
  std::string
      waited_for;  // what held it back: "rollout batch 2 of x", "limit of sim (10)", "lock L"
  // The step whose finish let this one start: its determining dependency (the last all-of one to
  // be done or the member satisfying an any-of group), or the step that freed the limit or lock,
  // or the last member of the previous rollout batch. Links the critical path.
  StepId cause = kNoStep;
  std::vector<StepId> satisfied_by;  // per any-of group, the member that satisfied it
  int rollout_batch = -1;            // 0-based batch within its rollout, -1 when none
};

struct ExecResult {
  std::vector<StepRecord> records;                       // by StepId (live during the run)
  std::vector<StepId> done, failed, skipped, abandoned;  // ascending ids
  TimePoint makespan{0};              // the last finish time (0 for an empty graph)
  std::vector<StepId> critical_path;  // the chain that determined the makespan, first to last
  // Longest dependency chain by the steps' own durations (started → finished): the makespan an
  // unlimited executor cannot beat. makespan / lower_bound measures scheduling overhead.
  Duration lower_bound{0};
  bool interrupted = false;
  uint64_t wall_ns =
      0;  // real time from start() to the end (the scheduler's cost on a virtual clock)

  bool ok() const { return failed.empty() && skipped.empty() && abandoned.empty(); }
};

// Notified synchronously on the loop. May call Executor::interrupt(), nothing else that mutates.
class ExecObserver {
 public:
  virtual ~ExecObserver() = default;
  virtual void on_step_started(StepId, const StepRecord&) {}
  virtual void on_step_retrying(StepId, const StepRecord&, const ProviderError&, Duration) {}
  // The operation succeeded (state can be written); its gate, if any, runs next.
  virtual void on_step_applied(StepId, const StepRecord&) {}
  // Terminal: Done, Failed, Skipped or Abandoned.
  virtual void on_step_finished(StepId, const StepRecord&) {}
};

struct ExecOptions {
  int parallelism = 0;  // -parallelism: operations in flight at once; 0: unlimited
  RetryPolicy retry;
  uint64_t seed = 1;  // jitter of retries
};

// Counts for a live status line.
struct ExecProgress {
  size_t pending = 0, waiting = 0, running = 0, done = 0, failed = 0, skipped = 0;
  TimePoint elapsed{0};
};

// Steps added to a running graph by a step's operation (a deferred block's instances, known
// only once that step runs). Ids continue from the graph's current size.
struct ExecExtension {
  // New steps; their dependencies may name existing steps (done ones count as satisfied; failed
  // or skipped ones skip the new step) or other new ones. A step that creates others usually
  // lists itself, so that they start once it is done.
  std::vector<ExecStep> steps;
  // (waiter, step): the existing, not yet started waiter also waits for `step` (all-of).
  std::vector<std::pair<StepId, StepId>> waits;
  // An existing, not yet started step gets another any-of group over these steps.
  std::vector<std::pair<StepId, std::vector<StepId>>> any_groups;
  // Rollouts over new steps.
  std::vector<ExecRollout> rollouts;
};

class GateRunner;

class Executor {
 public:
  // `graph` must be valid (ExecGraph::validate() empty). The clock and observer must outlive
  // the executor.
  Executor(Clock& clock, ExecGraph graph, ExecOptions options = {},
           ExecObserver* observer = nullptr);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Starts the run on the loop; `done` is called once, on the loop, when every step is terminal.
  void start(std::function<void(const ExecResult&)> done = {});
  // start() then clock.run() until finished; returns the result (valid while the executor lives).
  const ExecResult& run();

  // Adds steps while the run is going, from inside a step's operation (before it reports done):
  // see ExecExtension. `cause` is the step that added them (their cause when ready at once).
  void extend(ExecExtension extension, StepId cause);

  // First call: start nothing new (not-started steps are skipped "interrupted"), let in-flight
  // steps finish. Second call: abandon in-flight steps and finish now.
  void interrupt();

  const ExecGraph& graph() const { return graph_; }
  const StepRecord& record(StepId id) const { return result_.records[id]; }
  ExecProgress progress() const;
  bool finished() const { return finished_; }
  const ExecResult& result() const { return result_; }

 private:
  struct Impl;
  friend struct Impl;

  ExecGraph graph_;
  ExecResult result_;
  bool finished_ = false;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orch
