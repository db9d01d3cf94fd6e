// The executor (see executor.h). Event-driven with indegree counters: every completion touches
// only its own out-edges, so a run costs O(V + E) bookkeeping in total.
#include "planner/executor.h"

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <map>

#include "planner/critical_path.h"
#include "planner/gates.h"
#include "planner/rollout.h"

namespace orch {

const char* to_string(StepStatus s) {
  switch (s) {
    case StepStatus::Pending:
      return "pending";
    case StepStatus::Waiting:
      return "waiting";
    case StepStatus::Running:
      return "running";
    case StepStatus::Gating:
      return "gating";
    case StepStatus::Done:
      return "done";
    case StepStatus::Failed:
      return "failed";
    case StepStatus::Skipped:
      return "skipped";
    case StepStatus::Abandoned:
      return "abandoned";
  }
  return "?";
}

namespace {

bool is_terminal(StepStatus s) {
  return s == StepStatus::Done || s == StepStatus::Failed || s == StepStatus::Skipped ||
         s == StepStatus::Abandoned;
}

// A counted resource steps queue for: a provider's concurrency (and rate), -parallelism, a lock.
struct Slot {
  std::string what;  // for StepRecord::waited_for
  int capacity = 0;  // 0: unlimited
  int in_use = 0;
  Duration min_gap{0};  // rate limit: time between starts
  TimePoint next_start{0};
  bool wake_scheduled = false;
  std::deque<StepId> queue;

  bool free(TimePoint now) const {
    return (capacity == 0 || in_use < capacity) && now >= next_start;
  }
};

struct RolloutRun {
  std::vector<int> remaining;                // per batch: members not yet terminal
  std::vector<std::vector<StepId>> waiting;  // per batch: members ready but not yet allowed
  int open = 0;                              // the highest open batch
  int failures = 0;
  bool stopped = false;
  bool pausing = false;            // the open batch is finished; the next opens after `pause`
  StepId last_finished = kNoStep;  // of the open batch: the cause for the next batch
};

struct OutEdge {
  StepId to;
  int32_t group;  // global any-of group index, -1 for an all-of edge
};

}  // namespace

struct Executor::Impl {
  Executor& ex;
  Clock& clock;
  ExecOptions options;
  ExecObserver* observer;
  std::unique_ptr<GateRunner> gates;
  std::shared_ptr<char> alive = std::make_shared<char>(0);

  std::vector<uint32_t>
      out_begin;  // CSR: out-edges of step i are out[out_begin[i]..out_begin[i+1])
  std::vector<OutEdge> out;
  std::vector<int32_t> pending_all;
  std::vector<int32_t> pending_groups;
  std::vector<uint32_t> group_begin;  // any-of groups of step i: [group_begin[i], group_begin[i+1])
  std::vector<uint32_t> group_pos;    // per group: its index in the owner's any_of/satisfied_by
  // Out-edges added by extend() (the CSR above covers the steps the run started with).
  std::vector<std::vector<OutEdge>> extra_out;
  size_t csr_steps = 0;
  std::map<std::string, int32_t, std::less<>> by_provider, by_lock;
  std::vector<int32_t> group_remaining;
  std::vector<char> group_satisfied;

  std::vector<Slot> slots;             // providers, then parallelism, then locks
  std::vector<int32_t> provider_slot;  // per step, -1: none
  std::vector<int32_t> lock_slot;      // per step, -1: none
  int32_t parallel_slot = -1;
  std::vector<char> holds_op;  // provider + parallelism slots taken
  std::vector<char> holds_lock;
  std::vector<char> in_backoff;
  std::vector<uint32_t> generation;  // bumped on abandon: late callbacks are ignored
  std::vector<int32_t> rollout_pos;  // batch of the step within its rollout
  std::vector<RolloutRun> rollouts;

  std::deque<StepId> ready;
  bool draining = false;
  std::deque<std::pair<StepId, std::string>> skips;
  bool skipping = false;

  size_t terminal = 0;
  std::array<size_t, 8> counts{};
  int interrupts = 0;
  bool started = false;
  std::function<void(const ExecResult&)> on_done;
  std::chrono::steady_clock::time_point wall_start;

