// chef_converge through Chef Push Jobs: start a job, poll it to its end, read each node's state
// (see chef_converge.h and the Push Jobs API: POST/GET /organizations/ORG/pushy/jobs[/ID]).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <set>

#include "compiler/duration.h"
#include "providers/chef/chef_converge.h"

namespace orch::chef {

namespace {

// Voting (nodes acknowledging the job) comes before run_timeout starts counting.
constexpr Duration kVotingAllowance = std::chrono::seconds(60);
constexpr Duration kMaxPollInterval = std::chrono::seconds(5);

bool terminal(const std::string& status) {
  static const std::set<std::string> done = {"complete", "quorum_failed", "crashed",
                                             "aborted",  "timed_out",     "failed"};
  return done.count(status) > 0;
}

struct Poll : std::enable_shared_from_this<Poll> {
  ChefEnv* env = nullptr;
  PushJobSpec spec;
  PushJobResult result;
  TimePoint deadline{0};
  Duration interval{1000};
  std::function<void(PushJobResult, std::optional<ProviderError>)> done;

  void finish(std::optional<ProviderError> e) {
    auto cb = std::move(done);
    done = nullptr;
    if (cb) cb(std::move(result), std::move(e));
  }

  void start() {
    ChefCall call;
    call.method = "POST";
    call.path = "/pushy/jobs";
    call.address = spec.address;
    call.retry = false;  // the job must not start twice
    const auto secs = std::max<int64_t>(
        1, std::chrono::duration_cast<std::chrono::seconds>(spec.run_timeout).count());
    call.body = Json{{"command", spec.command},
                     {"nodes", spec.nodes},
                     {"quorum", spec.quorum},
                     {"run_timeout", secs},
                     {"capture_output", true}};
    auto self = shared_from_this();
    env->api->call(std::move(call), [self](ChefReply reply) {
      if (reply.error) {
        ProviderError e = *reply.error;
        if (reply.status == 404)
          e.detail += (e.detail.empty() ? "" : " ") +
                      std::string(
                          "Is Chef Push Jobs installed on this Chef Server? Use via = "
                          "\"ssh\" otherwise.");
        e.summary = self->spec.address + ": cannot start the push job: " + e.summary;
        return self->finish(e);
      }
      std::string id;
      if (const Json* j = get_path(reply.body, {"id"}); j && j->is_string())
        id = j->get<std::string>();
      else if (const Json* u = get_path(reply.body, {"uri"}); u && u->is_string())
        id = u->get<std::string>().substr(u->get<std::string>().rfind('/') + 1);
      if (id.empty())
        return self->finish(error(self->spec.address +
                                  ": the Push Jobs server started a job but did not say its id"));
      self->result.job_id = id;
      self->deadline = self->env->ctx.clock->now() + self->spec.run_timeout + kVotingAllowance;
      if (self->env->ctx.event)
        self->env->ctx.event(
            "log", self->spec.address,
            fmt::format("push job {} started on {} node(s)", id, self->spec.nodes.size()));
      self->schedule();
    });
  }

  void schedule() {
    auto self = shared_from_this();
    env->ctx.clock->schedule(interval, [self] { self->poll(); });
    interval = std::min(kMaxPollInterval, Duration(interval.count() * 3 / 2));
  }

  void poll() {
    ChefCall call;
    call.path = "/pushy/jobs/" + seg(result.job_id);
    call.address = spec.address;
    auto self = shared_from_this();
    env->api->call(std::move(call), [self](ChefReply reply) {
      if (reply.error) {
        ProviderError e = *reply.error;
        e.summary = fmt::format("{}: cannot read push job {}: {}", self->spec.address,
                                self->result.job_id, e.summary);
        return self->finish(e);
      }
      std::string status;
      if (const Json* s = get_path(reply.body, {"status"}); s && s->is_string())
        status = s->get<std::string>();
      self->read_nodes(reply.body);
      if (terminal(status)) {
        self->result.status = status;
        return self->finish(std::nullopt);
      }
      if (self->env->ctx.clock->now() >= self->deadline) {
        self->result.status = status;
        return self->finish(error(fmt::format(
            "{}: push job {} is still {} after run_timeout ({}) and {} for voting; orch stops "
            "waiting for it",
            self->spec.address, self->result.job_id, status.empty() ? "unfinished" : status,
            format_duration(self->spec.run_timeout), format_duration(kVotingAllowance))));
      }
      self->schedule();
    });
  }

