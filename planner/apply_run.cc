// The steps of an apply (see apply_run.h): instance operations with write-ahead intents and
// state after every step, readiness gates resolved against the applied object, and the
// expansion of deferred blocks into new steps of the running graph.
#include "planner/apply_run.h"

#include <algorithm>

#include "compiler/eval.h"
#include "planner/adopt.h"
#include "planner/backend.h"
#include "planner/expand.h"
#include "planner/graph.h"
#include "planner/plan_instance.h"
#include "planner/rollout.h"

namespace orch {
namespace {

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

ProviderError plain_error(std::string summary, std::string detail = {}) {
  return ProviderError{std::move(summary), std::move(detail), false, std::nullopt};
}

NodeOp forward_op(PlanAction a) {
  switch (a) {
    case PlanAction::Update:
      return NodeOp::Update;
    case PlanAction::Read:
      return NodeOp::Read;
    case PlanAction::NoOp:
      return NodeOp::NoOp;
    case PlanAction::Delete:
      return NodeOp::Delete;
    default:
      return NodeOp::Create;
  }
}

}  // namespace

ApplyRun::ApplyRun(Session::Impl& impl, Model& model, const Plan& plan, State& state,
                   Diagnostics& diags, ApplySummary& summary)
    : I(impl), model_(model), plan_(plan), state_(state), diags_(diags), summary_(summary) {
  generation_ = state.serial;
  for (const auto& rc : plan.changes) change_of_[rc.address] = &rc;
  for (const auto& [addr, r] : state.resources)
    if (r.has_object()) prior_[addr.str()] = ObjectState{r.id, r.attributes};
  for (auto& [a, b] : model.blocks())
    for (const auto& inst : b.expansion.instances) instance_of_[inst.address] = {&b, &inst};
  for (const auto& r : plan.replace) {
    auto parsed = parse_address(r);
    if (parsed.ok()) replace_.insert(parsed.address->str());
  }
}

std::string ApplyRun::state_id(const std::string& address) const {
  auto pa = parse_address(address);
  if (!pa.ok()) return "";
  const ResourceState* rs = state_.find(*pa.address);
  return rs ? rs->id : "";
}

StepId ApplyRun::add_info(StepInfo info) {
  infos_.push_back(std::move(info));
  return static_cast<StepId>(infos_.size() - 1);
}

void ApplyRun::write(const StateChange& c) {
  state_.apply(c);
  if (auto e = I.backend->append(c)) {
    if (!state_error_) diags_.error({}, "Cannot write state", e->message);
    state_error_ = true;
  }
}

void ApplyRun::flush_now() {
  if (auto e = I.backend->flush()) {
    if (!state_error_) diags_.error({}, "Cannot write state", e->message);
    state_error_ = true;
  }
}

// Group commit: the records appended during one turn of the loop are made durable together
// (one fsync) at the end of that turn; then the operations that waited for durability (creates,
// whose intents must be on disk before they are sent) go out. Thousands of steps start at the
// same virtual instant: one fsync for all of them, not one each.
void ApplyRun::flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  I.clock->schedule(Duration(0), [this]() {
    flush_scheduled_ = false;
    flush_now();
    auto waiting = std::move(after_flush_);
    after_flush_.clear();
    for (auto& fn : waiting) fn();
  });
}

void ApplyRun::when_durable(std::function<void()> fn) {
  after_flush_.push_back(std::move(fn));
  flush();
}

void ApplyRun::finished(StepId id, const StepRecord& record) {
  const std::string& address = infos_[id].address;
  const bool failed_gate = record.status == StepStatus::Failed && record.applied;
  const bool held = record.status == StepStatus::Done && gate_pending_.count(address);
  if (!failed_gate && !held) return;
  gate_pending_.erase(address);
  auto pa = parse_address(address);
  if (!pa.ok()) return;
  if (const ResourceState* rs = state_.find(*pa.address)) {
    ResourceState t = *rs;
    t.gate_pending = false;
    if (failed_gate) t.status = ResourceStatus::Tainted;
    write(StateChange::put(*pa.address, t));
    flush();
  }
}

