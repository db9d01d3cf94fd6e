// `orch init [DIR]`: prepares a working directory: checks the configuration loads, that every
// provider it uses is compiled in, creates .orch/, and opens the state backend.
#include <filesystem>
#include <iostream>

#include "cli/run_common.h"

namespace orch::cli {

void register_init(CLI::App& root, CliContext& ctx) {
  auto args = std::make_shared<RunFlags>();
  CLI::App* app = root.add_subcommand("init", "Prepare a working directory for orch");
  app->add_option("dir", args->dir, "The configuration directory (default .)");
  ctx.add(app, [args, &ctx]() {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(args->dir) / ".orch", ec);
    if (ec) {
      std::cerr << "orch init: cannot create " << args->dir << "/.orch: " << ec.message() << "\n";
      return int(kExitError);
    }
    RunOptions o = run_options(*args);
    o.var_inputs = {};
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
    std::cout << "orch has been successfully initialized!\n\n"
                 "Providers are compiled into orch; state is kept in .orch/. Run \"orch plan\" "
                 "to see what orch would do.\n";
    return int(kExitOk);
  });
}

}  // namespace orch::cli
