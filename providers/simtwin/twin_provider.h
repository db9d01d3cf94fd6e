// The simulated twin of any provider (`-simulate`): it has the provider's schema and nothing
// else, never talks to a server and needs no credentials. Operations take the TwinModel's
// latencies on the run's (virtual) clock and fail as the model says; computed attributes come
// from the schema's simulation hints (first-ready leaders, counters, templates) or are
// synthesized from their names and types. Its world is the simulated state: a refresh returns
// what the state recorded, so an apply followed by a plan shows no changes.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "providers/provider.h"
#include "providers/simtwin/twin_model.h"

namespace orch {

class TwinProvider final : public Provider {
 public:
  // `real_limits`: the real provider's concurrency, kept unless the profile overrides it.
  TwinProvider(ProviderSchema schema, std::shared_ptr<const TwinModel> model,
               ProviderLimits real_limits = {});

  const ProviderSchema& schema() const override { return schema_; }
  // Accepts any configuration (credentials are neither needed nor looked at).
  void configure(const ValueMap& config, const ProviderContext& ctx, Diagnostics& diags) override;
  void read_many(const std::string& type, std::vector<ReadItem> items,
                 std::function<void(ReadResult)> done) override;
  void read_data(
      const std::string& type, const ValueMap& config,
      std::function<void(std::optional<ValueMap>, std::optional<ProviderError>)> done) override;
  PlanResponse plan(const PlanRequest& request) override;
  void apply(const ApplyRequest& request, std::function<void(ApplyResult)> done) override;
  // Never called under the virtual clock (gates are simulated there); holds at once otherwise.
  void check_gate(const GateRequest& request, std::function<void(GateResult)> done) override;
  ProviderLimits limits() const override;

 private:
  const Schema* resource_schema(const std::string& type) const;
  // Fills every computed attribute still unknown (or absent) in `attrs`.
  void fill_computed(const std::string& type, const Schema& schema, const ApplyRequest* req,
                     const std::string& address, ValueMap& attrs) const;
  void after(Duration d, std::function<void()> fn);

  ProviderSchema schema_;
  std::shared_ptr<const TwinModel> model_;
  ProviderLimits real_limits_;
  ProviderContext ctx_;
  std::map<std::string, int> attempts_;  // by address: attempts of the operation in progress
  std::shared_ptr<char> alive_ = std::make_shared<char>(0);
};

// The twin of `real` (its schema and limits; `real` itself is dropped unconfigured).
std::unique_ptr<Provider> make_twin(std::unique_ptr<Provider> real,
                                    std::shared_ptr<const TwinModel> model);

}  // namespace orch
