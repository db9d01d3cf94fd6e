// `orch apply [PLANFILE]`: run a saved plan exactly, or plan, confirm and apply.
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <iostream>

#include "cli/run_common.h"
#include "planner/plan_file.h"
#include "planner/plan_render.h"

namespace orch::cli {

namespace {
extern "C" void on_sigint(int) {
  volatile int* flag = Session::interrupt_flag();
  *flag = *flag + 1;  // `++` on volatile is deprecated in C++20
}
}  // namespace

int run_apply(ApplyArgs& args, CliContext& ctx, bool destroy) {
  RunOptions o = run_options(args.run);
  o.destroy = destroy;
  std::optional<PlanFile> saved;
  if (!args.plan_file.empty()) {
    std::string err;
    saved = read_plan_file(args.plan_file, &err);
    if (!saved) {
      std::cerr << "orch apply: " << err << "\n";
      return kExitError;
    }
    if (!args.run.vars.empty() || !args.run.var_files.empty()) {
      std::cerr << "orch apply: a saved plan already holds its variable values; -var and "
                   "-var-file cannot be used with it\n";
      return kExitUsage;
    }
    if (saved->options.count("parallelism") && args.run.parallelism == 0)
      o.parallelism = std::stoi(saved->options["parallelism"]);
    if (saved->options.count("simulate")) {
      // A plan made by a rehearsal is applied as one, to the simulated state.
      o.simulate = true;
      if (saved->options.count("simulate_profile"))
        o.simulate_profile = saved->options["simulate_profile"];
      if (saved->options.count("simulate_seed"))
        o.simulate_seed = std::stoull(saved->options["simulate_seed"]);
    }
  }
  Session s(std::move(o));
  if (!s.load(saved ? &*saved : nullptr)) {
    print_session_diagnostics(s, ctx.global);
    return kExitError;
  }
  Plan plan;
  if (saved) {
    plan = saved->plan;
  } else {
    auto p = s.plan();
    print_session_diagnostics(s, ctx.global);
    if (!p) return kExitError;
    plan = std::move(*p);
    if (!ctx.global.json) {
      PlanRenderOptions ro;
      ro.color = use_color(ctx.global, stdout);
      std::cout << render_plan_text(plan, ro);
    }
    if (!plan.has_changes()) {
      if (!ctx.global.json)
        std::cout << "\n"
                  << (destroy ? "Destroy complete!" : "Apply complete!")
                  << " Resources: 0 added, 0 changed, 0 destroyed.\n";
      return kExitOk;
    }
    if (plan.has_changes() && !args.auto_approve) {
      if (!::isatty(STDIN_FILENO)) {
        std::cerr << "\norch " << (destroy ? "destroy" : "apply")
                  << ": refusing to change anything without confirmation: standard input is not "
                     "a terminal. Run with -auto-approve, or apply a saved plan (orch plan -out "
                     "FILE, then orch apply FILE).\n";
        return kExitError;
      }
      std::cout << "\nDo you want to perform these actions?\n  orch will perform the actions "
                   "described above.\n  Only 'yes' will be accepted to approve.\n\n  Enter a "
                   "value: "
                << std::flush;
      std::string answer;
      std::getline(std::cin, answer);
      if (answer != "yes") {
        std::cout << "\n" << (destroy ? "Destroy" : "Apply") << " cancelled.\n";
        return kExitError;
      }
    }
    std::cout << "\n";
  }
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  struct sigaction old {};
  sigaction(SIGINT, &sa, &old);
  ApplyPrinter printer(ctx.global, s.simulated());
  auto summary = s.apply(plan, saved.has_value(), [&](const ApplyEvent& e) { printer(e); });
  printer.finish();
  sigaction(SIGINT, &old, nullptr);
  print_session_diagnostics(s, ctx.global);
  if (!summary) return kExitError;
  int code = print_apply_summary(*summary, destroy || plan.destroy_mode, ctx.global);
  if (s.diags().has_errors()) code = kExitError;
  return code;
}

void register_apply(CLI::App& root, CliContext& ctx) {
  auto args = std::make_shared<ApplyArgs>();
  CLI::App* app = root.add_subcommand("apply", "Make the changes: a saved plan, or a new one");
  add_run_flags(app, args->run, false);
  app->add_flag("--auto-approve", args->auto_approve, "Apply without asking for confirmation");
  app->add_option("plan", args->plan_file,
                  "A plan saved by `orch plan -out`, or a configuration directory");
  add_json_flag(app, ctx, "Stream apply events as JSON lines");
  ctx.add(app, [args, &ctx]() {
    // `orch apply DIR` applies a directory; `orch apply FILE` a saved plan.
    if (!args->plan_file.empty() && std::filesystem::is_directory(args->plan_file)) {
      args->run.dir = args->plan_file;
      args->plan_file.clear();
    }
    return run_apply(*args, ctx, false);
  });
}

}  // namespace orch::cli