  Impl(Executor& e, Clock& c, ExecOptions o, ExecObserver* obs)
      : ex(e),
        clock(c),
        options(std::move(o)),
        observer(obs),
        gates(std::make_unique<GateRunner>(c)) {}

  const ExecStep& step(StepId id) const { return ex.graph_.steps[id]; }
  StepRecord& rec(StepId id) { return ex.result_.records[id]; }

  void set_status(StepId id, StepStatus s) {
    auto& r = rec(id);
    --counts[static_cast<int>(r.status)];
    ++counts[static_cast<int>(s)];
    r.status = s;
  }

  void build() {
    const auto& g = ex.graph_;
    const size_t n = g.steps.size();
    ex.result_.records.assign(n, StepRecord{});
    counts[static_cast<int>(StepStatus::Pending)] = n;
    pending_all.assign(n, 0);
    pending_groups.assign(n, 0);
    group_begin.assign(n + 1, 0);
    std::vector<uint32_t> degree(n + 1, 0);
    for (size_t i = 0; i < n; ++i) {
      const auto& s = g.steps[i];
      pending_all[i] = static_cast<int32_t>(s.depends_on.size());
      pending_groups[i] = static_cast<int32_t>(s.any_of.size());
      group_begin[i + 1] = group_begin[i] + static_cast<uint32_t>(s.any_of.size());
      for (StepId d : s.depends_on) ++degree[d];
      for (const auto& grp : s.any_of)
        for (StepId d : grp) ++degree[d];
      ex.result_.records[i].satisfied_by.assign(s.any_of.size(), kNoStep);
    }
    out_begin.assign(n + 1, 0);
    for (size_t i = 0; i < n; ++i) out_begin[i + 1] = out_begin[i] + degree[i];
    out.resize(out_begin[n]);
    std::vector<uint32_t> fill(out_begin.begin(), out_begin.end() - 1);
    group_remaining.assign(group_begin[n], 0);
    group_satisfied.assign(group_begin[n], 0);
    group_pos.assign(group_begin[n], 0);
    extra_out.assign(n, {});
    csr_steps = n;
    for (size_t i = 0; i < n; ++i) {
      const auto& s = g.steps[i];
      for (StepId d : s.depends_on) out[fill[d]++] = {static_cast<StepId>(i), -1};
      for (size_t k = 0; k < s.any_of.size(); ++k) {
        int32_t gi = static_cast<int32_t>(group_begin[i] + k);
        group_remaining[gi] = static_cast<int32_t>(s.any_of[k].size());
        group_pos[gi] = static_cast<uint32_t>(k);
        for (StepId d : s.any_of[k]) out[fill[d]++] = {static_cast<StepId>(i), gi};
      }
    }

    // Slots: one per limited provider, one for -parallelism, one per lock name.
    provider_slot.assign(n, -1);
    lock_slot.assign(n, -1);
    for (const auto& [name, lim] : g.limits) {
      if (lim.max_concurrency <= 0 && lim.requests_per_second <= 0) continue;
      Slot s;
      s.capacity = std::max(0, lim.max_concurrency);
      if (lim.requests_per_second > 0)
        s.min_gap = Duration(static_cast<int64_t>(1000.0 / lim.requests_per_second));
      s.what = lim.max_concurrency > 0
                   ? fmt::format("limit of provider {} ({} at once)", name, lim.max_concurrency)
                   : fmt::format("rate limit of provider {}", name);
      by_provider[name] = static_cast<int32_t>(slots.size());
      slots.push_back(std::move(s));
    }
    if (options.parallelism > 0) {
      Slot s;
      s.capacity = options.parallelism;
      s.what = fmt::format("-parallelism={}", options.parallelism);
      parallel_slot = static_cast<int32_t>(slots.size());
      slots.push_back(std::move(s));
    }
    for (size_t i = 0; i < n; ++i) assign_slots(static_cast<StepId>(i));
    holds_op.assign(n, 0);
    holds_lock.assign(n, 0);
    in_backoff.assign(n, 0);
    generation.assign(n, 0);

    rollout_pos.assign(n, -1);
    rollouts.resize(g.rollouts.size());
    for (size_t r = 0; r < g.rollouts.size(); ++r) init_rollout(static_cast<int>(r));
  }

