// Applying a Plan (Session::apply): lock and reload the state, refuse a stale plan, run the
// plan's execution graph on the executor (steps built by ApplyRun), report progress, and write
// the outputs and a new state snapshot at the end.
#include <algorithm>
#include <map>

#include "planner/apply_run.h"
#include "planner/executor.h"
#include "planner/plan_file.h"
#include "planner/run_impl.h"
#include "planner/timeline.h"

namespace orch {
namespace {

std::string op_name(NodeOp op) {
  switch (op) {
    case NodeOp::Create:
      return "create";
    case NodeOp::Update:
      return "update";
    case NodeOp::Delete:
      return "delete";
    case NodeOp::Read:
      return "read";
    default:
      return "";
  }
}

// Progress events from the executor, and the interrupt flag polled on the loop.
struct Observer : ExecObserver {
  ApplyRun* run = nullptr;
  const std::function<void(const ApplyEvent&)>* emit = nullptr;
  Executor** exec = nullptr;
  int seen = 0;

  void send(const ApplyEvent& e) {
    if (*emit) (*emit)(e);
  }
  void on_step_started(StepId id, const StepRecord& r) override {
    check_interrupt();
    const StepInfo& info = run->info(id);
    if (!info.visible()) return;
    ApplyEvent e;
    e.kind = ApplyEvent::Kind::Started;
    e.address = info.address;
    e.op = op_name(info.op);
    e.at = r.started_at;
    send(e);
  }
  void on_step_retrying(StepId id, const StepRecord&, const ProviderError& err,
                        Duration delay) override {
    ApplyEvent e;
    e.kind = ApplyEvent::Kind::Retrying;
    e.address = run->info(id).address;
    e.message = err.summary;
    e.took = delay;
    send(e);
  }
  void on_step_finished(StepId id, const StepRecord& r) override {
    run->release_lock(id);
    run->finished(id, r);
    check_interrupt();
    const StepInfo& info = run->info(id);
    if (!info.visible() && r.status != StepStatus::Failed) return;
    ApplyEvent e;
    e.kind = ApplyEvent::Kind::Finished;
    e.address = info.address;
    e.op = op_name(info.op);
    e.status = to_string(r.status);
    e.at = r.finished_at;
    if (r.started_at.count() >= 0) e.took = r.finished_at - r.started_at;
    if (r.error) e.message = r.error->summary;
    if (r.status == StepStatus::Skipped) e.message = r.skip_reason;
    if (r.status == StepStatus::Done && info.op != NodeOp::Delete && info.op != NodeOp::Read)
      e.id = run->state_id(info.address);
    send(e);
    if (*exec) {
      ExecProgress p = (*exec)->progress();
      ApplyEvent s;
      s.kind = ApplyEvent::Kind::Status;
      s.done = p.done;
      s.running = p.running;
      s.waiting = p.waiting + p.pending;
      s.failed = p.failed;
      s.at = p.elapsed;
      send(s);
    }
  }
  // A state lock that can be lost (an etcd lease) is checked as often as the interrupt flag.
  std::function<void()> check_lock = [] {};
  void check_interrupt() {
    check_lock();
    int now = *Session::interrupt_flag();
    while (seen < now && *exec) {
      ++seen;
      size_t in_flight = (*exec)->progress().running;
      ApplyEvent e;
      e.kind = ApplyEvent::Kind::Interrupted;
      e.running = in_flight;
      std::string steps = std::to_string(in_flight) + " step" + (in_flight == 1 ? "" : "s");
      if (seen == 1)
        e.message = in_flight == 0
                        ? "Interrupt received: starting nothing new."
                        : "Interrupt received: starting nothing new, waiting for " + steps +
                              " in flight to finish (interrupt again to abandon them).";
      else if (seen == 2)
        e.message = "Second interrupt: abandoning " + steps +
                    " in flight; their outcome is "
                    "unknown (the next plan reads what exists).";
      if (!e.message.empty()) send(e);
      (*exec)->interrupt();
    }
  }
};

}  // namespace

std::optional<ApplySummary> Session::apply(const Plan& plan, bool stale_check,
                                           const std::function<void(const ApplyEvent&)>& on_event) {
  Impl& I = *impl_;
  Backend& backend = *I.backend;
  ScopedLock lock;
  if (options_.lock) {
    LockInfo info = LockInfo::for_this_process(plan.destroy_mode ? "destroy" : "apply");
    std::vector<std::string> warnings;
    if (auto e = backend.lock(info, warnings)) {
      diags_.error({}, "Error acquiring the state lock", e->message);
      return std::nullopt;
    }
    lock = ScopedLock(&backend, info.id);
    for (const auto& w : warnings) diags_.warning({}, "State lock", w);
  }
  // Reload under the lock: what another run wrote in the meantime counts.
  LoadedState loaded;
  if (auto e = backend.load(loaded)) {
    diags_.error({}, "Cannot load state", e->message);
    return std::nullopt;
  }
  for (const auto& w : loaded.warnings) diags_.warning({}, "State", w);
  if (stale_check) {
    std::string msg =
        stale_plan_message(plan, loaded.existed, loaded.state.lineage, loaded.state.serial);
    if (!msg.empty()) {
      diags_.error({}, msg);
      return std::nullopt;
    }
  }
  State state = std::move(loaded.state);

  // The model evaluates values known only after apply; blocks are expanded, not re-planned (a
  // deferred block stays unknown until its expansion step runs).
  if (!I.model) I.model = std::make_unique<Model>(*config_, I.variables, diags_);
  Model& model = *I.model;
  Diagnostics expand_diags;
  model.plan_block = [&](Model::Block& b) {
    auto scope = model.scope(*b.module);
    b.expansion = expand_resource(*b.resource, b.module->path, *scope, expand_diags, true);
  };
  std::set<std::string> changed;
  for (const auto& rc : plan.changes) {
    changed.insert(rc.address);
    if (rc.action != PlanAction::Delete) model.set_value(rc.address, rc.block(), rc.after);
  }
  for (const auto& [addr, r] : state.resources)
    if (r.has_object() && !changed.count(addr.str()))
      model.set_value(addr.str(), addr.resource().str(), Value::object(r.attributes));
  for (auto& [a, b] : model.blocks()) model.block_value(b);

  ApplySummary summary;
  summary.simulated = simulated_;
  ApplyRun run(I, model, plan, state, diags_, summary);
  run.set_events(on_event);
  ExecGraph eg;
  if (!run.build(eg)) return std::nullopt;

  Executor* executor = nullptr;
  Observer observer;
  observer.run = &run;
  observer.emit = &on_event;
  observer.exec = &executor;

  // Retries providers make inside an operation are reported like the executor's.
  I.on_provider_retry = [&on_event, &I](const std::string& address, const std::string& message,
                                        Duration delay) {
    if (!on_event) return;
    ApplyEvent e;
    e.kind = ApplyEvent::Kind::Retrying;
    e.address = address;
    e.message = message;
    e.took = delay;
    e.at = I.clock->now();
    on_event(e);
  };
  struct ResetRetry {
    Session::Impl& impl;
    ~ResetRetry() { impl.on_provider_retry = nullptr; }
  } reset_retry{I};

  ExecOptions eo;
  eo.parallelism = options_.parallelism > 0 ? options_.parallelism : plan.parallelism;
  if (I.simulation) eo.seed = I.simulation->model().seed();
  Executor ex(*I.clock, std::move(eg), eo, &observer);
  executor = &ex;
  run.set_executor(&ex);
  // A state lock that can be lost (an etcd lease): once it is, start nothing new and fail.
  bool lock_lost = false;
  observer.check_lock = [&]() {
    if (lock_lost || lock.id().empty()) return;
    if (auto why = backend.lock_lost()) {
      lock_lost = true;
      diags_.error({}, "State lock lost",
                   *why +
                       "\norch started nothing new after this; steps already running were "
                       "let finish. Another orch may hold the lock now: run plan again.");
      ex.interrupt();
    }
  };
  // On a real clock, poll the interrupt flag while steps run.
  std::function<void()> poll = [&]() {
    observer.check_interrupt();  // and check_lock()
    if (!ex.finished()) I.clock->schedule(std::chrono::milliseconds(100), poll);
  };
  if (!I.clock->is_virtual()) I.clock->schedule(std::chrono::milliseconds(100), poll);
  ExecResult result = ex.run();
  executor = nullptr;
  run.set_executor(nullptr);

  summary.interrupted = result.interrupted;
  // The timeline covers every step, those that deferred blocks' expansions added too.
  summary.timeline = build_timeline(run.step_graph(), ex.graph(), result);
  summary.timeline.simulated = simulated_;
  summary.timeline.seed = eo.seed;
  summary.timeline.command = plan.destroy_mode ? "destroy" : "apply";
  summary.timeline.parallelism = eo.parallelism;
  summary.makespan = result.makespan;
  summary.lower_bound = result.lower_bound;
  for (StepId id : result.critical_path) {
    const StepInfo& info = run.info(id);
    if (!info.visible()) continue;
    const StepRecord& r = result.records[id];
    Duration d = r.started_at.count() >= 0 ? r.finished_at - r.started_at : Duration(0);
    summary.critical_path.push_back({info.id, d});
  }
  for (StepId id : result.done)
    if (run.info(id).visible()) summary.done.push_back(run.info(id).id);
  for (StepId id : result.failed) {
    const StepRecord& r = result.records[id];
    summary.failed.push_back({run.info(id).id, r.error ? r.error->summary : "failed"});
  }
  for (StepId id : result.skipped)
    if (run.info(id).visible())
      summary.skipped.push_back({run.info(id).id, result.records[id].skip_reason});
  for (StepId id : result.abandoned)
    summary.failed.push_back({run.info(id).id, "abandoned (interrupted while in flight)"});

  // Outputs, from the values as applied.
  for (const auto& [name, o] : config_->outputs) {
    if (plan.destroy_mode) {
      if (state.outputs.count(name)) run.write(StateChange::remove_output(name));
      continue;
    }
    Value v = model.output_value(model.root(), name);
    if (!v.is_wholly_known()) continue;
    OutputState os;
    os.value = v;
    os.sensitive = o.sensitive;
    run.write(StateChange::put_output(name, os));
    summary.outputs.push_back({name, o.sensitive ? v.mark_sensitive() : v});
  }
  for (const auto& [name, o] : state.outputs)
    if (!config_->outputs.count(name)) run.write(StateChange::remove_output(name));
  run.flush_now();
  if (auto e = backend.write_snapshot(state)) {
    diags_.error({}, "Cannot write the state snapshot", e->message);
  }
  // Every apply's timeline is kept (.orch/runs/, or .orch/simulate/runs/) for show -timeline.
  summary.timeline.recorded_at = utc_now_rfc3339();
  std::string timeline_error;
  summary.timeline_file = record_timeline(
      summary.timeline, runs_dir(I.work_dir, I.simulation != nullptr), &timeline_error);
  if (summary.timeline_file.empty())
    diags_.warning({}, "Cannot record the apply's timeline", timeline_error);
  return summary;
}

}  // namespace orch
