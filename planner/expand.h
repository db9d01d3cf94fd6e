// Expansion of `count` / `for_each` into resource instances (`type.name`, `type.name[3]`,
// `type.name["key"]`, prefixed `module.db.` inside modules), and what each instance's
// configuration refers to, resolved to instances and blocks for the execution graph.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "compiler/config.h"
#include "compiler/diagnostic.h"
#include "compiler/eval.h"
#include "planner/address.h"

namespace orch {

struct ExpandedInstance {
  ResourceAddress addr;
  std::string address;               // addr.str()
  std::optional<Value> count_index;  // count.index
  std::optional<Value> each_key;     // each.key
  std::optional<Value> each_value;   // each.value
};

struct Expansion {
  std::vector<ExpandedInstance> instances;  // in key order
  bool counted = false;                     // count: the block's value is a tuple
  bool keyed = false;                       // for_each: the block's value is an object by key
  // count/for_each not known until apply (an error was reported, unless the caller defers it).
  bool unknown = false;
};

// Evaluates `count` / `for_each` of `resource` (in module `module_path`, "" for the root) with
// `scope` and lists its instances. Negative, non-integer counts and for_each values that are not
// a map or set of strings are errors at the expression. An unknown value is an error too unless
// `defer_unknown`: the expansion is then `unknown` with no instances, for apply to expand.
Expansion expand_resource(const Resource& resource, const std::string& module_path,
                          const EvalScope& scope, Diagnostics& diags, bool defer_unknown = false);

// An upper bound on the number of instances of an unknown count/for_each `expr` when one is
// known: the length of a known collection it filters (setsubtract, toset, distinct, a `for`
// over it, ...), the sum for unions and concatenations, the larger branch of a conditional.
std::optional<int64_t> instance_bound(const Expr& expr, const EvalScope& scope);

// The references an unknown count/for_each waits for, as written ("sim_election.master.leader"),
// in source order, without duplicates.
std::vector<std::string> unknown_references(const Expr& expr, const EvalScope& scope);

// The address of a block inside a module: "module.db.sim_machine.node".
ResourceAddress block_address(const Resource& resource, const std::string& module_path);

// The module path ("module.a.module.b") as the address's module steps.
std::vector<ModuleStep> module_steps(const std::string& module_path);

// What one instance's configuration needs, as the graph wants it.
struct InstanceNeeds {
  std::set<std::string> instances;  // exact instance addresses
  std::set<std::string> blocks;     // every instance of these blocks
  std::set<std::string> any;        // one instance of these blocks (depends_on = [any(x)])
};

}  // namespace orch
