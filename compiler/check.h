// Semantic checks of a loaded module tree for `orch validate` (offline): variable types and
// defaults, references, meta-arguments, rollout and ready_when values, bodies against provider
// schemas, module inputs and outputs, and cycles. Reports every error, suppressing cascades.
#pragma once

#include <memory>

#include "compiler/config.h"
#include "compiler/eval.h"
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

// The scope `orch validate` evaluates a module's expressions in (also right for `orch console`):
// var.* from `variables` (missing ones: default, else unknown of their type), local.* evaluated on
// demand, resources and data sources as unknowns shaped by their schemas, module.* as unknown
// objects of the child's outputs, path.*. No count/each/self. Errors found while evaluating
// locals go to `diags`, which must outlive the scope (as must `config` and `schemas`).
std::unique_ptr<EvalScope> make_validation_scope(const Config& config,
                                                 const SchemaRegistry& schemas,
                                                 const ValueMap& variables, Diagnostics& diags);

// An unknown value shaped like a resource/data instance of `schema`: an object whose every
// attribute (and nested block) is unknown of its declared type.
Value unknown_instance(const Schema& schema);

}  // namespace orch