  // The provider and lock slots of a step.
  void assign_slots(StepId i) {
    const auto& s = ex.graph_.steps[i];
    if (auto it = by_provider.find(s.provider); it != by_provider.end())
      provider_slot[i] = it->second;
    if (!s.lock.empty()) {
      auto [it, inserted] = by_lock.try_emplace(s.lock, static_cast<int32_t>(slots.size()));
      if (inserted) {
        Slot l;
        l.capacity = 1;
        l.what = "lock " + s.lock;
        slots.push_back(std::move(l));
      }
      lock_slot[i] = it->second;
    }
  }

  void init_rollout(int r) {
    const auto& spec = ex.graph_.rollouts[r];
    auto batch_of = rollout_batches(spec);
    int batches = batch_of.empty() ? 0 : batch_of.back() + 1;
    rollouts[r].remaining.assign(batches, 0);
    rollouts[r].waiting.resize(batches);
    for (size_t m = 0; m < spec.members.size(); ++m) {
      rollout_pos[spec.members[m]] = batch_of[m];
      ex.result_.records[spec.members[m]].rollout_batch = batch_of[m];
      ++rollouts[r].remaining[batch_of[m]];
    }
  }

  // Calls fn(OutEdge) for every out-edge of `id`.
  template <typename Fn>
  void for_out(StepId id, Fn&& fn) {
    if (id < csr_steps)
      for (uint32_t e = out_begin[id]; e < out_begin[id + 1]; ++e) fn(out[e]);
    // By index: fn may add edges (never to this list, but be safe).
    for (size_t k = 0; k < extra_out[id].size(); ++k) fn(extra_out[id][k]);
  }

  bool failed_or_skipped(StepId id) {
    auto s = rec(id).status;
    return s == StepStatus::Failed || s == StepStatus::Skipped || s == StepStatus::Abandoned;
  }

  // A new any-of group of `owner` over `members`; false when no member can satisfy it any more.
  bool add_group(StepId owner, const std::vector<StepId>& members, size_t pos) {
    const auto gi = static_cast<int32_t>(group_remaining.size());
    group_remaining.push_back(0);
    group_satisfied.push_back(0);
    group_pos.push_back(static_cast<uint32_t>(pos));
    ++pending_groups[owner];
    for (StepId m : members) {
      if (group_satisfied[gi]) break;
      if (rec(m).status == StepStatus::Done) {
        group_satisfied[gi] = 1;
        rec(owner).satisfied_by[pos] = m;
        --pending_groups[owner];
      } else if (!failed_or_skipped(m)) {
        ++group_remaining[gi];
        extra_out[m].push_back({owner, gi});
      }
    }
    return group_satisfied[gi] || group_remaining[gi] > 0;
  }

  void extend(ExecExtension x, StepId cause) {
    auto& g = ex.graph_;
    const auto first = static_cast<StepId>(g.steps.size());
    const size_t n = first + x.steps.size();
    ex.result_.records.resize(n);
    pending_all.resize(n, 0);
    pending_groups.resize(n, 0);
    provider_slot.resize(n, -1);
    lock_slot.resize(n, -1);
    holds_op.resize(n, 0);
    holds_lock.resize(n, 0);
    in_backoff.resize(n, 0);
    generation.resize(n, 0);
    rollout_pos.resize(n, -1);
    extra_out.resize(n);
    counts[static_cast<int>(StepStatus::Pending)] += x.steps.size();
    for (auto& step : x.steps) g.steps.push_back(std::move(step));
    std::vector<std::pair<StepId, std::string>> skip_now;
    for (StepId id = first; id < n; ++id) {
      assign_slots(id);
      const ExecStep& s = g.steps[id];
      rec(id).satisfied_by.assign(s.any_of.size(), kNoStep);
      for (StepId d : s.depends_on) {
        if (rec(d).status == StepStatus::Done) continue;
        if (failed_or_skipped(d)) {
          skip_now.emplace_back(id, fmt::format("dependency {} failed", g.steps[d].address));
          continue;
        }
        ++pending_all[id];
        extra_out[d].push_back({id, -1});
      }
      for (size_t k = 0; k < s.any_of.size(); ++k)
        if (!add_group(id, s.any_of[k], k))
          skip_now.emplace_back(id, "no dependency of an any-of group can be done");
    }
    for (auto [waiter, dep] : x.waits) {
      if (waiter >= n || dep >= n || rec(waiter).status != StepStatus::Pending) continue;
      g.steps[waiter].depends_on.push_back(dep);
      if (rec(dep).status == StepStatus::Done) continue;
      ++pending_all[waiter];
      extra_out[dep].push_back({waiter, -1});
    }
    for (auto& [owner, members] : x.any_groups) {
      if (owner >= n || rec(owner).status != StepStatus::Pending || members.empty()) continue;
      g.steps[owner].any_of.push_back(members);
      rec(owner).satisfied_by.push_back(kNoStep);
      if (!add_group(owner, members, rec(owner).satisfied_by.size() - 1))
        skip_now.emplace_back(owner, "no dependency of an any-of group can be done");
    }
    for (auto& r : x.rollouts) {
      int index = g.add_rollout(std::move(r));
      rollouts.resize(g.rollouts.size());
      init_rollout(index);
    }
    for (StepId id = first; id < n; ++id)
      if (pending_all[id] == 0 && pending_groups[id] == 0) make_ready(id, cause);
    for (auto& [id, why] : skip_now) skip(id, std::move(why));
  }

