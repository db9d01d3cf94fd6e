// The evaluation model of a run: module instances with their variables, lazily evaluated locals
// and module outputs, and resource blocks whose instance values come from the planner (planned
// values at plan time, applied values during apply). Implements EvalScope for expressions.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "compiler/config.h"
#include "compiler/eval.h"
#include "planner/expand.h"

namespace orch {

class Model {
 public:
  struct Module;

  struct Block {
    std::string address;  // "module.db.sim_machine.node"
    const Resource* resource = nullptr;
    Module* module = nullptr;
    int visit = 0;  // 0: not planned, 1: planning (cycle guard), 2: planned
    Expansion expansion;
    Value cached;
    uint64_t cached_gen = UINT64_MAX;
  };

  struct Module {
    std::string path;  // "" or "module.db"
    const Config* config = nullptr;
    Module* parent = nullptr;
    const ModuleCall* call = nullptr;  // in the parent
    ValueMap variables;
    std::map<std::string, Value> locals;
    std::map<std::string, int> local_visit;
    std::map<std::string, std::unique_ptr<Module>> children;
  };

  // Builds the module tree (variables of children evaluated lazily on first use).
  Model(const Config& root, ValueMap root_variables, Diagnostics& diags);

  // Called the first time a block's value is needed: expand it and set its instances' values.
  std::function<void(Block&)> plan_block;

  Module& root() { return *root_; }
  // Every block of every module, by address (sorted).
  std::map<std::string, Block>& blocks() { return blocks_; }
  Block* block(const std::string& address);
  // Visits every module (root first, then children by name).
  void for_each_module(const std::function<void(Module&)>& fn);

  // Replaces a block's expansion (a deferred block expanded during apply); its value is rebuilt.
  void set_expansion(Block& b, Expansion expansion);

  // Instance values (planned or applied objects). Setting one invalidates cached block values.
  void set_value(const std::string& instance, const std::string& block, Value v);
  void erase_value(const std::string& instance, const std::string& block);
  const Value* value(const std::string& instance) const;

  // The value of a block as references see it: object, tuple (count) or object by key.
  Value block_value(Block& b);
  // One instance of a counted or for_each block by its index or key (no whole-block value is
  // built); nullopt when the block is not expanded that way or the instance has no value.
  std::optional<Value> instance_value(Block& b, const Value& index);
  Value local_value(Module& m, const std::string& name);
  Value output_value(Module& m, const std::string& name);
  // Values of a module's variables (resolving a child's inputs in its parent on first use).
  const ValueMap& module_variables(Module& m);

  // A scope for expressions of module `m`, with optional repetition and `self` values.
  struct Repetition {
    std::optional<Value> count_index, each_key, each_value, self;
  };
  std::unique_ptr<EvalScope> scope(Module& m, Repetition rep = {});

  // Evaluates a resource instance's attributes (the body minus meta-arguments; nested blocks
  // become lists of objects) into a config map.
  ValueMap evaluate_body(const Resource& r, const EvalScope& scope, Diagnostics& diags);

  // Resolves what an instance needs (references and depends_on) to instances and blocks.
  InstanceNeeds needs(Block& b, const ExpandedInstance& inst);
  // What a deferred block's expansion waits for: everything any of its instances could need
  // (references by index count as the whole block) plus what count/for_each refers to.
  InstanceNeeds expansion_needs(Block& b);

  Diagnostics& diags() { return diags_; }

 private:
  void build(Module& m);
  void add_refs(Module& m, const std::vector<Reference>& refs, const EvalScope* inst_scope,
                InstanceNeeds& out, int depth);
  void module_blocks(Module& m, std::set<std::string>& out);
  bool variables_ready(Module& m) const { return m.parent == nullptr || vars_done_.count(&m); }

  std::unique_ptr<Module> root_;
  std::map<std::string, Block> blocks_;
  std::unordered_map<std::string, Value> values_;
  std::unordered_map<std::string, uint64_t> block_gen_;
  std::map<std::pair<const Module*, std::string>, uint64_t> local_gen_;
  uint64_t generation_ = 0;
  std::map<const Module*, bool> vars_done_;
  std::map<std::pair<const Module*, std::string>, std::vector<Reference>> local_refs_;
  Diagnostics& diags_;
};

}  // namespace orch
