// The `ec2` provider: ec2_instance and ec2_security_group through the EC2 Query API. Creates
// carry a ClientToken derived from the apply's idempotency token and orch:stack/orch:address
// tags; refresh is one paged DescribeInstances over the stack's tag (plus id lookups for
// instances that lost it); waiting for states is batched (see waiter.h).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "providers/ec2/instance.h"
#include "providers/ec2/query.h"
#include "providers/ec2/waiter.h"
#include "providers/provider.h"

namespace orch {

ProviderSchema ec2_schema();

namespace ec2 {
// The ClientToken for an idempotency token: "orch-" and 48 hex digits of its SHA-256 (EC2 takes
// at most 64 ASCII characters; tokens hold a UUID and an address of any length).
std::string client_token(const std::string& idempotency_token);
// Base64 (for UserData).
std::string base64(const std::string& text);
// A known object or map as map(string); a known list, tuple or set as set(string) (what the API
// answers), so that `{ a = "b" }` and `["sg-1"]` in a configuration compare equal to it.
Value as_string_map(const Value& v);
Value as_string_set(const Value& v);
// Parses "5s", "2m", "15m": nullopt when invalid.
std::optional<Duration> parse_duration_text(const std::string& text);
}  // namespace ec2

class Ec2Provider final : public Provider {
 public:
  Ec2Provider();
  ~Ec2Provider() override;

  const ProviderSchema& schema() const override { return schema_; }
  void configure(const ValueMap& config, const ProviderContext& ctx, Diagnostics& diags) override;
  void read_many(const std::string& type, std::vector<ReadItem> items,
                 std::function<void(ReadResult)> done) override;
  void list_owned(const std::string& type, std::function<void(OwnedResult)> done) override;
  void read_data(
      const std::string& type, const ValueMap& config,
      std::function<void(std::optional<ValueMap>, std::optional<ProviderError>)> done) override;
  PlanResponse plan(const PlanRequest& request) override;
  void apply(const ApplyRequest& request, std::function<void(ApplyResult)> done) override;
  void check_gate(const GateRequest& request, std::function<void(GateResult)> done) override;

  ec2::QueryClient* client() { return client_.get(); }
  ec2::InstanceWaiter* waiter() { return waiter_.get(); }
  const std::string& stack() const { return ctx_.stack; }

 private:
  using Owned = std::map<std::string, ObjectState>;
  // Instances: refresh, adoption and the operations (instance_ops.cc).
  void read_instances(std::vector<ReadItem> items, std::function<void(ReadResult)> done);
  void scan_instances(
      std::function<void(std::vector<ec2::Instance>, std::optional<ec2::ApiError>)> done);
  void create_instance(const ApplyRequest& req, std::function<void(ApplyResult)> done);
  void update_instance(const ApplyRequest& req, std::function<void(ApplyResult)> done);
  void delete_instance(const ApplyRequest& req, std::function<void(ApplyResult)> done);
  void launch(const ApplyRequest& req, ec2::Params params, std::function<void(ApplyResult)> done);
  void finish_running(const ApplyRequest& req, const std::string& id, ValueMap applied,
                      std::function<void(ApplyResult)> done);
  // Security groups (security_groups.cc).
  void read_groups(std::vector<ReadItem> items, std::function<void(ReadResult)> done);
  void apply_group(const ApplyRequest& req, std::function<void(ApplyResult)> done);
  PlanResponse plan_group(const PlanRequest& req);
  PlanResponse plan_instance(const PlanRequest& req);

  ProviderError api_error(const std::string& address, const std::string& what,
                          const ec2::ApiError& e) const;
  void log(const std::string& address, const std::string& message) const;

  ProviderSchema schema_;
  ProviderContext ctx_;
  ec2::ClientConfig client_config_;
  Duration poll_interval_ = std::chrono::seconds(5);
  Duration wait_timeout_ = std::chrono::minutes(15);
  Duration visibility_timeout_ = std::chrono::minutes(2);
  std::unique_ptr<ec2::QueryClient> client_;
  std::unique_ptr<ec2::InstanceWaiter> waiter_;
  std::map<std::string, Owned> owned_;  // by type: marked for this stack, not claimed by state
  std::map<std::string, std::string> root_devices_;  // image id → root device name
  bool configured_ = false;
  std::shared_ptr<char> alive_ = std::make_shared<char>(0);
};

}  // namespace orch
