// Loading and planning: configuration, variables, providers, backend, refresh, diff → Plan.
// Applying lives in apply.cc.
#include "planner/run.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "compiler/check.h"
#include "compiler/eval.h"
#include "compiler/load.h"
#include "planner/adopt.h"
#include "planner/backend.h"
#include "planner/backend_init.h"
#include "planner/diff.h"
#include "planner/graph.h"
#include "planner/model.h"
#include "planner/plan_instance.h"
#include "planner/real_clock.h"
#include "planner/rollout.h"
#include "planner/run_impl.h"
#include "planner/virtual_clock.h"

namespace orch {

namespace fs = std::filesystem;

Session::Session(RunOptions options) : options_(std::move(options)) {
  impl_ = std::make_unique<Impl>();
}
Session::~Session() = default;

volatile int* Session::interrupt_flag() {
  static volatile int flag = 0;
  return &flag;
}

void Session::request_interrupt() {
  volatile int* flag = interrupt_flag();
  *flag = *flag + 1;  // `++` on volatile is deprecated in C++20
}

// Reads every *.orch file under `dir` (recursively: modules may live below it) for snapshots.
// The stack's name, which providers put in ownership marks (EC2 tags `orch:stack`, Chef's
// `normal.orch.<stack>`): $ORCH_STACK, or the root module's directory name.
std::string stack_name(const std::string& dir) {
  if (const char* env = std::getenv("ORCH_STACK"); env && *env) return env;
  fs::path p = fs::absolute(dir).lexically_normal();
  std::string name = p.filename().string();
  if (name.empty()) name = p.parent_path().filename().string();
  return name.empty() ? "default" : name;
}

static void snapshot_files(const fs::path& dir, std::map<std::string, std::string>& out) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_directory() && it->path().filename() == ".orch") {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || it->path().extension() != ".orch") continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    out[fs::relative(it->path(), dir).generic_string()] = ss.str();
  }
}