  // --- Readiness and admission.

  void make_ready(StepId id, StepId cause) {
    auto& r = rec(id);
    r.ready_at = clock.now();
    r.cause = cause;
    ready.push_back(id);
  }

  void drain() {
    if (draining) return;
    draining = true;
    while (!ready.empty() || !skips.empty()) {
      if (!skips.empty()) {
        run_skips();
        continue;
      }
      StepId id = ready.front();
      ready.pop_front();
      admit(id);
    }
    draining = false;
    maybe_finish();
  }

  void wait_on(StepId id, std::string what) {
    auto& r = rec(id);
    if (r.status != StepStatus::Waiting) set_status(id, StepStatus::Waiting);
    r.waited_for = std::move(what);
  }

  void admit(StepId id) {
    auto& r = rec(id);
    if (is_terminal(r.status) || r.status == StepStatus::Running || r.status == StepStatus::Gating)
      return;
    if (interrupts > 0) return skip(id, "interrupted");
    const int ro = step(id).rollout;
    if (ro >= 0) {
      auto& run = rollouts[ro];
      if (run.stopped) return skip(id, stop_reason(ro));
      const int b = rollout_pos[id];
      if (b > run.open) {
        wait_on(id, fmt::format("rollout batch {} of {}", b + 1, ex.graph_.rollouts[ro].name));
        run.waiting[b].push_back(id);
        return;
      }
    }
    const TimePoint now = clock.now();
    const int32_t needed[3] = {provider_slot[id], parallel_slot, lock_slot[id]};
    for (int k = 0; k < 3; ++k) {
      const int32_t s = needed[k];
      if (s < 0 || slots[s].free(now)) continue;
      wait_on(id, slots[s].what);
      slots[s].queue.push_back(id);
      arm_rate_timer(s);
      // The step may have been woken by another slot it no longer takes: pass that turn on.
      for (int j = 0; j < 3; ++j)
        if (j != k && needed[j] >= 0 && slots[needed[j]].free(now)) wake(needed[j], id);
      return;
    }
    for (int32_t s : needed)
      if (s >= 0) {
        ++slots[s].in_use;
        if (slots[s].min_gap.count() > 0) slots[s].next_start = now + slots[s].min_gap;
      }
    for (int32_t s : needed)
      if (s >= 0) arm_rate_timer(s);  // the next waiter of a rate-limited slot
    holds_op[id] = 1;
    holds_lock[id] = lock_slot[id] >= 0;
    launch(id);
  }

  // Rate-limited slot with waiters: wake one when the next start is allowed.
  void arm_rate_timer(int32_t s) {
    auto& slot = slots[s];
    if (slot.min_gap.count() == 0 || slot.wake_scheduled || slot.queue.empty()) return;
    slot.wake_scheduled = true;
    std::weak_ptr<char> guard = alive;
    clock.schedule(slot.next_start - clock.now(), [this, guard, s] {
      if (guard.expired()) return;
      slots[s].wake_scheduled = false;
      if (slots[s].free(clock.now())) wake(s, kNoStep);  // else a release wakes the next one
      drain();
    });
  }

