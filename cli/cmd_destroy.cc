// `orch destroy`: plan the deletion of everything in the state (dependents first) and apply it.
#include "cli/run_common.h"

namespace orch::cli {

void register_destroy(CLI::App& root, CliContext& ctx) {
  auto args = std::make_shared<ApplyArgs>();
  CLI::App* app = root.add_subcommand("destroy", "Destroy everything orch manages here");
  add_run_flags(app, args->run);
  app->add_flag("--auto-approve", args->auto_approve, "Destroy without asking for confirmation");
  add_json_flag(app, ctx, "Stream events as JSON lines");
  ctx.add(app, [args, &ctx]() { return run_apply(*args, ctx, true); });
}

}  // namespace orch::cli
