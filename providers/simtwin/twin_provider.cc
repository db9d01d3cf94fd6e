// The simulated twin of a provider (see twin_provider.h).
#include "providers/simtwin/twin_provider.h"

#include <fmt/format.h>

#include <algorithm>

#include "compiler/duration.h"
#include "providers/force_new.h"
#include "providers/simtwin/synthesize.h"

namespace orch {

namespace {

const Value* find(const ValueMap& m, const std::string& name) {
  auto it = m.find(name);
  return it == m.end() ? nullptr : &it->second;
}

bool known(const Value* v) {
  return v && !v->is_null() && v->is_wholly_known();
}

std::optional<std::vector<std::string>> known_strings(const Value* v) {
  if (!v || !v->is_sequence() || !v->is_wholly_known()) return std::nullopt;
  std::vector<std::string> out;
  for (const Value& e : v->unmarked().elements()) {
    if (e.kind() != ValueKind::String) return std::nullopt;
    out.push_back(e.as_string());
  }
  return out;
}

// The known strings of a list that may still hold unknown elements (candidates whose machines
// are not up yet when an election runs at the first one).
std::optional<std::vector<std::string>> some_strings(const Value* v) {
  if (!v || !v->is_sequence()) return std::nullopt;
  std::vector<std::string> out;
  for (const Value& e : v->unmarked().elements())
    if (e.kind() == ValueKind::String) out.push_back(e.as_string());
  return out;
}

// `v` without what is still unknown in it: unknown elements and entries dropped, an unknown
// value null. What a real provider can be sent of a configuration that is not all known yet.
Value known_part(const Value& v) {
  if (v.is_unknown()) return Value::null(v.type());
  if (v.is_wholly_known()) return v;
  if (v.is_mapping()) {
    ValueMap m;
    for (const auto& [k, e] : v.attributes())
      if (!e.is_unknown()) m[k] = known_part(e);
    return v.kind() == ValueKind::Object ? Value::object(std::move(m))
                                         : Value::map(std::move(m), v.type().element());
  }
  if (v.is_sequence()) {
    ValueList l;
    for (const auto& e : v.elements())
      if (!e.is_unknown()) l.push_back(known_part(e));
    if (v.kind() == ValueKind::Tuple) return Value::tuple(std::move(l));
    return v.kind() == ValueKind::Set ? Value::set(std::move(l), v.type().element())
                                      : Value::list(std::move(l), v.type().element());
  }
  return v;
}

// The candidate standing for the instance that satisfied an any-of dependency first: equal to
// its address or to one of its string attributes. Without one, the first candidate.
std::optional<std::string> pick_first_ready(const std::vector<std::string>& candidates,
                                            const std::vector<SatisfiedDependency>& satisfied_by) {
  for (const auto& dep : satisfied_by)
    for (const auto& c : candidates) {
      if (c == dep.address) return c;
      for (const auto& [name, v] : dep.attributes)
        if (v.kind() == ValueKind::String && v.as_string() == c) return c;
    }
  if (candidates.empty()) return std::nullopt;
  return candidates.front();
}

const char* op_name(ChangeAction a) {
  switch (a) {
    case ChangeAction::Create:
      return "create";
    case ChangeAction::Delete:
      return "delete";
    case ChangeAction::Read:
      return "read";
    default:
      return "update";
  }
}

ProviderError error(std::string summary, std::string detail, bool retryable = false) {
  return ProviderError{std::move(summary), std::move(detail), retryable, std::nullopt};
}

// Any value still unknown somewhere inside `v` replaced by a synthesized one of its type.
Value resolve_unknowns(const std::string& name, const Value& v, const SynthContext& sc) {
  if (v.is_unknown()) return synthesize_value(name, v.type(), sc);
  if (v.is_wholly_known()) return v;
  if (v.is_mapping()) {
    ValueMap m;
    for (const auto& [k, e] : v.attributes()) m[k] = resolve_unknowns(k, e, sc);
    return v.kind() == ValueKind::Object ? Value::object(std::move(m))
                                         : Value::map(std::move(m), v.type().element());
  }
  if (v.is_sequence()) {
    ValueList l;
    for (const auto& e : v.elements()) l.push_back(resolve_unknowns(name, e, sc));
    if (v.kind() == ValueKind::Tuple) return Value::tuple(std::move(l));
    return v.kind() == ValueKind::Set ? Value::set(std::move(l), v.type().element())
                                      : Value::list(std::move(l), v.type().element());
  }
  return v;
}

// The schema's first-ready hints, plus the obvious ones it forgot to declare: a computed string
// named like an election's winner next to a list of strings named like its candidates.
std::map<std::string, std::string> first_ready_of(const Schema& schema) {
  std::map<std::string, std::string> out = schema.simulation.first_ready;
  static const char* winners[] = {"leader", "winner", "primary", "master", "elected"};
  static const char* pools[] = {"candidates", "members", "nodes"};
  for (const char* w : winners) {
    const AttributeSchema* a = schema.attribute(w);
    if (!a || !a->computed || a->type.kind != TypeKind::String || out.count(w)) continue;
    for (const char* p : pools) {
      const AttributeSchema* list = schema.attribute(p);
      if (list && !list->computed && list->type.kind == TypeKind::List &&
          list->type.element().kind == TypeKind::String) {
        out[w] = p;
        break;
      }
    }
  }
  return out;
}

}  // namespace

TwinProvider::TwinProvider(ProviderSchema schema, std::shared_ptr<const TwinModel> model,
                           ProviderLimits real_limits)
    : schema_(std::move(schema)), model_(std::move(model)), real_limits_(real_limits) {}

std::unique_ptr<Provider> make_twin(std::unique_ptr<Provider> real,
                                    std::shared_ptr<const TwinModel> model) {
  if (!real) return nullptr;
  return std::make_unique<TwinProvider>(real->schema(), std::move(model), real->limits());
}

void TwinProvider::configure(const ValueMap&, const ProviderContext& ctx, Diagnostics&) {
  ctx_ = ctx;
}

ProviderLimits TwinProvider::limits() const {
  return model_->limits(schema_.name, real_limits_);
}

const Schema* TwinProvider::resource_schema(const std::string& type) const {
  auto it = schema_.resources.find(type);
  return it == schema_.resources.end() ? nullptr : &it->second;
}

void TwinProvider::after(Duration d, std::function<void()> fn) {
  if (!ctx_.clock) return fn();
  std::weak_ptr<char> guard = alive_;
  ctx_.clock->schedule(d, [guard, fn = std::move(fn)] {
    if (!guard.expired()) fn();
  });
}

void TwinProvider::read_many(const std::string&, std::vector<ReadItem> items,
                             std::function<void(ReadResult)> done) {
  // The simulated world is the simulated state: what it recorded is what exists.
  ReadResult r;
  r.requests = 1;
  for (auto& item : items)
    r.objects[item.address] = ObjectState{item.id, std::move(item.attributes)};
  done(std::move(r));
}

void TwinProvider::check_gate(const GateRequest&, std::function<void(GateResult)> done) {
  GateResult r;
  r.holds = true;
  r.message = "simulated";
  done(r);
}

PlanResponse TwinProvider::plan(const PlanRequest& req) {
  PlanResponse resp;
  const Schema* schema = resource_schema(req.type);
  if (!schema) {
    resp.diagnostics.error(Range{}, fmt::format("The {} provider has no resource type \"{}\"",
                                                schema_.name, req.type));
    return resp;
  }
  const SimulationHints& hints = schema->simulation;
  const auto first_ready = first_ready_of(*schema);
  const ValueMap* prior = req.prior ? &req.prior->attributes : nullptr;
  ValueMap& planned = resp.planned;
  auto prior_value = [&](const std::string& name) { return prior ? find(*prior, name) : nullptr; };

  for (const auto& a : schema->attributes) {
    const bool pure_computed = a.computed && !a.optional && !a.required;
    if (pure_computed) continue;
    const Value* v = find(req.config, a.name);
    if (v && !v->is_null()) {
      planned[a.name] = *v;
    } else if (a.default_value) {
      planned[a.name] = *a.default_value;
    } else if (a.computed) {
      const Value* p = prior_value(a.name);
      planned[a.name] = p ? *p : Value::unknown(a.type);
    } else if (v) {
      planned[a.name] = *v;
    }
  }
  for (const auto& b : schema->blocks)
    if (const Value* v = find(req.config, b.type_name)) planned[b.type_name] = *v;

  resp.force_new_paths = changed_force_new(*schema, planned, prior);
  const bool keeps = prior && resp.force_new_paths.empty();
  bool inputs_changed = !keeps;
  for (const auto& a : schema->attributes) {
    if (inputs_changed || (a.computed && !a.optional && !a.required)) continue;
    const Value* now = find(planned, a.name);
    const Value* was = find(*prior, a.name);
    inputs_changed = (now == nullptr) != (was == nullptr) ||
                     (now && (!now->is_wholly_known() || !now->equals(*was)));
  }

  auto keep_or_unknown = [&](const AttributeSchema& a) {
    const Value* p = keeps ? prior_value(a.name) : nullptr;
    planned[a.name] = p ? *p : Value::unknown(a.type);
  };
  // Plain computed attributes and first-ready ones first; templates and counters read them.
  for (const auto& a : schema->attributes) {
    if (!a.computed || a.optional || a.required) continue;
    if (hints.templates.count(a.name) || hints.counters.count(a.name) || hints.copies.count(a.name))
      continue;
    if (auto fr = first_ready.find(a.name); fr != first_ready.end()) {
      const Value* p = keeps ? prior_value(a.name) : nullptr;
      auto candidates = known_strings(find(planned, fr->second));
      const bool stays =
          p && p->kind() == ValueKind::String && candidates &&
          std::find(candidates->begin(), candidates->end(), p->as_string()) != candidates->end();
      planned[a.name] = stays ? *p : Value::unknown(a.type);
      continue;
    }
    keep_or_unknown(a);
  }
  for (const auto& [name, text] : hints.templates) {
    const AttributeSchema* a = schema->attribute(name);
    if (!a) continue;
    auto s = expand_template(text, planned);
    if (s)
      planned[name] = Value::string(*s);
    else
      keep_or_unknown(*a);
  }
  for (const auto& [name, from] : hints.copies) {
    const AttributeSchema* a = schema->attribute(name);
    if (!a) continue;
    const Value* now = find(planned, from);
    const Value* was = keeps ? prior_value(from) : nullptr;
    if (now && was && now->is_wholly_known() && now->equals(*was))
      keep_or_unknown(*a);
    else
      planned[name] = Value::unknown(a->type);
  }
  for (const auto& [name, of] : hints.counters) {
    const AttributeSchema* a = schema->attribute(name);
    if (!a) continue;
    const bool counts_change = of.empty() ? inputs_changed : !known(find(planned, of)) || !keeps;
    if (counts_change)
      planned[name] = Value::unknown(a->type);
    else
      keep_or_unknown(*a);
  }
  if (keeps && inputs_changed && !hints.counters.empty()) {
    for (const auto& [name, of] : hints.counters)
      if (of.empty()) resp.notes.push_back("runs again (simulated)");
  }
  return resp;
}

void TwinProvider::fill_computed(const std::string& type, const Schema& schema,
                                 const ApplyRequest* req, const std::string& address,
                                 ValueMap& attrs) const {
  const SimulationHints& hints = schema.simulation;
  const auto first_ready = first_ready_of(schema);
  SynthContext sc;
  sc.provider = schema_.name;
  sc.type = type;
  sc.address = address;
  sc.id_prefix = hints.id_prefix;
  sc.now = ctx_.clock ? ctx_.clock->now() : TimePoint{0};
  auto model = model_;
  sc.uniform = [model, address](const std::string& salt) { return model->uniform(address, salt); };
  const ValueMap empty;
  const ValueMap& prior = req && req->prior ? req->prior->attributes : empty;
  auto unresolved = [&](const std::string& name) { return !known(find(attrs, name)); };

  for (const auto& [name, from] : hints.copies) {
    const Value* v = find(attrs, from);
    if (unresolved(name) && v && v->is_wholly_known()) attrs[name] = *v;
  }
  for (const auto& [name, from] : hints.element_keys) {
    const Value* keys = find(attrs, from);
    if (!unresolved(name) || !keys || !keys->is_wholly_known() || !keys->is_mapping() ||
        keys->length() == 0)
      continue;
    ValueMap element;
    for (const auto& [key, unused] : keys->attributes())
      element[key] = synthesize_value(key, Type::string(), sc);
    attrs[name] = Value::list({Value::object(std::move(element))});
  }
  for (const auto& a : schema.attributes) {
    if (!a.computed || hints.templates.count(a.name) || hints.counters.count(a.name)) continue;
    if (!unresolved(a.name)) continue;
    if (auto fr = first_ready.find(a.name); fr != first_ready.end()) {
      auto candidates = some_strings(find(attrs, fr->second));
      std::optional<std::string> leader;
      if (candidates)
        leader = pick_first_ready(*candidates,
                                  req ? req->satisfied_by : std::vector<SatisfiedDependency>{});
      if (leader) {
        attrs[a.name] = Value::string(*leader);
        continue;
      }
    }
    attrs[a.name] = synthesize_value(a.name, a.type, sc);
  }
  for (const auto& [name, text] : hints.templates) {
    const AttributeSchema* a = schema.attribute(name);
    if (!a || !unresolved(name)) continue;
    auto s = expand_template(text, attrs);
    attrs[name] = s ? Value::string(*s) : synthesize_value(name, a->type, sc);
  }
  for (const auto& [name, of] : hints.counters) {
    if (!unresolved(name)) continue;
    const Value* was = find(prior, name);
    int64_t n =
        was && was->kind() == ValueKind::Number && was->as_number().is_int ? was->as_number().i : 0;
    if (of.empty() || !was) {
      ++n;
    } else {
      const Value* before = find(prior, of);
      const Value* now = find(attrs, of);
      if (!before || !now || !before->equals(*now)) ++n;
    }
    attrs[name] = Value::number(std::max<int64_t>(n, 1));
  }
  // Nested blocks: their computed attributes too.
  for (const auto& b : schema.blocks) {
    auto it = attrs.find(b.type_name);
    if (it == attrs.end() || !it->second.is_sequence()) continue;
    ValueList elems;
    for (const Value& e : it->second.elements()) {
      if (!e.is_mapping()) {
        elems.push_back(e);
        continue;
      }
      ValueMap inner = e.attributes();
      fill_computed(type, b.body, nullptr, address + "." + b.type_name, inner);
      elems.push_back(Value::object(std::move(inner)));
    }
    it->second = it->second.kind() == ValueKind::Set ? Value::set(std::move(elems))
                                                     : Value::list(std::move(elems));
  }
  // Nothing is stored unknown: computed values are synthesized; arguments still unknown when the
  // step ran (other instances not created yet) are recorded as far as they were known, as a
  // real provider would have received them; the next plan shows the rest as an update.
  for (auto& [name, v] : attrs) {
    if (v.is_wholly_known()) continue;
    const AttributeSchema* a = schema.attribute(name);
    v = a && a->computed && !a->optional ? resolve_unknowns(name, v, sc) : known_part(v);
  }
}

void TwinProvider::apply(const ApplyRequest& req, std::function<void(ApplyResult)> done) {
  const Schema* schema = resource_schema(req.type);
  if (!schema)
    return done({std::nullopt, error(fmt::format("the simulated {} provider has no resource "
                                                 "type \"{}\"",
                                                 schema_.name, req.type),
                                     "")});
  const std::string op = op_name(req.action);
  const int attempt = ++attempts_[req.address];
  const ValueMap& basis =
      req.action == ChangeAction::Delete && req.prior ? req.prior->attributes : req.planned;
  const Duration took = model_->latency(req.type, schema, op, basis, req.address, attempt);
  after(took, [this, req, schema, op, attempt, done = std::move(done)] {
    const ValueMap& basis =
        req.action == ChangeAction::Delete && req.prior ? req.prior->attributes : req.planned;
    const SimFailure f = model_->failure(req.type, schema, op, basis, req.address, attempt);
    if (f == SimFailure::Transient)
      return done({std::nullopt, error("simulated transient error (503 Service Unavailable)",
                                       "transient_rate in the simulation profile", true)});
    attempts_.erase(req.address);
    if (f == SimFailure::Permanent)
      return done(
          {std::nullopt,
           error(fmt::format("simulated failure of {}", op),
                 fmt::format("fail_rate = {} with seed {}; change the seed or the rate to see "
                             "another outcome",
                             model_->fail_rate(req.type, schema, basis), model_->seed()))});
    if (req.action == ChangeAction::Delete) return done(ApplyResult{});
    ValueMap attrs;
    for (const auto& [k, v] : req.planned)
      if (schema->attribute(k) || schema->block(k)) attrs[k] = v;
    fill_computed(req.type, *schema, &req, req.address, attrs);
    std::string id;
    if (const Value* v = find(attrs, "id"); v && v->kind() == ValueKind::String)
      id = v->as_string();
    else if (req.prior && !req.prior->id.empty())
      id = req.prior->id;
    else
      id = (schema->simulation.id_prefix.empty() ? std::string("sim-")
                                                 : schema->simulation.id_prefix) +
           fmt::format("{:012x}", static_cast<uint64_t>(model_->uniform(req.address, "id") *
                                                        281474976710655.0));
    done(ApplyResult{ObjectState{id, std::move(attrs)}, std::nullopt});
  });
}

void TwinProvider::read_data(
    const std::string& type, const ValueMap& config,
    std::function<void(std::optional<ValueMap>, std::optional<ProviderError>)> done) {
  auto it = schema_.data_sources.find(type);
  if (it == schema_.data_sources.end())
    return done(std::nullopt, error(fmt::format("the simulated {} provider has no data source "
                                                "\"{}\"",
                                                schema_.name, type),
                                    ""));
  const Schema& schema = it->second;
  // Data sources have no address here: one made from the configuration keeps values stable.
  std::string key;
  for (const auto& [k, v] : config) key += k + "=" + v.to_display() + ";";
  const std::string address = fmt::format(
      "data.{}.q{:08x}", type, static_cast<uint32_t>(model_->uniform(key, "data") * 4294967295.0));
  ValueMap attrs;
  for (const auto& a : schema.attributes) {
    const Value* v = find(config, a.name);
    if (v && !v->is_null())
      attrs[a.name] = *v;
    else if (a.default_value)
      attrs[a.name] = *a.default_value;
  }
  const Duration took = model_->latency(type, &schema, "read", attrs, address);
  after(took, [this, type, schema, address, attrs, done = std::move(done)]() mutable {
    fill_computed(type, schema, nullptr, address, attrs);
    done(std::move(attrs), std::nullopt);
  });
}

}  // namespace orch
