// The Plan: every resource change, the execution graph apply will run, rollouts, gates,
// variables and the state it was made against. What `orch plan` shows is what `orch apply` runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/duration.h"
#include "compiler/value.h"
#include "planner/address.h"
#include "planner/clock.h"

namespace orch {

// What happens to one resource instance. Replacements name their order.
enum class PlanAction { NoOp, Create, Read, Update, DeleteThenCreate, CreateThenDelete, Delete };

// Terraform's JSON spelling of an action: ["create"], ["delete","create"], ...
std::vector<std::string> action_names(PlanAction a);
// One word for people and markdown headings: "create", "update", "replace", "delete", "read".
std::string action_word(PlanAction a);
bool is_replace(PlanAction a);

// Why an action was chosen when it is not obvious from the diff (Terraform's action_reason).
enum class ChangeReason {
  None,
  ReplaceBecauseCannotUpdate,  // a force-new attribute changed
  ReplaceByRequest,            // -replace=ADDR
  ReplaceBecauseTainted,       // a create that failed half-way
  DeleteBecauseNoResourceConfig,
  DeleteBecauseCountIndex,       // count shrank
  DeleteBecauseEachKey,          // for_each key removed
  DeleteBecauseDestroyMode,      // orch destroy
  ReadBecauseConfigUnknown,      // data source depends on values known after apply
  UpdateBecauseTriggers,         // a trigger value changed on a step-like resource
  ReadBecauseDependencyPending,  // data source depends on a resource with changes in this plan
};
std::string reason_name(ChangeReason r);  // "replace_because_cannot_update", ... ("" for None)

struct ResourceChange {
  ResourceAddress addr;  // the instance
  std::string address;   // addr.str(), kept for lookups and output
  std::string block() const { return addr.resource().str(); }
  std::string provider;  // "sim"
  PlanAction action = PlanAction::NoOp;
  ChangeReason reason = ChangeReason::None;
  // Object values of the instance's attributes. `before` is null for creates, `after` null for
  // deletes; `after` holds unknown values (known after apply) and sensitive marks.
  Value before;
  Value after;
  std::vector<std::string> replace_paths;  // attributes that force the replacement
  std::string prior_id;                    // provider id in state, for updates/deletes
  // Addresses (blocks or instances) this instance's configuration refers to, sorted.
  std::vector<std::string> depends_on;
  bool create_before_destroy = false;
  // A drift note: what refresh found that differs from the state ("deleted outside orch").
  std::string drift;
  // The object's readiness gate was never confirmed (an apply stopped while waiting for it):
  // apply checks it again, even when nothing else changes.
  bool gate_pending = false;
  // Adoption (planner/adopt.h): the id of an existing object, marked for this stack, that this
  // change records in state instead of creating one. With action NoOp, it is only recorded.
  std::string adopt_id;
  // The provider's notes on how the change is made ("stop, modify, start").
  std::vector<std::string> notes;
  // This instance's readiness-gate value, when the block's instances each have their own
  // (PlanGate::per_instance); otherwise the block's gate says it.
  std::optional<Value> gate_condition;
};

// A rollout of one counted block: canaries first, then batches. Steps list the instances (their
// addresses) of each wave in order; wave 0 holds the canaries when canary > 0.
struct PlanRollout {
  std::string block;  // "sim_task.worker"
  int canary = 0;
  std::string batch;   // as written: "50%" or "3"; empty: all remaining at once
  int batch_size = 0;  // resolved against the instance count
  int max_failures = 0;
  Duration pause{0};
  std::vector<std::vector<std::string>> waves;
};

// A readiness gate declared by `ready_when` on a block; every instance of the block waits on it.
struct PlanGate {
  std::string block;
  std::string kind;  // "http", "tcp", "command", "sim", ...
  Value condition;   // the gate's value as configured (may be unknown until apply)
  Duration timeout{0};
  Duration interval{0};
  std::optional<Duration> simulate_after;  // virtual clock only
  // The instances' conditions differ (each checks its own URL or host): `condition` is the first
  // instance's, and each ResourceChange carries its own gate_condition.
  bool per_instance = false;
};

// A block whose count or for_each is known only after apply (it depends on values known only
// then, like an elected leader). The plan shows the block with its instances known after apply;
// the graph holds one expansion node for it; apply expands, diffs and runs the instances once
// the expression's inputs are known, and the block's dependents wait for all of them.
struct PlanDeferred {
  std::string block;                     // "sim_task.worker"
  std::string provider;                  // "sim"
  std::string meta;                      // "count" or "for_each"
  std::string waiting_for;               // what is not known yet: "sim_election.master.leader"
  std::optional<int64_t> max_instances;  // an upper bound on the instances, when one is known
  Value after;  // the instances' attributes as far as known (each.key / count.index unknown)
  // Instances of the block in state: apply keeps, updates or destroys them once it knows.
  std::vector<std::string> existing;
};

struct Plan;

// What holds steps back besides their dependencies: a provider's limits, -parallelism.
struct PlanLimit {
  std::string provider;
  int max_concurrency = 0;                // 0: unlimited
  double requests_per_second = 0;         // 0: unlimited
  std::vector<std::string> exempt_types;  // resource types max_concurrency does not hold back

