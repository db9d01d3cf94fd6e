// `orch state list|show|rm|mv`: inspect and edit state (the logic is in planner/state_ops.h).
#include <iostream>

#include "cli/backend_flags.h"
#include "cli/commands.h"
#include "planner/state_ops.h"

namespace orch::cli {
namespace {

struct StateOptions {
  std::string state_path;                   // -state=PATH; empty: the configuration's backend
  std::vector<std::string> backend_config;  // -backend-config KEY=VALUE
  std::vector<std::string> addresses;
  bool dry_run = false;
};

void print_warnings(const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) std::cerr << "Warning: " << w << "\n";
}

int fail(const std::string& message, int code = kExitError) {
  std::cout.flush();
  std::cerr << "Error: " << message << "\n";
  return code;
}

std::unique_ptr<Backend> backend_for(const StateOptions& opts, std::string* error) {
  if (opts.state_path.empty()) return configured_backend(".", opts.backend_config, error);
  BackendConfig config;
  config.settings["path"] = Value::string(opts.state_path);
  return open_backend(config, error);
}

void add_state_flag(CLI::App* app, StateOptions& opts) {
  app->add_option("--state", opts.state_path,
                  "Path of a local state file (default: the configuration's backend)")
      ->option_text("PATH");
  add_backend_config_flag(app, opts.backend_config);
}

int run_list(const StateOptions& opts, const GlobalOptions& global) {
  std::vector<ResourceAddress> patterns;
  std::string error;
  if (!parse_address_args(opts.addresses, patterns, &error)) return fail(error, kExitUsage);
  auto backend = backend_for(opts, &error);
  if (!backend) return fail(error);
  State state;
  std::vector<std::string> warnings;
  if (!read_state(*backend, state, warnings, &error)) return fail(error);
  print_warnings(warnings);
  if (global.json) {
    std::cout << state_list_json(state, patterns);
    return kExitOk;
  }
  for (const auto& a : state_list(state, patterns)) std::cout << a.str() << "\n";
  return kExitOk;
}

int run_show(const StateOptions& opts) {
  std::vector<ResourceAddress> addrs;
  std::string error;
  if (opts.addresses.size() != 1) return fail("state show takes exactly one ADDRESS", kExitUsage);
  if (!parse_address_args(opts.addresses, addrs, &error)) return fail(error, kExitUsage);
  auto backend = backend_for(opts, &error);
  if (!backend) return fail(error);
  State state;
  std::vector<std::string> warnings;
  if (!read_state(*backend, state, warnings, &error)) return fail(error);
  print_warnings(warnings);
  std::string out;
  if (!state_show(state, addrs[0], out, &error)) return fail(error);
  std::cout << out;
  return kExitOk;
}

int run_rm(const StateOptions& opts) {
  std::vector<ResourceAddress> patterns;
  std::string error;
  if (opts.addresses.empty()) return fail("state rm needs at least one ADDRESS", kExitUsage);
  if (!parse_address_args(opts.addresses, patterns, &error)) return fail(error, kExitUsage);
  auto backend = backend_for(opts, &error);
  if (!backend) return fail(error);
  std::vector<ResourceAddress> removed;
  std::vector<std::string> warnings;
  auto change = [&](State& state, std::string* err) {
    return state_rm(state, patterns, removed, err);
  };
  bool ok;
  if (opts.dry_run) {
    State state;
    ok = read_state(*backend, state, warnings, &error) && change(state, &error);
  } else {
    ok = modify_state(*backend, "state rm", change, warnings, &error);
  }
  print_warnings(warnings);
  if (!ok) return fail(error);
  for (const auto& a : removed) {
    std::cout << (opts.dry_run ? "Would remove " : "Removed ") << a.str() << "\n";
  }
  std::cout << (opts.dry_run ? "Would remove " : "Successfully removed ") << removed.size()
            << " resource instance(s).\n";
  return kExitOk;
}

int run_mv(const StateOptions& opts) {
  std::vector<ResourceAddress> addrs;
  std::string error;
  if (opts.addresses.size() != 2) return fail("state mv takes SOURCE and DESTINATION", kExitUsage);
  if (!parse_address_args(opts.addresses, addrs, &error)) return fail(error, kExitUsage);
  auto backend = backend_for(opts, &error);
  if (!backend) return fail(error);
  std::vector<std::pair<ResourceAddress, ResourceAddress>> moved;
  std::vector<std::string> warnings;
  auto change = [&](State& state, std::string* err) {
    return state_mv(state, addrs[0], addrs[1], moved, err);
  };
  bool ok;
  if (opts.dry_run) {
    State state;
    ok = read_state(*backend, state, warnings, &error) && change(state, &error);
  } else {
    ok = modify_state(*backend, "state mv", change, warnings, &error);
  }
  print_warnings(warnings);
  if (!ok) return fail(error);
  for (const auto& [from, to] : moved) {
    std::cout << (opts.dry_run ? "Would move " : "Move ") << "\"" << from.str() << "\" to \""
              << to.str() << "\"\n";
  }
  std::cout << (opts.dry_run ? "Would move " : "Successfully moved ") << moved.size()
            << " object(s).\n";
  return kExitOk;
}

}  // namespace

void register_state(CLI::App& root, CliContext& ctx) {
  CLI::App* state = root.add_subcommand("state", "Inspect and edit the state: list, show, rm, mv");
  state->require_subcommand(0, 1);
  auto opts = std::make_shared<StateOptions>();

  CLI::App* list = state->add_subcommand("list", "List the resource instances in the state");
  add_json_flag(list, ctx, "Print the list as JSON");
  add_state_flag(list, *opts);
  list->add_option("addresses", opts->addresses,
                   "Only instances these addresses select (resource, instance or module.NAME)")
      ->option_text("ADDRESS...");
  ctx.add(list, [opts, &ctx] { return run_list(*opts, ctx.global); });

  CLI::App* show = state->add_subcommand("show", "Show one resource instance's attributes");
  add_state_flag(show, *opts);
  show->add_option("address", opts->addresses, "The instance")->option_text("ADDRESS");
  ctx.add(show, [opts] { return run_show(*opts); });

  CLI::App* rm =
      state->add_subcommand("rm", "Forget resource instances (the real objects are not destroyed)");
  add_state_flag(rm, *opts);
  rm->add_flag("--dry-run", opts->dry_run, "Show what would be removed, change nothing");
  rm->add_option("addresses", opts->addresses, "Instances, resources or module.NAME to forget")
      ->option_text("ADDRESS...");
  ctx.add(rm, [opts] { return run_rm(*opts); });

  CLI::App* mv = state->add_subcommand(
      "mv", "Rename state entries: an instance, a whole resource, or a module");
  add_state_flag(mv, *opts);
  mv->add_flag("--dry-run", opts->dry_run, "Show what would move, change nothing");
  mv->add_option("addresses", opts->addresses, "SOURCE and DESTINATION")
      ->option_text("SOURCE DESTINATION");
  ctx.add(mv, [opts] { return run_mv(*opts); });
}

}  // namespace orch::cli