std::optional<ExecGate> ApplyRun::gate_for(const std::string& address, const Value& self) const {
  auto it = instance_of_.find(address);
  if (it == instance_of_.end()) return std::nullopt;
  Model::Block* b = it->second.first;
  if (!b->resource->ready_when) return std::nullopt;
  const ExpandedInstance* inst = it->second.second;
  Model::Repetition rep{inst->count_index, inst->each_key, inst->each_value, self};
  auto scope = model_.scope(*b->module, rep);
  Diagnostics scratch;
  ReadyWhenSpec spec = evaluate_ready_when(*b->resource->ready_when, *scope, scratch);
  ExecGate g = exec_gate(spec);
  if (I.simulation) I.simulation->adjust_gate(b->resource->type, address, g);
  bool core = g.kind == "http" || g.kind == "tcp" || g.kind == "command";
  if (!core) {
    Provider* p = I.provider_for(b->resource->provider_key, b->resource->type);
    auto offers = [&](Provider* q) {
      if (!q) return false;
      for (const auto& gs : q->schema().gates)
        if (gs.kind == spec.kind) return true;
      return false;
    };
    // The gate may belong to another provider (a machine ready when its chef_node exists).
    if (!offers(p))
      for (const auto& [name, q] : I.providers)
        if (offers(q.get())) {
          p = q.get();
          break;
        }
    GateRequest req;
    req.kind = spec.kind;
    req.value = spec.value;
    req.address = address;
    req.wait = spec.timeout;
    if (self.is_mapping()) req.self = self.attributes();
    g.check = [p, req](std::function<void(GateResult)> done) {
      if (!p) {
        GateResult r;
        r.error = plain_error("no provider offers this gate");
        done(r);
        return;
      }
      p->check_gate(req, std::move(done));
    };
  }
  return g;
}

std::optional<StepLockSpec> ApplyRun::lock_of(const std::string& address) const {
  auto it = instance_of_.find(address);
  if (it == instance_of_.end() || !it->second.first->resource->lock) return std::nullopt;
  Model::Block* b = it->second.first;
  const ExpandedInstance* ei = it->second.second;
  Model::Repetition rep{ei->count_index, ei->each_key, ei->each_value, std::nullopt};
  auto scope = model_.scope(*b->module, rep);
  std::string why;
  auto spec = evaluate_step_lock(*b->resource->lock, *scope, &why);
  if (!spec) spec = StepLockSpec{"address:" + b->address, "", "", {}};
  return spec;
}

// `lock = ...`: steps with the same lock never overlap in this run (the executor's lock) and,
// when a provider offers it (etcd_lock), in any other orch: held from start to finish.
void ApplyRun::hold_lock_while_running(ExecStep& step, StepId self, const std::string& address,
                                       Provider* lock_provider) {
  StepOperation inner = std::move(step.operation);
  step.operation = [this, inner, lock_provider, self, address](const StepContext& ctx,
                                                               StepDone done) {
    if (held_locks_.count(self)) return inner(ctx, done);  // a retry: still held
    auto now = lock_of(address);                           // the lock resource is applied now
    StepLockRequest lr{now->lock_type, now->lock_address, now->lock, address};
    lock_provider->acquire_step_lock(
        lr, [this, inner, ctx, done, lock_provider, self](StepLockResult r) {
          if (r.error) return done({r.error, std::nullopt});
          if (!r.handle.empty()) held_locks_[self] = {lock_provider, r.handle};
          inner(ctx, done);
        });
  };
}

void ApplyRun::release_lock(StepId id) {
  auto it = held_locks_.find(id);
  if (it == held_locks_.end()) return;
  auto [provider, handle] = it->second;
  held_locks_.erase(it);
  if (auto e = provider->release_step_lock(handle)) {
    diags_.error({}, e->summary, e->detail);
    summary_.failed.push_back({infos_[id].id, e->summary});
  }
}

PlanGraph ApplyRun::step_graph() const {
  PlanGraph g;
  g.nodes.reserve(infos_.size());
  for (const StepInfo& i : infos_) g.nodes.push_back(PlanNode{i.id, i.kind, i.op, i.address});
  return g;
}

