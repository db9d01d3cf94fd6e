// `orch output [-json] [NAME]`: root module outputs recorded in the state. Sensitive values are
// never printed.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/run_common.h"
#include "planner/plan_json.h"
#include "planner/plan_render.h"

namespace orch::cli {

namespace {
struct OutputArgs {
  RunFlags run;
  std::string name;
};
}  // namespace

void register_output(CLI::App& root, CliContext& ctx) {
  auto args = std::make_shared<OutputArgs>();
  CLI::App* app = root.add_subcommand("output", "Show output values from the state");
  app->add_option("name", args->name, "One output");
  add_json_flag(app, ctx, "Print outputs as JSON");
  ctx.add(app, [args, &ctx]() {
    Session s(run_options(args->run));
    if (!s.load()) {
      print_session_diagnostics(s, ctx.global);
      return int(kExitError);
    }
    auto outs = s.state_outputs();
    if (!args->name.empty()) {
      auto it = std::find_if(outs.begin(), outs.end(),
                             [&](const auto& o) { return o.first == args->name; });
      if (it == outs.end()) {
        std::cerr << "orch output: no output named \"" << args->name
                  << "\" in the state (run orch apply first?)\n";
        return int(kExitError);
      }
      outs = {*it};
    }
    if (ctx.global.json) {
      nlohmann::json j = nlohmann::json::object();
      for (const auto& [n, v] : outs) {
        bool sens = v.contains_sensitive();
        j[n] = {{"sensitive", sens}, {"value", sens ? nullptr : value_to_plain_json(v)}};
      }
      std::cout << (args->name.empty() ? j : j[args->name]).dump(2) << "\n";
      return int(kExitOk);
    }
    if (!args->name.empty()) {
      const Value& v = outs[0].second;
      if (!v.is_sensitive() && v.kind() == ValueKind::String)
        std::cout << v.as_string() << "\n";
      else
        std::cout << render_value_inline(v) << "\n";
      return int(kExitOk);
    }
    if (outs.empty()) std::cout << "No outputs in the state.\n";
    for (const auto& [n, v] : outs) std::cout << n << " = " << render_value_inline(v) << "\n";
    return int(kExitOk);
  });
}

}  // namespace orch::cli