  // The exempt types that have changes in `plan` (what the plan's readers need to know).
  std::vector<std::string> exempt_in(const Plan& plan) const;
  // " (chef_converge steps not counted)", or "" when none of them has changes.
  std::string exempt_note(const Plan& plan) const;
};

struct OutputChange {
  std::string name;
  PlanAction action = PlanAction::NoOp;  // Create, Update, Delete or NoOp
  Value before;
  Value after;  // may be unknown
  bool sensitive = false;
};

struct PlanVariable {
  std::string name;
  Value value;
  bool sensitive = false;
};

// One node of the execution graph. Instance nodes are operations on one instance; Aggregate
// nodes stand for "every instance of a block" (so a splat referenced by M instances is one node
// and N+M edges, never N×M); AnyOf nodes are done when ONE predecessor is done. Rollout waves
// are not edges: the executor runs them from Plan::rollouts.
// Expand nodes stand for a deferred block (PlanDeferred): apply adds its instances there.
enum class NodeKind { Instance, Aggregate, AnyOf, Expand };
enum class NodeOp { None, Create, Update, Delete, Read, NoOp };
std::string node_kind_name(NodeKind k);
std::string node_op_name(NodeOp op);

struct PlanNode {
  std::string id;  // unique and stable: "sim_machine.node[3]", "sim_machine.node[3] (destroy)",
                   // "sim_machine.node[*]", "any(sim_machine.node)",
                   // "sim_task.worker (expand)"
  NodeKind kind = NodeKind::Instance;
  NodeOp op = NodeOp::None;
  std::string address;  // the instance (Instance) or block (others)
};

// Edge: `to` waits for `from`.
struct PlanEdge {
  int from = 0;
  int to = 0;
  bool operator==(const PlanEdge& o) const { return from == o.from && to == o.to; }
};

// The graph apply runs, in deterministic order: nodes sorted by id, edges by (from, to).
struct PlanGraph {
  std::vector<PlanNode> nodes;
  std::vector<PlanEdge> edges;
  int find(const std::string& id) const;  // -1 when absent
};

struct PlanCounts {
  int add = 0, change = 0, destroy = 0, read = 0;
  int adopt = 0;  // existing objects recorded in state (also counted in `change` when updated)
};

struct Plan {
  std::string orch_version;
  bool destroy_mode = false;
  std::vector<ResourceChange> changes;  // sorted by address (natural order)
  std::vector<OutputChange> outputs;    // sorted by name
  std::vector<PlanVariable> variables;  // sorted by name
  std::vector<PlanRollout> rollouts;    // sorted by block
  std::vector<PlanGate> gates;          // sorted by block, then kind
  std::vector<PlanDeferred> deferred;   // sorted by block
  std::vector<PlanLimit> limits;        // sorted by provider; only limited providers
  int parallelism = 0;                  // -parallelism (0: no global limit)
  PlanGraph graph;
  std::vector<std::string> targets;  // -target as given
  std::vector<std::string> replace;  // -replace as given
  // The state the plan was made against; apply refuses the plan when the state moved on.
  std::string state_lineage;
  uint64_t state_serial = 0;
  bool state_exists = false;
  bool errored = false;

  PlanCounts counts() const;
  // Instances whose readiness gate apply checks again (ResourceChange::gate_pending).
  int gates_to_check() const;
  // True when some resource or output changes (reads alone are not changes); a deferred block
  // counts as a change.
  bool has_changes() const;
  const ResourceChange* find(const std::string& address) const;
  const PlanRollout* rollout(const std::string& block) const;
  const PlanDeferred* deferred_block(const std::string& block) const;
  std::vector<const PlanGate*> gates_of(const std::string& block) const;
  // Sorts changes, outputs, variables, rollouts and gates into their canonical order.
  void normalize();
};

}  // namespace orch
