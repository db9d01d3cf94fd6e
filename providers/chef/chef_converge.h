// chef_converge: runs chef-client on nodes as a step of the graph, through Chef Push Jobs or the
// user's ssh, and counts a node converged only when its run succeeded AND its node object on the
// Chef Server shows a newer ohai_time (chef-client saved the node after the step started).
// This header holds the pieces the type's files share: facts read from the server, the
// verification rule, and the Push Jobs client.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "providers/chef/chef_resource.h"
#include "providers/ssh/remote_run.h"

namespace orch::chef {

std::unique_ptr<ChefResourceType> make_chef_converge();

// What the Chef Server says of a node.
struct NodeFacts {
  bool found = false;               // the node object exists
  std::optional<double> ohai_time;  // automatic ohai_time: epoch seconds of its last save
  // The keys of its push_jobs.whitelist attribute (the push-jobs cookbook's setting), when set.
  std::optional<std::vector<std::string>> whitelist;
};
using NodeFactsMap = std::map<std::string, NodeFacts>;

// A converge may be judged against a node clock this far behind orch's when the node had no
// ohai_time before the step.
constexpr double kClockSkewAllowance = 300;

// Reads the facts of `nodes` in batches (paged partial search, 100 names a query); nodes the
// search does not return are absent from the map.
void read_node_facts(ChefEnv& env, const std::string& address,
                     const std::vector<std::string>& nodes,
                     std::function<void(NodeFactsMap, std::optional<ProviderError>)> done);

// True when `after` (ohai_time now) shows a run that saved the node after the step started at
// `step_start`: newer than the value it had before, or, when it had none, not older than the
// start (less the clock skew allowance).
bool converged_since(const NodeFacts& before, std::optional<double> after, double step_start);

// For each outcome that succeeded, checks the node's ohai_time moved past the step's start: one
// batched search, then a GET /nodes/NAME for each node the search does not show converged
// (the search index lags writes by a second or so). Nodes that did not save get `problem` set.
void verify_converged(ChefEnv& env, const std::string& address, const NodeFactsMap& before,
                      double step_start, std::shared_ptr<std::vector<HostOutcome>> outcomes,
                      std::function<void(std::optional<ProviderError>)> done);

// "80%" or "3" as a node count out of `nodes` (a percentage rounds up, as knife job start
// does); nullopt and `error` when it is neither or out of range.
std::optional<int> parse_quorum(const std::string& text, size_t nodes, std::string* error);

struct PushJobSpec {
  std::string address;
  std::vector<std::string> nodes;
  std::string command;
  int quorum = 0;
  Duration run_timeout{0};
  Duration poll_interval{250};  // first poll; grows by half each time up to 5 s
};

struct PushJobResult {
  std::string job_id;                 // "" when none was started
  std::string status;                 // the job's final status: complete, quorum_failed, ...
  std::vector<HostOutcome> outcomes;  // one per node, in order
};

// Starts the job (POST /pushy/jobs, never retried: a second POST would run it twice), polls
// GET /pushy/jobs/ID until it ends, and reports each node's state. An error when the job could
// not be started, or did not end within run_timeout and a minute.
void run_push_job(ChefEnv& env, PushJobSpec spec,
                  std::function<void(PushJobResult, std::optional<ProviderError>)> done);

// Why a node in push state `state` did not converge ("" for succeeded/complete).
std::string push_state_problem(const std::string& state);

}  // namespace orch::chef
