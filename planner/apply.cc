// Applying a Plan: its execution graph becomes the executor's steps (aggregate and any-of nodes
// are steps with no operation), rollouts and gates come from the plan, every completed step is
// recorded in state through the backend (write-ahead intents before creates), outputs last.
#include <algorithm>
#include <map>

#include "compiler/eval.h"
#include "planner/executor.h"
#include "planner/graph.h"
#include "planner/run_impl.h"

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

// A readiness gate for the executor from an evaluated ready_when.
ExecGate exec_gate(const ReadyWhenSpec& spec) {
  ExecGate g;
  g.kind = spec.kind;
  Value v = spec.value.unmarked();
  if (v.kind() == ValueKind::String)
    g.target = v.as_string();
  else if (v.is_wholly_known())
    g.target = v.to_display();
  if (spec.expect_status) g.expect_status = static_cast<int>(*spec.expect_status);
  g.timeout = spec.timeout;
  g.interval = spec.interval;
  g.simulate_after = spec.simulate_after;
  return g;
}

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
  if (stale_check) {
    std::string msg =
        stale_plan_message(plan, loaded.existed, loaded.state.lineage, loaded.state.serial);
    if (!msg.empty()) {
      diags_.error({}, msg);
      return std::nullopt;
    }
  }
  State state = std::move(loaded.state);

  // The model evaluates values known only after apply; blocks are expanded, not re-planned.
  if (!I.model) I.model = std::make_unique<Model>(*config_, I.variables, diags_);
  Model& model = *I.model;
  Diagnostics expand_diags;
  model.plan_block = [&](Model::Block& b) {
    auto scope = model.scope(*b.module);
    b.expansion = expand_resource(*b.resource, b.module->path, *scope, expand_diags);
  };
  std::map<std::string, const ResourceChange*> change_of;
  for (const auto& rc : plan.changes) {
    change_of[rc.address] = &rc;
    if (rc.action != PlanAction::Delete) model.set_value(rc.address, rc.block(), rc.after);
  }
  for (const auto& [addr, r] : state.resources)
    if (!change_of.count(addr.str()) && r.has_object())
      model.set_value(addr.str(), addr.resource().str(), Value::object(r.attributes));
  for (auto& [a, b] : model.blocks()) model.block_value(b);
  std::map<std::string, std::pair<Model::Block*, const ExpandedInstance*>> instance_of;
  for (auto& [a, b] : model.blocks())
    for (const auto& inst : b.expansion.instances) instance_of[inst.address] = {&b, &inst};

  // Objects as they were before this apply (priors for updates and deletes).
  std::map<std::string, ObjectState> prior;
  for (const auto& [addr, r] : state.resources)
    if (r.has_object()) prior[addr.str()] = ObjectState{r.id, r.attributes};

  const PlanGraph& pg = plan.graph;
  Adjacency adj = adjacency(pg);
  ExecGraph eg;
  Executor* executor = nullptr;
  ApplySummary summary;
  summary.simulated = simulated_;
  bool state_error = false;

  auto write = [&](const StateChange& c) {
    state.apply(c);
    if (auto e = backend.append(c)) {
      if (!state_error) diags_.error({}, "Cannot write state", e->message);
      state_error = true;
    }
  };
  auto flush_now = [&]() {
    if (auto e = backend.flush()) {
      if (!state_error) diags_.error({}, "Cannot write state", e->message);
      state_error = true;
    }
  };
  // Group commit: the records appended during one turn of the loop are made durable together
  // (one fsync), at the end of that turn; then the operations that waited for durability (the
  // creates, whose intents must be on disk before they are sent) go out. At the same virtual
  // instant thousands of steps start: one fsync for all of them, not one each.
  std::vector<std::function<void()>> after_flush;
  bool flush_scheduled = false;
  auto flush = [&]() {
    if (flush_scheduled) return;
    flush_scheduled = true;
    I.clock->schedule(Duration(0), [&]() {
      flush_scheduled = false;
      flush_now();
      auto waiting = std::move(after_flush);
      after_flush.clear();
      for (auto& fn : waiting) fn();
    });
  };
  auto when_durable = [&](std::function<void()> fn) {
    after_flush.push_back(std::move(fn));
    flush();
  };
  auto gate_for = [&](const std::string& address, const Value& self) -> std::optional<ExecGate> {
    auto it = instance_of.find(address);
    if (it == instance_of.end()) return std::nullopt;
    Model::Block* b = it->second.first;
    if (!b->resource->ready_when) return std::nullopt;
    const ExpandedInstance* inst = it->second.second;
    Model::Repetition rep{inst->count_index, inst->each_key, inst->each_value, self};
    auto scope = model.scope(*b->module, rep);
    Diagnostics scratch;
    ReadyWhenSpec spec = evaluate_ready_when(*b->resource->ready_when, *scope, scratch);
    ExecGate g = exec_gate(spec);
    bool core = g.kind == "http" || g.kind == "tcp" || g.kind == "command";
    if (!core) {
      Provider* p = I.provider_for(b->resource->provider_key, b->resource->type);
      GateRequest req;
      req.kind = spec.kind;
      req.value = spec.value;
      req.address = address;
      if (self.is_mapping()) req.self = self.attributes();
      g.check = [p, req](std::function<void(GateResult)> done) {
        if (!p) {
          GateResult r;
          r.error = ProviderError{"no provider offers this gate", "", false, std::nullopt};
          done(r);
          return;
        }
        p->check_gate(req, std::move(done));
      };
    }
    return g;
  };

  for (size_t i = 0; i < pg.nodes.size(); ++i) {
    const PlanNode& n = pg.nodes[i];
    ExecStep step;
    step.address = n.id;
    if (n.kind == NodeKind::AnyOf) {
      step.any_of.push_back({});
      for (int p : adj.preds[i]) step.any_of.back().push_back(static_cast<StepId>(p));
    } else {
      for (int p : adj.preds[i]) step.depends_on.push_back(static_cast<StepId>(p));
    }
    if (n.kind == NodeKind::Instance && n.op != NodeOp::NoOp) {
      auto cit = change_of.find(n.address);
      if (cit == change_of.end()) {
        eg.add(std::move(step));
        continue;
      }
      const ResourceChange* rc = cit->second;
      Provider* provider = I.provider_for(rc->provider, rc->addr.type);
      step.provider = rc->provider.substr(0, rc->provider.find('.'));
      if (n.op != NodeOp::Delete) {
        Value unknown_self = Value::unknown();
        step.gate = gate_for(rc->address, unknown_self);
      }
      NodeOp op = n.op;
      StepId self_id = static_cast<StepId>(i);
      std::vector<StepId> any_preds;
      for (int p : adj.preds[i])
        if (pg.nodes[p].kind == NodeKind::AnyOf) any_preds.push_back(static_cast<StepId>(p));
      step.operation = [&, rc, provider, op, self_id, any_preds](const StepContext& ctx,
                                                                 StepDone done) {
        (void)self_id;
        if (!provider) {
          done({ProviderError{"provider \"" + rc->provider + "\" is not available", "", false,
                              std::nullopt},
                std::nullopt});
          return;
        }
        const std::string& address = rc->address;
        std::string block = rc->block();
        ApplyRequest req;
        req.type = rc->addr.type;
        req.address = address;
        req.idempotency_token = state.lineage + "/" + address;
        if (auto p = prior.find(address); p != prior.end()) req.prior = p->second;

        if (op == NodeOp::Delete) {
          req.action = ChangeAction::Delete;
          provider->apply(req, [&, rc, done, address, block](ApplyResult res) {
            if (res.error) {
              done({res.error, std::nullopt});
              return;
            }
            if (rc->action != PlanAction::CreateThenDelete) {
              write(StateChange::remove(rc->addr));
              if (rc->action == PlanAction::Delete) model.erase_value(address, block);
            }
            flush();
            ++summary.destroyed;
            done({});
          });
          return;
        }

        // Values known only after apply: evaluate the configuration now that dependencies
        // are done, and let the provider plan it again.
        ValueMap planned = rc->after.is_mapping() ? rc->after.attributes() : ValueMap{};
        auto inst = instance_of.find(address);
        if (!rc->after.is_wholly_known() && inst != instance_of.end()) {
          Model::Block* b = inst->second.first;
          const ExpandedInstance* ei = inst->second.second;
          Model::Repetition rep{ei->count_index, ei->each_key, ei->each_value, std::nullopt};
          auto scope = model.scope(*b->module, rep);
          Diagnostics d;
          ValueMap cfg = model.evaluate_body(*b->resource, *scope, d);
          if (d.has_errors()) {
            done({ProviderError{d.list()[0].summary, d.list()[0].detail, false, std::nullopt},
                  std::nullopt});
            return;
          }
          if (op == NodeOp::Read) {
            planned = cfg;
          } else {
            PlanRequest pr;
            pr.type = rc->addr.type;
            pr.address = address;
            if (rc->action == PlanAction::Update) pr.prior = req.prior;
            pr.config = cfg;
            planned = provider->plan(pr).planned;
          }
        }
        if (op == NodeOp::Read) {
          provider->read_data(
              rc->addr.type, planned,
              [&, done, address, block](std::optional<ValueMap> v, std::optional<ProviderError> e) {
                if (e) {
                  done({e, std::nullopt});
                  return;
                }
                model.set_value(address, block, Value::object(v ? *v : ValueMap{}));
                done({});
              });
          return;
        }
        req.planned = planned;
        bool create = op == NodeOp::Create;
        req.action = create ? ChangeAction::Create : ChangeAction::Update;
        if (create) req.prior.reset();
        for (size_t g = 0; g < any_preds.size() && executor; ++g) {
          const StepRecord& ar = executor->record(any_preds[g]);
          for (StepId s : ar.satisfied_by) {
            if (s == kNoStep || s >= pg.nodes.size()) continue;
            SatisfiedDependency sd;
            sd.address = pg.nodes[s].address;
            if (const Value* v = model.value(sd.address); v && v->is_mapping())
              sd.attributes = v->attributes();
            req.satisfied_by.push_back(std::move(sd));
          }
        }
        (void)ctx;
        std::string token = req.idempotency_token;
        auto send = [&, rc, provider, done, address, block, create, token,
                     req = std::move(req)]() {
        provider->apply(req, [&, rc, done, address, block, create, token](ApplyResult res) {
          if (res.error || !res.object) {
            if (create) {
              write(StateChange::intent_done(rc->addr, token));
              flush();
            }
            done({res.error ? res.error
                            : std::optional<ProviderError>(ProviderError{
                                  "provider returned no object", "", false, std::nullopt}),
                  std::nullopt});
            return;
          }
          ResourceState rs;
          rs.type = rc->addr.type;
          rs.provider = rc->provider;
          rs.mode = rc->addr.mode;
          rs.status = ResourceStatus::Created;
          rs.id = res.object->id;
          rs.attributes = res.object->attributes;
          for (const auto& d : rc->depends_on) {
            auto pa = parse_address(d);
            if (pa.ok()) rs.dependencies.push_back(*pa.address);
          }
          std::sort(rs.dependencies.begin(), rs.dependencies.end());
          rs.dependencies.erase(std::unique(rs.dependencies.begin(), rs.dependencies.end()),
                                rs.dependencies.end());
          write(StateChange::put(rc->addr, rs));
          flush();
          Value self = Value::object(res.object->attributes);
          model.set_value(address, block, self);
          if (create)
            ++summary.added;
          else
            ++summary.changed;
          StepOutcome out;
          out.gate = gate_for(address, self);
          done(out);
        });
        };
        if (!create) return send();
        // Write-ahead: the intent is durable before the create is sent.
        write(StateChange::creating(rc->addr, rc->addr.type, rc->provider, token,
                                    utc_now_rfc3339()));
        when_durable(std::move(send));
      };
    }
    eg.add(std::move(step));
  }
  for (const auto& [name, p] : I.providers) eg.set_limits(name, p->limits());
  for (const auto& r : plan.rollouts) {
    ExecRollout er;
    er.name = r.block;
    for (const auto& wave : r.waves)
      for (const auto& a : wave) {
        int idx = pg.find(a);
        if (idx >= 0) er.members.push_back(static_cast<StepId>(idx));
      }
    if (er.members.empty()) continue;
    er.canary = r.canary;
    er.batch = r.batch_size;
    er.max_failures = r.max_failures;
    er.pause = r.pause;
    eg.add_rollout(std::move(er));
  }
  if (auto problems = eg.validate(); !problems.empty()) {
    for (const auto& p : problems) diags_.error({}, "Invalid execution graph", p);
    return std::nullopt;
  }

  struct Observer : ExecObserver {
    const PlanGraph* pg;
    const std::function<void(const ApplyEvent&)>* emit;
    Executor** exec;
    std::function<void(StepId, const StepRecord&)> on_failed_applied;
    void send(ApplyEvent e) {
      if (*emit) (*emit)(e);
    }
    bool visible(StepId id) const {
      const PlanNode& n = pg->nodes[id];
      return n.kind == NodeKind::Instance && n.op != NodeOp::NoOp;
    }
    void on_step_started(StepId id, const StepRecord& r) override {
      check_interrupt();
      if (!visible(id)) return;
      ApplyEvent e;
      e.kind = ApplyEvent::Kind::Started;
      e.address = pg->nodes[id].address;
      e.op = op_name(pg->nodes[id].op);
      e.at = r.started_at;
      send(e);
    }
    void on_step_retrying(StepId id, const StepRecord&, const ProviderError& err,
                          Duration delay) override {
      ApplyEvent e;
      e.kind = ApplyEvent::Kind::Retrying;
      e.address = pg->nodes[id].address;
      e.message = err.summary;
      e.took = delay;
      send(e);
    }
    void on_step_finished(StepId id, const StepRecord& r) override {
      if (r.status == StepStatus::Failed && r.applied && on_failed_applied)
        on_failed_applied(id, r);
      check_interrupt();
      if (!visible(id) && r.status != StepStatus::Failed) return;
      ApplyEvent e;
      e.kind = ApplyEvent::Kind::Finished;
      e.address = pg->nodes[id].address;
      e.op = op_name(pg->nodes[id].op);
      e.status = to_string(r.status);
      e.at = r.finished_at;
      if (r.started_at.count() >= 0) e.took = r.finished_at - r.started_at;
      if (r.error) e.message = r.error->summary;
      if (r.status == StepStatus::Skipped) e.message = r.skip_reason;
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
    int seen = 0;
    void check_interrupt() {
      int now = *Session::interrupt_flag();
      while (seen < now && *exec) {
        ++seen;
        (*exec)->interrupt();
      }
    }
  } observer;
  observer.pg = &pg;
  observer.emit = &on_event;
  observer.exec = &executor;
  observer.on_failed_applied = [&](StepId id, const StepRecord&) {
    // Applied but its gate failed: the object exists, mark it tainted (replaced next time).
    const std::string& address = pg.nodes[id].address;
    auto pa = parse_address(address);
    if (!pa.ok()) return;
    if (const ResourceState* rs = state.find(*pa.address)) {
      ResourceState t = *rs;
      t.status = ResourceStatus::Tainted;
      write(StateChange::put(*pa.address, t));
      flush();
    }
  };

  ExecOptions eo;
  eo.parallelism = options_.parallelism;
  Executor ex(*I.clock, std::move(eg), eo, &observer);
  executor = &ex;
  // On a real clock, poll the interrupt flag while steps run.
  std::function<void()> poll = [&]() {
    observer.check_interrupt();
    if (!ex.finished()) I.clock->schedule(std::chrono::milliseconds(100), poll);
  };
  if (!I.clock->is_virtual()) I.clock->schedule(std::chrono::milliseconds(100), poll);
  ExecResult result = ex.run();
  executor = nullptr;

  summary.interrupted = result.interrupted;
  summary.makespan = result.makespan;
  summary.lower_bound = result.lower_bound;
  for (StepId id : result.critical_path) {
    const PlanNode& n = pg.nodes[id];
    if (n.kind != NodeKind::Instance) continue;
    const StepRecord& r = result.records[id];
    Duration d = r.started_at.count() >= 0 ? r.finished_at - r.started_at : Duration(0);
    summary.critical_path.push_back({n.id, d});
  }
  for (StepId id : result.failed) {
    const StepRecord& r = result.records[id];
    summary.failed.push_back({pg.nodes[id].id, r.error ? r.error->summary : "failed"});
  }
  for (StepId id : result.skipped)
    if (pg.nodes[id].kind == NodeKind::Instance && pg.nodes[id].op != NodeOp::NoOp)
      summary.skipped.push_back({pg.nodes[id].id, result.records[id].skip_reason});
  for (StepId id : result.abandoned)
    summary.failed.push_back({pg.nodes[id].id, "abandoned (interrupted while in flight)"});

  // Outputs, from the values as applied.
  for (const auto& [name, o] : config_->outputs) {
    if (plan.destroy_mode) {
      if (state.outputs.count(name)) write(StateChange::remove_output(name));
      continue;
    }
    Value v = model.output_value(model.root(), name);
    if (!v.is_wholly_known()) continue;
    OutputState os;
    os.value = v;
    os.sensitive = o.sensitive;
    write(StateChange::put_output(name, os));
    summary.outputs.push_back({name, o.sensitive ? v.mark_sensitive() : v});
  }
  for (const auto& [name, o] : loaded.state.outputs)
    if (!config_->outputs.count(name)) write(StateChange::remove_output(name));
  flush_now();
  if (auto e = backend.write_snapshot(state)) {
    diags_.error({}, "Cannot write the state snapshot", e->message);
  }
  for (const auto& [name, p] : I.providers) (void)p;
  return summary;
}

}  // namespace orch
