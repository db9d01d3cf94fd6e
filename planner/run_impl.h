// Session internals shared by run.cc (load, plan) and apply.cc (apply).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include "planner/backend.h"
#include "planner/clock.h"
#include "planner/model.h"
#include "planner/simulation.h"
#include "planner/run.h"

namespace orch {

struct Session::Impl {
  std::string work_dir;
  std::map<std::string, std::string> config_files;
  ValueMap variables;
  std::unique_ptr<Backend> backend;
  LoadedState loaded;
  std::unique_ptr<Clock> clock;
  std::map<std::string, std::unique_ptr<Provider>> providers;
  std::map<std::string, ObjectState> current;  // by address: refreshed (or state) objects
  std::set<std::string> refreshed;
  std::unique_ptr<Model> model;
  // Where providers' own retries go (ProviderContext::retry); set while an apply runs.
  std::function<void(const std::string&, const std::string&, Duration)> on_provider_retry;
  std::unique_ptr<Simulation> simulation;  // -simulate only

  Provider* provider_for(const std::string& provider_key, const std::string& type);
  // `pending_only`: look up only entries with no object (interrupted creates), e.g. for destroy.
  void refresh(bool enabled, Diagnostics& diags, bool pending_only = false);
};

// True when no value in the map is (or contains) unknown.
bool object_known(const ValueMap& m);

}  // namespace orch