  // A unit of slot `s` became free: the first waiter still waiting gets its turn.
  void wake(int32_t s, StepId releaser) {
    auto& q = slots[s].queue;
    while (!q.empty()) {
      StepId id = q.front();
      q.pop_front();
      if (rec(id).status != StepStatus::Waiting) continue;  // skipped meanwhile
      if (releaser != kNoStep) rec(id).cause = releaser;
      ready.push_back(id);
      return;
    }
  }

  void release(int32_t s, StepId releaser) {
    if (s < 0) return;
    --slots[s].in_use;
    if (slots[s].free(clock.now()))
      wake(s, releaser);
    else
      arm_rate_timer(s);
  }

  void release_op(StepId id) {
    if (!holds_op[id]) return;
    holds_op[id] = 0;
    release(provider_slot[id], id);
    release(parallel_slot, id);
  }

  void release_lock(StepId id) {
    if (!holds_lock[id]) return;
    holds_lock[id] = 0;
    release(lock_slot[id], id);
  }

  // --- Running.

  void launch(StepId id) {
    auto& r = rec(id);
    set_status(id, StepStatus::Running);
    r.started_at = clock.now();
    r.waited = r.started_at - r.ready_at;
    if (r.waited.count() == 0) r.waited_for.clear();
    r.attempts = 1;
    if (observer) observer->on_step_started(id, r);
    if (r.status != StepStatus::Running) return;  // the observer interrupted twice
    run_attempt(id);
  }

  void run_attempt(StepId id) {
    if (!step(id).operation) return on_op_done(id, generation[id], StepOutcome{});
    // A copy: an operation may extend the graph (growing the step list) while it runs.
    StepOperation op = step(id).operation;
    StepContext ctx{id, rec(id).attempts, rec(id).satisfied_by};
    std::weak_ptr<char> guard = alive;
    const uint32_t gen = generation[id];
    op(ctx, [this, guard, id, gen](StepOutcome outcome) {
      if (guard.expired()) return;
      on_op_done(id, gen, std::move(outcome));
      drain();
    });
  }

  void on_op_done(StepId id, uint32_t gen, StepOutcome outcome) {
    auto& r = rec(id);
    if (gen != generation[id] || r.status != StepStatus::Running || in_backoff[id]) return;
    if (outcome.error) {
      const ProviderError& err = *outcome.error;
      if (interrupts == 0 && should_retry(options.retry, err, r.attempts)) {
        Duration delay =
            backoff_delay(options.retry, err, r.attempts, options.seed, step(id).address);
        if (observer) observer->on_step_retrying(id, r, err, delay);
        in_backoff[id] = 1;
        std::weak_ptr<char> guard = alive;
        clock.schedule(delay, [this, guard, id, gen] {
          if (guard.expired() || gen != generation[id] || !in_backoff[id]) return;
          in_backoff[id] = 0;
          ++rec(id).attempts;
          run_attempt(id);
          drain();
        });
        return;
      }
      release_op(id);
      return fail(id, err);
    }
    release_op(id);
    r.applied = true;
    r.applied_at = clock.now();
    if (observer) observer->on_step_applied(id, r);
    std::optional<ExecGate> gate = outcome.gate ? std::move(outcome.gate) : step(id).gate;
    if (!gate) return complete(id);
    set_status(id, StepStatus::Gating);
    std::weak_ptr<char> guard = alive;
    const std::string description = gate->describe();
    gates->run(*gate, [this, guard, id, gen, description](GateResult result) {
      if (guard.expired() || gen != generation[id] || rec(id).status != StepStatus::Gating) return;
      if (result.holds) {
        complete(id);
      } else if (result.error) {
        fail(id, *result.error);
      } else {
        fail(id, ProviderError{
                     "readiness gate did not hold: " + description, result.message, false, {}});
      }
      drain();
    });
  }

  void finish_step(StepId id, StepStatus status) {
    auto& r = rec(id);
    set_status(id, status);
    r.finished_at = clock.now();
    r.finish_order = ++terminal;
    release_lock(id);
    if (observer) observer->on_step_finished(id, r);
    if (step(id).rollout >= 0) rollout_member_finished(id, status == StepStatus::Failed);
  }

