// Loading a module tree: a directory is a module (all its *.orch files, in name order), parsed,
// built into a Config, with `module` blocks' local `source` directories loaded recursively.
#pragma once

#include <memory>
#include <string>

#include "compiler/ast.h"
#include "compiler/config.h"
#include "compiler/diagnostic.h"
#include "compiler/source.h"

namespace orch {

// Loads the module in `dir` and every child module it calls. Structural errors (unknown block
// types, missing labels, duplicates, bad meta-arguments) are diagnostics; the returned Config
// holds everything that could be understood. Returns null only when `dir` cannot be read as a
// directory. Module sources must be local paths ("./x", "../x"); a source that does not exist, a
// module calling itself (directly or through others) and nesting deeper than 32 are errors.
std::unique_ptr<Config> load_config(const std::string& dir, SourceManager& sources,
                                    Diagnostics& diags);

// Builds the Config of one module from already-parsed files (no recursion into modules: their
// `child` stays null). Takes ownership of the files. Used by load_config and by tests.
Config build_config(std::vector<std::unique_ptr<File>> files, const std::string& dir,
                    const std::string& module_path, Diagnostics& diags);

}  // namespace orch
