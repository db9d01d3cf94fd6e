// The provider interface: what every provider (sim, chef, etcd, ec2, ssh) implements.
// Asynchronous: operations take a completion callback that the provider calls on the run's
// event loop (Clock), so thousands of operations are in flight on one thread.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/diagnostic.h"
#include "compiler/schema.h"
#include "compiler/value.h"
#include "planner/clock.h"

namespace orch {

// What a provider needs from the run: the loop/clock and a place for events (retries, logs).
struct ProviderContext {
  Clock* clock = nullptr;
  std::string state_lineage;  // for idempotency tokens
  std::string stack;          // the stack name (ownership marks)
  std::string work_dir;       // where .orch/ lives (logs, simulated worlds)
  uint64_t seed = 1;          // for deterministic simulation
  // Emits a machine-readable event (retry, log line) into the run's -json stream.
  std::function<void(const std::string& kind, const std::string& address,
                     const std::string& message)>
      event;
  // Reports a retry the provider makes itself (one request inside an operation, after a 5xx,
  // 429 or reset), so that it shows in the apply's progress and -json stream like the
  // executor's own retries. May be empty.
  std::function<void(const std::string& address, const std::string& message, Duration delay)> retry;
};

// An error from a provider operation. `retryable` errors (5xx, 429, timeouts, resets) are retried
// by the executor with jittered exponential backoff; others fail the step.
struct ProviderError {
  std::string summary;
  std::string detail;
  bool retryable = false;
  std::optional<Duration> retry_after;  // server-provided hint (Retry-After)
};

// One object as the provider sees it.
struct ObjectState {
  std::string id;
  ValueMap attributes;  // all attributes, computed ones included
};

struct ReadItem {
  std::string address;  // "sim_machine.node[3]"
  std::string id;       // provider id recorded in state
  ValueMap attributes;  // last applied attributes (for providers that search by them)
};

struct ReadResult {
  // By address; an address missing here means the object is gone (drift: deleted outside orch).
  std::map<std::string, ObjectState> objects;
  std::optional<ProviderError> error;
  int requests = 0;  // API calls made (for batching checks and benchmarks)
};

// Objects a provider finds marked as owned by this stack (EC2 tags orch:stack / orch:address),
// by the address they are marked with, that the state does not claim: what `plan` offers to
// adopt instead of creating anew.
struct OwnedResult {
  std::map<std::string, ObjectState> objects;
  std::optional<ProviderError> error;
  int requests = 0;
};

enum class ChangeAction { NoOp, Create, Read, Update, Delete, Replace };

// Plan-time question: given prior state and the desired configuration, what will it become?
struct PlanRequest {
  std::string type;
  std::string address;
  std::optional<ObjectState> prior;  // nullopt: does not exist yet
  ValueMap config;                   // desired attributes (may contain unknowns)
};

struct PlanResponse {
  ValueMap planned;                          // config with defaults and computed values filled
  std::vector<std::string> force_new_paths;  // attributes whose change forces replacement
  std::vector<std::string> notes;            // e.g. "instance type change: stop, modify, start"
  Diagnostics diagnostics;
};

// A dependency that satisfied one of the step's any-of groups (the first of its instances to be
// done), with that instance's applied attributes: how elections learn which candidate won.
struct SatisfiedDependency {
  std::string address;  // "sim_machine.node[3]"
  ValueMap attributes;
};

struct ApplyRequest {
  std::string type;
  std::string address;
  ChangeAction action = ChangeAction::NoOp;  // Create, Update, Delete (Replace is split by planner)
  std::optional<ObjectState> prior;
  ValueMap planned;
  std::string idempotency_token;  // stable across retries and reruns of the same change
  // Per any-of group of the step (depends_on = [any(x)]), in order: the instance that satisfied it.
  std::vector<SatisfiedDependency> satisfied_by;
};

struct ApplyResult {
  std::optional<ObjectState> object;  // new state; nullopt after a delete
  std::optional<ProviderError> error;
};

// A readiness gate to check: kind (`http`, `chef_tag`, ...) and its evaluated value.
struct GateRequest {
  std::string kind;
  Value value;
  std::string address;  // the step it gates
  ValueMap self;        // the step's object attributes (for `self` references)
  // How long one check may wait for the condition to come true (providers that can watch, such
  // as etcd, answer the moment it holds); 0: look once and answer.
  Duration wait{0};
};

// A lock a step holds while it runs (`lock = etcd_lock.maintenance`), offered by the provider of
// the lock resource: mutual exclusion across orch processes, on top of the executor's own.
struct StepLockRequest {
  std::string lock_type;     // "etcd_lock"
  std::string lock_address;  // "etcd_lock.maintenance"
  ValueMap lock;             // the lock resource's applied attributes
  std::string holder;        // the step's address (holder information for others)
};

struct StepLockResult {
  std::optional<ProviderError> error;
  std::string handle;  // for release_step_lock; empty: nothing to release
};

struct GateResult {
  bool holds = false;
  std::string message;  // why not (shown on timeout)
  std::optional<ProviderError> error;
};

struct ProviderLimits {
  int max_concurrency = 0;         // 0: unlimited
  double requests_per_second = 0;  // 0: unlimited
  // Resource types whose steps max_concurrency does not hold back: they spend their time
  // waiting on machines (a converge), not on the provider's API, which queues its own requests.
  std::vector<std::string> exempt_types;

