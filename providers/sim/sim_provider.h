// The `sim` provider: a simulated world on the run's clock (virtual for -simulate) with
// `sim_machine`, `sim_task` and `sim_election`. Operations take their simulated durations
// (a machine its boot_time, a task its duration) and change the world file.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "providers/provider.h"
#include "providers/sim/sim_world.h"

namespace orch {

// The schema of the sim provider: config (`world`, `seed`) and its three resource types.
ProviderSchema sim_schema();

class SimProvider final : public Provider {
 public:
  SimProvider();
  ~SimProvider() override;  // writes the world if an apply changed it since the last write

  const ProviderSchema& schema() const override { return schema_; }
  void configure(const ValueMap& config, const ProviderContext& ctx, Diagnostics& diags) override;
  // Reads the world file once for all items: objects deleted from it are absent (drift),
  // edited attributes come back as edited.
  void read_many(const std::string& type, std::vector<ReadItem> items,
                 std::function<void(ReadResult)> done) override;
  void read_data(
      const std::string& type, const ValueMap& config,
      std::function<void(std::optional<ValueMap>, std::optional<ProviderError>)> done) override;
  PlanResponse plan(const PlanRequest& request) override;
  void apply(const ApplyRequest& request, std::function<void(ApplyResult)> done) override;
  void check_gate(const GateRequest& request, std::function<void(GateResult)> done) override;

  // Writes the world file now when it changed; false and `error` when it cannot.
  bool flush(std::string* error);
  const std::string& world_path() const { return world_path_; }
  uint64_t seed() const { return seed_; }

 private:
  bool ensure_loaded(std::string* error);
  void changed();         // marks the world dirty and schedules a write
  void schedule_flush();  // one coalesced write on the loop (see the .cc for the policy)
  // Runs `fn` after `d` on the clock (at once without a clock).
  void after(Duration d, std::function<void()> fn);

  void apply_machine(const ApplyRequest& req, std::function<void(ApplyResult)> done);
  void apply_task(const ApplyRequest& req, std::function<void(ApplyResult)> done);
  void apply_election(const ApplyRequest& req, std::function<void(ApplyResult)> done);

  ProviderSchema schema_;
  ProviderContext ctx_;
  std::string world_path_;
  uint64_t seed_ = 1;
  SimWorld world_;
  bool loaded_ = false;
  bool dirty_ = false;
  bool flush_scheduled_ = false;
  int in_flight_ = 0;
  std::chrono::steady_clock::time_point last_write_{};
  std::shared_ptr<char> alive_ = std::make_shared<char>(0);
};

}  // namespace orch