  void complete(StepId id) {
    finish_step(id, StepStatus::Done);
    for_out(id, [&](OutEdge edge) {
      const auto [to, gi] = edge;
      if (rec(to).status != StepStatus::Pending) return;
      if (gi < 0) {
        --pending_all[to];
      } else if (!group_satisfied[gi]) {
        group_satisfied[gi] = 1;
        rec(to).satisfied_by[group_pos[gi]] = id;
        --pending_groups[to];
      } else {
        return;
      }
      if (pending_all[to] == 0 && pending_groups[to] == 0) make_ready(to, id);
    });
  }

  void fail(StepId id, ProviderError error) {
    rec(id).error = std::move(error);
    finish_step(id, StepStatus::Failed);
    propagate_failure(id, fmt::format("dependency {} failed", step(id).address));
  }

  // Queued so that long chains are skipped iteratively, not by recursion.
  void skip(StepId id, std::string reason) {
    skips.emplace_back(id, std::move(reason));
    if (!skipping) run_skips();
  }

  void run_skips() {
    skipping = true;
    while (!skips.empty()) {
      auto [id, reason] = std::move(skips.front());
      skips.pop_front();
      auto& r = rec(id);
      if (r.status != StepStatus::Pending && r.status != StepStatus::Waiting) continue;
      r.skip_reason = std::move(reason);
      finish_step(id, StepStatus::Skipped);
      propagate_failure(id, fmt::format("dependency {} was skipped", step(id).address));
    }
    skipping = false;
  }

  void propagate_failure(StepId id, const std::string& reason) {
    for_out(id, [&](OutEdge edge) {
      const auto [to, gi] = edge;
      const auto s = rec(to).status;
      if (s != StepStatus::Pending && s != StepStatus::Waiting) return;
      if (gi < 0) {
        skips.emplace_back(to, reason);
      } else if (--group_remaining[gi] == 0 && !group_satisfied[gi]) {
        skips.emplace_back(
            to, fmt::format("no dependency of an any-of group was done (last: {})", reason));
      }
    });
    if (!skipping) run_skips();
  }

  // --- Rollouts.

  std::string stop_reason(int ro) const {
    const auto& run = rollouts[ro];
    return fmt::format("rollout {} stopped after {} failure{}", ex.graph_.rollouts[ro].name,
                       run.failures, run.failures == 1 ? "" : "s");
  }

  void rollout_member_finished(StepId id, bool failed) {
    const int ro = step(id).rollout;
    auto& run = rollouts[ro];
    const auto& spec = ex.graph_.rollouts[ro];
    const int b = rollout_pos[id];
    --run.remaining[b];
    if (b == run.open) run.last_finished = id;
    if (failed && ++run.failures > spec.max_failures && !run.stopped) {
      run.stopped = true;
      const std::string reason = stop_reason(ro);
      for (StepId m : spec.members) {
        auto s = rec(m).status;
        if (s == StepStatus::Pending || s == StepStatus::Waiting) skips.emplace_back(m, reason);
      }
      if (!skipping) run_skips();
      return;
    }
    advance_rollout(ro);
  }

  // Opens the batches after the open one while it is finished, each after `pause`.
  void advance_rollout(int ro) {
    auto& run = rollouts[ro];
    const auto& spec = ex.graph_.rollouts[ro];
    while (!run.stopped && !run.pausing && interrupts == 0 &&
           run.open + 1 < static_cast<int>(run.remaining.size()) && run.remaining[run.open] == 0) {
      const int next = run.open + 1;
      if (spec.pause.count() > 0) {
        run.pausing = true;
        std::weak_ptr<char> guard = alive;
        clock.schedule(spec.pause, [this, guard, ro, next] {
          if (guard.expired()) return;
          rollouts[ro].pausing = false;
          open_batch(ro, next);
          advance_rollout(ro);
          drain();
        });
        return;
      }
      open_batch(ro, next);
    }
  }

  void open_batch(int ro, int b) {
    auto& run = rollouts[ro];
    run.open = b;
    const StepId cause = run.last_finished;
    run.last_finished = kNoStep;
    for (StepId m : run.waiting[b]) {
      if (rec(m).status != StepStatus::Waiting) continue;
      if (cause != kNoStep) rec(m).cause = cause;
      ready.push_back(m);
    }
    run.waiting[b].clear();
  }

