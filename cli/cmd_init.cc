// `orch init [DIR]`: prepares a working directory: checks the configuration loads, that every
// provider it uses is compiled in, creates .orch/, opens the state backend (with -backend-config
// settings) and records it; when the backend changed since the last init, copies the state over
// (-migrate-state) or starts using the new one as it is (-reconfigure).
#include <fmt/format.h>
#include <filesystem>
#include <iostream>

#include "cli/backend_flags.h"
#include "cli/run_common.h"
#include "planner/backend_init.h"

namespace orch::cli {

namespace {

struct InitArgs {
  RunFlags run;
  bool migrate_state = false;
  bool reconfigure = false;
  bool force_copy = false;
};

int fail(const std::string& message) {
  std::cout.flush();
  std::cerr << "Error: " << message << "\n";
  return kExitError;
}

// Copies the state from `from` to `to`, both locked. Refuses to overwrite a different state in
// `to` unless `force`.
int migrate(const BackendConfig& from, const BackendConfig& to, bool force) {
  std::string e;
  auto src = open_backend(from, &e);
  if (!src) return fail("cannot open the previous backend: " + e);
  auto dst = open_backend(to, &e);
  if (!dst) return fail("cannot open the new backend: " + e);
  std::vector<std::string> warnings;
  LockInfo a = LockInfo::for_this_process("init -migrate-state");
  LockInfo b = LockInfo::for_this_process("init -migrate-state");
  if (auto err = src->lock(a, warnings)) return fail(err->message);
  ScopedLock src_lock(src.get(), a.id);
  if (auto err = dst->lock(b, warnings)) return fail(err->message);
  ScopedLock dst_lock(dst.get(), b.id);
  for (const auto& w : warnings) std::cerr << "Warning: " << w << "\n";
  LoadedState old_state, new_state;
  if (auto err = src->load(old_state))
    return fail("cannot read the state to copy: " + err->message);
  if (auto err = dst->load(new_state)) return fail("cannot read the new backend: " + err->message);
  if (!old_state.existed) {
    std::cout << "There is no state in " << src->describe() << " to copy.\n\n";
    return kExitOk;
  }
  const State& n = new_state.state;
  // An older copy of the same state (moving back to where it came from) may be overwritten.
  const bool older_copy =
      n.lineage == old_state.state.lineage && n.serial <= old_state.state.serial;
  if (new_state.existed && !force && !older_copy && !n.resources.empty()) {
    return fail(fmt::format(
        "{} already holds a state (lineage {}, serial {}, {} resources); refusing to overwrite it "
        "with the one from {}. Pass -force-copy to replace it.",
        dst->describe(), n.lineage, n.serial, n.resources.size(), src->describe()));
  }
  State copy = old_state.state;
  if (auto err = dst->write_snapshot(copy)) return fail("cannot write the state: " + err->message);
  std::cout << "Copied the state (" << copy.resources.size() << " resources, lineage "
            << copy.lineage << ") from " << src->describe() << " to " << dst->describe()
            << ".\nThe old state was left where it was; delete it once you are sure.\n\n";
  return kExitOk;
}

int run_init(InitArgs& args, CliContext& ctx) {
  const std::string dir = args.run.dir;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(dir) / ".orch", ec);
  if (ec) {
    std::cerr << "orch init: cannot create " << dir << "/.orch: " << ec.message() << "\n";
    return int(kExitError);
  }
  RunOptions o = run_options(args.run);
  o.var_inputs = {};
  o.initializing = true;
  o.use_recorded_backend_config = !args.reconfigure;
  const auto flags = o.backend_config;
  Session s(std::move(o));
  bool ok = s.load();
  // Missing variable values are not init's business.
  print_session_diagnostics(s, ctx.global);
  if (!ok && s.config() == nullptr) return int(kExitError);
  if (!ok) {
    bool only_vars = true;
    for (const auto& d : s.diags().list())
      if (d.severity == Severity::Error && d.summary.find("variable") == std::string::npos)
        only_vars = false;
    if (!only_vars) return int(kExitError);
  }

  const std::string type =
      s.config() && s.config()->backend ? s.config()->backend->type : std::string("local");
  const auto overrides = effective_backend_overrides(type, dir, flags, !args.reconfigure);
  BackendConfig now;
  std::string e;
  if (!resolve_backend_config(s.config(), overrides, dir, now, &e)) return fail(e);
  std::optional<BackendRecord> before = read_backend_record(dir, &e);
  if (!e.empty()) return fail(e);
  if (!before) before = implicit_local_record(dir);
  const std::string identity = backend_identity(now);
  if (before && before->identity != identity) {
    if (args.migrate_state) {
      if (int code = migrate(before->config(dir), now, args.force_copy); code != kExitOk)
        return code;
    } else if (!args.reconfigure) {
      return fail(backend_needs_init(now, dir).value_or("the backend changed since `orch init`"));
    } else {
      std::cout << "Using the new backend as it is; the state of the previous one was not "
                   "copied.\n\n";
    }
  }
  if (!write_backend_record(dir, backend_record_of(now, overrides), &e)) return fail(e);
  std::cout << "orch has been successfully initialized!\n\n"
               "Providers are compiled into orch; state is kept in ";
  if (now.type == "local") {
    std::cout << ".orch/.";
  } else if (auto b = open_backend(now, &e)) {
    std::cout << b->describe() << ".";
  }
  std::cout << " Run \"orch plan\" to see what orch would do.\n";
  return int(kExitOk);
}

}  // namespace

void register_init(CLI::App& root, CliContext& ctx) {
  auto args = std::make_shared<InitArgs>();
  CLI::App* app = root.add_subcommand("init", "Prepare a working directory for orch");
  add_backend_config_flag(app, args->run.backend_config);
  app->add_flag("--migrate-state", args->migrate_state,
                "Copy the state to a backend that changed since the last init");
  app->add_flag("--reconfigure", args->reconfigure,
                "Use the configured backend as it is, without copying state or reusing recorded "
                "-backend-config settings");
  app->add_flag("--force-copy", args->force_copy,
                "With -migrate-state: overwrite a state the new backend already holds");
  app->add_option("dir", args->run.dir, "The configuration directory (default .)");
  ctx.add(app, [args, &ctx]() { return run_init(*args, ctx); });
}

}  // namespace orch::cli
