// -backend-config KEY=VALUE (init, plan, apply, destroy, graph, show, output, state,
// force-unlock): settings on top of the configuration's backend block, merged with what
// `orch init` recorded; and the configured backend for commands that only touch the state.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "planner/backend.h"

namespace orch::cli {

// Adds the repeatable -backend-config flag (each value KEY=VALUE) bound to `flags`.
void add_backend_config_flag(CLI::App* app, std::vector<std::string>& flags);

// KEY=VALUE entries as a map (the last one of a key wins).
std::map<std::string, std::string> parse_backend_config(const std::vector<std::string>& flags);

// The backend the configuration in `dir` declares (local when it declares none), with the
// effective -backend-config. nullptr and `error` when it cannot be opened.
std::unique_ptr<Backend> configured_backend(const std::string& dir,
                                            const std::vector<std::string>& flags,
                                            std::string* error);

}  // namespace orch::cli