  // nodes: {"succeeded": ["a"], "failed": ["b"], ...}: each node's latest state.
  void read_nodes(const Json& body) {
    std::map<std::string, std::string> state;
    if (const Json* nodes = get_path(body, {"nodes"}); nodes && nodes->is_object()) {
      for (const auto& [st, list] : nodes->items()) {
        if (!list.is_array()) continue;
        for (const auto& n : list)
          if (n.is_string()) state[n.get<std::string>()] = st;
      }
    }
    result.outcomes.clear();
    for (const auto& node : spec.nodes) {
      HostOutcome o;
      o.host = node;
      o.attempts = 1;
      auto it = state.find(node);
      const std::string st = it == state.end() ? "new" : it->second;
      o.problem = push_state_problem(st);
      o.result.started = st != "new" && st != "nacked" && st != "unavailable";
      o.result.exit_code = o.problem.empty() ? 0 : -1;
      result.outcomes.push_back(std::move(o));
    }
  }
};

}  // namespace

std::optional<int> parse_quorum(const std::string& text, size_t nodes, std::string* err) {
  std::string t = text;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  const bool percent = !t.empty() && t.back() == '%';
  if (percent) t.pop_back();
  if (t.empty() || !std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      t.size() > 9) {
    *err = fmt::format("quorum = \"{}\" is neither a number of nodes nor a percentage", text);
    return std::nullopt;
  }
  const long v = std::stol(t);
  if (percent) {
    if (v < 1 || v > 100) {
      *err = fmt::format("quorum = \"{}\": a percentage from 1% to 100%", text);
      return std::nullopt;
    }
    return static_cast<int>(std::ceil(static_cast<double>(nodes) * static_cast<double>(v) / 100.0));
  }
  if (v < 1 || static_cast<size_t>(v) > nodes) {
    *err = fmt::format("quorum = {} with {} node{}: from 1 to the number of nodes", v, nodes,
                       nodes == 1 ? "" : "s");
    return std::nullopt;
  }
  return static_cast<int>(v);
}

std::string push_state_problem(const std::string& state) {
  if (state == "succeeded" || state == "complete") return "";
  if (state == "failed") return "the command failed on the node (push state failed)";
  if (state == "nacked")
    return "the node refused the job (push state nacked): the command is not in its push-jobs "
           "whitelist, or it was busy with another job";
  if (state == "unavailable")
    return "the node's push client was not connected (push state unavailable)";
  if (state == "crashed") return "the node went down while running (push state crashed)";
  if (state == "timed_out")
    return "the run did not finish within run_timeout (push state timed_out)";
  if (state == "aborted") return "the run was aborted (push state aborted)";
  if (state == "was_ready")
    return "the node was ready but the job never ran (push state was_ready: quorum failed)";
  if (state == "new" || state == "ready" || state == "running")
    return fmt::format("the job ended with the node still {} (push state {})", state, state);
  return fmt::format("push state {}", state);
}

void run_push_job(ChefEnv& env, PushJobSpec spec,
                  std::function<void(PushJobResult, std::optional<ProviderError>)> done) {
  if (!env.api || !env.ctx.clock) return done({}, env.unavailable);
  auto p = std::make_shared<Poll>();
  p->env = &env;
  p->interval = spec.poll_interval;
  p->spec = std::move(spec);
  p->done = std::move(done);
  p->start();
}

}  // namespace orch::chef
