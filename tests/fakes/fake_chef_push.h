// Chef Push Jobs for the fake Chef Server: the documented endpoints (POST/GET
// /organizations/ORG/pushy/jobs[/ID], GET .../pushy/node_states[/NODE]), jobs that vote, run and
// end in real time (computed from the clock on each request: no threads, no timers), per-node
// behaviour (push client down, busy, whitelist, exit code, run time, crash, saving the node or
// not), and a simulated chef-client: a node that runs the command successfully saves its node
// object with a new automatic ohai_time. Wired into FakeChef as its "pushy/" extension
// (add_push_jobs); requests reach it authenticated, with the organization's store.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/fakes/fake_chef.h"

namespace orch::fakes {

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
  // What the run's recipes leave on the node besides ohai_time (tags, ohai plugin data), applied
  // to the node object before it is saved: a test stands in for its cookbooks with it.
  std::function<void(const std::string& name, Json& node)> on_save;
};

class FakePushJobs {
 public:
  // Answers a request below /organizations/ORG/pushy/ (`req.rest` = "pushy/..."); called by
  // FakeChef under its lock with the organization's store.
  std::optional<HttpResponse> handle(const FakeChefRequest& req, FakeChefStore& store);

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
  // Brings the job to what the clock says now; runs that end save their nodes in `store`.
  void advance(Job& job, FakeChefStore& store);
  std::string job_json(const Job& job) const;
  HttpResponse start_job(const FakeChefRequest& req);
  mutable std::mutex mu_;
  PushNode default_;
  std::map<std::string, PushNode> nodes_;
  std::map<std::string, Job> jobs_;
  uint64_t next_id_ = 1;
  std::string last_body_;
};

// Adds Push Jobs to `chef` (its "pushy/" extension); the returned object sets node behaviours.
std::shared_ptr<FakePushJobs> add_push_jobs(FakeChef& chef);

}  // namespace orch::fakes