ExecStep ApplyRun::instance_step(const ResourceChange* rc, NodeOp op, StepId self,
                                 std::vector<StepId> any_preds) {
  ExecStep step;
  Provider* provider = I.provider_for(rc->provider, rc->addr.type);
  if (!provider || provider->limits().holds(rc->addr.type))
    step.provider = rc->provider.substr(0, rc->provider.find('.'));
  if (op != NodeOp::Delete) step.gate = gate_for(rc->address, Value::unknown());
  step.operation = [this, rc, provider, op, self, any_preds = std::move(any_preds)](
                       const StepContext&, StepDone done) {
    (void)self;
    if (!provider) {
      done({plain_error("provider \"" + rc->provider + "\" is not available"), std::nullopt});
      return;
    }
    const std::string& address = rc->address;
    const std::string block = rc->block();
    ApplyRequest req;
    req.type = rc->addr.type;
    req.address = address;
    req.idempotency_token = create_token(state_, rc->addr, generation_, rc->adopt_id.empty());
    if (auto p = prior_.find(address); p != prior_.end()) req.prior = p->second;
    // An object the state does not hold (adopted, or found for an interrupted create).
    if (!req.prior && !rc->prior_id.empty())
      req.prior =
          ObjectState{rc->prior_id, rc->before.is_mapping() ? rc->before.attributes() : ValueMap{}};
    if (is_pure_adoption(*rc)) {
      ResourceState rs;
      rs.type = rc->addr.type;
      rs.provider = rc->provider;
      rs.mode = rc->addr.mode;
      rs.id = rc->adopt_id;
      rs.attributes = req.prior->attributes;
      for (const auto& d : rc->depends_on)
        if (auto pa = parse_address(d); pa.ok()) rs.dependencies.push_back(*pa.address);
      std::sort(rs.dependencies.begin(), rs.dependencies.end());
      rs.dependencies.erase(std::unique(rs.dependencies.begin(), rs.dependencies.end()),
                            rs.dependencies.end());
      Value self_value = Value::object(rs.attributes);
      StepOutcome out;
      out.gate = gate_for(address, self_value);
      rs.gate_pending = out.gate.has_value();
      if (rs.gate_pending) gate_pending_.insert(address);
      write(StateChange::put(rc->addr, rs));
      ++summary_.adopted;
      model_.set_value(address, block, self_value);
      when_durable([done, out = std::move(out)]() { done(out); });
      return;
    }

    if (op == NodeOp::Delete) {
      req.action = ChangeAction::Delete;
      provider->apply(req, [this, rc, done, address, block](ApplyResult res) {
        if (res.error) {
          done({res.error, std::nullopt});
          return;
        }
        if (rc->action != PlanAction::CreateThenDelete) {
          write(StateChange::remove(rc->addr));
          if (rc->action == PlanAction::Delete) model_.erase_value(address, block);
        }
        ++summary_.destroyed;
        when_durable([done]() { done({}); });
      });
      return;
    }

    // Values known only after apply: evaluate the configuration now that the dependencies are
    // done, and let the provider plan it again.
    ValueMap planned = rc->after.is_mapping() ? rc->after.attributes() : ValueMap{};
    auto inst = instance_of_.find(address);
    if (!rc->after.is_wholly_known() && inst != instance_of_.end()) {
      Model::Block* b = inst->second.first;
      const ExpandedInstance* ei = inst->second.second;
      Model::Repetition rep{ei->count_index, ei->each_key, ei->each_value, std::nullopt};
      auto scope = model_.scope(*b->module, rep);
      Diagnostics d;
      ValueMap cfg = model_.evaluate_body(*b->resource, *scope, d);
      if (d.has_errors()) {
        done({plain_error(d.list()[0].summary, d.list()[0].detail), std::nullopt});
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
          [this, done, address, block](std::optional<ValueMap> v, std::optional<ProviderError> e) {
            if (e) {
              done({e, std::nullopt});
              return;
            }
            model_.set_value(address, block, Value::object(v ? *v : ValueMap{}));
            done({});
          });
      return;
    }
    req.planned = std::move(planned);
    const bool create = op == NodeOp::Create;
    req.action = create ? ChangeAction::Create : ChangeAction::Update;
    if (create) req.prior.reset();
    for (StepId g : any_preds) {
      if (!executor_) break;
      for (StepId s : executor_->record(g).satisfied_by) {
        if (s == kNoStep || s >= infos_.size()) continue;
        SatisfiedDependency sd;
        sd.address = infos_[s].address;
        if (const Value* v = model_.value(sd.address); v && v->is_mapping())
          sd.attributes = v->attributes();
        req.satisfied_by.push_back(std::move(sd));
      }
    }
    const std::string token = req.idempotency_token;
    auto send = [this, rc, provider, done, address, block, create, token, req = std::move(req)]() {
      provider->apply(req, [this, rc, done, address, block, create, token](ApplyResult res) {
        if (res.error || !res.object) {
          StepOutcome failed{
              res.error ? res.error
                        : std::optional<ProviderError>(plain_error("provider returned no object")),
              std::nullopt};
          if (!create) return done(failed);
          write(StateChange::intent_done(rc->addr, token));
          when_durable([done, failed]() { done(failed); });
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
        Value self_value = Value::object(res.object->attributes);
        StepOutcome out;
        out.gate = gate_for(address, self_value);
        // Until the gate holds, a crash leaves the object marked: the next apply checks again.
        rs.gate_pending = out.gate.has_value();
        if (rs.gate_pending) gate_pending_.insert(address);
        write(StateChange::put(rc->addr, rs));
        model_.set_value(address, block, self_value);
        if (create)
          ++summary_.added;
        else
          ++summary_.changed;
        // The step is done (its gate starts, its dependents may start) once its record is on
        // disk: a crash never leaves a dependent's work built on an object the state lacks.
        when_durable([done, out = std::move(out)]() { done(out); });
      });
    };
    if (!create) return send();
    // Write-ahead: the intent is durable before the create is sent.
    write(StateChange::creating(rc->addr, rc->addr.type, rc->provider, token, utc_now_rfc3339()));
    when_durable(std::move(send));
  };
  auto spec = op == NodeOp::Create || op == NodeOp::Update ? lock_of(rc->address) : std::nullopt;
  if (spec) step.lock = spec->name;
  Provider* lock_provider =
      spec && !spec->lock_type.empty() ? I.provider_for("", spec->lock_type) : nullptr;
  if (lock_provider) hold_lock_while_running(step, self, rc->address, lock_provider);
  return step;
}

StepOperation ApplyRun::expand_operation(const PlanDeferred* d, StepId self) {
  return [this, d, self](const StepContext&, StepDone done) {
    Model::Block* b = model_.block(d->block);
    if (!b || !executor_) {
      done({plain_error(d->block + " is not in the configuration"), std::nullopt});
      return;
    }
    auto scope = model_.scope(*b->module);
    Diagnostics ed;
    Expansion ex = expand_resource(*b->resource, b->module->path, *scope, ed, true);
    if (ex.unknown) {
      done({plain_error(d->block + ": " + d->meta + " is still unknown",
                        "It depends on values that no step of this apply produced (" +
                            d->waiting_for + ")."),
            std::nullopt});
      return;
    }
    if (ed.has_errors()) {
      done(
          {plain_error(d->block + ": " + ed.list()[0].summary, ed.list()[0].detail), std::nullopt});
      return;
    }
    model_.set_expansion(*b, std::move(ex));
    InstancePlanner ip(model_, state_, ed);
    ip.provider_for = [this](const std::string& key, const std::string& type) {
      return I.provider_for(key, type);
    };
    ip.replace = &replace_;

    ExecExtension ext;
    StepId next = static_cast<StepId>(executor_->graph().size());
    std::vector<std::string> forward_addresses;
    std::vector<StepId> forward_ids;
    auto add_step = [&](const ResourceChange* rc, NodeOp op, std::vector<StepId> deps) {
      StepId id = next++;
      ExecStep step = instance_step(rc, op, id, {});
      step.address = op == NodeOp::Delete ? destroy_node_id(rc->address) : rc->address;
      step.depends_on = std::move(deps);
      add_info({step.address, rc->address, NodeKind::Instance, op});
      ext.steps.push_back(std::move(step));
      return id;
    };
    auto add_change = [&](ResourceChange rc) {
      expanded_.push_back(std::move(rc));
      const ResourceChange* c = &expanded_.back();
      change_of_[c->address] = c;
      switch (c->action) {
        case PlanAction::NoOp:
          break;
        case PlanAction::Delete:
          add_step(c, NodeOp::Delete, {self});
          break;
        case PlanAction::DeleteThenCreate: {
          StepId del = add_step(c, NodeOp::Delete, {self});
          forward_ids.push_back(add_step(c, NodeOp::Create, {del}));
          forward_addresses.push_back(c->address);
          break;
        }
        case PlanAction::CreateThenDelete: {
          StepId create = add_step(c, NodeOp::Create, {self});
          add_step(c, NodeOp::Delete, {create});
          forward_ids.push_back(create);
          forward_addresses.push_back(c->address);
          break;
        }
        default:
          forward_ids.push_back(add_step(c, forward_op(c->action), {self}));
          forward_addresses.push_back(c->address);
      }
    };
    std::set<std::string> keys;
    std::vector<const ExpandedInstance*> order;  // natural order, as the plan's rollouts
    for (const auto& inst : b->expansion.instances) order.push_back(&inst);
    std::sort(order.begin(), order.end(), [](const ExpandedInstance* x, const ExpandedInstance* y) {
      return x->addr < y->addr;
    });
    for (const ExpandedInstance* inst : order) {
      keys.insert(inst->address);
      instance_of_[inst->address] = {b, inst};
      add_change(ip.instance(*b, *inst).change);
    }
    // Instances in state whose key the expansion no longer has.
    ResourceAddress block_addr = block_address(*b->resource, b->module->path);
    for (const auto& [addr, r] : state_.resources)
      if (addr.resource() == block_addr && addr.has_key() && !keys.count(addr.str()))
        add_change(ip.orphan(addr, r).change);
    if (ed.has_errors()) {
      done(
          {plain_error(d->block + ": " + ed.list()[0].summary, ed.list()[0].detail), std::nullopt});
      return;
    }
    // Dependents of the block wait for every instance; any(block) for the first one.
    if (auto agg = step_of_.find(aggregate_node_id(d->block)); agg != step_of_.end())
      for (StepId f : forward_ids) ext.waits.push_back({agg->second, f});
    if (auto any = step_of_.find(any_node_id(d->block)); any != step_of_.end())
      if (!forward_ids.empty()) ext.any_groups.push_back({any->second, forward_ids});
    // The block's rollout, now that its instances are known.
    if (const PlanRollout* r = plan_.rollout(d->block); r && !forward_ids.empty()) {
      PlanRollout waves = *r;
      set_rollout_waves(waves, forward_addresses);
      ExecRollout er;
      er.name = r->block;
      er.members = forward_ids;
      er.canary = waves.canary;
      er.batch = waves.batch_size;
      er.max_failures = waves.max_failures;
      er.pause = waves.pause;
      ext.rollouts.push_back(std::move(er));
    }
    if (emit_) {
      ApplyEvent e;
      e.kind = ApplyEvent::Kind::Expanded;
      e.address = d->block;
      e.message = std::to_string(b->expansion.instances.size()) + " instance" +
                  (b->expansion.instances.size() == 1 ? "" : "s") + " (" + d->meta +
                  " known now), " + std::to_string(ext.steps.size()) + " to apply";
      e.at = I.clock->now();
      emit_(e);
    }
    executor_->extend(std::move(ext), self);
    done({});
  };
}

bool ApplyRun::build(ExecGraph& eg) {
  const PlanGraph& pg = plan_.graph;
  Adjacency adj = adjacency(pg);
  std::set<int> expand_nodes;
  for (size_t i = 0; i < pg.nodes.size(); ++i)
    if (pg.nodes[i].kind == NodeKind::Expand) expand_nodes.insert(static_cast<int>(i));
  for (size_t i = 0; i < pg.nodes.size(); ++i) {
    const PlanNode& n = pg.nodes[i];
    StepId id = add_info({n.id, n.address, n.kind, n.op});
    step_of_[n.id] = id;
    ExecStep step;
    step.address = n.id;
    // An any-of node over a deferred block waits for its expansion, which adds the group.
    bool any_of_expansion =
        n.kind == NodeKind::AnyOf && std::any_of(adj.preds[i].begin(), adj.preds[i].end(),
                                                 [&](int p) { return expand_nodes.count(p) > 0; });
    if (n.kind == NodeKind::AnyOf && !any_of_expansion) {
      step.any_of.push_back({});
      for (int p : adj.preds[i]) step.any_of.back().push_back(static_cast<StepId>(p));
    } else {
      for (int p : adj.preds[i]) step.depends_on.push_back(static_cast<StepId>(p));
    }
    if (n.kind == NodeKind::Expand) {
      if (const PlanDeferred* d = plan_.deferred_block(n.address))
        step.operation = expand_operation(d, id);
    } else if (n.kind == NodeKind::Instance && n.op == NodeOp::NoOp) {
      // An object whose gate an earlier apply never saw hold: check it again, nothing else.
      auto cit = change_of_.find(n.address);
      if (cit != change_of_.end() && cit->second->gate_pending) {
        Value self_value = cit->second->before;
        step.gate = gate_for(n.address, self_value.is_mapping() ? self_value : Value::unknown());
        if (step.gate) gate_pending_.insert(n.address);
      }
    } else if (n.kind == NodeKind::Instance && n.op != NodeOp::NoOp) {
      auto cit = change_of_.find(n.address);
      if (cit != change_of_.end()) {
        std::vector<StepId> any_preds;
        for (int p : adj.preds[i])
          if (pg.nodes[p].kind == NodeKind::AnyOf) any_preds.push_back(static_cast<StepId>(p));
        ExecStep built = instance_step(cit->second, n.op, id, std::move(any_preds));
        built.address = step.address;
        built.depends_on = std::move(step.depends_on);
        built.any_of = std::move(step.any_of);
        step = std::move(built);
      }
    }
    eg.add(std::move(step));
  }
  for (const auto& [name, p] : I.providers) eg.set_limits(name, p->limits());
  for (const auto& r : plan_.rollouts) {
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
    return false;
  }
  return true;
}

}  // namespace orch