bool Session::load(const PlanFile* snapshot) {
  Impl& I = *impl_;
  std::string dir = options_.dir.empty() ? "." : options_.dir;
  I.work_dir = dir;
  std::string load_dir = dir;
  if (snapshot) {
    // Apply what was reviewed: when the files changed since the plan, load the snapshot.
    std::map<std::string, std::string> now;
    snapshot_files(dir, now);
    if (now != snapshot->config_files) {
      fs::path tmp = fs::path(dir) / ".orch" / "plan-config";
      std::error_code ec;
      fs::remove_all(tmp, ec);
      for (const auto& [rel, text] : snapshot->config_files) {
        fs::path p = tmp / rel;
        fs::create_directories(p.parent_path(), ec);
        std::ofstream(p, std::ios::binary) << text;
      }
      load_dir = tmp.string();
    }
  }
  config_ = load_config(load_dir, sources_, diags_);
  if (!config_) {
    diags_.error({}, "Cannot read the configuration directory",
                 "\"" + load_dir + "\" is not a readable directory of .orch files.");
    return false;
  }
  snapshot_files(load_dir, I.config_files);
  if (diags_.has_errors()) return false;

  if (snapshot) {
    for (const auto& v : snapshot->plan.variables) I.variables[v.name] = v.value;
  } else {
    auto inputs = collect_inputs(options_.var_inputs, *config_, sources_, diags_);
    I.variables = resolve_variables(*config_, inputs, diags_);
  }
  if (diags_.has_errors()) return false;
  if (options_.schemas) {
    CheckOptions co;
    co.root_variables = I.variables;
    check_config(*config_, *options_.schemas, diags_, co);
    if (diags_.has_errors()) return false;
  }

  // Backend.
  BackendConfig bc;
  bc.work_dir = dir;
  if (config_->backend) {
    bc.type = config_->backend->type;
    if (config_->backend->body) {
      BasicScope scope;
      for (const auto& a : config_->backend->body->attributes)
        if (a.value) bc.settings[a.name] = evaluate(*a.value, scope, diags_);
    }
  }
  if (!options_.backend_config.empty() && !config_->backend) {
    diags_.error({}, "Invalid -backend-config",
                 "-backend-config needs a backend block in the configuration (for example "
                 "`backend \"etcd\" {}`, with the settings given on the command line).");
    return false;
  }
  for (const auto& [k, v] : effective_backend_overrides(bc.type, dir, options_.backend_config,
                                                        options_.use_recorded_backend_config))
    bc.settings[k] = Value::string(v);
  if (!options_.initializing) {
    if (auto why = backend_needs_init(bc, dir)) {
      diags_.error(config_->backend ? config_->backend->range : Range{},
                   "Backend initialization required", *why);
      return false;
    }
  }
  std::string err;
  if (options_.simulate) {
    // A rehearsal: twins of every provider, and a state of its own (planner/simulation.h).
    SimulationOptions so{options_.simulate_profile, options_.simulate_seed};
    I.simulation = Simulation::prepare(*config_, dir, so, options_.schemas, sources_, diags_);
    if (!I.simulation) return false;
    I.backend = I.simulation->open_backend(bc, diags_);
    if (!I.backend) return false;
  } else {
    I.backend = open_backend(bc, &err);
  }
  if (!I.backend) {
    diags_.error(config_->backend ? config_->backend->range : Range{}, "Invalid backend", err);
    return false;
  }
  if (auto e = I.backend->load(I.loaded)) {
    diags_.error({}, "Cannot load state", e->message);
    return false;
  }
  for (const auto& w : I.loaded.warnings) diags_.warning({}, "State", w);

  // Providers: every provider named by a resource, a provider block or the state.
  std::set<std::string> names;
  std::function<void(const Config&)> walk = [&](const Config& c) {
    for (const auto& [a, r] : c.resources) {
      names.insert(SchemaRegistry::provider_of(r.type));
      // A gate of another provider (ready_when { chef_node = ... } on a machine) needs it too.
      if (r.ready_when && options_.schemas)
        if (auto gp = options_.schemas->gate_provider(r.ready_when->kind); !gp.empty())
          names.insert(gp);
    }
    for (const auto& [k, p] : c.providers) names.insert(p.name);
    for (const auto& [n, m] : c.modules)
      if (m.child) walk(*m.child);
  };
  walk(*config_);
  for (const auto& [a, r] : I.loaded.state.resources) {
    std::string p = r.provider.substr(0, r.provider.find('.'));
    names.insert(p.empty() ? SchemaRegistry::provider_of(r.type) : p);
  }
  simulated_ = !options_.real_clock &&
               (options_.simulate ||
                std::all_of(names.begin(), names.end(), [](const auto& n) { return n == "sim"; }));
  if (simulated_)
    I.clock = std::make_unique<VirtualClock>();
  else
    I.clock = std::make_unique<RealClock>();

  Model root_scope_model(*config_, I.variables, diags_);
  for (const auto& name : names) {
    std::unique_ptr<Provider> p = options_.make_provider ? options_.make_provider(name) : nullptr;
    if (p && I.simulation) p = I.simulation->twin(std::move(p));
    if (!p) {
      diags_.error({}, "Provider \"" + name + "\" is not available",
                   "This orch has no provider named \"" + name + "\" compiled in.");
      continue;
    }
    ValueMap cfg;
    if (const ProviderConfig* pc = config_->provider(name)) {
      auto scope = root_scope_model.scope(root_scope_model.root());
      for (const Attribute* a : pc->attributes)
        if (a && a->value) cfg[a->name] = evaluate(*a->value, *scope, diags_);
    }
    ProviderContext ctx;
    ctx.clock = I.clock.get();
    ctx.state_lineage = I.loaded.state.lineage;
    ctx.stack = stack_name(dir);
    ctx.work_dir = dir;
    ctx.retry = [impl = impl_.get()](const std::string& address, const std::string& message,
                                     Duration delay) {
      if (impl->on_provider_retry) impl->on_provider_retry(address, message, delay);
    };
    if (I.simulation) ctx.seed = I.simulation->model().seed();
    p->configure(cfg, ctx, diags_);
    I.providers[name] = std::move(p);
  }
  return !diags_.has_errors();
}

const Simulation* Session::simulation() const {
  return impl_->simulation.get();
}

Provider* Session::Impl::provider_for(const std::string& provider_key, const std::string& type) {
  std::string name = provider_key.substr(0, provider_key.find('.'));
  if (name.empty()) name = SchemaRegistry::provider_of(type);
  auto it = providers.find(name);
  return it == providers.end() ? nullptr : it->second.get();
}

