// The local provider (see local_provider.h).
#include "providers/local/local_provider.h"

#include <fmt/format.h>

#include "compiler/duration.h"
#include "planner/gate_command.h"
#include "planner/retry.h"

namespace orch {

namespace {

const Value* find(const ValueMap& m, const std::string& name) {
  auto it = m.find(name);
  return it == m.end() ? nullptr : &it->second;
}

ProviderError error(std::string summary, std::string detail = {}) {
  return ProviderError{std::move(summary), std::move(detail), false, std::nullopt};
}

}  // namespace

ProviderSchema local_schema() {
  const Type str = Type::string();
  auto attr = [](std::string name, Type type, bool required, bool computed,
                 std::optional<Value> def, std::string description) {
    AttributeSchema a;
    a.name = std::move(name);
    a.type = std::move(type);
    a.required = required;
    a.optional = !required && !computed;
    a.computed = computed;
    a.default_value = std::move(def);
    a.description = std::move(description);
    return a;
  };
  ProviderSchema p;
  p.name = "local";
  p.config.description = "Commands on the machine running orch.";
  Schema cmd;
  cmd.description =
      "Runs `command` with /bin/sh on the machine running orch; fails unless it exits 0. A "
      "change of command or triggers runs it again.";
  cmd.attributes = {
      attr("command", str, true, false, std::nullopt, "The command line (/bin/sh -c)."),
      attr("triggers", Type::map(str), false, false, Value::map({}, str),
           "Arbitrary values; a change runs the command again."),
      attr("timeout", str, false, false, Value::string("10m"),
           "How long the command may run before it is killed (a duration)."),
      attr("id", str, false, true, std::nullopt, "An id for the state."),
      attr("runs", Type::number(), false, true, std::nullopt, "How many times it has run."),
  };
  cmd.simulation.counters = {{"runs", ""}};
  cmd.simulation.id_prefix = "cmd-";
  p.resources["local_command"] = cmd;
  return p;
}

LocalProvider::LocalProvider() : schema_(local_schema()) {}

void LocalProvider::configure(const ValueMap&, const ProviderContext& ctx, Diagnostics&) {
  ctx_ = ctx;
}

void LocalProvider::read_many(const std::string&, std::vector<ReadItem> items,
                              std::function<void(ReadResult)> done) {
  ReadResult r;
  for (auto& i : items) r.objects[i.address] = ObjectState{i.id, std::move(i.attributes)};
  done(std::move(r));
}

void LocalProvider::read_data(
    const std::string& type, const ValueMap&,
    std::function<void(std::optional<ValueMap>, std::optional<ProviderError>)> done) {
  done(std::nullopt, error(fmt::format("the local provider has no data source \"{}\"", type)));
}

void LocalProvider::check_gate(const GateRequest& request, std::function<void(GateResult)> done) {
  GateResult r;
  r.error = error(fmt::format("the local provider offers no readiness gate \"{}\"", request.kind));
  done(r);
}

PlanResponse LocalProvider::plan(const PlanRequest& req) {
  PlanResponse resp;
  const Schema* schema = nullptr;
  if (auto it = schema_.resources.find(req.type); it != schema_.resources.end())
    schema = &it->second;
  if (!schema) {
    resp.diagnostics.error({},
                           fmt::format("The local provider has no resource type \"{}\"", req.type));
    return resp;
  }
  bool same = req.prior.has_value();
  for (const auto& a : schema->attributes) {
    if (a.computed) continue;
    const Value* v = find(req.config, a.name);
    Value planned = v && !v->is_null() ? *v : a.default_value.value_or(Value());
    if (const Value* was = req.prior ? find(req.prior->attributes, a.name) : nullptr;
        !was || !planned.is_wholly_known() || !planned.equals(*was))
      same = false;
    resp.planned[a.name] = std::move(planned);
  }
  if (const Value* t = find(resp.planned, "timeout"); t && t->kind() == ValueKind::String) {
    std::string err;
    if (!parse_duration(t->as_string(), &err))
      resp.diagnostics.error({}, fmt::format("{}: timeout: {}", req.address, err));
  }
  const ValueMap empty;
  const ValueMap& prior = req.prior ? req.prior->attributes : empty;
  for (const char* c : {"id", "runs"}) {
    const Value* was = find(prior, c);
    const bool keep = was && (same || std::string(c) == "id");
    resp.planned[c] =
        keep ? *was : Value::unknown(std::string(c) == "id" ? Type::string() : Type::number());
  }
  if (req.prior && !same) resp.notes.push_back("the command runs again");
  return resp;
}

void LocalProvider::apply(const ApplyRequest& req, std::function<void(ApplyResult)> done) {
  if (req.action == ChangeAction::Delete) return done(ApplyResult{});
  const Value* cmd = find(req.planned, "command");
  if (!cmd || cmd->kind() != ValueKind::String)
    return done({std::nullopt, error(req.address + ": command must be a known string")});
  Duration limit = std::chrono::minutes(10);
  if (const Value* t = find(req.planned, "timeout"); t && t->kind() == ValueKind::String)
    if (auto d = parse_duration(t->as_string())) limit = *d;
  auto* io = ctx_.clock ? ctx_.clock->io_context() : nullptr;
  if (!io)
    return done({std::nullopt, error(req.address + ": local commands need a real clock",
                                     "Under -simulate, local_command is simulated by its twin.")});
  int64_t runs = 0;
  if (req.prior)
    if (const Value* r = find(req.prior->attributes, "runs"); r && r->kind() == ValueKind::Number)
      runs = r->as_number().is_int ? r->as_number().i : 0;
  std::string id = req.prior && !req.prior->id.empty()
                       ? req.prior->id
                       : fmt::format("cmd-{:012x}", stable_hash(req.idempotency_token, 0) >> 16);
  ApplyRequest copy = req;
  // In the configuration's directory, like every relative path in a configuration.
  std::string dir = ctx_.work_dir.empty() ? "." : ctx_.work_dir, quoted = "'";
  for (char c : dir) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  run_gate_command(*io, "cd " + quoted + " || exit 125\n" + cmd->unmarked().as_string(), 0, limit,
                   [copy, runs, id, done = std::move(done)](GateResult r) {
                     if (!r.holds)
                       return done({std::nullopt, error(fmt::format("{}: the command failed: {}",
                                                                    copy.address, r.message))});
                     ObjectState o{id, {}};
                     for (const auto& [k, v] : copy.planned) o.attributes[k] = v;
                     o.attributes["id"] = Value::string(id);
                     o.attributes["runs"] = Value::number(runs + 1);
                     done({std::move(o), std::nullopt});
                   });
}

}  // namespace orch
