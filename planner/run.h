// One command's run: load the configuration and variables, configure providers, load state,
// refresh (batched read_many per type), diff and build the Plan; apply a Plan by driving the
// executor, writing state after every step, and evaluating outputs.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/config.h"
#include "compiler/diagnostic.h"
#include "compiler/schema.h"
#include "compiler/source.h"
#include "compiler/vars.h"
#include "planner/plan.h"
#include "planner/plan_file.h"
#include "planner/timeline.h"
#include "providers/provider.h"

namespace orch {

class Backend;
class Clock;
class Model;
class Simulation;

struct RunOptions {
  std::string dir = ".";  // the root module
  VarInputs var_inputs;
  std::vector<std::string> targets;
  std::vector<std::string> replace;
  bool refresh = true;
  bool destroy = false;
  bool lock = true;
  int parallelism = 0;    // 0: no global limit
  bool simulate = false;  // virtual clock (implied when every provider is `sim`)
  // -simulate=false: no virtual clock even when every provider is `sim` (its durations then
  // take real time).
  bool real_clock = false;
  // With `simulate`: every provider is its simulated twin and the state lives under
  // .orch/simulate/ (planner/simulation.h). The profile file and seed override the
  // configuration's simulate block.
  std::string simulate_profile;
  std::optional<uint64_t> simulate_seed;
  // -backend-config KEY=VALUE: on top of the backend block and of what `orch init` recorded
  // for a backend of the same type (unless use_recorded_backend_config is false).
  std::map<std::string, std::string> backend_config;
  bool use_recorded_backend_config = true;
  bool initializing = false;  // `orch init`: do not insist that the backend was initialised
  // Compiled-in providers and their schemas (providers/registry.h); tests may inject others.
  std::function<std::unique_ptr<Provider>(const std::string& name)> make_provider;
  const SchemaRegistry* schemas = nullptr;
};

// Something that happened during apply, for the progress display and the -json stream.
struct ApplyEvent {
  // Expanded: a deferred block's count/for_each became known and its instances were added
  // (`address` is the block, `message` says how many). Interrupted: an interrupt was taken
  // (`message` says what happens now; `running` is the number of steps in flight).
  enum class Kind { Started, Retrying, Finished, Status, Expanded, Interrupted };
  Kind kind = Kind::Finished;
  std::string address;
  std::string op;       // "create", "update", "delete", "read"
  std::string status;   // Finished: "done", "failed", "skipped", "abandoned"
  std::string message;  // error summary, skip reason, or what an expansion found
  std::string id;       // Finished "done" creates and updates: the object's provider id
  Duration took{0};
  TimePoint at{0};
  // Status: counts for a live line.
  size_t done = 0, running = 0, waiting = 0, failed = 0;
};

struct ApplySummary {
  int added = 0, changed = 0, destroyed = 0;
  int adopted = 0;  // existing objects taken into the state (planned as "adopt")
  std::vector<std::pair<std::string, std::string>> failed;   // address, why
  std::vector<std::pair<std::string, std::string>> skipped;  // address, why
  std::vector<std::string> done;                             // operations that succeeded
  bool interrupted = false;
  bool simulated = false;
  TimePoint makespan{0};
  // The longest dependency chain by the steps' own durations: what no scheduler can beat.
  Duration lower_bound{0};
  std::vector<std::pair<std::string, Duration>> critical_path;  // address, its own duration
  std::vector<std::pair<std::string, Value>> outputs;           // name, value (marks kept)
  Timeline timeline;          // every step's times, waits and failures
  std::string timeline_file;  // where it was recorded (.orch/runs/…), empty if it was not
  bool ok() const { return failed.empty() && skipped.empty() && !interrupted; }
};

// The stack's name for ownership marks: $ORCH_STACK, or the root module directory's name.
std::string stack_name(const std::string& dir);

class Session {
 public:
  explicit Session(RunOptions options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Loads the configuration (from `options.dir`, or from a saved plan's snapshot when
  // `snapshot` is given), variables, backend and providers. False on errors (see diags()).
  bool load(const PlanFile* snapshot = nullptr);
  // Refresh + diff → the Plan. nullopt on errors.
  std::optional<Plan> plan();
  // Runs `plan`. `stale_check`: refuse when the state moved on since the plan was made.
  // Returns nullopt when apply could not start (lock held, stale plan, ...): see diags().
  std::optional<ApplySummary> apply(const Plan& plan, bool stale_check,
                                    const std::function<void(const ApplyEvent&)>& on_event);
  // Asks a running apply to stop starting steps (a second call abandons in-flight ones).
  // Safe to call from a signal-handling flag check on the loop (see interrupt_flag).
  void request_interrupt();
  // Set by a signal handler; polled on the loop.
  static volatile int* interrupt_flag();

  // The saved-plan payload for `plan` (configuration snapshot and options).
  PlanFile plan_file(Plan plan) const;
  // Root outputs in state (for `orch output`), after load().
  std::vector<std::pair<std::string, Value>> state_outputs();

  Diagnostics& diags() { return diags_; }
  SourceManager& sources() { return sources_; }
  const Config* config() const { return config_.get(); }
  bool simulated() const { return simulated_; }
  // The -simulate rehearsal (twins, profile, simulated state); null without -simulate.
  const Simulation* simulation() const;

  struct Impl;  // the run's internals (run_impl.h), shared by the planner's own files

 private:
  RunOptions options_;
  SourceManager sources_;
  Diagnostics diags_;
  std::unique_ptr<Config> config_;
  bool simulated_ = false;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orch
