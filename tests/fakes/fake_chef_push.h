// Chef Push Jobs for the fake Chef Server: the documented endpoints (POST/GET
// /organizations/ORG/pushy/jobs[/ID], GET .../pushy/node_states[/NODE]), jobs that vote, run and
// end in real time (computed from the clock on each request: no threads, no timers), per-node
// behaviour (push client down, busy, whitelist, exit code, run time, crash, saving the node or
// not), and a simulated chef-client: a node that runs the command converges by having the Chef
// Server fake bump its node's ohai_time. The ssh tests' stand-in chef-client reaches the same
// hook through POST /_fake/chef-client-run/NODE.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/fakes/http_server.h"

namespace orch::fakes {

// What the push fake needs from the Chef Server fake (called on the server's thread).
struct PushHooks {
  // True when the node object exists.
  std::function<bool(const std::string& node)> node_exists;
  // A chef-client run saved the node: set automatic.ohai_time to now (epoch seconds).
  std::function<void(const std::string& node)> converged;
};

// How a node's push client behaves.
struct PushNode {
  bool available = true;  // the push client is connected (else: unavailable)
  bool busy = false;      // it nacks every job (running another one)
  // Commands it accepts (its push-jobs whitelist); others are nacked.
  std::vector<std::string> whitelist = {"chef-client"};
  int exit_code = 0;
  std::chrono::milliseconds run_time{100};
  bool crash = false;  // goes down while running (crashed)
  bool saves = true;   // a successful run saves the node (ohai_time moves)
};

class FakePushJobs {
 public:
  explicit FakePushJobs(PushHooks hooks);

  // Answers `req` when `path` (below /organizations/ORG) is a Push Jobs path ("/pushy/...");
  // nullopt otherwise. The caller has already authenticated the request.
  std::optional<HttpResponse> handle(const HttpRequest& req, const std::string& path);
  // Control requests (no signature): POST /_fake/chef-client-run/NODE (a stand-in chef-client
  // converged), PUT /_fake/push/nodes/NODE with a PushNode as JSON ({"available": false, ...}),
  // PUT /_fake/push/default likewise. nullopt for other paths.
  std::optional<HttpResponse> handle_control(const HttpRequest& req);

  // For in-process tests (any thread).
  void set_node(const std::string& name, PushNode node);
  void set_default(PushNode node);
  size_t jobs_started() const;
  // The last job's request body as received ("" when none).
  std::string last_job_body() const;

 private:
  struct JobNode {
    std::string state = "new";
    bool applied = false;  // the run's effect (converge) happened
  };
  struct Job {
    std::string id;
    std::string command;
    int quorum = 0;
    int64_t run_timeout = 3600;
    std::chrono::steady_clock::time_point created;
    std::string created_at;  // RFC 1123
    std::vector<std::string> order;
    std::map<std::string, JobNode> nodes;
    std::string status = "voting";
  };

  const PushNode& node_behaviour(const std::string& name) const;
  void advance(Job& job);  // brings the job to what the clock says now
  std::string job_json(const Job& job) const;
  HttpResponse start_job(const HttpRequest& req);

  PushHooks hooks_;
  mutable std::mutex mu_;
  PushNode default_;
  std::map<std::string, PushNode> nodes_;
  std::map<std::string, Job> jobs_;
  uint64_t next_id_ = 1;
  std::string last_body_;
};

}  // namespace orch::fakes
