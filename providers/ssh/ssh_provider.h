// The `ssh` provider: `ssh_command` (run a command on a list of hosts, re-run on triggers) and the
// `ssh` readiness gate, through the user's OpenSSH client on the run's event loop.
#pragma once

#include <memory>
#include <string>

#include "providers/provider.h"
#include "providers/ssh/remote_run.h"
#include "providers/ssh/ssh_invocation.h"

namespace orch {

ProviderSchema ssh_schema();

class SshProvider final : public Provider {
 public:
  SshProvider();
  ~SshProvider() override;

  const ProviderSchema& schema() const override { return schema_; }
  void configure(const ValueMap& config, const ProviderContext& ctx, Diagnostics& diags) override;
  // Nothing lives on the hosts to read back: objects are as last applied.
  void read_many(const std::string& type, std::vector<ReadItem> items,
                 std::function<void(ReadResult)> done) override;
  void read_data(
      const std::string& type, const ValueMap& config,
      std::function<void(std::optional<ValueMap>, std::optional<ProviderError>)> done) override;
  PlanResponse plan(const PlanRequest& request) override;
  void apply(const ApplyRequest& request, std::function<void(ApplyResult)> done) override;
  void check_gate(const GateRequest& request, std::function<void(GateResult)> done) override;

  const SshSettings& settings() const { return settings_; }
  SessionPool& sessions() { return pool_; }

 private:
  void run_command(const ApplyRequest& req, std::function<void(ApplyResult)> done);

  ProviderSchema schema_;
  ProviderContext ctx_;
  SshSettings settings_;
  SessionPool pool_;
  std::shared_ptr<char> alive_ = std::make_shared<char>(0);
};

}  // namespace orch
