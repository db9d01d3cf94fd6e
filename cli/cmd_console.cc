// `orch console [DIR]`: evaluates expressions against a configuration's variables, locals and
// functions, one per line (a `> ` prompt on a terminal). How people learn the functions.
#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "compiler/check.h"
#include "compiler/check_internal.h"
#include "compiler/eval.h"
#include "compiler/load.h"
#include "compiler/parse.h"
#include "compiler/vars.h"
#include "providers/registry.h"

namespace orch::cli {
namespace {

struct ConsoleOptions {
  std::string dir = ".";
  VarInputs vars;
};

// A value as plain JSON; unknown and sensitive parts are null (the flags below say so).
nlohmann::ordered_json plain_json(const Value& v) {
  if (v.is_sensitive() || v.is_unknown() || v.is_null()) return nullptr;
  switch (v.kind()) {
    case ValueKind::Bool:
      return v.as_bool();
    case ValueKind::Number:
      if (v.as_number().is_int) return v.as_number().i;
      return v.as_number().d;
    case ValueKind::String:
      return v.as_string();
    case ValueKind::List:
    case ValueKind::Set:
    case ValueKind::Tuple: {
      auto arr = nlohmann::ordered_json::array();
      for (const Value& e : v.elements()) arr.push_back(plain_json(e));
      return arr;
    }
    case ValueKind::Map:
    case ValueKind::Object: {
      auto obj = nlohmann::ordered_json::object();
      for (const auto& [k, e] : v.attributes()) obj[k] = plain_json(e);
      return obj;
    }
    default:
      return nullptr;
  }
}

// A result as one JSON line: the plain value (unknown and sensitive parts null), its type, and
// flags saying when the value is not all there.
nlohmann::ordered_json result_json(const std::string& line, const Value& v) {
  nlohmann::ordered_json j;
  j["expression"] = line;
  j["value"] = plain_json(v);
  j["type"] = v.type().str();
  if (!v.is_wholly_known()) j["unknown"] = true;
  if (v.is_sensitive() || v.contains_sensitive()) j["sensitive"] = true;
  return j;
}

// Prints diagnostics of one input line: objects on stdout with -json, text on stderr otherwise.
// Each diagnostic quotes the input line or the configuration file it points into.
void report(const Diagnostics& diags, const SourceManager& line_source,
            const SourceManager& config_sources, const std::string& line,
            const GlobalOptions& global) {
  if (diags.empty()) return;
  auto quoting = [&](const Diagnostic& d) -> const SourceManager& {
    return line_source.find(d.range.file.str()) ? line_source : config_sources;
  };
  if (global.json) {
    nlohmann::ordered_json j;
    j["expression"] = line;
    auto list = nlohmann::ordered_json::array();
    for (const auto& d : diags.list()) list.push_back(diagnostic_json(d, quoting(d)));
    j["diagnostics"] = std::move(list);
    std::cout << j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
    return;
  }
  std::cout.flush();
  RenderOptions opts = render_options(global, stderr);
  for (const auto& d : diags.list()) std::cerr << render_diagnostic(d, quoting(d), opts);
}

int run_console(const ConsoleOptions& opts, const GlobalOptions& global) {
  SourceManager sources;
  Diagnostics load_diags;
  std::unique_ptr<Config> config = load_config(opts.dir, sources, load_diags);
  if (!config && !load_diags.has_errors()) {
    load_diags.error(Range{}, "Cannot read directory " + opts.dir);
  }
  VarInputs inputs = opts.vars;
  inputs.env = environment_variables();
  ValueMap variables;
  if (config) {
    auto given = collect_inputs(inputs, *config, sources, load_diags);
    variables = resolve_variables(*config, given, load_diags, /*allow_missing=*/true);
  }
  if (load_diags.has_errors()) {
    load_diags.sort_and_dedupe();
    print_diagnostics(load_diags, sources, global);
    return kExitError;
  }

  SchemaRegistry schemas = builtin_schemas();
  {
    // Problems that validate would report are shown once; expressions can still be tried.
    Diagnostics check_diags;
    check_config(*config, schemas, check_diags);
    if (!check_diags.empty()) {
      check_diags.sort_and_dedupe();
      print_diagnostics(check_diags, sources, global);
      std::cerr << "The configuration has problems (above); values that depend on them may be "
                   "unknown.\n";
    }
  }
  Diagnostics scope_diags;  // errors inside locals, reported with the line that first used them
  detail::ModuleScope scope(*config, schemas, std::move(variables), scope_diags);

  const bool interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
  int failed = 0;
  std::string line;
  while (true) {
    if (interactive) std::cout << "> " << std::flush;
    if (!std::getline(std::cin, line)) break;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (line == "exit" || line == "quit") break;

    SourceManager line_sources;
    const SourceFile* src = line_sources.add("<console>", line);
    Diagnostics diags;
    size_t scope_before = scope_diags.size();
    ExprPtr expr = parse_expression(*src, diags);
    Value v;
    if (expr && !diags.has_errors()) v = evaluate(*expr, scope, diags);
    for (size_t i = scope_before; i < scope_diags.size(); ++i) diags.add(scope_diags.list()[i]);
    report(diags, line_sources, sources, line, global);
    if (diags.has_errors() || !expr) {
      ++failed;
      continue;
    }
    if (global.json) {
      std::cout << result_json(line, v).dump(-1, ' ', false,
                                             nlohmann::ordered_json::error_handler_t::replace)
                << "\n";
    } else {
      std::cout << v.to_display() << "\n";
    }
  }
  if (interactive) std::cout << "\n";
  // Interactive sessions end well whatever was typed; piped input reports failures in the status.
  return failed > 0 && !interactive ? kExitError : kExitOk;
}

}  // namespace

void register_console(CLI::App& root, CliContext& ctx) {
  auto opts = std::make_shared<ConsoleOptions>();
  CLI::App* app = root.add_subcommand(
      "console", "Evaluate expressions against a configuration (one per line from stdin)");
  app->add_option("DIR", opts->dir, "The module directory (default: the current directory)");
  app->add_option("--var", opts->vars.vars, "Set a variable: -var 'name=value' (repeatable)")
      ->option_text("NAME=VALUE");
  app->add_option("--var-file", opts->vars.var_files, "Read variables from a file (repeatable)")
      ->option_text("FILE");
  add_json_flag(app, ctx, "Print each result (or its diagnostics) as one line of JSON");
  app->footer(
      "Variables without a value are unknown: results that depend on them print as (known after "
      "apply).\nResources are unknown values shaped by their provider's schema. Type exit or "
      "press Ctrl-D to leave.\nExit status: 0, or 1 when the configuration is invalid or (from "
      "a pipe) some line failed.");
  ctx.add(app, [opts, &ctx] { return run_console(*opts, ctx.global); });
}

}  // namespace orch::cli
