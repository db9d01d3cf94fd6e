// The `orch` command: parses the command line with CLI11 and runs the chosen command.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>

#include "cli/commands.h"

namespace orch::cli {
namespace {

// Every command, in the order `orch -help` lists them.
constexpr void (*kRegistrations[])(CLI::App&, CliContext&) = {
    register_validate, register_fmt,   register_console,      register_version, register_init,
    register_plan,     register_apply, register_destroy,      register_show,    register_graph,
    register_output,   register_state, register_force_unlock,
};

constexpr const char* kFooter = R"(Flags take one dash or two: -json and --json are the same.

Exit codes:
  0  success (validate: the configuration is valid)
  1  error: invalid configuration, a failed operation, or a usage error (unknown command
     or flag, bad arguments)
  2  plan -detailed-exitcode: changes present; fmt: input unreadable or with syntax errors
  3  fmt -check: some files are not formatted canonically

Run "orch COMMAND -help" for the flags of a command.)";

// "--chek=1" → "-chek", as the user would have typed it.
std::string flag_as_typed(std::string arg) {
  if (auto eq = arg.find('='); eq != std::string::npos) arg.resize(eq);
  if (arg.rfind("--", 0) == 0) arg.erase(0, 1);
  return arg;
}

std::vector<std::string> flag_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : app->get_options()) {
    for (const auto& n : opt->get_lnames()) names.push_back("-" + n);
    for (const auto& n : opt->get_snames()) names.push_back("-" + n);
  }
  return names;
}

std::string command_path(const CLI::App* app) {
  std::string path;
  for (const CLI::App* a = app; a != nullptr; a = a->get_parent()) {
    path = path.empty() ? a->get_name() : a->get_name() + " " + path;
  }
  return path;
}

// Reports arguments nobody took: unknown flags or commands, stray positionals. Returns true when
// there were any.
bool report_leftovers(const CLI::App& root, const CLI::App* chosen) {
  std::vector<std::string> left = root.remaining(true);
  if (left.empty()) return false;
  const std::string& arg = left.front();
  std::string where = command_path(chosen);
  std::string hint;
  if (arg.size() > 1 && arg[0] == '-') {
    std::string typed = flag_as_typed(arg);
    std::vector<std::string> names = flag_names(chosen);
    if (chosen != &root) {
      auto more = flag_names(&root);
      names.insert(names.end(), more.begin(), more.end());
    }
    std::cerr << where << ": unknown flag " << typed << "\n";
    hint = suggest(typed, names);
  } else if (chosen == &root) {
    std::cerr << "orch: unknown command \"" << arg << "\"\n";
    std::vector<std::string> names;
    for (const CLI::App* sub : root.get_subcommands([](const CLI::App*) { return true; })) {
      names.push_back(sub->get_name());
    }
    hint = suggest(arg, names);
  } else {
    std::cerr << where << ": unexpected argument \"" << arg << "\"\n";
  }
  if (!hint.empty()) std::cerr << "Did you mean \"" << hint << "\"?\n";
  std::cerr << "Run \"" << where << " -help\" for usage.\n";
  return true;
}

int run(int argc, char** argv) {
  CLI::App app("orch: declarative cluster orchestration: validate, plan and apply whole clusters.",
               "orch");
  auto formatter = std::make_shared<HelpFormatter>();
  formatter->label("SUBCOMMAND", "COMMAND");
  app.formatter(formatter);
  app.set_help_flag("-h,--help", "Show help (for a command: orch COMMAND -help)");
  app.allow_extras();
  app.fallthrough();
  CliContext ctx;
  bool version = false;
  app.add_flag("--version", version, "Show the version (same as orch version)");
  app.add_option("--chdir", ctx.global.chdir, "Switch to DIR before running the command")
      ->option_text("DIR");
  app.add_flag("--no-color", ctx.global.no_color, "Never colour the output (also: NO_COLOR=1)");
  for (auto registration : kRegistrations) registration(app, ctx);
  app.footer(kFooter);  // after the commands, which would otherwise inherit it
  for (CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    sub->group("Commands");
  }

  std::vector<std::string> args = normalise_args(argc, argv);
  std::reverse(args.begin(), args.end());  // CLI11 takes them last-first
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "orch: " << e.what() << "\n";
    std::cerr << "Run \"orch -help\" for usage.\n";
    return kExitUsage;
  }

  // The deepest chosen subcommand that has something to run.
  const CLI::App* chosen = &app;
  while (true) {
    auto subs = chosen->get_subcommands();
    if (subs.empty()) break;
    chosen = subs.front();
  }
  if (report_leftovers(app, chosen)) return kExitUsage;

  if (!ctx.global.chdir.empty() && ::chdir(ctx.global.chdir.c_str()) != 0) {
    std::cerr << "orch: cannot switch to directory " << ctx.global.chdir << ": "
              << std::strerror(errno) << "\n";
    return kExitUsage;
  }
  if (chosen == &app && version) chosen = app.get_subcommand("version");
  for (const auto& cmd : ctx.commands()) {
    if (cmd.app == chosen) return cmd.run();
  }
  // No command (or a group without its own action): show help.
  std::cout << chosen->help();
  return kExitUsage;
}

}  // namespace
}  // namespace orch::cli

int main(int argc, char** argv) {
  try {
    return orch::cli::run(argc, argv);
  } catch (const std::exception& e) {
    // A bug, not bad input: say so plainly instead of aborting with a core dump.
    std::cerr << "orch: internal error: " << e.what() << "\n";
    return orch::cli::kExitError;
  }
}
