// Input variables of the root module: `-var name=value`, `-var-file` (.orch style `name = value`
// lines, or YAML for .yaml/.yml), `ORCH_VAR_<name>` environment variables, and defaults.
// Precedence as in Terraform: defaults < environment < files (in order) < -var (in order).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compiler/config.h"
#include "compiler/diagnostic.h"
#include "compiler/source.h"
#include "compiler/value.h"

namespace orch {

enum class VarSource { Default, Environment, File, CommandLine, Unset };

// Where input values come from, as given on the command line.
struct VarInputs {
  std::vector<std::string> vars;       // each "name=value", in command-line order
  std::vector<std::string> var_files;  // paths, in command-line order
  // Environment variables (name → value); only ORCH_VAR_* entries are used. Fill it with
  // environment_variables() in the CLI; tests set it directly.
  std::map<std::string, std::string> env;
};

// A snapshot of the process environment.
std::map<std::string, std::string> environment_variables();

struct InputValue {
  Value value;
  VarSource source = VarSource::Unset;
  Range range;  // in the var file, or invalid for -var and environment values
};

// Gathers raw values from every source, without defaults or conversion. Values of -var and the
// environment are taken as strings when the declared type is string (or absent and the text does
// not parse as an expression), otherwise parsed as expressions ("[1, 2]", "{a = 1}"). Files are
// read through `sources` (so diagnostics can quote them). Undeclared names in files and -var are
// errors; undeclared ORCH_VAR_ names are ignored (like Terraform).
std::map<std::string, InputValue> collect_inputs(const VarInputs& inputs, const Config& root,
                                                 SourceManager& sources, Diagnostics& diags);

// The final value of every declared variable: the given value converted to its type, else the
// default; nullable = false rejects null; validation blocks run. A required variable with no
// value is an error unless `allow_missing` (then it is unknown of its type, as `orch validate`
// wants). Values of sensitive variables are marked sensitive.
ValueMap resolve_variables(const Config& config, const std::map<std::string, InputValue>& inputs,
                           Diagnostics& diags, bool allow_missing = false);

// Values for a child module's variables from evaluated inputs (module calls): same conversion,
// defaults, nullability and validation rules, with errors at `call_range`.
ValueMap resolve_module_variables(const Config& child, const ValueMap& inputs,
                                  const Range& call_range, Diagnostics& diags);

}  // namespace orch