  bool holds(const std::string& type) const {
    return std::find(exempt_types.begin(), exempt_types.end(), type) == exempt_types.end();
  }
};

class Provider {
 public:
  virtual ~Provider() = default;

  virtual const ProviderSchema& schema() const = 0;
  // Evaluated `provider "x" { ... }` block (empty map when absent).
  virtual void configure(const ValueMap& config, const ProviderContext& ctx,
                         Diagnostics& diags) = 0;
  // Batched refresh of many objects of one type: one call per page, never one per object.
  virtual void read_many(const std::string& type, std::vector<ReadItem> items,
                         std::function<void(ReadResult)> done) = 0;
  // Data sources: evaluate `data "type" "name"` with its config.
  virtual void read_data(
      const std::string& type, const ValueMap& config,
      std::function<void(std::optional<ValueMap>, std::optional<ProviderError>)> done) = 0;
  // Synchronous, local: fill defaults and computed values, name force-new attributes.
  virtual PlanResponse plan(const PlanRequest& request) = 0;
  // Create/update/delete; idempotent on retry with the same token.
  virtual void apply(const ApplyRequest& request, std::function<void(ApplyResult)> done) = 0;
  // Readiness gates this provider offers (kinds listed in schema().gates).
  virtual void check_gate(const GateRequest& request, std::function<void(GateResult)> done) = 0;
  virtual ProviderLimits limits() const { return {}; }
  // Takes a step lock declared by one of this provider's resources; `done` (on the loop) once it
  // is held, which may be after another process releases it. Default: no cross-process locks.
  virtual void acquire_step_lock(const StepLockRequest&, std::function<void(StepLockResult)> done) {
    done({});
  }
  // Releases it. An error when the lock was lost while held (e.g. its lease expired), so that
  // mutual exclusion may have been broken.
  virtual std::optional<ProviderError> release_step_lock(const std::string& handle) {
    (void)handle;
    return std::nullopt;
  }
  // Objects of `type` marked for this stack that no ReadItem of this run claimed (see
  // OwnedResult). Providers without ownership marks find nothing.
  virtual void list_owned(const std::string& type, std::function<void(OwnedResult)> done) {
    (void)type;
    done(OwnedResult{});
  }
};

// Creates providers by name ("sim", ...). Providers not compiled in are absent.
using ProviderFactory = std::function<std::unique_ptr<Provider>()>;

}  // namespace orch
