// Semantic checks of a loaded module tree for `orch validate` (offline): variable types and
// defaults, references, meta-arguments, rollout and ready_when values, bodies against provider
// schemas, module inputs and outputs, and cycles. Reports every error, suppressing cascades.
#pragma once

#include "compiler/config.h"
#include "compiler/diagnostic.h"
#include "compiler/schema.h"
#include "compiler/value.h"

namespace orch {

struct CheckOptions {
  // Values of the root module's variables (from resolve_variables). Variables missing here are
  // unknown of their declared type.
  ValueMap root_variables;
};

// Checks `root` and all its child modules. Adds diagnostics; returns true when no errors.
bool check_config(const Config& root, const SchemaRegistry& schemas, Diagnostics& diags,
                  const CheckOptions& options = {});

// An unknown value shaped like a resource/data instance of `schema`: an object whose every
// attribute (and nested block) is unknown of its declared type.
Value unknown_instance(const Schema& schema);

}  // namespace orch
