// `orch force-unlock [-force] ID`: remove a state lock left by an orch that cannot release it.
#include <unistd.h>

#include <iostream>

#include "cli/backend_flags.h"
#include "cli/commands.h"
#include "planner/backend.h"

namespace orch::cli {
namespace {

struct ForceUnlockOptions {
  std::string id;
  std::string state_path;
  std::vector<std::string> backend_config;
  bool force = false;
};

int fail(const std::string& message, int code = kExitError) {
  std::cout.flush();
  std::cerr << "Error: " << message << "\n";
  return code;
}

int run_force_unlock(const ForceUnlockOptions& opts) {
  if (opts.id.empty()) return fail("force-unlock needs the lock ID", kExitUsage);
  BackendConfig config;
  std::string error;
  std::unique_ptr<Backend> backend;
  if (!opts.state_path.empty()) {
    config.settings["path"] = Value::string(opts.state_path);
    backend = open_backend(config, &error);
  } else {
    backend = configured_backend(".", opts.backend_config, &error);  // the configuration's
  }
  if (!backend) return fail(error);

  std::optional<LockInfo> holder;
  if (auto e = backend->lock_holder(holder); e && e->kind != BackendError::Kind::Corrupt) {
    return fail(e->message);
  }
  if (!opts.force) {
    if (!::isatty(STDIN_FILENO)) {
      return fail(
          "force-unlock asks for confirmation, and stdin is not a terminal; pass -force "
          "to unlock without asking");
    }
    std::cout << "Do you really want to force-unlock the state?\n"
              << "  "
              << (holder ? "It is locked by " + holder->describe() + "."
                         : std::string("No holder information is available."))
              << "\n  Removing a lock that is still in use can corrupt the state.\n"
              << "  Only 'yes' will be accepted to confirm.\n\n  Enter a value: " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "yes") return fail("force-unlock cancelled");
  }
  if (auto e = backend->force_unlock(opts.id)) return fail(e->message);
  std::cout << "The state lock " << opts.id << " in " << backend->describe() << " has been removed";
  if (holder) std::cout << " (it was held by " << holder->who << ", pid " << holder->pid << ")";
  std::cout << ".\n";
  return kExitOk;
}

}  // namespace

void register_force_unlock(CLI::App& root, CliContext& ctx) {
  CLI::App* app = root.add_subcommand(
      "force-unlock", "Remove a state lock that its holder cannot release (needs the lock ID)");
  auto opts = std::make_shared<ForceUnlockOptions>();
  app->add_flag("--force", opts->force, "Do not ask for confirmation");
  app->add_option("--state", opts->state_path,
                  "Path of a local state file (default: the configuration's backend)")
      ->option_text("PATH");
  add_backend_config_flag(app, opts->backend_config);
  app->add_option("id", opts->id, "The lock ID (shown by the command that was refused)")
      ->option_text("ID");
  ctx.add(app, [opts] { return run_force_unlock(*opts); });
}

}  // namespace orch::cli
