// The ssh provider (see ssh_provider.h): settings, ssh_command's plan and runs, the ssh gate.
#include "providers/ssh/ssh_provider.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "compiler/duration.h"
#include "planner/retry.h"
#include "providers/ssh/step_plan.h"

namespace orch {

namespace {

constexpr Duration kSimulatedRun = std::chrono::seconds(5);

ProviderError error(std::string summary, std::string detail = {}) {
  return ProviderError{std::move(summary), std::move(detail), false, {}};
}

const StepRules& command_rules() {
  static const StepRules rules{"hosts", {"command", "sudo", "triggers"}, "host"};
  return rules;
}

// Hosts whose last exit code was not 0.
std::vector<std::string> failed_hosts(const ValueMap& attrs) {
  std::vector<std::string> out;
  auto it = attrs.find("exit_codes");
  if (it == attrs.end() || !it->second.is_mapping() || !it->second.is_wholly_known()) return out;
  for (const auto& [host, code] : it->second.attributes())
    if (code.kind() != ValueKind::Number || code.as_number().as_double() != 0) out.push_back(host);
  return out;
}

// The prior exit codes of hosts still listed.
ValueMap kept_exit_codes(const ValueMap* prior, const std::vector<std::string>& hosts) {
  ValueMap out;
  if (!prior) return out;
  auto it = prior->find("exit_codes");
  if (it == prior->end() || !it->second.is_mapping() || !it->second.is_wholly_known()) return out;
  const std::set<std::string> listed(hosts.begin(), hosts.end());
  for (const auto& [host, code] : it->second.attributes())
    if (listed.count(host)) out[host] = code;
  return out;
}

// Checks the user-set attributes of an ssh_command; "" when they are fine.
std::string invalid_command(const ValueMap& planned, std::optional<Duration>* timeout) {
  if (auto hosts = attr_strings(planned, "hosts")) {
    for (const auto& h : *hosts)
      if (auto why = invalid_host_reason(h); !why.empty()) return "hosts: " + why;
  }
  if (auto c = attr_string(planned, "command"); c && c->empty()) return "command must not be empty";
  if (auto m = attr_int(planned, "max_failures"); m && *m < 0)
    return "max_failures must be 0 or more";
  if (auto t = attr_string(planned, "timeout")) {
    std::string why;
    *timeout = parse_duration(*t, &why);
    if (!*timeout) return fmt::format("timeout = \"{}\" is not a duration: {}", *t, why);
    if (**timeout <= Duration(0)) return "timeout must be more than 0";
  }
  return "";
}

}  // namespace

SshProvider::SshProvider() : schema_(ssh_schema()) {}
SshProvider::~SshProvider() = default;

void SshProvider::configure(const ValueMap& config, const ProviderContext& ctx,
                            Diagnostics& diags) {
  ctx_ = ctx;
  settings_ = SshSettings{};
  auto invalid = [&](std::string summary, std::string detail = {}) {
    diags.error(Range{}, "Invalid ssh provider setting: " + summary, detail);
  };
  if (auto u = attr_string(config, "user")) settings_.user = *u;
  if (auto port = attr_int(config, "port")) {
    if (*port < 1 || *port > 65535)
      invalid(fmt::format("port = {}", *port), "A port is a number from 1 to 65535.");
    else
      settings_.port = static_cast<int>(*port);
  }
  if (auto f = attr_string(config, "identity_file")) settings_.identity_file = *f;
  if (auto opts = attr_string_map(config, "options")) {
    for (const auto& [k, v] : *opts) {
      if (auto why = invalid_option_reason(k, v); !why.empty()) invalid("options", why);
      settings_.options.emplace_back(k, v);
    }
  }
  int64_t sessions = attr_int(config, "max_sessions").value_or(64);
  if (sessions < 1) {
    invalid(fmt::format("max_sessions = {}", sessions), "At least one session is needed.");
    sessions = 1;
  }
  pool_.set_limit(static_cast<int>(sessions));
  if (auto t = attr_string(config, "connect_timeout")) {
    std::string why;
    auto d = parse_duration(*t, &why);
    if (!d || d->count() < 1000)
      invalid(fmt::format("connect_timeout = \"{}\"", *t),
              d ? "Give at least 1s." : "Write a duration such as \"10s\": " + why);
    else
      settings_.connect_timeout = *d;
  }
  // Each ssh in flight holds a few descriptors: allow as many as the system lets us.
  raise_open_files_limit();
}

void SshProvider::read_many(const std::string&, std::vector<ReadItem> items,
                            std::function<void(ReadResult)> done) {
  ReadResult r;
  for (auto& item : items)
    r.objects[item.address] = ObjectState{item.id, std::move(item.attributes)};
  done(std::move(r));
}

void SshProvider::read_data(
    const std::string& type, const ValueMap&,
    std::function<void(std::optional<ValueMap>, std::optional<ProviderError>)> done) {
  done(std::nullopt, error(fmt::format("the ssh provider has no data source \"{}\"", type)));
}

PlanResponse SshProvider::plan(const PlanRequest& req) {
  PlanResponse resp;
  auto it = schema_.resources.find(req.type);
  if (it == schema_.resources.end()) {
    resp.diagnostics.error(Range{},
                           fmt::format("The ssh provider has no resource type \"{}\"", req.type));
    return resp;
  }
  ValueMap& planned = resp.planned;
  for (const auto& a : it->second.attributes) {
    if (a.computed) continue;
    auto v = req.config.find(a.name);
    if ((v == req.config.end() || v->second.is_null()) && a.default_value)
      planned[a.name] = *a.default_value;
    else if (v != req.config.end())
      planned[a.name] = v->second;
  }
  std::optional<Duration> timeout;
  if (auto why = invalid_command(planned, &timeout); !why.empty()) {
    resp.diagnostics.error(Range{}, fmt::format("{}: {}", req.address, why));
    return resp;
  }
  const ValueMap* prior = req.prior ? &req.prior->attributes : nullptr;
  const std::vector<std::string> failed = prior ? failed_hosts(*prior) : std::vector<std::string>{};
  StepRun run = step_run(prior, planned, command_rules(), failed);
  auto keep = [&](const char* name, Type t) {
    auto p = prior ? prior->find(name) : ValueMap::const_iterator{};
    planned[name] = prior && p != prior->end() ? p->second : Value::unknown(t);
  };
  keep("id", Type::string());
  if (run.runs) {
    planned["runs"] = Value::unknown(Type::number());
    planned["exit_codes"] = Value::unknown(Type::map(Type::number()));
    if (prior && run.targets_known)
      resp.notes.push_back(
          fmt::format("runs on {} ({})", count_of(run.targets.size(), "host"), run.reason));
  } else {
    keep("runs", Type::number());
    if (auto hosts = attr_strings(planned, "hosts"))
      planned["exit_codes"] = Value::map(kept_exit_codes(prior, *hosts), Type::number());
    else
      planned["exit_codes"] = Value::unknown(Type::map(Type::number()));
  }
  return resp;
}

void SshProvider::apply(const ApplyRequest& req, std::function<void(ApplyResult)> done) {
  if (req.type != "ssh_command")
    return done({std::nullopt,
                 error(fmt::format("the ssh provider has no resource type \"{}\"", req.type))});
  // Nothing remote to remove: the command ran; forgetting it is all a delete does.
  if (req.action == ChangeAction::Delete) return done(ApplyResult{});
  run_command(req, std::move(done));
}

void SshProvider::run_command(const ApplyRequest& req, std::function<void(ApplyResult)> done) {
  ValueMap attrs;
  for (const auto& a : schema_.resources.at("ssh_command").attributes) {
    if (a.computed) continue;
    auto v = req.planned.find(a.name);
    if (v == req.planned.end()) continue;
    if (!v->second.is_wholly_known())
      return done({std::nullopt, error(fmt::format("{}: \"{}\" is not known at apply time",
                                                   req.address, a.name))});
    attrs[a.name] = v->second;
  }
  std::optional<Duration> timeout;
  if (auto why = invalid_command(attrs, &timeout); !why.empty())
    return done({std::nullopt, error(req.address + ": " + why)});
  auto hosts = attr_strings(attrs, "hosts");
  auto command = attr_string(attrs, "command");
  if (!hosts || !command)
    return done({std::nullopt, error(req.address + ": hosts and command must be known")});
  const bool sudo = attr_bool(attrs, "sudo").value_or(false);
  const int max_failures = static_cast<int>(attr_int(attrs, "max_failures").value_or(0));

  const ValueMap* prior =
      req.action == ChangeAction::Update && req.prior ? &req.prior->attributes : nullptr;
  StepRun run = step_run(prior, attrs, command_rules(),
                         prior ? failed_hosts(*prior) : std::vector<std::string>{});
  int64_t runs = prior ? attr_int(*prior, "runs").value_or(0) : 0;
  std::string id = prior && req.prior ? req.prior->id : "";
  if (id.empty())
    id = fmt::format("ssh-{:016x}", stable_hash(req.idempotency_token + "|" + req.address, 7));
  ValueMap codes = kept_exit_codes(prior, *hosts);

  auto finish = [attrs, id, codes, runs](bool ran, const std::vector<HostOutcome>& outcomes) {
    ValueMap a = attrs;
    ValueMap c = codes;
    for (const auto& o : outcomes) {
      int code = o.result.started && !o.result.timed_out && o.result.signal == 0 &&
                         o.result.start_error.empty()
                     ? o.result.exit_code
                     : -1;
      c[o.host] = Value::number(int64_t{code});
    }
    a["id"] = Value::string(id);
    a["runs"] = Value::number(runs + (ran ? 1 : 0));
    a["exit_codes"] = Value::map(std::move(c), Type::number());
    return ApplyResult{ObjectState{id, std::move(a)}, {}};
  };
  if (!run.runs) return done(finish(false, {}));

  if (!ctx_.clock || ctx_.clock->is_virtual()) {
    // A rehearsal on the virtual clock: nothing runs; every host succeeds after a while.
    std::vector<HostOutcome> outcomes;
    for (const auto& h : run.targets) {
      HostOutcome o;
      o.host = h;
      o.result.started = true;
      o.result.exit_code = 0;
      outcomes.push_back(o);
    }
    if (!ctx_.clock) return done(finish(true, outcomes));
    std::weak_ptr<char> guard = alive_;
    ctx_.clock->schedule(kSimulatedRun, [guard, done, finish, outcomes] {
      if (!guard.expired()) done(finish(true, outcomes));
    });
    return;
  }

  RemoteRunRequest rr;
  rr.hosts = run.targets;
  SshSettings settings = settings_;
  rr.argv = [settings, command = *command, sudo](const std::string& host) {
    return ssh_argv(settings, host, remote_command(command, sudo, {{"ORCH_HOST", host}}));
  };
  rr.time_limit = *timeout;
  rr.max_failures = max_failures;
  const std::string work = ctx_.work_dir == "." ? "" : ctx_.work_dir;
  rr.log_dir = (work.empty() ? "" : work + "/") + ".orch/logs/" + log_file_name(req.address);
  auto event = ctx_.event;
  const std::string address = req.address;
  rr.on_host_done = [event, address](const HostOutcome& o) {
    if (event && !o.ok()) event("log", address, o.host + ": " + o.describe());
  };
  std::weak_ptr<char> guard = alive_;
  run_remote(
      *ctx_.clock->io_context(), pool_, std::move(rr),
      [guard, done, finish, max_failures, address, work](std::vector<HostOutcome> out) {
        if (guard.expired()) return;
        const auto failures =
            std::count_if(out.begin(), out.end(), [](const HostOutcome& o) { return !o.ok(); });
        if (failures > max_failures)
          return done({std::nullopt, error(failure_report(out, "the command", "host", max_failures,
                                                          work == "." ? "" : work))});
        done(finish(true, out));
      });
}

void SshProvider::check_gate(const GateRequest& req, std::function<void(GateResult)> done) {
  GateResult r;
  if (req.kind != "ssh") {
    r.message = fmt::format("the ssh provider offers no readiness gate \"{}\"", req.kind);
    r.error = error(r.message);
    return done(r);
  }
  if (req.value.kind() != ValueKind::String) {
    r.message = "ssh = HOST needs a host name";
    r.error = error(r.message);
    return done(r);
  }
  const std::string host = req.value.as_string();
  if (auto why = invalid_host_reason(host); !why.empty()) {
    r.message = why;
    r.error = error(why);
    return done(r);
  }
  if (!ctx_.clock || !ctx_.clock->io_context()) {
    r.holds = true;
    r.message = "simulated";
    return done(r);
  }
  ProcessSpec spec;
  spec.argv = ssh_argv(settings_, host, "true");
  spec.time_limit = settings_.connect_timeout + std::chrono::seconds(5);
  spec.keep_output = 2048;
  std::weak_ptr<char> guard = alive_;
  pool_.acquire([this, guard, spec = std::move(spec), host, done]() mutable {
    if (guard.expired()) return;
    start_process(*ctx_.clock->io_context(), std::move(spec),
                  [this, guard, host, done](ProcessResult p) {
                    if (guard.expired()) return;
                    pool_.release();
                    GateResult g;
                    g.holds = p.ok();
                    g.message = g.holds ? "ssh to " + host + " works"
                                        : fmt::format("ssh to {}: {}{}{}", host, p.describe(),
                                                      p.tail(1).empty() ? "" : ": ", p.tail(1));
                    done(g);
                  });
  });
}

}  // namespace orch
