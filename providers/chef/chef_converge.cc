// The chef_converge resource type (see chef_converge.h): schema, plan (which nodes run again),
// and the run itself — facts read first, chef-client through ssh or a push job, then each run
// verified against the node's ohai_time.
#include "providers/chef/chef_converge.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <set>

#include "compiler/duration.h"
#include "planner/retry.h"
#include "providers/chef/chef_types.h"
#include "providers/ssh/ssh_invocation.h"
#include "providers/ssh/step_plan.h"

namespace orch::chef {

namespace {

constexpr int kSessionLimit = 256;  // ssh converges of one provider at once, all steps together

const StepRules& converge_rules() {
  static const StepRules rules{"nodes", {"command", "sudo", "triggers"}, "node"};
  return rules;
}

double epoch_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string rfc3339(double epoch) {
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Value string_list(std::vector<std::string> v) {
  ValueList l;
  for (auto& s : v) l.push_back(Value::string(std::move(s)));
  return Value::list(std::move(l), Type::string());
}

// Everything a run needs, read from the planned attributes and checked.
struct ConvergeSpec {
  std::vector<std::string> nodes;
  std::string via = "ssh";
  std::string command = "chef-client";
  std::optional<std::string> quorum;
  Duration run_timeout = std::chrono::minutes(30);
  int max_failures = 0;
  int concurrency = 50;
  bool sudo = false;
  SshSettings ssh;
};

// The spec, or why the attributes are not valid ("" and the spec filled).
std::string read_spec(const ValueMap& a, ConvergeSpec& s) {
  if (auto nodes = attr_strings(a, "nodes")) {
    for (const auto& n : *nodes)
      if (!valid_chef_name(n))
        return fmt::format("\"{}\" is not a Chef node name (letters, digits, _ - . :)", n);
    s.nodes = *nodes;
  }
  if (auto via = attr_string(a, "via")) {
    if (*via != "ssh" && *via != "push")
      return fmt::format("via = \"{}\": converges run through \"ssh\" or \"push\"", *via);
    s.via = *via;
  }
  if (auto c = attr_string(a, "command")) {
    if (c->empty()) return "command must not be empty";
    s.command = *c;
  }
  if (auto q = attr_string(a, "quorum")) {
    std::string why;
    if (s.via == "push" && !s.nodes.empty() && !parse_quorum(*q, s.nodes.size(), &why)) return why;
    s.quorum = *q;
  }
  if (auto t = attr_string(a, "run_timeout")) {
    std::string why;
    auto d = parse_duration(*t, &why);
    if (!d) return fmt::format("run_timeout = \"{}\" is not a duration: {}", *t, why);
    if (d->count() < 1000) return "run_timeout must be at least 1s";
    s.run_timeout = *d;
  }
  if (auto m = attr_int(a, "max_failures")) {
    if (*m < 0) return "max_failures must be 0 or more";
    s.max_failures = static_cast<int>(*m);
  }
  if (auto c = attr_int(a, "concurrency")) {
    if (*c < 1) return "concurrency must be at least 1";
    s.concurrency = static_cast<int>(std::min<int64_t>(*c, 100000));
  }
  s.sudo = attr_bool(a, "sudo").value_or(false);
  if (auto u = attr_string(a, "ssh_user")) s.ssh.user = *u;
  if (auto p = attr_int(a, "ssh_port")) {
    if (*p < 1 || *p > 65535) return fmt::format("ssh_port = {}: a port is 1 to 65535", *p);
    s.ssh.port = static_cast<int>(*p);
  }
  if (auto opts = attr_string_map(a, "ssh_options")) {
    for (const auto& [k, v] : *opts) {
      if (auto why = invalid_option_reason(k, v); !why.empty()) return "ssh_options: " + why;
      s.ssh.options.emplace_back(k, v);
    }
  }
  return "";
}

// Nodes that failed last time (within max_failures).
std::vector<std::string> prior_failed(const ValueMap* prior) {
  if (!prior) return {};
  return attr_strings(*prior, "failed").value_or(std::vector<std::string>{});
}

// Writes the log of a push node that failed (its output stays on the Push Jobs server).
std::string write_push_log(const std::string& dir, const std::string& job_id,
                           const HostOutcome& o) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string path = dir + "/" + log_file_name(o.host) + ".log";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return "";
  std::string text = fmt::format(
      "# orch: {} via push job {}\n{}\n\nThe run's output is kept by the Push Jobs server:\n"
      "  knife job output {} {} --channel stdout\n  knife job output {} {} --channel stderr\n",
      o.host, job_id.empty() ? "(not started)" : job_id, o.describe(), job_id, o.host, job_id,
      o.host);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok ? path : "";
}

class ChefConverge final : public ChefResourceType {
 public:
  std::string name() const override { return "chef_converge"; }
  Schema schema() const override;
  PlanResponse plan(const PlanRequest& request, const Schema& schema) const override;
  void read_many(ChefEnv&, std::vector<ReadItem> items,
                 std::function<void(ReadResult)> done) override {
    // Nothing to read back: a converge is an event, not an object.
    ReadResult r;
    for (auto& item : items)
      r.objects[item.address] = ObjectState{item.id, std::move(item.attributes)};
    done(std::move(r));
  }
  void apply(ChefEnv& env, const ApplyRequest& request,
             std::function<void(ApplyResult)> done) override;