  // --- Interrupts and the end.

  void interrupt() {
    ++interrupts;
    if (interrupts == 1) {
      ex.result_.interrupted = true;
      const size_t n = ex.graph_.steps.size();
      for (StepId id = 0; id < n; ++id) {
        auto s = rec(id).status;
        if (s == StepStatus::Pending || s == StepStatus::Waiting) {
          skips.emplace_back(id, "interrupted");
        } else if (s == StepStatus::Running && in_backoff[id]) {
          in_backoff[id] = 0;
          release_op(id);
          rec(id).error = ProviderError{"interrupted while waiting to retry", "", false, {}};
          finish_step(id, StepStatus::Failed);
        }
      }
      if (!skipping) run_skips();
    } else if (interrupts == 2) {
      const size_t n = ex.graph_.steps.size();
      for (StepId id = 0; id < n; ++id) {
        auto s = rec(id).status;
        if (s != StepStatus::Running && s != StepStatus::Gating) continue;
        ++generation[id];
        in_backoff[id] = 0;
        holds_op[id] = 0;
        rec(id).error = ProviderError{"interrupted", "abandoned while in flight", false, {}};
        finish_step(id, StepStatus::Abandoned);
      }
    }
    if (!draining) maybe_finish();
  }

  void maybe_finish() {
    if (!started || ex.finished_ || terminal < ex.graph_.steps.size()) return;
    ex.finished_ = true;
    auto& res = ex.result_;
    for (StepId id = 0; id < ex.result_.records.size(); ++id) {
      switch (ex.result_.records[id].status) {
        case StepStatus::Done:
          res.done.push_back(id);
          break;
        case StepStatus::Failed:
          res.failed.push_back(id);
          break;
        case StepStatus::Skipped:
          res.skipped.push_back(id);
          break;
        case StepStatus::Abandoned:
          res.abandoned.push_back(id);
          break;
        default:
          break;
      }
      res.makespan = std::max(res.makespan, ex.result_.records[id].finished_at);
    }
    res.critical_path = critical_chain(ex.result_.records);
    res.lower_bound = dependency_lower_bound(ex.graph_, ex.result_.records);
    res.wall_ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                            std::chrono::steady_clock::now() - wall_start)
                                            .count());
    if (on_done) on_done(res);
  }
};

Executor::Executor(Clock& clock, ExecGraph graph, ExecOptions options, ExecObserver* observer)
    : graph_(std::move(graph)),
      impl_(std::make_unique<Impl>(*this, clock, std::move(options), observer)) {
  impl_->build();
}

Executor::~Executor() = default;

void Executor::start(std::function<void(const ExecResult&)> done) {
  auto& im = *impl_;
  if (im.started) return;
  im.started = true;
  im.on_done = std::move(done);
  im.wall_start = std::chrono::steady_clock::now();
  for (StepId id = 0; id < graph_.steps.size(); ++id)
    if (im.pending_all[id] == 0 && im.pending_groups[id] == 0) im.make_ready(id, kNoStep);
  im.drain();
}

const ExecResult& Executor::run() {
  Clock& clock = impl_->clock;
  start([&clock, this](const ExecResult&) {
    if (!result_.abandoned.empty()) clock.stop();  // abandoned operations may still be queued
  });
  clock.run();
  if (!finished_) {
    // The loop ran dry with steps still unfinished (an operation never called back).
    interrupt();
    interrupt();
  }
  return result_;
}

void Executor::interrupt() {
  impl_->interrupt();
}

void Executor::extend(ExecExtension extension, StepId cause) {
  impl_->extend(std::move(extension), cause);
}

ExecProgress Executor::progress() const {
  const auto& c = impl_->counts;
  auto at = [&c](StepStatus s) { return c[static_cast<int>(s)]; };
  ExecProgress p;
  p.pending = at(StepStatus::Pending);
  p.waiting = at(StepStatus::Waiting);
  p.running = at(StepStatus::Running) + at(StepStatus::Gating);
  p.done = at(StepStatus::Done);
  p.failed = at(StepStatus::Failed) + at(StepStatus::Abandoned);
  p.skipped = at(StepStatus::Skipped);
  p.elapsed = impl_->clock.now();
  return p;
}

}  // namespace orch
