// One apply in progress (internal to Session::apply): the state being written, the model of the
// values known so far, and the executor's steps — built from the plan's execution graph, and
// for a deferred block from its instances once its count/for_each is known (the block's
// expansion step adds them to the running graph).
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "planner/executor.h"
#include "planner/model.h"
#include "planner/plan.h"
#include "planner/run_impl.h"
#include "planner/step_lock.h"

namespace orch {

// What events and the summary say about a step.
struct StepInfo {
  std::string id;       // the plan node id: "sim_machine.node[3]", "x (destroy)", "b (expand)"
  std::string address;  // the instance (or the block, for other nodes)
  NodeKind kind = NodeKind::Instance;
  NodeOp op = NodeOp::None;
  // An operation on an instance: reported in events and counted in the summary.
  bool visible() const { return kind == NodeKind::Instance && op != NodeOp::NoOp; }
};

class ApplyRun {
 public:
  ApplyRun(Session::Impl& impl, Model& model, const Plan& plan, State& state, Diagnostics& diags,
           ApplySummary& summary);

  // The executor graph of the plan; false (with errors in diags) when it is not sound.
  bool build(ExecGraph& graph);
  void set_executor(Executor* e) { executor_ = e; }
  // Called by the progress observer for every event it reports.
  void set_events(std::function<void(const ApplyEvent&)> emit) { emit_ = std::move(emit); }

  const StepInfo& info(StepId id) const { return infos_[id]; }
  // The provider id of an instance in the state as written so far ("" when none).
  std::string state_id(const std::string& address) const;
  // A step became terminal: a failed gate taints the applied object (replaced next time); a
  // gate that held clears the object's gate_pending mark.
  void finished(StepId id, const StepRecord& record);
  // Releases the cross-process lock (etcd_lock) a finished step held, if any; a release that
  // fails is an error of the run.
  void release_lock(StepId id);
  // Every step as a plan node (the plan's, then those expansions added), for the timeline.
  PlanGraph step_graph() const;
  // Journal records appended so far made durable now (the end of the run).
  void flush_now();
  // Appends a state change (durable at the end of the loop turn, see flush()).
  void write(const StateChange& c);

 private:
  ExecStep instance_step(const ResourceChange* rc, NodeOp op, StepId self,
                         std::vector<StepId> any_preds);
  StepOperation expand_operation(const PlanDeferred* deferred, StepId self);
  std::optional<ExecGate> gate_for(const std::string& address, const Value& self) const;
  // The `lock` meta-argument of an instance, evaluated now (its lock resource may just have been
  // applied); nullopt when the block has none.
  std::optional<StepLockSpec> lock_of(const std::string& address) const;
  // Wraps a step's operation so that it holds the provider's cross-process lock while it runs.
  void hold_lock_while_running(ExecStep& step, StepId self, const std::string& address,
                               Provider* lock_provider);
  void flush();
  void when_durable(std::function<void()> fn);
  StepId add_info(StepInfo info);

  Session::Impl& I;
  Model& model_;
  const Plan& plan_;
  State& state_;
  Diagnostics& diags_;
  ApplySummary& summary_;
  Executor* executor_ = nullptr;
  std::function<void(const ApplyEvent&)> emit_;

  std::map<std::string, const ResourceChange*> change_of_;
  std::deque<ResourceChange> expanded_;  // changes of deferred blocks' instances (stable)
  std::map<std::string, std::pair<Model::Block*, const ExpandedInstance*>> instance_of_;
  std::map<std::string, ObjectState> prior_;  // objects before this apply, by address
  std::vector<StepInfo> infos_;               // by StepId
  std::map<std::string, StepId> step_of_;     // plan node id → step
  std::set<std::string> replace_;
  std::set<std::string> gate_pending_;  // written with gate_pending set, gate not held yet
  uint64_t generation_ = 0;             // the state's serial when the apply began (create_token)
  std::map<StepId, std::pair<Provider*, std::string>> held_locks_;  // step → provider, handle

  bool state_error_ = false;
  std::vector<std::function<void()>> after_flush_;
  bool flush_scheduled_ = false;
};

}  // namespace orch