 private:
  struct Run;
  void run_ssh(ChefEnv& env, std::shared_ptr<Run> run);
  void run_push(ChefEnv& env, std::shared_ptr<Run> run);
  void verify_and_finish(ChefEnv& env, std::shared_ptr<Run> run);

  SessionPool pool_{kSessionLimit};
};

struct ChefConverge::Run {
  std::string address;
  ConvergeSpec spec;
  ValueMap attrs;  // user-set attributes, as planned
  const ValueMap* prior = nullptr;
  ValueMap prior_attrs;
  std::string id;
  std::vector<std::string> targets;
  double started = 0;
  NodeFactsMap before;
  std::string job_id;
  std::string log_dir;
  std::string work_dir;
  std::shared_ptr<std::vector<HostOutcome>> outcomes = std::make_shared<std::vector<HostOutcome>>();
  std::function<void(ApplyResult)> done;
};

Schema ChefConverge::schema() const {
  const Type str = Type::string();
  const Type num = Type::number();
  Schema s;
  s.description =
      "Runs chef-client on nodes, through Chef Push Jobs or ssh. Done when every node's run "
      "succeeded (or all but max_failures) and its ohai_time on the Chef Server moved past the "
      "step's start. Runs on create, on every node when command, sudo or triggers change, and "
      "on added nodes; otherwise unchanged in the plan.";
  s.attributes = {
      required_attr("nodes", Type::list(str),
                    "Chef node names; with via = \"ssh\" also the ssh destinations."),
      optional_attr("via", str, Value::string("ssh"), "\"ssh\" or \"push\" (Chef Push Jobs)."),
      optional_attr("command", str, Value::string("chef-client"),
                    "The command run on each node. With push it must be in the nodes' "
                    "push-jobs whitelist."),
      optional_attr("triggers", Type::map(Type::any()), Value::map({}, Type::any()),
                    "Values of any type (strings, lists, maps); when one changes, every node "
                    "converges again."),
      optional_attr("quorum", str, std::nullopt,
                    "Push: nodes (\"8\") or percentage (\"80%\") that must accept the job for "
                    "it to run; default: all but max_failures."),
      optional_attr("run_timeout", str, Value::string("30m"),
                    "Time limit of each node's run (a duration); past it the run fails."),
      optional_attr("max_failures", num, Value::number(int64_t{0}),
                    "Nodes that may fail with the step still done."),
      optional_attr("concurrency", num, Value::number(int64_t{50}),
                    "ssh: at most this many nodes converging at once."),
      optional_attr("ssh_user", str, std::nullopt, "ssh: the remote user (ssh -l)."),
      optional_attr("ssh_port", num, std::nullopt, "ssh: the remote port (ssh -p)."),
      optional_attr("ssh_options", Type::map(str), Value::map({}, str),
                    "ssh: -o Key=Value options (ProxyJump, IdentityFile, ...)."),
      optional_attr("sudo", Type::boolean(), Value::boolean(false),
                    "ssh: run the command through sudo -n."),
      computed_attr("id", str, "An identifier of the step."),
      computed_attr("runs", num, "How many times the step has run."),
      computed_attr("succeeded", Type::list(str), "Nodes whose last converge succeeded."),
      computed_attr("failed", Type::list(str),
                    "Nodes whose last converge failed (at most max_failures); they run again "
                    "with the next run."),
      computed_attr("job_id", str, "The last push job's id (\"\" with ssh)."),
      computed_attr("last_run", str, "When the last run started (RFC 3339, UTC)."),
  };
  // Under -simulate (providers/simtwin): a run takes minutes and converges every node.
  s.simulation.latency = {
      {"create", "lognormal(4m, 0.3)"}, {"update", "lognormal(3m, 0.3)"}, {"delete", "100ms"}};
  s.simulation.counters = {{"runs", ""}};
  s.simulation.copies = {{"succeeded", "nodes"}};
  return s;
}

PlanResponse ChefConverge::plan(const PlanRequest& req, const Schema& schema) const {
  PlanResponse resp = plan_from_schema(req, schema);
  ValueMap& planned = resp.planned;
  ConvergeSpec spec;
  if (auto why = read_spec(planned, spec); !why.empty()) {
    resp.diagnostics.error(Range{}, fmt::format("{}: {}", req.address, why));
    return resp;
  }
  const ValueMap* prior = req.prior ? &req.prior->attributes : nullptr;
  StepRun run = step_run(prior, planned, converge_rules(), prior_failed(prior));
  if (run.runs) {
    for (const auto& a : schema.attributes)
      if (a.computed && a.name != "id") planned[a.name] = Value::unknown(a.type);
    if (prior && run.targets_known)
      resp.notes.push_back(
          fmt::format("converges {} ({})", count_of(run.targets.size(), "node"), run.reason));
  } else if (prior) {
    // Nodes no longer listed leave the results.
    auto nodes = attr_strings(planned, "nodes");
    const std::set<std::string> listed =
        nodes ? std::set<std::string>(nodes->begin(), nodes->end()) : std::set<std::string>{};
    for (const char* list : {"succeeded", "failed"}) {
      std::vector<std::string> kept;
      for (const auto& n : attr_strings(*prior, list).value_or(std::vector<std::string>{}))
        if (listed.count(n)) kept.push_back(n);
      planned[list] = nodes ? string_list(kept) : Value::unknown(Type::list(Type::string()));
    }
  }
  return resp;
}

void ChefConverge::apply(ChefEnv& env, const ApplyRequest& req,
                         std::function<void(ApplyResult)> done) {
  if (req.action == ChangeAction::Delete) return done(ApplyResult{});
  auto run = std::make_shared<Run>();
  run->address = req.address;
  run->done = std::move(done);
  const Schema s = schema();
  for (const auto& a : s.attributes) {
    if (a.computed) continue;
    const Value* v = attr(req.planned, a.name);
    if (!v) continue;
    if (!v->is_wholly_known())
      return run->done(
          failed(fmt::format("{}: \"{}\" is not known at apply time", req.address, a.name)));
    run->attrs[a.name] = *v;
  }
  if (auto why = read_spec(run->attrs, run->spec); !why.empty())
    return run->done(failed(req.address + ": " + why));
  if (req.action == ChangeAction::Update && req.prior) {
    run->prior_attrs = req.prior->attributes;
    run->prior = &run->prior_attrs;
    run->id = req.prior->id;
  }
  if (run->id.empty())
    run->id =
        fmt::format("converge-{:016x}", stable_hash(req.idempotency_token + "|" + req.address, 11));
  StepRun step = step_run(run->prior, run->attrs, converge_rules(), prior_failed(run->prior));
  run->targets = step.targets;
  if (!step.runs) {
    // Settings changed, nothing to converge: keep the results of nodes still listed.
    PlanRequest pr{"chef_converge", req.address, req.prior, run->attrs};
    ValueMap a = plan(pr, s).planned;
    a["id"] = Value::string(run->id);
    return run->done(ApplyResult{ObjectState{run->id, std::move(a)}, {}});
  }
  if (!env.api || !env.ctx.clock || !env.ctx.clock->io_context())
    return run->done(
        failed(env.unavailable ? *env.unavailable : error("the chef provider is not configured")));
  run->started = epoch_now();
  run->work_dir = env.ctx.work_dir == "." ? "" : env.ctx.work_dir;
  run->log_dir = (run->work_dir.empty() ? "" : run->work_dir + "/") + ".orch/logs/" +
                 log_file_name(req.address);
  read_node_facts(env, req.address, run->targets,
                  [this, &env, run](NodeFactsMap facts, std::optional<ProviderError> e) {
                    if (e) return run->done(failed(*e));
                    run->before = std::move(facts);
                    if (run->spec.via == "push")
                      run_push(env, run);
                    else
                      run_ssh(env, run);
                  });
}

void ChefConverge::run_ssh(ChefEnv& env, std::shared_ptr<Run> run) {
  RemoteRunRequest rr;
  rr.hosts = run->targets;
  rr.argv = [settings = run->spec.ssh, command = run->spec.command,
             sudo = run->spec.sudo](const std::string& node) {
    return ssh_argv(settings, node, remote_command(command, sudo, {{"ORCH_NODE", node}}));
  };
  rr.time_limit = run->spec.run_timeout;
  rr.concurrency = run->spec.concurrency;
  rr.max_failures = run->spec.max_failures;
  rr.log_dir = run->log_dir;
  auto event = env.ctx.event;
  rr.on_host_done = [event, address = run->address](const HostOutcome& o) {
    if (event && !o.ok()) event("log", address, o.host + ": " + o.describe());
  };
  run_remote(*env.ctx.clock->io_context(), pool_, std::move(rr),
             [this, &env, run](std::vector<HostOutcome> out) {
               *run->outcomes = std::move(out);
               verify_and_finish(env, run);
             });
}

void ChefConverge::run_push(ChefEnv& env, std::shared_ptr<Run> run) {
  // The nodes' whitelists, where the server has them, are respected before anything starts.
  std::vector<std::string> pushed;
  std::vector<HostOutcome> refused;
  for (const auto& node : run->targets) {
    auto f = run->before.find(node);
    const auto* wl = f == run->before.end() ? nullptr : &f->second.whitelist;
    if (wl && *wl && std::find((*wl)->begin(), (*wl)->end(), run->spec.command) == (*wl)->end()) {
      HostOutcome o;
      o.host = node;
      o.problem = fmt::format(
          "not started: \"{}\" is not in its push-jobs whitelist (push_jobs.whitelist "
          "allows: {})",
          run->spec.command, (*wl)->empty() ? "nothing" : name_list(**wl, 8));
      o.log_file = write_push_log(run->log_dir, "", o);
      refused.push_back(std::move(o));
    } else {
      pushed.push_back(node);
    }
  }
  const int allowed = run->spec.max_failures - static_cast<int>(refused.size());
  if (allowed < 0 || pushed.empty())
    return run->done(failed(fmt::format(
        "no push job started: the command \"{}\" is not in the push-jobs whitelist of {} of {} "
        "(max_failures = {}):{}",
        run->spec.command, refused.size(), count_of(run->targets.size(), "node"),
        run->spec.max_failures, failure_lines(refused, "node", run->work_dir))));
  PushJobSpec job;
  job.address = run->address;
  job.nodes = pushed;
  job.command = run->spec.command;
  job.run_timeout = run->spec.run_timeout;
  std::string why;
  job.quorum = run->spec.quorum ? parse_quorum(*run->spec.quorum, pushed.size(), &why).value_or(0)
                                : std::max(1, static_cast<int>(pushed.size()) - allowed);
  if (job.quorum < 1) return run->done(failed(run->address + ": " + why));
  run_push_job(
      env, job, [this, &env, run, refused, job](PushJobResult r, std::optional<ProviderError> e) {
        run->job_id = r.job_id;
        if (e) return run->done(failed(*e));
        *run->outcomes = refused;
        for (auto& o : r.outcomes) {
          if (!o.ok()) o.log_file = write_push_log(run->log_dir, r.job_id, o);
          run->outcomes->push_back(o);
        }
        if (r.status == "quorum_failed") {
          // Nothing ran: say who did not accept the job, whatever max_failures allows.
          std::vector<HostOutcome> declined;
          for (const auto& o : r.outcomes)
            if (!o.result.started) declined.push_back(o);
          return run->done(failed(fmt::format(
              "push job {} did not run: its quorum was {} of {} and {} did not accept it:{}",
              r.job_id, job.quorum, count_of(job.nodes.size(), "node"), declined.size(),
              failure_lines(declined, "node", run->work_dir))));
        }
        if (r.status != "complete")
          env.log(run->address, fmt::format("push job {} ended {}", r.job_id, r.status));
        verify_and_finish(env, run);
      });
}

void ChefConverge::verify_and_finish(ChefEnv& env, std::shared_ptr<Run> run) {
  verify_converged(
      env, run->address, run->before, run->started, run->outcomes,
      [run](std::optional<ProviderError> e) {
        if (e) return run->done(failed(*e));
        const std::vector<HostOutcome>& outs = *run->outcomes;
        const auto failures =
            std::count_if(outs.begin(), outs.end(), [](const HostOutcome& o) { return !o.ok(); });
        if (failures > run->spec.max_failures)
          return run->done(failed(
              failure_report(outs, "the converge", "node", run->spec.max_failures, run->work_dir)));
        // Nodes run now take their new result; the others keep theirs while still listed.
        std::map<std::string, bool> result;
        if (run->prior) {
          for (const auto& n :
               attr_strings(*run->prior, "succeeded").value_or(std::vector<std::string>{}))
            result[n] = true;
          for (const auto& n : prior_failed(run->prior)) result[n] = false;
        }
        for (const auto& o : outs) result[o.host] = o.ok();
        std::vector<std::string> succeeded, failed_nodes;
        std::set<std::string> seen;
        for (const auto& n : run->spec.nodes) {
          if (!seen.insert(n).second) continue;
          auto it = result.find(n);
          if (it == result.end()) continue;
          (it->second ? succeeded : failed_nodes).push_back(n);
        }
        ValueMap a = run->attrs;
        const int64_t runs = run->prior ? attr_int(*run->prior, "runs").value_or(0) : 0;
        a["id"] = Value::string(run->id);
        a["runs"] = Value::number(runs + 1);
        a["succeeded"] = string_list(std::move(succeeded));
        a["failed"] = string_list(std::move(failed_nodes));
        a["job_id"] = Value::string(run->job_id);
        a["last_run"] = Value::string(rfc3339(run->started));
        run->done(ApplyResult{ObjectState{run->id, std::move(a)}, {}});
      });
}

}  // namespace

std::unique_ptr<ChefResourceType> make_chef_converge() {
  return std::make_unique<ChefConverge>();
}

}  // namespace orch::chef
