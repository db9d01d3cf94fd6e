// Helpers shared by the commands that plan and apply (plan, apply, destroy, graph, output, show):
// their common flags, building RunOptions, and printing apply progress and summaries.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "planner/run.h"

namespace orch::cli {

struct RunFlags {
  std::string dir = ".";
  std::vector<std::string> vars;
  std::vector<std::string> var_files;
  std::vector<std::string> targets;
  std::vector<std::string> replace;
  bool refresh = true;
  bool lock = true;
  int parallelism = 0;
  // -simulate (a rehearsal on twins), -simulate=false (no simulation: even the sim provider runs
  // on the real clock); unset: the virtual clock when every provider is sim.
  std::optional<bool> simulate;
  std::string simulate_profile;             // -simulate-profile FILE (implies -simulate)
  int64_t simulate_seed = -1;               // -simulate-seed N (implies -simulate); -1: not given
  std::vector<std::string> backend_config;  // -backend-config KEY=VALUE
};

// -var, -var-file, -target, -replace, -refresh, -lock, -parallelism, -simulate,
// -backend-config and [DIR].
void add_run_flags(CLI::App* app, RunFlags& flags, bool with_dir = true);
RunOptions run_options(const RunFlags& flags);

// Prints apply events: one line per finished step, a live status line on a TTY, or JSON lines.
class ApplyPrinter {
 public:
  ApplyPrinter(const GlobalOptions& global, bool simulated);
  void operator()(const ApplyEvent& e);
  // Clears the live line.
  void finish();

 private:
  void draw_status(const ApplyEvent& e);

  bool tty_ = false;
  bool json_ = false;
  bool color_ = false;
  bool simulated_ = false;
  bool status_shown_ = false;
  ApplyEvent last_drawn_;
  std::optional<ApplyEvent> pending_status_;  // a newer count not drawn yet (throttled)
  std::chrono::steady_clock::time_point last_status_{};
};

// The end of an apply: counts, failures and skips, makespan and critical path, outputs.
// Returns the exit code.
int print_apply_summary(const ApplySummary& s, bool destroy, const GlobalOptions& global);

// Prints the session's diagnostics (if any) on stderr.
void print_session_diagnostics(Session& s, const GlobalOptions& global);

}  // namespace orch::cli

namespace orch::cli {

struct ApplyArgs {
  RunFlags run;
  std::string plan_file;  // apply PLANFILE (apply only)
  bool auto_approve = false;
};

// `orch apply` and `orch destroy`: plan (unless given a saved plan), confirm, apply, summarise.
int run_apply(ApplyArgs& args, CliContext& ctx, bool destroy);

}  // namespace orch::cli
