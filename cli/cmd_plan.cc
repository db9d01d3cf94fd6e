// `orch plan`: refresh, diff and show what apply would do; -out saves it for `orch apply FILE`.
#include <iostream>
#include <optional>

#include "cli/run_common.h"
#include "planner/plan_file.h"
#include "planner/plan_json.h"
#include "planner/plan_render.h"
#include "planner/plan_simulation.h"
#include "planner/simulation.h"
#include "planner/timeline_report.h"
#include "providers/registry.h"

namespace orch::cli {

namespace {
struct PlanArgs {
  RunFlags run;
  std::string out;
  bool destroy = false;
  bool detailed_exitcode = false;
};
// Under -simulate: how long applying the plan would take, and its critical path's length.
void print_plan_estimate(const Plan& plan, const SchemaRegistry& schemas, const Session& s,
                         const RunFlags& run) {
  PlanSimulationOptions po;
  po.parallelism = run.parallelism;
  for (const auto& name : builtin_provider_names())
    if (auto p = make_provider(name)) po.limits[name] = p->limits();
  PlanSimulation ps = simulate_plan(plan, schemas, s.simulation()->model(), po);
  std::cout << "\nSimulated (seed " << s.simulation()->model().seed()
            << "): applying this plan takes about " << short_duration(ps.makespan.count())
            << " when nothing fails";
  if (!plan.deferred.empty()) std::cout << " (blocks known after apply at their largest)";
  std::cout << "; its critical path has " << ps.timeline.critical_path.size()
            << (ps.timeline.critical_path.size() == 1 ? " step" : " steps")
            << " (orch graph -critical-path draws it).\n";
}

}  // namespace

void register_plan(CLI::App& root, CliContext& ctx) {
  auto args = std::make_shared<PlanArgs>();
  CLI::App* app = root.add_subcommand("plan", "Show the changes apply would make");
  add_run_flags(app, args->run);
  app->add_option("--out", args->out, "Save the plan to FILE for `orch apply FILE`")
      ->option_text("FILE");
  app->add_flag("--destroy", args->destroy, "Plan to destroy everything in the state");
  app->add_flag("--detailed-exitcode", args->detailed_exitcode,
                "Exit 0 when nothing changes, 1 on errors, 2 when there are changes");
  add_json_flag(app, ctx, "Print the plan as JSON (see docs/plan-json.md)");
  ctx.add(app, [args, &ctx]() {
    RunOptions o = run_options(args->run);
    o.destroy = args->destroy;
    const SchemaRegistry* schemas = o.schemas;
    Session s(std::move(o));
    if (!s.load()) {
      print_session_diagnostics(s, ctx.global);
      return int(kExitError);
    }
    auto plan = s.plan();
    print_session_diagnostics(s, ctx.global);
    if (!plan) return int(kExitError);
    if (ctx.global.json) {
      std::cout << render_plan_json(*plan);
    } else {
      PlanRenderOptions ro;
      ro.color = use_color(ctx.global, stdout);
      std::cout << render_plan_text(*plan, ro);
      if (s.simulation() && plan->has_changes()) print_plan_estimate(*plan, *schemas, s, args->run);
    }
    const bool changes = plan->has_changes();
    std::optional<PlanFile> pf;  // lives until exit_now: freeing 40,000 changes is wasted time
    if (!args->out.empty()) {
      std::string err;
      pf = s.plan_file(std::move(*plan));
      if (!write_plan_file(args->out, *pf, &err)) {
        std::cerr << "orch plan: " << err << "\n";
        return int(kExitError);
      }
      if (!ctx.global.json)
        std::cout << "\nSaved the plan to: " << args->out
                  << "\n\nTo perform exactly these actions, run:\n  orch apply " << args->out
                  << "\n";
    }
    // Nothing is left to write: end without freeing a plan and a model of 40,000 resources.
    exit_now(args->detailed_exitcode && changes ? 2 : int(kExitOk));
  });
}

}  // namespace orch::cli
