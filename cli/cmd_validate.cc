// `orch validate [DIR]`: loads and checks a configuration offline (no network, no credentials)
// and reports every problem as a diagnostic, as text or as Terraform-style JSON.
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>

#include "cli/commands.h"
#include "compiler/check.h"
#include "compiler/load.h"
#include "providers/registry.h"

namespace orch::cli {
namespace {

namespace fs = std::filesystem;

struct ValidateOptions {
  std::vector<std::string> paths;
};

// The module directories to check: each directory given, and the directory of each file given
// (so that pre-commit can pass the changed files), each once, in order.
std::vector<std::string> module_dirs(const std::vector<std::string>& paths, Diagnostics& diags) {
  std::set<std::string> dirs;
  for (const std::string& p : paths) {
    std::error_code ec;
    fs::file_status st = fs::status(p, ec);
    if (fs::is_directory(st)) {
      dirs.insert(fs::path(p).lexically_normal().string());
    } else if (fs::is_regular_file(st)) {
      fs::path parent = fs::path(p).parent_path();
      dirs.insert(parent.empty() ? "." : parent.lexically_normal().string());
    } else {
      diags.error(Range{}, "No such directory: " + p,
                  "orch validate checks the module in a directory: all its .orch files together.");
    }
  }
  return {dirs.begin(), dirs.end()};
}

int run_validate(const ValidateOptions& opts, const GlobalOptions& global) {
  SourceManager sources;
  Diagnostics diags;
  std::vector<std::string> paths = opts.paths;
  if (paths.empty()) paths.push_back(".");
  SchemaRegistry schemas = builtin_schemas();
  for (const std::string& dir : module_dirs(paths, diags)) {
    Diagnostics module_diags;
    if (auto config = load_config(dir, sources, module_diags)) {
      // Like terraform validate, input variables are unknown of their declared types: the
      // configuration must be valid whatever values it is given.
      check_config(*config, schemas, module_diags);
    } else if (!module_diags.has_errors()) {
      module_diags.error(Range{}, "Cannot read directory " + dir);
    }
    diags.append(module_diags);
  }
  diags.sort_and_dedupe();

  if (global.json) {
    std::cout << json_text(validate_json(diags, sources));
    return diags.has_errors() ? kExitError : kExitOk;
  }
  print_diagnostics(diags, sources, global);
  if (diags.has_errors()) return kExitError;
  bool color = use_color(global, stdout);
  std::cout << (color ? "\033[1;32mSuccess!\033[0m" : "Success!")
            << (diags.empty() ? " The configuration is valid.\n"
                              : " The configuration is valid, but there were some validation "
                                "warnings as shown above.\n");
  return kExitOk;
}

}  // namespace

void register_validate(CLI::App& root, CliContext& ctx) {
  auto opts = std::make_shared<ValidateOptions>();
  CLI::App* app = root.add_subcommand(
      "validate", "Check a configuration offline: syntax, types, references, provider schemas");
  app->add_option("DIR", opts->paths,
                  "The module directory (default: the current directory); several directories, "
                  "or files standing for their directories, are each checked");
  add_json_flag(app, ctx,
                "Print the result as JSON (the shape of terraform validate -json); never colour");
  app->footer(
      "Exit status: 0 when the configuration is valid (warnings allowed), 1 when it is not, 2 on "
      "usage errors.");
  ctx.add(app, [opts, &ctx] { return run_validate(*opts, ctx.global); });
}

}  // namespace orch::cli
