// `orch show [-json|-markdown] [PLANFILE]`: a saved plan as text, JSON or a PR-comment summary;
// without a file, the instances and outputs in the state (sensitive values redacted). `orch show
// -timeline OUT.svg [RUN.json]`: a recorded apply's timeline as a Gantt chart.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/backend_flags.h"
#include "cli/run_common.h"
#include "planner/plan_file.h"
#include "planner/plan_json.h"
#include "planner/plan_markdown.h"
#include "planner/plan_render.h"
#include "planner/simulation.h"
#include "planner/state_ops.h"
#include "planner/timeline.h"
#include "planner/timeline_report.h"
#include "planner/timeline_svg.h"

namespace orch::cli {

namespace {
struct ShowArgs {
  std::string file;
  bool markdown = false;
  RunFlags run;
  std::string timeline;  // -timeline OUT.svg, or "-" for a text table on stdout
  bool simulated = false;
  int rows = 60;
};

std::string read_text(const std::string& path, std::string* err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *err = "cannot read \"" + path + "\"";
    return {};
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `orch show -timeline OUT [RUN.json]`: a recorded apply's timeline as SVG (or a table with "-").
int show_timeline(const ShowArgs& args) {
  std::string path = args.file;
  if (path.empty()) {
    const std::string dir = args.run.dir.empty() ? "." : args.run.dir;
    const std::string real = latest_timeline(runs_dir(dir, false));
    const std::string sim = latest_timeline(runs_dir(dir, true));
    namespace fs = std::filesystem;
    std::error_code e1, e2;
    if (args.simulated)
      path = sim;
    else if (real.empty() ||
             (!sim.empty() && fs::last_write_time(sim, e1) > fs::last_write_time(real, e2)))
      path = sim.empty() ? real : sim;
    else
      path = real;
    if (path.empty()) {
      std::cerr << "orch show: no apply has been recorded yet in " << runs_dir(dir, args.simulated)
                << (args.simulated ? "" : " or " + runs_dir(dir, true))
                << ". Run `orch apply` (or `orch apply -simulate`) first, or name a timeline "
                   "file: orch show -timeline OUT.svg RUN.json\n";
      return kExitError;
    }
  }
  std::string err;
  const std::string text = read_text(path, &err);
  std::optional<Timeline> t = err.empty() ? timeline_from_json(text, &err) : std::nullopt;
  if (!t) {
    std::cerr << "orch show: " << path << ": " << err << "\n";
    return kExitError;
  }
  if (args.timeline == "-") {
    std::cout << render_timeline_table(*t);
    return kExitOk;
  }
  TimelineSvgOptions so;
  so.max_rows = static_cast<size_t>(std::max(1, args.rows));
  const std::string svg = render_timeline_svg(*t, so);
  std::ofstream out(args.timeline, std::ios::binary | std::ios::trunc);
  out << svg;
  out.close();
  if (!out) {
    std::cerr << "orch show: cannot write \"" << args.timeline << "\"\n";
    return kExitError;
  }
  std::cerr << "Wrote the timeline of " << std::filesystem::path(path).lexically_normal().string()
            << " (" << (t->simulated ? "simulated " : "")
            << (t->command.empty() ? "apply" : t->command) << " of " << t->steps.size()
            << " steps, makespan " << short_duration(t->makespan) << ") to " << args.timeline
            << "\n";
  return kExitOk;
}
// `orch show` without a file: what the state holds, read-only (no lock, no configuration
// evaluated): every instance with its id and attributes, then the outputs. Sensitive values
// are redacted; -json gives the same in the shape of `terraform show -json` (state_values_json).
int show_state(const ShowArgs& args, CliContext& ctx) {
  const std::string dir = args.run.dir.empty() ? "." : args.run.dir;
  std::string err;
  auto backend = configured_backend(dir, args.run.backend_config, &err);
  if (!backend) {
    std::cerr << "orch show: " << err << "\n";
    return kExitError;
  }
  State state;
  std::vector<std::string> warnings;
  if (!read_state(*backend, state, warnings, &err)) {
    std::cerr << "orch show: " << err << "\n";
    return kExitError;
  }
  for (const auto& w : warnings) std::cerr << "Warning: " << w << "\n";
  if (ctx.global.json) {
    std::cout << state_values_json(state);
    return kExitOk;
  }
  if (state.resources.empty() && state.outputs.empty()) {
    std::cout << "The state is empty (" << backend->describe() << ").\n";
    return kExitOk;
  }
  std::cout << "# State: " << state.resources.size() << " instance"
            << (state.resources.size() == 1 ? "" : "s") << ", serial " << state.serial << " ("
            << backend->describe() << ")\n\n";
  for (const ResourceAddress& a : state_list(state, {})) {
    std::string text;
    if (state_show(state, a, text, &err)) std::cout << text << "\n";
  }
  if (!state.outputs.empty()) {
    std::cout << "Outputs:\n\n";
    for (const auto& [name, o] : state.outputs)
      std::cout << name << " = "
                << (o.sensitive ? std::string("(sensitive value)") : render_value_inline(o.value))
                << "\n";
  }
  return kExitOk;
}

}  // namespace

void register_show(CLI::App& root, CliContext& ctx) {
  auto args = std::make_shared<ShowArgs>();
  CLI::App* app = root.add_subcommand("show", "Show a saved plan (or the state)");
  app->add_option("file", args->file,
                  "A plan saved by `orch plan -out` (with -timeline: a recorded run's JSON)");
  app->add_flag("--markdown", args->markdown, "A compact markdown summary for pull requests");
  add_json_flag(app, ctx, "The plan as JSON (see docs/plan-json.md)");
  app->add_option("--timeline", args->timeline,
                  "Draw the last apply's timeline (or RUN.json's) as an SVG Gantt chart into "
                  "FILE.svg; \"-\" prints it as a table")
      ->option_text("FILE.svg");
  app->add_flag("--simulate", args->simulated, "With -timeline: the last simulated apply");
  add_backend_config_flag(app, args->run.backend_config);
  app->add_option("--timeline-rows", args->rows,
                  "With -timeline: rows drawn before steps are aggregated (default 60)")
      ->option_text("N");
  ctx.add(app, [args, &ctx]() {
    if (!args->timeline.empty()) return show_timeline(*args);
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
    return show_state(*args, ctx);
  });
}

}  // namespace orch::cli
