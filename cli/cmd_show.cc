// `orch show [-json|-markdown] [PLANFILE]`: a saved plan as text, JSON or a PR-comment summary;
// without a file, the resources and outputs in the state.
#include <iostream>

#include "cli/run_common.h"
#include "planner/plan_file.h"
#include "planner/plan_json.h"
#include "planner/plan_markdown.h"
#include "planner/plan_render.h"

namespace orch::cli {

namespace {
struct ShowArgs {
  std::string file;
  bool markdown = false;
  RunFlags run;
};
}  // namespace

void register_show(CLI::App& root, CliContext& ctx) {
  auto args = std::make_shared<ShowArgs>();
  CLI::App* app = root.add_subcommand("show", "Show a saved plan (or the state)");
  app->add_option("file", args->file, "A plan saved by `orch plan -out`");
  app->add_flag("--markdown", args->markdown, "A compact markdown summary for pull requests");
  add_json_flag(app, ctx, "The plan as JSON (see docs/plan-json.md)");
  ctx.add(app, [args, &ctx]() {
    if (!args->file.empty()) {
      std::string err;
      auto pf = read_plan_file(args->file, &err);
      if (!pf) {
        std::cerr << "orch show: " << err << "\n";
        return int(kExitError);
      }
      if (ctx.global.json)
        std::cout << render_plan_json(pf->plan);
      else if (args->markdown)
        std::cout << render_plan_markdown(pf->plan);
      else {
        PlanRenderOptions ro;
        ro.color = use_color(ctx.global, stdout);
        std::cout << render_plan_text(pf->plan, ro);
      }
      return int(kExitOk);
    }
    // The state: every resource with its attributes, then outputs.
    RunOptions o = run_options(args->run);
    o.refresh = false;
    Session s(std::move(o));
    if (!s.load()) {
      print_session_diagnostics(s, ctx.global);
      return int(kExitError);
    }
    auto plan = s.plan();
    if (!plan) {
      print_session_diagnostics(s, ctx.global);
      return int(kExitError);
    }
    for (const auto& rc : plan->changes) {
      if (rc.before.is_null()) continue;
      std::cout << "# " << rc.address << ":\n";
      std::cout << (rc.addr.mode == ResourceMode::Data ? "data" : "resource") << " \""
                << rc.addr.type << "\" \"" << rc.addr.name << "\" {\n";
      size_t w = 0;
      for (const auto& [k, v] : rc.before.attributes()) w = std::max(w, k.size());
      for (const auto& [k, v] : rc.before.attributes())
        if (!v.is_null())
          std::cout << "    " << k << std::string(w - k.size(), ' ') << " = "
                    << render_value_inline(v) << "\n";
      std::cout << "}\n\n";
    }
    auto outs = s.state_outputs();
    if (!outs.empty()) {
      std::cout << "Outputs:\n\n";
      for (const auto& [n, v] : outs) std::cout << n << " = " << render_value_inline(v) << "\n";
    }
    return int(kExitOk);
  });
}

}  // namespace orch::cli
