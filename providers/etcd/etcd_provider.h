// The `etcd` provider: etcd_key, etcd_election and etcd_lock resources, the etcd_prefix data
// source, and the etcd_key / etcd_value readiness gates (watched, not polled). It runs on the
// run's event loop through AsyncClient; leases (TTL keys, step locks) are kept alive by a
// LeaseKeeper thread so that a busy loop cannot lose them. Under a virtual clock (no loop) it
// falls back to blocking calls.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "providers/etcd/etcd_client.h"
#include "providers/provider.h"

namespace orch::etcd {

class LeaseKeeper;

// The schema of the etcd provider.
ProviderSchema etcd_schema();

// The candidate an election elects: the first satisfied dependency that stands for a candidate
// (its address, or one of its string attributes, equals it); otherwise the first candidate.
std::optional<std::string> elect(const std::vector<std::string>& candidates,
                                 const std::vector<SatisfiedDependency>& satisfied_by);

class EtcdProvider final : public Provider {
 public:
  EtcdProvider();
  ~EtcdProvider() override;

  const ProviderSchema& schema() const override { return schema_; }
  void configure(const ValueMap& config, const ProviderContext& ctx, Diagnostics& diags) override;
  // One txn per 64 objects (etcd allows 128 operations per txn).
  void read_many(const std::string& type, std::vector<ReadItem> items,
                 std::function<void(ReadResult)> done) override;
  void read_data(
      const std::string& type, const ValueMap& config,
      std::function<void(std::optional<ValueMap>, std::optional<ProviderError>)> done) override;
  PlanResponse plan(const PlanRequest& request) override;
  void apply(const ApplyRequest& request, std::function<void(ApplyResult)> done) override;
  void check_gate(const GateRequest& request, std::function<void(GateResult)> done) override;
  ProviderLimits limits() const override;
  void acquire_step_lock(const StepLockRequest& request,
                         std::function<void(StepLockResult)> done) override;
  std::optional<ProviderError> release_step_lock(const std::string& handle) override;

  const std::string& prefix() const { return prefix_; }
  const ClientConfig& client_config() const { return config_; }

 private:
  // POSTs on the loop (or blocking without one); `done` gets the answer.
  void call(const std::string& path, nlohmann::json body, std::function<void(Result)> done,
            Duration request_timeout = Duration(0), Duration budget = Duration(0));
  // call() for an operation of `address`: its retries show in the apply's progress.
  void call_for(const std::string& address, const std::string& path, nlohmann::json body,
                std::function<void(Result)> done);
  LeaseKeeper& keeper();
  // Grants a lease of `ttl` and keeps it alive; `done` gets its ID (0 and an error on failure).
  void grant(Duration ttl, std::function<void(int64_t, std::optional<ProviderError>)> done);
  void revoke(int64_t lease);
  bool kept_alive(int64_t lease) const;  // a TTL key's lease this process keeps alive

  void apply_key(const ApplyRequest& req, std::function<void(ApplyResult)> done);
  void apply_election(const ApplyRequest& req, std::function<void(ApplyResult)> done);
  void elect_in(const ApplyRequest& req, ValueMap attrs, std::vector<std::string> candidates,
                int attempt, std::function<void(ApplyResult)> done);
  void put_key(const ApplyRequest& req, ValueMap attrs, int64_t lease,
               std::function<void(ApplyResult)> done);

  ProviderSchema schema_;
  ProviderContext ctx_;
  ClientConfig config_;
  std::string prefix_ = "/orch";
  bool configured_ = false;
  std::unique_ptr<AsyncClient> async_;
  std::unique_ptr<SyncClient> sync_;  // without a loop (virtual clock)
  std::unique_ptr<LeaseKeeper> keeper_;
  std::map<std::string, int64_t> ttl_leases_;  // etcd_key address → the lease this run keeps
  struct HeldLock {
    int64_t lease = 0;
    std::string name;
  };
  std::map<std::string, HeldLock> step_locks_;  // by handle (the lock key)
  std::shared_ptr<char> alive_ = std::make_shared<char>(0);
};

}  // namespace orch::etcd
