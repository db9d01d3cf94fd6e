// -backend-config flags and the configured backend (see backend_flags.h).
#include "cli/backend_flags.h"

#include "compiler/load.h"
#include "planner/backend_init.h"

namespace orch::cli {

void add_backend_config_flag(CLI::App* app, std::vector<std::string>& flags) {
  app->add_option("--backend-config", flags,
                  "A backend setting on top of the backend block: -backend-config "
                  "'endpoints=http://10.0.0.1:2379' (repeatable)")
      ->option_text("KEY=VALUE")
      ->check([](const std::string& v) {
        size_t eq = v.find('=');
        return eq == std::string::npos || eq == 0
                   ? std::string("-backend-config takes KEY=VALUE, e.g. prefix=/orch/prod")
                   : std::string();
      });
}

std::map<std::string, std::string> parse_backend_config(const std::vector<std::string>& flags) {
  std::map<std::string, std::string> out;
  for (const auto& f : flags) {
    size_t eq = f.find('=');
    if (eq == std::string::npos || eq == 0) continue;  // refused by the flag's check
    out[f.substr(0, eq)] = f.substr(eq + 1);
  }
  return out;
}

std::unique_ptr<Backend> configured_backend(const std::string& dir,
                                            const std::vector<std::string>& flags,
                                            std::string* error) {
  SourceManager sources;
  Diagnostics diags;
  auto config = load_config(dir, sources, diags);
  BackendConfig bc;
  const std::string type = config && config->backend ? config->backend->type : "local";
  if (!resolve_backend_config(config.get(),
                              effective_backend_overrides(type, dir, parse_backend_config(flags)),
                              dir, bc, error))
    return nullptr;
  if (auto why = backend_needs_init(bc, dir)) {
    if (error) *error = *why;
    return nullptr;
  }
  return open_backend(bc, error);
}

}  // namespace orch::cli
