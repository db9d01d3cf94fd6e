// Helpers shared by the builders of Config objects from AST blocks (load*.cc).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ast.h"
#include "compiler/config.h"
#include "compiler/diagnostic.h"

namespace orch::detail {

// A string / bool attribute value that must be constant (no references).
std::optional<std::string> constant_string(const Attribute& a, Diagnostics& diags);
std::optional<bool> constant_bool(const Attribute& a, Diagnostics& diags);

// "Unsupported argument"/"Unsupported block type" for names not in `allowed`, with a suggestion.
void unsupported_attribute(const Attribute& a, std::string_view where,
                           const std::vector<std::string>& allowed, Diagnostics& diags);
void unsupported_block(const Block& b, std::string_view where,
                       const std::vector<std::string>& allowed, Diagnostics& diags);

// Reports attributes given twice in one body (recursively through nested blocks).
void check_duplicate_attributes(const Body& body, Diagnostics& diags);

// Parses a depends_on list: references to resources, data sources and modules, optionally
// wrapped in any(...).
std::vector<DependsOn> parse_depends_on(const Attribute& a, Diagnostics& diags);

// Builders for the blocks of a module (load_blocks.cc).
std::optional<Variable> build_variable(const Block& b, Diagnostics& diags);
std::optional<Resource> build_resource(const Block& b, ResourceMode mode, Diagnostics& diags);
std::optional<Output> build_output(const Block& b, Diagnostics& diags);
std::optional<ModuleCall> build_module_call(const Block& b, const std::string& dir,
                                            Diagnostics& diags);
std::optional<ProviderConfig> build_provider(const Block& b, Diagnostics& diags);

}  // namespace orch::detail
