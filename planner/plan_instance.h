// Planning one resource instance: its configuration evaluated in the model, the provider's
// plan, the diff against state and the refreshed object → a ResourceChange and its place in the
// execution graph. `plan` does this for every instance; apply does it for the instances of a
// block whose count/for_each became known only during apply (a deferred block).
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "compiler/diagnostic.h"
#include "planner/graph.h"
#include "planner/model.h"
#include "planner/plan.h"
#include "planner/state.h"
#include "providers/provider.h"

namespace orch {

class Clock;

struct InstancePlanner {
  InstancePlanner(Model& m, const State& s, Diagnostics& d) : model(m), state(s), diags(d) {}

  Model& model;
  const State& state;
  Diagnostics& diags;
  // The provider of a resource (provider key, type); nullptr when it is not available.
  std::function<Provider*(const std::string& key, const std::string& type)> provider_for;
  // Objects as refresh read them, by address (each taken when its instance is planned); null:
  // the objects as the state has them (apply, -refresh=false is handled by the caller).
  std::map<std::string, ObjectState>* current = nullptr;
  const std::set<std::string>* refreshed = nullptr;  // addresses refresh read (drift notes)
  const std::set<std::string>* replace = nullptr;    // -replace addresses
  // Reads data sources with known configuration now (plan); null: they are read during apply.
  Clock* clock = nullptr;
  // The steps planned so far and their addresses (plan): a data source that depends on one with
  // a change, or on an instance the state has and the configuration no longer expands to (a
  // delete), is read during apply, after those changes. null: no such check.
  const std::vector<GraphInstance>* steps = nullptr;
  const std::set<std::string>* planned = nullptr;
  bool destroy = false;
  // Objects marked for this stack that the state does not know (planner/adopt.h), by address:
  // an instance with no object in state adopts its own (taken from the map); null: none.
  std::map<std::string, ObjectState>* owned = nullptr;

  struct Planned {
    ResourceChange change;
    GraphInstance graph;
  };

  // One instance of `b` (the block's expansion lists it). Sets the instance's value in the model.
  Planned instance(Model::Block& b, const ExpandedInstance& inst);
  // An instance in state with no configuration (its block is gone, or its key is).
  Planned orphan(const ResourceAddress& addr, const ResourceState& r);
  // A block whose count/for_each is unknown: what the plan shows for it and its expansion node.
  // `b.expansion.unknown` must be set.
  std::pair<PlanDeferred, GraphInstance> deferred(Model::Block& b);

 private:
  const Schema* schema_of(const Resource& r, Provider* p) const;
};

}  // namespace orch