std::vector<std::pair<std::string, Value>> Session::state_outputs() {
  std::vector<std::pair<std::string, Value>> out;
  for (const auto& [n, o] : impl_->loaded.state.outputs)
    out.push_back({n, o.sensitive ? o.value.mark_sensitive() : o.value});
  return out;
}

PlanFile Session::plan_file(Plan plan) const {
  PlanFile pf;
  pf.plan = std::move(plan);
  pf.config_dir = fs::absolute(options_.dir).lexically_normal().string();
  pf.config_files = impl_->config_files;
  if (options_.parallelism > 0) pf.options["parallelism"] = std::to_string(options_.parallelism);
  if (options_.simulate) {
    // A rehearsal's plan is applied as a rehearsal (a real apply would refuse it as stale).
    pf.options["simulate"] = "true";
    if (!options_.simulate_profile.empty())
      pf.options["simulate_profile"] = fs::absolute(options_.simulate_profile).string();
    if (options_.simulate_seed)
      pf.options["simulate_seed"] = std::to_string(*options_.simulate_seed);
  }
  return pf;
}

// Refresh: one read_many per (provider, type), run on the loop.
void Session::Impl::refresh(bool enabled, Diagnostics& diags, bool pending_only) {
  // Objects as the state has them; refreshed ones are replaced by what the providers read.
  struct Batch {
    std::vector<ReadItem> items;
    std::vector<const ResourceState*> states;  // parallel to items
  };
  std::map<std::pair<Provider*, std::string>, Batch> batches;
  for (const auto& [addr, r] : loaded.state.resources) {
    if (r.mode == ResourceMode::Data) continue;
    const bool read = enabled && !(pending_only && r.has_object());
    Provider* p = read ? provider_for(r.provider, r.type) : nullptr;
    if (p) {
      Batch& b = batches[{p, r.type}];
      b.items.push_back(ReadItem{addr.str(), r.id, r.attributes});
      b.states.push_back(&r);
    } else if (r.has_object()) {
      current.emplace_hint(current.end(), addr.str(), ObjectState{r.id, r.attributes});
    }
  }
  for (auto& [key, batch] : batches) {
    auto asked = std::make_shared<std::vector<std::pair<std::string, const ResourceState*>>>();
    asked->reserve(batch.items.size());
    for (size_t i = 0; i < batch.items.size(); ++i)
      asked->push_back({batch.items[i].address, batch.states[i]});
    key.first->read_many(key.second, std::move(batch.items), [this, asked, &diags](ReadResult res) {
      if (res.error) {
        diags.error({}, "Refresh failed: " + res.error->summary, res.error->detail);
        // Plan from the state as it is (the error stops the plan anyway).
        for (const auto& [a, r] : *asked)
          if (r->has_object()) current[a] = ObjectState{r->id, r->attributes};
        return;
      }
      for (auto& [a, r] : *asked) {
        auto it = res.objects.find(a);
        if (it != res.objects.end()) current[a] = std::move(it->second);
        refreshed.insert(a);
      }
    });
  }
  clock->run();
}

