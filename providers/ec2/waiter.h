// Waits for instances to reach a state (running, stopped, terminated) by polling: one
// DescribeInstances (filtered by instance id, paged) per interval for ALL waiting instances, so
// waiting on 1,000 instances costs a few calls per interval, not 1,000. Ids not yet visible
// (EC2 is eventually consistent) are polled again until `visibility_timeout`.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "planner/clock.h"
#include "providers/ec2/instance.h"
#include "providers/ec2/query.h"

namespace orch::ec2 {

struct WaitResult {
  std::optional<Instance> instance;  // the instance in a target state (or last seen)
  std::string error;                 // empty on success
};

class InstanceWaiter {
 public:
  InstanceWaiter(Clock* clock, QueryClient* client, Duration interval, Duration timeout,
                 Duration visibility_timeout);
  ~InstanceWaiter();
  // `done` runs once the instance is in one of `targets`, or with an error when it reaches a
  // state from which the targets cannot follow, stays invisible, or the timeout passes.
  // Waiting for "terminated" also succeeds when the instance is no longer listed at all.
  void wait(const std::string& id, std::vector<std::string> targets,
            std::function<void(WaitResult)> done);
  size_t waiting() const { return entries_.size(); }
  uint64_t polls() const { return polls_; }

 private:
  struct Entry {
    std::string id;
    std::vector<std::string> targets;
    std::function<void(WaitResult)> done;
    TimePoint deadline, invisible_deadline;
    bool seen = false;
  };
  void arm();
  void poll();
  void settle(const std::map<std::string, Instance>& found, std::optional<ApiError> error);

  Clock* clock_;
  QueryClient* client_;
  Duration interval_, timeout_, visibility_timeout_;
  std::vector<Entry> entries_;
  bool armed_ = false, polling_ = false;
  uint64_t polls_ = 0;
  int failures_ = 0;
  std::shared_ptr<char> alive_ = std::make_shared<char>(0);
};

}  // namespace orch::ec2
