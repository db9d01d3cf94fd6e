// The `chef` provider: Chef Server objects (nodes, roles, environments, data bags, clients) as
// resources, partial search as a data source, and node/tag/attribute readiness gates, all
// through one signed API client on the run's loop. Each type lives in its own file (see
// chef_types.cc); this class configures the connection and dispatches to them.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "providers/chef/chef_resource.h"
#include "providers/chef/chef_types.h"
#include "providers/provider.h"

namespace orch {

// The provider's schema: configuration, every registered resource type, data source and gate.
ProviderSchema chef_schema();

class ChefProvider final : public Provider {
 public:
  ChefProvider();
  ~ChefProvider() override;

  const ProviderSchema& schema() const override { return schema_; }
  void configure(const ValueMap& config, const ProviderContext& ctx, Diagnostics& diags) override;
  void read_many(const std::string& type, std::vector<ReadItem> items,
                 std::function<void(ReadResult)> done) override;
  void read_data(
      const std::string& type, const ValueMap& config,
      std::function<void(std::optional<ValueMap>, std::optional<ProviderError>)> done) override;
  PlanResponse plan(const PlanRequest& request) override;
  void apply(const ApplyRequest& request, std::function<void(ApplyResult)> done) override;
  void check_gate(const GateRequest& request, std::function<void(GateResult)> done) override;
  ProviderLimits limits() const override;

  // For tests and benchmarks: the API client (null before configure or without a real loop).
  chef::ChefApi* api() { return api_.get(); }
  // Where knife's credentials file is looked for (default: ~/.chef/credentials).
  void set_credentials_path(std::string path) { credentials_path_ = std::move(path); }

 private:
  chef::ChefResourceType* resource(const std::string& type) const;

  chef::ChefTypes types_;
  ProviderSchema schema_;
  std::unique_ptr<chef::ChefApi> api_;
  chef::ChefEnv env_;
  std::string credentials_path_;
};

}  // namespace orch
