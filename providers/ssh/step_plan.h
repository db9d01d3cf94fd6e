// Rules shared by the step resources that run something on a set of targets (ssh_command on
// hosts, chef_converge on nodes): which changes run the step again and on which targets, plus the
// small attribute readers both need.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/value.h"

namespace orch {

struct StepRun {
  bool runs = false;                 // the step runs (on `targets`)
  bool targets_known = true;         // false: the target list is known only at apply time
  std::vector<std::string> targets;  // in configuration order
  std::string reason;                // for plan notes: "first run", "triggers changed", ...
};

struct StepRules {
  std::string list_attr;                 // "hosts", "nodes"
  std::vector<std::string> rerun_attrs;  // a change of any runs the step on every target
  std::string noun = "host";             // for notes: "2 new hosts"
};

// What applying `planned` over `prior` (nullptr: never ran) does. Targets added to the list run;
// so do targets in `prior_failed` (failed last time, within max_failures) whenever the step runs.
StepRun step_run(const ValueMap* prior, const ValueMap& planned, const StepRules& rules,
                 const std::vector<std::string>& prior_failed);

// Attribute readers: nullopt when absent, null, unknown or of another kind.
std::optional<std::string> attr_string(const ValueMap& m, const std::string& name);
std::optional<int64_t> attr_int(const ValueMap& m, const std::string& name);
std::optional<bool> attr_bool(const ValueMap& m, const std::string& name);
std::optional<std::vector<std::string>> attr_strings(const ValueMap& m, const std::string& name);
// A map of strings (options), in key order; nullopt when not a known map of strings.
std::optional<std::vector<std::pair<std::string, std::string>>> attr_string_map(
    const ValueMap& m, const std::string& name);

// "1 host", "3 hosts".
std::string count_of(size_t n, const std::string& noun);
// "a, b, c and 4 more" (at most `show` names).
std::string name_list(const std::vector<std::string>& names, size_t show = 5);

}  // namespace orch
