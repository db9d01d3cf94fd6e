// Test support: builds Configs from in-memory .orch text and registers test provider schemas.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "compiler/config.h"
#include "compiler/diagnostic.h"
#include "compiler/schema.h"
#include "compiler/source.h"

namespace orch::testing {

// Parses each (file name → text) and builds one module's Config (module calls not loaded).
Config build_config_from(SourceManager& sources, const std::map<std::string, std::string>& files,
                         Diagnostics& diags, const std::string& dir = "/cfg");

// A schema registry with a "test" provider: test_machine (name required, size optional,
// tags map(string), id/private_ip/private_dns computed, a `disk` block list with size
// required), test_task (on list(string) required, command required), data source test_image
// (name required; id computed), a gate `test_ready` (string), provider config
// (region optional string).
SchemaRegistry test_schemas();

// Summaries of all diagnostics, "summary" per line, for compact assertions in failures.
std::string summaries(const Diagnostics& diags);
// True when some diagnostic has this summary (and, if given, a detail containing `detail_part`).
bool has_diag(const Diagnostics& diags, const std::string& summary,
              const std::string& detail_part = {});
// The first diagnostic with this summary, or null.
const Diagnostic* find_diag(const Diagnostics& diags, const std::string& summary);

}  // namespace orch::testing
