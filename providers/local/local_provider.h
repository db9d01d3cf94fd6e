// The `local` provider: `local_command` runs a command with /bin/sh on the machine running orch,
// in the configuration's directory, as a child process on the event loop (real clock), like
// Terraform's local-exec. It is the real-clock step the Ansible comparison uses
// (bench/peer_ansible.sh), and a way to hook scripts into a graph. A change of `command` or
// `triggers` runs it again; deleting it runs nothing.
#pragma once

#include <memory>
#include <string>

#include "providers/provider.h"

namespace orch {

ProviderSchema local_schema();

class LocalProvider final : public Provider {
 public:
  LocalProvider();
  const ProviderSchema& schema() const override { return schema_; }
  void configure(const ValueMap& config, const ProviderContext& ctx, Diagnostics& diags) override;
  // Nothing to read back: a command's object is what the state recorded.
  void read_many(const std::string& type, std::vector<ReadItem> items,
                 std::function<void(ReadResult)> done) override;
  void read_data(
      const std::string& type, const ValueMap& config,
      std::function<void(std::optional<ValueMap>, std::optional<ProviderError>)> done) override;
  PlanResponse plan(const PlanRequest& request) override;
  void apply(const ApplyRequest& request, std::function<void(ApplyResult)> done) override;
  void check_gate(const GateRequest& request, std::function<void(GateResult)> done) override;

 private:
  ProviderSchema schema_;
  ProviderContext ctx_;
};

}  // namespace orch
