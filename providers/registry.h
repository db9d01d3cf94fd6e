// The providers compiled into orch: their schemas (for the checker and planner) and factories.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/schema.h"
#include "providers/provider.h"

namespace orch {

// Names of the compiled-in providers, sorted.
std::vector<std::string> builtin_provider_names();
// The schemas of every compiled-in provider.
SchemaRegistry builtin_schemas();
// A new, unconfigured provider; nullptr when `name` is not compiled in.
std::unique_ptr<Provider> make_provider(std::string_view name);

}  // namespace orch