std::optional<Plan> Session::plan() {
  Impl& I = *impl_;
  // Destroy refreshes only interrupted creates: what they made must be destroyed too.
  I.refresh(options_.refresh, diags_, options_.destroy);
  if (diags_.has_errors()) return std::nullopt;

  Plan plan;
  plan.orch_version = ORCH_VERSION;
  plan.destroy_mode = options_.destroy;
  plan.targets = options_.targets;
  plan.replace = options_.replace;
  plan.state_lineage = I.loaded.existed ? I.loaded.state.lineage : "";  // fresh lineages are random
  plan.state_serial = I.loaded.state.serial;
  plan.state_exists = I.loaded.existed;
  plan.parallelism = options_.parallelism;
  for (const auto& [name, p] : I.providers) {
    ProviderLimits l = p->limits();
    if (l.max_concurrency > 0 || l.requests_per_second > 0)
      plan.limits.push_back({name, l.max_concurrency, l.requests_per_second, l.exempt_types});
  }
  for (const auto& [name, v] : config_->variables) {
    auto it = I.variables.find(name);
    if (it != I.variables.end()) plan.variables.push_back({name, it->second, v.sensitive});
  }

  std::set<std::string> replace_set;
  for (const auto& r : options_.replace) {
    auto parsed = parse_address(r);
    if (!parsed.ok()) {
      diags_.error({}, "Invalid -replace address", parsed.error->str(r));
      continue;
    }
    replace_set.insert(parsed.address->str());
  }

  // Objects marked for this stack that the state does not know: adopted, not created again.
  std::map<std::string, ObjectState> owned;
  if (options_.refresh && !options_.destroy) {
    std::set<std::pair<Provider*, std::string>> types;
    std::function<void(const Config&)> walk = [&](const Config& c) {
      for (const auto& [a, r] : c.resources)
        if (!r.is_data()) types.insert({I.provider_for(r.provider_key, r.type), r.type});
      for (const auto& [n, m] : c.modules)
        if (m.child) walk(*m.child);
    };
    walk(*config_);
    owned = find_owned({types.begin(), types.end()}, *I.clock, diags_);
  }

  I.model = std::make_unique<Model>(*config_, I.variables, diags_);
  Model& model = *I.model;
  std::vector<GraphInstance> ginst;
  std::set<std::string> planned;
  std::set<std::string> deferred_blocks;

  InstancePlanner ip(model, I.loaded.state, diags_);
  ip.provider_for = [&I](const std::string& key, const std::string& type) {
    return I.provider_for(key, type);
  };
  ip.current = &I.current;
  ip.refreshed = &I.refreshed;
  ip.replace = &replace_set;
  ip.clock = I.clock.get();
  ip.destroy = options_.destroy;
  ip.owned = &owned;
  ip.steps = &ginst;
  ip.planned = &planned;

  model.plan_block = [&](Model::Block& b) {
    auto scope = model.scope(*b.module);
    // A count/for_each known only after apply defers the block's expansion to apply; in destroy
    // mode there is nothing to expand (its instances in state are orphans to delete).
    b.expansion = expand_resource(*b.resource, b.module->path, *scope, diags_,
                                  /*defer_unknown=*/!options_.destroy);
    if (b.expansion.unknown) {
      if (options_.destroy) return;
      auto [d, gi] = ip.deferred(b);
      for (const auto& a : d.existing) planned.insert(a);
      deferred_blocks.insert(b.address);
      plan.deferred.push_back(std::move(d));
      ginst.push_back(std::move(gi));
      return;
    }
    for (const auto& inst : b.expansion.instances) {
      auto p = ip.instance(b, inst);
      planned.insert(inst.address);
      ginst.push_back(std::move(p.graph));
      plan.changes.push_back(std::move(p.change));
    }
  };
  for (auto& [addr, b] : model.blocks()) model.block_value(b);

  // Orphans: in state, not in the configuration.
  for (const auto& [addr, r] : I.loaded.state.resources) {
    if (planned.count(addr.str())) continue;
    auto p = ip.orphan(addr, r);
    ginst.push_back(std::move(p.graph));
    plan.changes.push_back(std::move(p.change));
  }

  for (const auto& [address, object] : owned) {
    auto pa = parse_address(address);
    if (!planned.count(address) && (!pa.ok() || !I.loaded.state.find(*pa.address)))
      diags_.warning(
          {},
          address + " (" + object.id +
              ") is marked for this stack but is not in "
              "the configuration or the state",
          "orch leaves it alone. Add it to the configuration to adopt it, or delete it.");
  }
  plan.graph = build_plan_graph(ginst, diags_);
  if (!options_.targets.empty() && !diags_.has_errors()) {
    auto kept_list = targeted_addresses(plan.graph, options_.targets, diags_);
    std::set<std::string> kept(kept_list.begin(), kept_list.end());
    std::vector<GraphInstance> g2;
    for (auto& g : ginst)
      if (kept.count(g.address)) g2.push_back(g);
    std::vector<ResourceChange> c2;
    for (auto& c : plan.changes)
      if (kept.count(c.address)) c2.push_back(std::move(c));
    plan.changes = std::move(c2);
    std::erase_if(plan.deferred, [&](const PlanDeferred& d) { return !kept.count(d.block); });
    plan.graph = build_plan_graph(g2, diags_);
  }

  // Rollouts and gates per block.
  std::map<std::string, ResourceChange*> by_address;
  for (auto& rc : plan.changes) by_address[rc.address] = &rc;
  for (auto& [addr, b] : model.blocks()) {
    const Resource& r = *b.resource;
    auto scope = model.scope(*b.module);
    const bool deferred = deferred_blocks.count(addr) > 0;
    if (r.rollout && (b.expansion.counted || b.expansion.keyed || deferred) && !options_.destroy) {
      RolloutSpec spec = evaluate_rollout(*r.rollout, *scope, diags_);
      // Members in instance order (the expansion lists them by key, naturally ordered).
      std::vector<const ExpandedInstance*> order;
      for (const auto& inst : b.expansion.instances) order.push_back(&inst);
      std::sort(
          order.begin(), order.end(),
          [](const ExpandedInstance* x, const ExpandedInstance* y) { return x->addr < y->addr; });
      std::vector<std::string> members;
      for (const ExpandedInstance* inst : order) {
        auto it = by_address.find(inst->address);
        if (it == by_address.end()) continue;
        PlanAction a = it->second->action;
        if (a == PlanAction::NoOp || a == PlanAction::Delete || a == PlanAction::Read) continue;
        members.push_back(inst->address);
      }
      PlanRollout pr;
      pr.block = addr;
      pr.canary = static_cast<int>(spec.canary);
      pr.batch = spec.batch_percent > 0 ? std::to_string(spec.batch_percent) + "%"
                 : spec.batch > 0       ? std::to_string(spec.batch)
                                        : "";
      pr.max_failures = static_cast<int>(spec.max_failures);
      pr.pause = spec.pause;
      set_rollout_waves(pr, members);  // none yet for a deferred block: apply sets them
      plan.rollouts.push_back(std::move(pr));
    }
    if (r.ready_when && !options_.destroy) {
      auto gate_of = [&](const ExpandedInstance* inst) {
        Model::Repetition rep;
        rep.self = Value::unknown();
        if (inst) {
          rep.count_index = inst->count_index;
          rep.each_key = inst->each_key;
          rep.each_value = inst->each_value;
        }
        auto gs = model.scope(*b.module, rep);
        Diagnostics scratch;
        return evaluate_ready_when(*r.ready_when, *gs, scratch);
      };
      const auto& insts = b.expansion.instances;
      ReadyWhenSpec spec = gate_of(insts.empty() ? nullptr : &insts[0]);
      PlanGate g;
      g.block = addr;
      g.kind = spec.kind;
      g.condition = spec.value;
      g.timeout = spec.timeout;
      g.interval = spec.interval;
      g.simulate_after = spec.simulate_after;
      // Each instance's own condition (a URL with its host): shown on its change, not the first's.
      if (insts.size() > 1) {
        std::vector<std::pair<ResourceChange*, Value>> own;
        for (const auto& inst : insts) {
          Value v = gate_of(&inst).value;
          if (!v.equals(spec.value)) g.per_instance = true;
          if (auto it = by_address.find(inst.address); it != by_address.end())
            own.emplace_back(it->second, std::move(v));
        }
        if (g.per_instance)
          for (auto& [rc, v] : own) rc->gate_condition = std::move(v);
      }
      plan.gates.push_back(std::move(g));
    }
  }

  // Outputs of the root module.
  std::set<std::string> seen;
  for (const auto& [name, o] : config_->outputs) {
    seen.insert(name);
    OutputChange oc;
    oc.name = name;
    oc.sensitive = o.sensitive;
    auto st = I.loaded.state.outputs.find(name);
    if (st != I.loaded.state.outputs.end()) oc.before = st->second.value;
    if (options_.destroy) {
      oc.action = st == I.loaded.state.outputs.end() ? PlanAction::NoOp : PlanAction::Delete;
    } else {
      oc.after = model.output_value(model.root(), name);
      if (st == I.loaded.state.outputs.end())
        oc.action = PlanAction::Create;
      else if (!oc.after.is_wholly_known() || !oc.after.equals(oc.before))
        oc.action = PlanAction::Update;
    }
    plan.outputs.push_back(std::move(oc));
  }
  for (const auto& [name, o] : I.loaded.state.outputs) {
    if (seen.count(name)) continue;
    OutputChange oc;
    oc.name = name;
    oc.sensitive = o.sensitive;
    oc.before = o.value;
    oc.action = PlanAction::Delete;
    plan.outputs.push_back(std::move(oc));
  }

  plan.normalize();
  plan.errored = diags_.has_errors();
  if (diags_.has_errors()) return std::nullopt;
  return plan;
}

bool object_known(const ValueMap& m) {
  for (const auto& [k, v] : m)
    if (!v.is_wholly_known()) return false;
  return true;
}

}  // namespace orch
