// The sim provider (see sim_provider.h): configuration, batched reads of the world file,
// plan-time defaults and computed values, and the simulated operations.
#include "providers/sim/sim_provider.h"

#include <fmt/format.h>

#include <algorithm>

#include "compiler/duration.h"
#include "planner/retry.h"
#include "providers/force_new.h"

namespace orch {

namespace {

constexpr Duration kMachineChangeTime = std::chrono::seconds(5);
constexpr Duration kMachineDeleteTime = std::chrono::seconds(5);
constexpr Duration kTaskDeleteTime = std::chrono::seconds(1);
constexpr Duration kElectionTime = std::chrono::milliseconds(500);

ProviderError error(std::string summary, std::string detail = {}) {
  return ProviderError{std::move(summary), std::move(detail), false, {}};
}

const Value* attr(const ValueMap& m, const std::string& name) {
  auto it = m.find(name);
  return it == m.end() ? nullptr : &it->second;
}

std::optional<std::string> known_string(const ValueMap& m, const std::string& name) {
  const Value* v = attr(m, name);
  if (!v || v->kind() != ValueKind::String) return std::nullopt;
  return v->as_string();
}

std::optional<std::vector<std::string>> known_strings(const ValueMap& m, const std::string& name) {
  const Value* v = attr(m, name);
  if (!v || !v->is_sequence() || !v->is_wholly_known()) return std::nullopt;
  std::vector<std::string> out;
  for (const Value& e : v->elements()) {
    if (e.kind() != ValueKind::String) return std::nullopt;
    out.push_back(e.as_string());
  }
  return out;
}

std::optional<Duration> duration_attr(const ValueMap& m, const std::string& name,
                                      std::string* err) {
  auto text = known_string(m, name);
  if (!text) {
    *err = fmt::format("\"{}\" must be a known duration string", name);
    return std::nullopt;
  }
  std::string why;
  auto d = parse_duration(*text, &why);
  if (!d) *err = fmt::format("\"{}\" = \"{}\" is not a duration: {}", name, *text, why);
  return d;
}

// The attributes to store: the planned ones minus computed ones (which the caller sets).
// Fails on values still unknown at apply time (a planner bug; never stored).
bool stored_attributes(const ApplyRequest& req, const Schema& schema, ValueMap& out,
                       std::string* err) {
  for (const auto& a : schema.attributes) {
    if (a.computed) continue;
    const Value* v = attr(req.planned, a.name);
    if (!v) continue;
    if (!v->is_wholly_known()) {
      *err = fmt::format("{}: \"{}\" is not known at apply time", req.address, a.name);
      return false;
    }
    out[a.name] = *v;
  }
  return true;
}

// The candidate that the satisfying instance stands for: equal to one of its string attributes
// (private_dns, name, private_ip, id, ...) or to its address.
std::optional<std::string> elected(const std::vector<std::string>& candidates,
                                   const std::vector<SatisfiedDependency>& satisfied_by) {
  for (const auto& dep : satisfied_by) {
    for (const auto& c : candidates) {
      if (c == dep.address) return c;
      for (const auto& [name, v] : dep.attributes)
        if (v.kind() == ValueKind::String && v.as_string() == c) return c;
    }
  }
  if (candidates.empty()) return std::nullopt;
  return candidates.front();
}

}  // namespace

SimProvider::SimProvider() : schema_(sim_schema()) {}

SimProvider::~SimProvider() {
  std::string ignored;
  flush(&ignored);
}

void SimProvider::configure(const ValueMap& config, const ProviderContext& ctx,
                            Diagnostics& diags) {
  ctx_ = ctx;
  seed_ = ctx.seed;
  const std::string base = ctx.work_dir.empty() ? std::string(".") : ctx.work_dir;
  world_path_ = base + "/.orch/sim-world.json";
  if (const Value* w = attr(config, "world"); w && !w->is_null()) {
    if (w->kind() != ValueKind::String || w->as_string().empty()) {
      diags.error(Range{}, "Invalid sim provider \"world\"",
                  "world must be a non-empty path string.");
    } else {
      const std::string& p = w->as_string();
      world_path_ = p.front() == '/' ? p : base + "/" + p;
    }
  }
  if (const Value* s = attr(config, "seed"); s && !s->is_null()) {
    if (s->kind() != ValueKind::Number || !s->as_number().is_int || s->as_number().i < 0) {
      diags.error(Range{}, "Invalid sim provider \"seed\"",
                  "seed must be a whole number, 0 or more.");
    } else {
      seed_ = static_cast<uint64_t>(s->as_number().i);
    }
  }
  loaded_ = false;
}

bool SimProvider::ensure_loaded(std::string* err) {
  if (loaded_) return true;
  if (!world_.load(world_path_, err)) return false;
  loaded_ = true;
  return true;
}

void SimProvider::after(Duration d, std::function<void()> fn) {
  if (!ctx_.clock) return fn();
  std::weak_ptr<char> guard = alive_;
  ctx_.clock->schedule(d, [guard, fn = std::move(fn)] {
    if (!guard.expired()) fn();
  });
}

void SimProvider::changed() {
  dirty_ = true;
  schedule_flush();
}

void SimProvider::schedule_flush() {
  if (!dirty_) return;
  if (!ctx_.clock) {
    std::string err;
    if (!flush(&err) && ctx_.event) ctx_.event("log", "", err);
    return;
  }
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  // At most one write per loop turn. On a virtual clock thousands of operations end per real
  // millisecond: write when none is in flight (the end of an apply) or every 10 s of real time,
  // so that a large simulated apply writes its world a few times, not once per operation.
  after(Duration(0), [this] {
    flush_scheduled_ = false;
    const auto now = std::chrono::steady_clock::now();
    if (ctx_.clock->is_virtual() && in_flight_ > 0 && now - last_write_ < std::chrono::seconds(10))
      return;  // the last operation to finish schedules the write
    std::string err;
    if (!flush(&err) && ctx_.event) ctx_.event("log", "", err);
  });
}

bool SimProvider::flush(std::string* err) {
  if (!dirty_) return true;
  if (!world_.save(world_path_, err)) return false;
  dirty_ = false;
  last_write_ = std::chrono::steady_clock::now();
  return true;
}

void SimProvider::read_many(const std::string& type, std::vector<ReadItem> items,
                            std::function<void(ReadResult)> done) {
  ReadResult result;
  std::string err;
  // Pending changes first, so the file read back is the whole truth.
  if (!flush(&err)) {
    result.error = error(err);
    return done(std::move(result));
  }
  result.requests = 1;
  // Read the file again when someone changed it since (edits and deletions are drift); one read
  // per refresh, not one per resource type.
  if (loaded_ && world_.changed_on_disk(world_path_)) loaded_ = false;
  if (!ensure_loaded(&err)) {
    result.error = error(err, "Fix or delete the world file; deleting it forgets every object.");
    return done(std::move(result));
  }
  for (const auto& item : items) {
    const SimObject* o = world_.find(item.id);
    if (!o || o->type != type) continue;  // deleted outside orch
    result.objects[item.address] = ObjectState{item.id, o->attributes};
  }
  done(std::move(result));
}

void SimProvider::read_data(
    const std::string& type, const ValueMap&,
    std::function<void(std::optional<ValueMap>, std::optional<ProviderError>)> done) {
  done(std::nullopt, error(fmt::format("the sim provider has no data source \"{}\"", type)));
}

void SimProvider::check_gate(const GateRequest& request, std::function<void(GateResult)> done) {
  GateResult r;
  r.message = fmt::format("the sim provider offers no readiness gate \"{}\"", request.kind);
  r.error = error(r.message);
  done(r);
}

PlanResponse SimProvider::plan(const PlanRequest& req) {
  PlanResponse resp;
  auto it = schema_.resources.find(req.type);
  if (it == schema_.resources.end()) {
    resp.diagnostics.error(Range{},
                           fmt::format("The sim provider has no resource type \"{}\"", req.type));
    return resp;
  }
  const Schema& schema = it->second;
  ValueMap& planned = resp.planned;
  for (const auto& a : schema.attributes) {
    if (a.computed) continue;
    const Value* v = attr(req.config, a.name);
    if ((!v || v->is_null()) && a.default_value)
      planned[a.name] = *a.default_value;
    else if (v)
      planned[a.name] = *v;
  }
  const ValueMap* prior = req.prior ? &req.prior->attributes : nullptr;
  resp.force_new_paths = changed_force_new(schema, planned, prior);
  const bool keeps = prior && resp.force_new_paths.empty();
  auto prior_or_unknown = [&](const std::string& name, Type t) {
    const Value* v = keeps ? attr(*prior, name) : nullptr;
    planned[name] = v ? *v : Value::unknown(t);
  };
  auto invalid = [&](std::string summary, std::string detail) {
    resp.diagnostics.error(Range{}, fmt::format("{}: {}", req.address, summary), detail);
  };
  std::string err;
  if (req.type == "sim_machine") {
    prior_or_unknown("id", Type::string());
    prior_or_unknown("private_ip", Type::string());
    auto name = known_string(planned, "name");
    planned["private_dns"] =
        name ? Value::string(*name + ".sim.internal") : Value::unknown(Type::string());
    if (name && name->empty()) invalid("name must not be empty", "");
    if (known_string(planned, "boot_time") && !duration_attr(planned, "boot_time", &err))
      invalid(err, "Write a duration such as \"40s\" or \"2m\".");
  } else if (req.type == "sim_task") {
    prior_or_unknown("id", Type::string());
    // Any change of the task's arguments runs it again: its run count is then known only after.
    bool same = keeps;
    for (const auto& a : schema.attributes) {
      if (!same || a.computed) continue;
      const Value* now = attr(planned, a.name);
      const Value* was = attr(*prior, a.name);
      same = now && was && now->is_wholly_known() && now->equals(*was);
    }
    if (same) {
      prior_or_unknown("runs", Type::number());
    } else {
      planned["runs"] = Value::unknown(Type::number());
      if (prior && keeps) resp.notes.push_back("the task runs again");
    }
    if (known_string(planned, "duration") && !duration_attr(planned, "duration", &err))
      invalid(err, "Write a duration such as \"30s\".");
    if (const Value* f = attr(planned, "fail_rate"); f && f->kind() == ValueKind::Number) {
      double rate = f->as_number().as_double();
      if (!(rate >= 0 && rate <= 1)) invalid("fail_rate must be between 0 and 1", "");
    }
  } else if (req.type == "sim_election") {
    prior_or_unknown("id", Type::string());
    auto candidates = known_strings(planned, "candidates");
    if (candidates && candidates->empty()) invalid("candidates must not be empty", "");
    auto leader = keeps ? known_string(*prior, "leader") : std::nullopt;
    bool stays = leader && candidates &&
                 std::find(candidates->begin(), candidates->end(), *leader) != candidates->end();
    if (stays) {
      prior_or_unknown("leader", Type::string());
      prior_or_unknown("epoch", Type::number());
    } else {
      planned["leader"] = Value::unknown(Type::string());
      planned["epoch"] = Value::unknown(Type::number());
    }
  }
  return resp;
}

void SimProvider::apply(const ApplyRequest& req, std::function<void(ApplyResult)> user_done) {
  ++in_flight_;
  std::weak_ptr<char> guard = alive_;
  auto done = [this, guard, user_done = std::move(user_done)](ApplyResult r) {
    if (!guard.expired() && --in_flight_ == 0) schedule_flush();
    user_done(std::move(r));
  };
  std::string err;
  if (!ensure_loaded(&err)) return done(ApplyResult{std::nullopt, error(err)});
  if (req.type == "sim_machine") return apply_machine(req, std::move(done));
  if (req.type == "sim_task") return apply_task(req, std::move(done));
  if (req.type == "sim_election") return apply_election(req, std::move(done));
  done(ApplyResult{std::nullopt,
                   error(fmt::format("the sim provider has no resource type \"{}\"", req.type))});
}

namespace {

ApplyResult object_result(const SimObject& o) {
  return ApplyResult{ObjectState{known_string(o.attributes, "id").value_or(""), o.attributes}, {}};
}

}  // namespace

void SimProvider::apply_machine(const ApplyRequest& req, std::function<void(ApplyResult)> done) {
  const Schema& schema = schema_.resources.at("sim_machine");
  std::string err;
  if (req.action == ChangeAction::Delete) {
    const std::string id = req.prior ? req.prior->id : "";
    return after(kMachineDeleteTime, [this, id, done] {
      if (world_.erase(id)) changed();
      done(ApplyResult{});
    });
  }
  ValueMap attrs;
  if (!stored_attributes(req, schema, attrs, &err)) return done({std::nullopt, error(err)});
  if (req.action == ChangeAction::Create) {
    if (const SimObject* existing = world_.find_by_token(req.idempotency_token))
      return done(object_result(*existing));  // a retry of a create that already happened
    auto name = known_string(attrs, "name");
    auto boot = duration_attr(attrs, "boot_time", &err);
    if (!name || !boot) return done({std::nullopt, error(req.address + ": " + err)});
    return after(*boot, [this, req, attrs, name = *name, done]() mutable {
      SimObject o{"sim_machine", req.address, req.idempotency_token, std::move(attrs)};
      const std::string id = world_.new_id("m", req.address + "|" + req.idempotency_token, seed_);
      o.attributes["private_ip"] = Value::string(world_.allocate_ip(name));
      o.attributes["private_dns"] = Value::string(name + ".sim.internal");
      world_.put(id, std::move(o));
      changed();
      done(object_result(*world_.find(id)));
    });
  }
  // Update in place (size, tags, boot_time).
  const std::string id = req.prior ? req.prior->id : "";
  if (!world_.find(id))
    return done({std::nullopt, error(fmt::format("{}: machine {} is gone from the simulated world",
                                                 req.address, id),
                                     "Run plan again: it will be created anew.")});
  after(kMachineChangeTime, [this, id, attrs, req, done] {
    const SimObject* cur = world_.find(id);
    if (!cur) return done({std::nullopt, error(req.address + ": machine deleted while updating")});
    SimObject o = *cur;
    for (const auto& [k, v] : attrs) o.attributes[k] = v;
    world_.put(id, std::move(o));
    changed();
    done(object_result(*world_.find(id)));
  });
}

void SimProvider::apply_task(const ApplyRequest& req, std::function<void(ApplyResult)> done) {
  const Schema& schema = schema_.resources.at("sim_task");
  std::string err;
  if (req.action == ChangeAction::Delete) {
    const std::string id = req.prior ? req.prior->id : "";
    return after(kTaskDeleteTime, [this, id, done] {
      if (world_.erase(id)) changed();
      done(ApplyResult{});
    });
  }
  ValueMap attrs;
  if (!stored_attributes(req, schema, attrs, &err)) return done({std::nullopt, error(err)});
  auto duration = duration_attr(attrs, "duration", &err);
  auto on = known_strings(attrs, "on");
  if (!duration || !on) {
    if (!on) err = "\"on\" must be a known list of machine names";
    return done({std::nullopt, error(req.address + ": " + err)});
  }
  for (const auto& machine : *on)
    if (!world_.find_machine(machine))
      return done(
          {std::nullopt, error(fmt::format("{}: machine \"{}\" is not in the simulated world",
                                           req.address, machine),
                               "Tasks run on sim_machine objects: name one by name, private_dns, "
                               "private_ip or id, and depend on it.")});
  if (req.action == ChangeAction::Create) {
    if (const SimObject* existing = world_.find_by_token(req.idempotency_token))
      return done(object_result(*existing));
  }
  double fail_rate = 0;
  if (const Value* f = attr(attrs, "fail_rate"); f && f->kind() == ValueKind::Number)
    fail_rate = f->as_number().as_double();
  const std::string prior_id = req.action == ChangeAction::Update && req.prior ? req.prior->id : "";
  after(*duration, [this, req, attrs, fail_rate, prior_id, done] {
    // Deterministic per seed and address: the same task fails the same way on every run.
    const double u = unit_interval(stable_hash(req.address, seed_ ^ 0x7a5c));
    if (fail_rate > 0 && u < fail_rate)
      return done(
          {std::nullopt,
           error(fmt::format("{}: command failed with exit status 1 (simulated)", req.address),
                 fmt::format("fail_rate = {} with seed {}; change the seed or the "
                             "fail_rate to get another outcome",
                             fail_rate, seed_))});
    int64_t runs = 0;
    std::string id = prior_id;
    if (const SimObject* cur = id.empty() ? nullptr : world_.find(id)) {
      if (const Value* r = attr(cur->attributes, "runs"); r && r->kind() == ValueKind::Number)
        runs = r->as_number().is_int ? r->as_number().i : 0;
    }
    if (id.empty()) id = world_.new_id("t", req.address + "|" + req.idempotency_token, seed_);
    SimObject o{"sim_task", req.address, req.idempotency_token, attrs};
    o.attributes["runs"] = Value::number(runs + 1);
    world_.put(id, std::move(o));
    changed();
    done(object_result(*world_.find(id)));
  });
}

void SimProvider::apply_election(const ApplyRequest& req, std::function<void(ApplyResult)> done) {
  const Schema& schema = schema_.resources.at("sim_election");
  std::string err;
  if (req.action == ChangeAction::Delete) {
    const std::string id = req.prior ? req.prior->id : "";
    return after(kElectionTime, [this, id, done] {
      if (world_.erase(id)) changed();
      done(ApplyResult{});
    });
  }
  ValueMap attrs;
  if (!stored_attributes(req, schema, attrs, &err)) return done({std::nullopt, error(err)});
  auto candidates = known_strings(attrs, "candidates");
  if (!candidates || candidates->empty())
    return done({std::nullopt, error(req.address + ": no candidates to elect a leader from")});
  if (req.action == ChangeAction::Create) {
    if (const SimObject* existing = world_.find_by_token(req.idempotency_token))
      return done(object_result(*existing));
  }
  after(kElectionTime, [this, req, attrs, candidates = *candidates, done] {
    std::string id = req.action == ChangeAction::Update && req.prior ? req.prior->id : "";
    const SimObject* cur = id.empty() ? nullptr : world_.find(id);
    std::optional<std::string> leader;
    int64_t epoch = 0;
    if (cur) {
      leader = known_string(cur->attributes, "leader");
      if (const Value* e = attr(cur->attributes, "epoch"); e && e->kind() == ValueKind::Number)
        epoch = e->as_number().is_int ? e->as_number().i : 0;
      if (leader && std::find(candidates.begin(), candidates.end(), *leader) == candidates.end())
        leader.reset();  // the old leader is no longer a candidate
    }
    if (!leader) {
      leader = elected(candidates, req.satisfied_by);
      ++epoch;
    }
    if (id.empty()) id = world_.new_id("e", req.address + "|" + req.idempotency_token, seed_);
    SimObject o{"sim_election", req.address, req.idempotency_token, attrs};
    o.attributes["leader"] = Value::string(*leader);
    o.attributes["epoch"] = Value::number(epoch);
    world_.put(id, std::move(o));
    changed();
    done(object_result(*world_.find(id)));
  });
}

}  // namespace orch
