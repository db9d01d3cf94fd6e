// Batched instance-state waiter (see waiter.h).
#include "providers/ec2/waiter.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "providers/ec2/describe.h"

namespace orch::ec2 {

InstanceWaiter::InstanceWaiter(Clock* clock, QueryClient* client, Duration interval,
                               Duration timeout, Duration visibility_timeout)
    : clock_(clock),
      client_(client),
      interval_(interval),
      timeout_(timeout),
      visibility_timeout_(visibility_timeout) {}

InstanceWaiter::~InstanceWaiter() = default;

void InstanceWaiter::wait(const std::string& id, std::vector<std::string> targets,
                          std::function<void(WaitResult)> done) {
  Entry e;
  e.id = id;
  e.targets = std::move(targets);
  e.done = std::move(done);
  e.deadline = clock_->now() + timeout_;
  e.invisible_deadline = clock_->now() + visibility_timeout_;
  entries_.push_back(std::move(e));
  arm();
}

void InstanceWaiter::arm() {
  if (armed_ || polling_ || entries_.empty()) return;
  armed_ = true;
  std::weak_ptr<char> guard = alive_;
  clock_->schedule(interval_, [this, guard] {
    if (guard.expired()) return;
    armed_ = false;
    poll();
  });
}

void InstanceWaiter::poll() {
  if (entries_.empty()) return;
  polling_ = true;
  ++polls_;
  std::set<std::string> ids;
  for (const auto& e : entries_) ids.insert(e.id);
  auto found = std::make_shared<std::map<std::string, Instance>>();
  auto groups = chunks({ids.begin(), ids.end()}, 200);
  std::vector<Step> steps;
  for (auto& g : groups) {
    steps.push_back([this, g, found](std::function<void(std::optional<ApiError>)> next) {
      Params p;
      add_filter(p, "instance-id", g);
      describe_all(
          *client_, "DescribeInstances", std::move(p), 1000,
          [found](const pugi::xml_node& root) {
            for (auto& i : parse_instances(root)) (*found)[i.id] = std::move(i);
          },
          std::move(next), /*urgent=*/true);
    });
  }
  std::weak_ptr<char> guard = alive_;
  run_sequence(std::move(steps), [this, guard, found](std::optional<ApiError> err) {
    if (guard.expired()) return;
    polling_ = false;
    settle(*found, err);
    arm();
  });
}

void InstanceWaiter::settle(const std::map<std::string, Instance>& found,
                            std::optional<ApiError> error) {
  TimePoint now = clock_->now();
  std::vector<Entry> keep;
  std::vector<std::pair<Entry, WaitResult>> finished;
  if (error) {
    // The poll itself failed after the client's retries: give up after three in a row.
    if (++failures_ < 3) return;
    for (auto& e : entries_)
      finished.push_back({std::move(e), WaitResult{std::nullopt, "polling its state failed: " +
                                                                     error->describe()}});
    entries_.clear();
  } else {
    failures_ = 0;
    for (auto& e : entries_) {
      auto it = found.find(e.id);
      bool wants_terminated =
          std::find(e.targets.begin(), e.targets.end(), "terminated") != e.targets.end();
      if (it == found.end()) {
        if (e.seen && wants_terminated) {
          finished.push_back({std::move(e), WaitResult{}});
        } else if (now >= e.invisible_deadline) {
          finished.push_back(
              {std::move(e),
               WaitResult{std::nullopt,
                          fmt::format("instance {} is not visible to DescribeInstances after {}s",
                                      e.id, visibility_timeout_.count() / 1000)}});
        } else {
          keep.push_back(std::move(e));  // not visible yet: eventual consistency
        }
        continue;
      }
      e.seen = true;
      const Instance& inst = it->second;
      bool reached = std::find(e.targets.begin(), e.targets.end(), inst.state) != e.targets.end();
      if (reached) {
        finished.push_back({std::move(e), WaitResult{inst, ""}});
        continue;
      }
      if (inst.gone() && !wants_terminated) {
        std::string why = inst.state_reason.empty() ? "" : " (" + inst.state_reason + ")";
        finished.push_back(
            {std::move(e),
             WaitResult{inst, fmt::format("instance {} is {} instead of {}{}", inst.id, inst.state,
                                          e.targets.front(), why)}});
        continue;
      }
      if (now >= e.deadline) {
        finished.push_back(
            {std::move(e),
             WaitResult{inst, fmt::format("instance {} is still {} after {}s "
                                          "waiting for {}",
                                          inst.id, inst.state, timeout_.count() / 1000,
                                          e.targets.front())}});
        continue;
      }
      keep.push_back(std::move(e));
    }
    entries_ = std::move(keep);
  }
  for (auto& [e, r] : finished) e.done(std::move(r));
}

}  // namespace orch::ec2
