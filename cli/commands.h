// The `orch` command line: shared options, exit codes, and one registration function per
// command (each command lives in its own cli/cmd_*.cc file).
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "compiler/diagnostic_render.h"

namespace orch::cli {

// Exit codes, documented in README.md and `orch -help`.
// As Terraform's: a usage error is an error (1), so that 2 means only what a command gives it
// (`plan -detailed-exitcode`: changes present; fmt: an input cannot be read or parsed).
enum ExitCode : int {
  kExitOk = 0,          // success; validate: the configuration is valid
  kExitError = 1,       // the command ran and failed (invalid configuration, failed operation)
  kExitUsage = 1,       // bad flags or arguments: unknown command or flag, missing argument
  kExitFmtInvalid = 2,  // fmt: an input cannot be read or has syntax errors (as terraform fmt)
  kExitFmtChanged = 3,  // fmt -check: some input is not canonically formatted
};

// Options every command shares. `-no-color` is accepted everywhere; `-json` by the commands that
// offer JSON output (they add it with add_json_flag).
struct GlobalOptions {
  bool no_color = false;
  bool json = false;
  std::string chdir;  // -chdir=DIR: switch to DIR before running the command
};

// Everything the registration functions need; they add commands with `add`.
class CliContext {
 public:
  GlobalOptions global;

  // Registers `app` (a subcommand, possibly nested) to run `run` when it is the one chosen.
  // `run` returns the exit code.
  void add(CLI::App* app, std::function<int()> run) { commands_.push_back({app, std::move(run)}); }

  struct Command {
    CLI::App* app;
    std::function<int()> run;
  };
  const std::vector<Command>& commands() const { return commands_; }

 private:
  std::vector<Command> commands_;
};

// One function per command, called by main.cc in this order (the order of `orch -help`).
void register_validate(CLI::App& root, CliContext& ctx);
void register_fmt(CLI::App& root, CliContext& ctx);
void register_console(CLI::App& root, CliContext& ctx);
void register_version(CLI::App& root, CliContext& ctx);
void register_state(CLI::App& root, CliContext& ctx);         // cmd_state.cc
void register_force_unlock(CLI::App& root, CliContext& ctx);  // cmd_force_unlock.cc
void register_init(CLI::App& root, CliContext& ctx);          // cmd_init.cc
void register_plan(CLI::App& root, CliContext& ctx);          // cmd_plan.cc
void register_apply(CLI::App& root, CliContext& ctx);         // cmd_apply.cc
void register_destroy(CLI::App& root, CliContext& ctx);       // cmd_destroy.cc
void register_show(CLI::App& root, CliContext& ctx);          // cmd_show.cc
void register_graph(CLI::App& root, CliContext& ctx);         // cmd_graph.cc
void register_output(CLI::App& root, CliContext& ctx);        // cmd_output.cc

// --- helpers shared by the commands (framework.cc) ---

// Adds `-json` bound to ctx.global.json.
void add_json_flag(CLI::App* app, CliContext& ctx, const std::string& what);
// True when output to `stream` may be coloured: a TTY, no -no-color, NO_COLOR unset or empty,
// TERM not "dumb", and not in JSON mode.
bool use_color(const GlobalOptions& global, std::FILE* stream);
// Rendering options for diagnostics written to `stream` (colour, terminal width).
RenderOptions render_options(const GlobalOptions& global, std::FILE* stream);
// Prints diagnostics as text on stderr (the count line included).
void print_diagnostics(const Diagnostics& diags, const SourceManager& sources,
                       const GlobalOptions& global);

// Flushes stdout and stderr and ends the process with `code` at once, without running
// destructors: for read-only commands that have written everything, where freeing tens of
// thousands of resources would only add time (the system frees the memory anyway).
[[noreturn]] void exit_now(int code);

// Terraform-style single-dash long flags: `-json` → `--json`, `-write=false` → `--write=false`.
// One-letter flags, `-`, negative numbers and everything after `--` are left alone.
std::vector<std::string> normalise_args(int argc, char** argv);

// The closest candidate within a small edit distance, or empty.
std::string suggest(const std::string& word, const std::vector<std::string>& candidates);

// Help formatter that shows flags with one dash, as orch users type them.
class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_option_name(const CLI::Option* opt, bool is_positional) const override;
  std::string make_usage(const CLI::App* app, std::string name) const override;
};

}  // namespace orch::cli
