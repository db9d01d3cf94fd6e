// `-simulate`: a rehearsal of any configuration on the virtual clock that never touches the real
// world or the real state. Every provider is replaced by its simulated twin (providers/simtwin);
// the state lives under <dir>/.orch/simulate/ (state.json and its journal, base.json, runs/),
// seeded from the real state (read, never locked or written) and re-seeded whenever the real
// state has moved on since, so that plan → apply -simulate → plan -simulate shows no changes,
// and a rehearsal after a real apply starts from what is really there.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "compiler/config.h"
#include "compiler/diagnostic.h"
#include "compiler/schema.h"
#include "compiler/simulate_profile.h"
#include "compiler/source.h"
#include "planner/backend.h"
#include "planner/exec_graph.h"
#include "providers/provider.h"
#include "providers/simtwin/twin_model.h"

namespace orch {

struct SimulationOptions {
  std::string profile_path;      // -simulate-profile FILE (YAML); empty: none
  std::optional<uint64_t> seed;  // -simulate-seed N: over the block and the profile
};

class Simulation {
 public:
  // The profile (the configuration's simulate block, then the file over it), and the directory.
  // nullptr when the profile has errors (in `diags`).
  static std::unique_ptr<Simulation> prepare(const Config& config, const std::string& work_dir,
                                             const SimulationOptions& options,
                                             const SchemaRegistry* schemas, SourceManager& sources,
                                             Diagnostics& diags);

  // The simulated state (a local backend in dir()), seeded from `real` as described above. A
  // real state that cannot be read is a warning: the simulation then starts from nothing.
  // nullptr (and an error in `diags`) when the simulated state cannot be prepared.
  std::unique_ptr<Backend> open_backend(const BackendConfig& real, Diagnostics& diags) const;

  // The twin standing in for `real`.
  std::unique_ptr<Provider> twin(std::unique_ptr<Provider> real) const;

  // A gate without simulate_after holds after the profile's `gate` duration for its type.
  void adjust_gate(const std::string& type, const std::string& address, ExecGate& gate) const;

  const TwinModel& model() const { return *model_; }
  std::shared_ptr<const TwinModel> shared_model() const { return model_; }
  const std::string& dir() const { return dir_; }  // <work_dir>/.orch/simulate

 private:
  std::shared_ptr<const TwinModel> model_;
  std::string dir_;
};

// Where applies record their timelines: <work_dir>/.orch/runs, or .orch/simulate/runs.
std::string runs_dir(const std::string& work_dir, bool simulated);

}  // namespace orch
