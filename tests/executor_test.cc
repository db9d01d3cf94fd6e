// Tests of the executor on the virtual clock: dependencies (all-of, any-of), rollouts, failure
// isolation and skip reasons, retries, limits, locks, interrupts and the critical path.
#include "planner/executor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "planner/critical_path.h"
#include "planner/rollout.h"
#include "planner/virtual_clock.h"

namespace orch {
namespace {

using std::chrono::seconds;

// An operation that takes `d` on the clock, failing with `error` when given.
StepOperation timed(Clock& clock, Duration d, std::optional<ProviderError> error = {}) {
  return [&clock, d, error](const StepContext&, StepDone done) {
    clock.schedule(d, [done, error] { done(StepOutcome{error, {}}); });
  };
}

ExecStep step(std::string address, StepOperation op, std::vector<StepId> deps = {}) {
  ExecStep s;
  s.address = std::move(address);
  s.operation = std::move(op);
  s.depends_on = std::move(deps);
  return s;
}

int64_t secs(TimePoint t) {
  return t.count() / 1000;
}

ProviderError permanent(std::string what) {
  return ProviderError{std::move(what), "", false, {}};
}
ProviderError transient(std::string what) {
  return ProviderError{std::move(what), "", true, {}};
}

TEST(ExecutorTest, AllOfStartsWhenTheLastDependencyIsDone) {
  VirtualClock clock;
  ExecGraph g;
  StepId a = g.add(step("a", timed(clock, seconds(10))));
  StepId b = g.add(step("b", timed(clock, seconds(20))));
  StepId c = g.add(step("c", timed(clock, seconds(5)), {a, b}));
  ASSERT_TRUE(g.validate().empty());
  Executor ex(clock, std::move(g));
  ExecResult r = ex.run();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.done, (std::vector<StepId>{a, b, c}));
  EXPECT_EQ(secs(r.records[c].ready_at), 20);
  EXPECT_EQ(secs(r.records[c].started_at), 20);
  EXPECT_EQ(r.records[c].waited.count(), 0);
  EXPECT_EQ(r.records[c].cause, b);
  EXPECT_EQ(secs(r.makespan), 25);
  EXPECT_EQ(r.critical_path, (std::vector<StepId>{b, c}));
  EXPECT_EQ(secs(r.lower_bound), 25);
}

TEST(ExecutorTest, AnyOfFiresAtTheFirstMemberAndTellsTheStepWhich) {
  VirtualClock clock;
  ExecGraph g;
  StepId m1 = g.add(step("m[0]", timed(clock, seconds(30))));
  StepId m2 = g.add(step("m[1]", timed(clock, seconds(10))));
  StepId m3 = g.add(step("m[2]", timed(clock, seconds(20))));
  std::vector<StepId> seen_satisfied;
  ExecStep e = step("election", [&](const StepContext& ctx, StepDone done) {
    seen_satisfied = ctx.satisfied_by;
    clock.schedule(seconds(1), [done] { done({}); });
  });
  e.any_of = {{m1, m2, m3}};
  StepId el = g.add(std::move(e));
  Executor ex(clock, std::move(g));
  ExecResult r = ex.run();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(secs(r.records[el].started_at), 10);
  EXPECT_EQ(secs(r.records[el].finished_at), 11);
  EXPECT_EQ(seen_satisfied, (std::vector<StepId>{m2}));
  EXPECT_EQ(r.records[el].satisfied_by, (std::vector<StepId>{m2}));
  EXPECT_EQ(secs(r.makespan), 30);
}

TEST(ExecutorTest, AnyOfWaitsForSuccessAndFailsOnlyWhenAllMembersFail) {
  VirtualClock clock;
  ExecGraph g;
  StepId a = g.add(step("a", timed(clock, seconds(5), permanent("boom"))));
  StepId b = g.add(step("b", timed(clock, seconds(8))));
  ExecStep e1 = step("first_ok", timed(clock, seconds(1)));
  e1.any_of = {{a, b}};
  StepId s1 = g.add(std::move(e1));
  StepId c = g.add(step("c", timed(clock, seconds(2), permanent("boom"))));
  StepId d = g.add(step("d", timed(clock, seconds(3)), {c}));  // skipped: c failed
  ExecStep e2 = step("none_ok", timed(clock, seconds(1)));
  e2.any_of = {{c, d}};
  StepId s2 = g.add(std::move(e2));
  Executor ex(clock, std::move(g));
  ExecResult r = ex.run();
  EXPECT_EQ(r.records[s1].status, StepStatus::Done);
  EXPECT_EQ(secs(r.records[s1].started_at), 8);  // a failed at 5; b satisfied it at 8
  EXPECT_EQ(r.records[s1].satisfied_by, (std::vector<StepId>{b}));
  EXPECT_EQ(r.records[d].status, StepStatus::Skipped);
  EXPECT_EQ(r.records[d].skip_reason, "dependency c failed");
  EXPECT_EQ(r.records[s2].status, StepStatus::Skipped);
  EXPECT_NE(r.records[s2].skip_reason.find("no dependency of an any-of group"), std::string::npos);
  EXPECT_EQ(r.failed, (std::vector<StepId>{a, c}));
}

TEST(ExecutorTest, FailureStopsOnlyItsDependents) {
  VirtualClock clock;
  ExecGraph g;
  StepId a = g.add(step("a", timed(clock, seconds(5), permanent("quota exceeded"))));
  StepId b = g.add(step("b", timed(clock, seconds(5)), {a}));
  StepId c = g.add(step("c", timed(clock, seconds(5)), {b}));
  StepId x = g.add(step("x", timed(clock, seconds(7))));
  StepId y = g.add(step("y", timed(clock, seconds(7)), {x}));
  Executor ex(clock, std::move(g));
  ExecResult r = ex.run();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.failed, (std::vector<StepId>{a}));
  ASSERT_TRUE(r.records[a].error);
  EXPECT_EQ(r.records[a].error->summary, "quota exceeded");
  EXPECT_EQ(r.skipped, (std::vector<StepId>{b, c}));
  EXPECT_EQ(r.records[b].skip_reason, "dependency a failed");
  EXPECT_EQ(r.records[c].skip_reason, "dependency b was skipped");
  EXPECT_EQ(r.done, (std::vector<StepId>{x, y}));
  EXPECT_EQ(secs(r.records[y].finished_at), 14);
}

TEST(ExecutorTest, RolloutBatchesSplitCanaryThenBatches) {
  ExecRollout r;
  r.members = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  r.canary = 1;
  r.batch_percent = 50;
  EXPECT_EQ(rollout_batches(r), (std::vector<int>{0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2}));
  r.canary = 0;
  r.batch_percent = 0;
  r.batch = 4;
  EXPECT_EQ(rollout_batches(r), (std::vector<int>{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2}));
  r.batch = 0;
  EXPECT_EQ(rollout_batches(r), std::vector<int>(11, 0));
  r.canary = 20;  // more canaries than members
  EXPECT_EQ(rollout_batches(r), std::vector<int>(11, 0));
}

// Seven instances of 10s each behind a 5s dependency; canary 1, then 50% batches (3 each).
struct RolloutRun {
  ExecResult result;
  std::vector<StepId> members;
};

RolloutRun run_rollout(int fail_mask, int max_failures, Duration pause,
                       std::optional<Duration> gate_after = {}) {
  VirtualClock clock;
  ExecGraph g;
  StepId base = g.add(step("base", timed(clock, seconds(5))));
  std::vector<StepId> members;
  for (int i = 0; i < 7; ++i) {
    std::optional<ProviderError> err;
    if (fail_mask & (1 << i)) err = permanent("converge failed");
    ExecStep s = step("w[" + std::to_string(i) + "]", timed(clock, seconds(10), err), {base});
    if (gate_after) {
      s.gate = ExecGate{};
      s.gate->kind = "http";
      s.gate->target = "http://w/";
      s.gate->simulate_after = gate_after;
    }
    members.push_back(g.add(std::move(s)));
  }
  ExecRollout ro;
  ro.name = "w";
  ro.members = members;
  ro.canary = 1;
  ro.batch_percent = 50;
  ro.max_failures = max_failures;
  ro.pause = pause;
  g.add_rollout(ro);
  EXPECT_TRUE(g.validate().empty());
  Executor ex(clock, std::move(g));
  return {ex.run(), members};
}

TEST(ExecutorTest, RolloutRunsCanaryFirstThenBatches) {
  auto run = run_rollout(0, 0, Duration(0));
  const auto& rec = run.result.records;
  std::vector<int64_t> starts;
  for (StepId m : run.members) starts.push_back(secs(rec[m].started_at));
  EXPECT_EQ(starts, (std::vector<int64_t>{5, 15, 15, 15, 25, 25, 25}));
  EXPECT_EQ(secs(run.result.makespan), 35);
  EXPECT_EQ(rec[run.members[1]].waited_for, "rollout batch 2 of w");
  EXPECT_EQ(rec[run.members[1]].cause, run.members[0]);
  EXPECT_EQ(rec[run.members[4]].rollout_batch, 2);
  // The critical path runs through every batch.
  EXPECT_EQ(run.result.critical_path.size(), 4u);
  EXPECT_EQ(secs(run.result.lower_bound), 15);
}

TEST(ExecutorTest, RolloutPausesBetweenBatchesAndWaitsForGates) {
  auto paused = run_rollout(0, 0, seconds(30));
  std::vector<int64_t> starts;
  for (StepId m : paused.members) starts.push_back(secs(paused.result.records[m].started_at));
  EXPECT_EQ(starts, (std::vector<int64_t>{5, 45, 45, 45, 85, 85, 85}));

  auto gated = run_rollout(0, 0, Duration(0), seconds(20));
  starts.clear();
  for (StepId m : gated.members) starts.push_back(secs(gated.result.records[m].started_at));
  EXPECT_EQ(starts, (std::vector<int64_t>{5, 35, 35, 35, 65, 65, 65}));
  EXPECT_EQ(secs(gated.result.records[gated.members[0]].applied_at), 15);
  EXPECT_EQ(secs(gated.result.records[gated.members[0]].finished_at), 35);
}

TEST(ExecutorTest, RolloutStopsPastMaxFailures) {
  // The canary fails and max_failures = 0: nothing else starts.
  auto run = run_rollout(1 << 0, 0, Duration(0));
  const auto& rec = run.result.records;
  EXPECT_EQ(rec[run.members[0]].status, StepStatus::Failed);
  for (size_t i = 1; i < run.members.size(); ++i) {
    EXPECT_EQ(rec[run.members[i]].status, StepStatus::Skipped);
    EXPECT_EQ(rec[run.members[i]].skip_reason, "rollout w stopped after 1 failure");
    EXPECT_EQ(rec[run.members[i]].started_at.count(), -1);
  }
  // max_failures = 1: one failure in batch 2 is tolerated, the second stops the rollout; the
  // rest of batch 2 was already in flight and finishes.
  run = run_rollout((1 << 1) | (1 << 2), 1, Duration(0));
  const auto& rec2 = run.result.records;
  EXPECT_EQ(rec2[run.members[0]].status, StepStatus::Done);
  EXPECT_EQ(rec2[run.members[1]].status, StepStatus::Failed);
  EXPECT_EQ(rec2[run.members[2]].status, StepStatus::Failed);
  EXPECT_EQ(rec2[run.members[3]].status, StepStatus::Done);
  for (size_t i = 4; i < 7; ++i) {
    EXPECT_EQ(rec2[run.members[i]].status, StepStatus::Skipped);
    EXPECT_EQ(rec2[run.members[i]].skip_reason, "rollout w stopped after 2 failures");
  }
  // One failure with max_failures = 1 continues to the end.
  run = run_rollout(1 << 1, 1, Duration(0));
  EXPECT_EQ(run.result.done.size(), 7u);  // base + 6 members
  EXPECT_EQ(run.result.failed.size(), 1u);
}

TEST(ExecutorTest, RetriesTransientErrorsWithDeterministicBackoff) {
  auto run_once = [](uint64_t seed, std::vector<int64_t>& attempt_times) {
    VirtualClock clock;
    ExecGraph g;
    int calls = 0;
    g.add(step("flaky", [&](const StepContext& ctx, StepDone done) {
      attempt_times.push_back(clock.now().count());
      EXPECT_EQ(ctx.attempt, ++calls);
      std::optional<ProviderError> err;
      if (ctx.attempt < 3) err = transient("503 Service Unavailable");
      clock.schedule(seconds(1), [done, err] { done(StepOutcome{err, {}}); });
    }));
    ExecOptions opts;
    opts.seed = seed;
    Executor ex(clock, std::move(g), opts);
    return ex.run();
  };
  std::vector<int64_t> t1, t2, t3;
  ExecResult r = run_once(7, t1);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.records[0].attempts, 3);
  ASSERT_EQ(t1.size(), 3u);
  // Backoff 1s then 2s, each jittered into [50%, 100%].
  EXPECT_GE(t1[1] - t1[0], 1000 + 500);
  EXPECT_LE(t1[1] - t1[0], 1000 + 1000);
  EXPECT_GE(t1[2] - t1[1], 1000 + 1000);
  EXPECT_LE(t1[2] - t1[1], 1000 + 2000);
  run_once(7, t2);
  EXPECT_EQ(t1, t2);  // same seed, same timeline
  run_once(8, t3);
  EXPECT_NE(t1, t3);
}

TEST(ExecutorTest, RetriesAreBoundedAndPermanentErrorsAreNotRetried) {
  VirtualClock clock;
  ExecGraph g;
  int transient_calls = 0, permanent_calls = 0;
  g.add(step("always_503", [&](const StepContext&, StepDone done) {
    ++transient_calls;
    done(StepOutcome{transient("503"), {}});
  }));
  g.add(step("bad_request", [&](const StepContext&, StepDone done) {
    ++permanent_calls;
    done(StepOutcome{permanent("400"), {}});
  }));
  ExecOptions opts;
  opts.retry.max_attempts = 4;
  Executor ex(clock, std::move(g), opts);
  ExecResult r = ex.run();
  EXPECT_EQ(transient_calls, 4);
  EXPECT_EQ(permanent_calls, 1);
  EXPECT_EQ(r.records[0].attempts, 4);
  EXPECT_EQ(r.failed.size(), 2u);
}

TEST(ExecutorTest, RetryAfterHintIsHonoured) {
  RetryPolicy p;
  ProviderError e = transient("429");
  e.retry_after = seconds(30);
  EXPECT_EQ(backoff_delay(p, e, 1, 1, "x"), seconds(30));
  e.retry_after.reset();
  p.jitter = 0;
  EXPECT_EQ(backoff_delay(p, e, 1, 1, "x"), seconds(1));
  EXPECT_EQ(backoff_delay(p, e, 3, 1, "x"), seconds(4));
  EXPECT_EQ(backoff_delay(p, e, 30, 1, "x"), seconds(60));  // capped
}

// Records how many operations of each kind are in flight at once.
struct Concurrency {
  int now = 0, peak = 0;
  StepOperation op(Clock& clock, Duration d) {
    return [this, &clock, d](const StepContext&, StepDone done) {
      peak = std::max(peak, ++now);
      clock.schedule(d, [this, done] {
        --now;
        done({});
      });
    };
  }
};

TEST(ExecutorTest, ProviderLimitsAndParallelismAreRespected) {
  VirtualClock clock;
  ExecGraph g;
  Concurrency sim, other;
  for (int i = 0; i < 10; ++i) {
    ExecStep s = step("sim" + std::to_string(i), sim.op(clock, seconds(10)));
    s.provider = "sim";
    g.add(std::move(s));
  }
  for (int i = 0; i < 4; ++i)
    g.add(step("other" + std::to_string(i), other.op(clock, seconds(10))));
  g.set_limits("sim", ProviderLimits{3, 0, {}});
  Executor ex(clock, std::move(g));
  ExecResult r = ex.run();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(sim.peak, 3);
  EXPECT_EQ(other.peak, 4);  // not limited
  EXPECT_EQ(secs(r.makespan), 40);
  EXPECT_EQ(r.records[9].waited_for, "limit of provider sim (3 at once)");
  EXPECT_EQ(secs(r.records[9].waited), 30);

  VirtualClock clock2;
  ExecGraph g2;
  Concurrency all;
  for (int i = 0; i < 9; ++i) g2.add(step("s" + std::to_string(i), all.op(clock2, seconds(10))));
  ExecOptions opts;
  opts.parallelism = 2;
  Executor ex2(clock2, std::move(g2), opts);
  ExecResult r2 = ex2.run();
  EXPECT_EQ(all.peak, 2);
  EXPECT_EQ(secs(r2.makespan), 50);
  // The critical path goes through the steps that freed the slots.
  EXPECT_EQ(r2.critical_path.size(), 5u);
}

TEST(ExecutorTest, RateLimitSpacesStarts) {
  VirtualClock clock;
  ExecGraph g;
  for (int i = 0; i < 4; ++i) {
    ExecStep s = step("s" + std::to_string(i), timed(clock, seconds(1)));
    s.provider = "ec2";
    g.add(std::move(s));
  }
  g.set_limits("ec2", ProviderLimits{0, 2.0, {}});  // two per second
  Executor ex(clock, std::move(g));
  ExecResult r = ex.run();
  std::vector<int64_t> starts;
  for (const auto& rec : r.records) starts.push_back(rec.started_at.count());
  EXPECT_EQ(starts, (std::vector<int64_t>{0, 500, 1000, 1500}));
}

TEST(ExecutorTest, StepsSharingALockNeverOverlap) {
  VirtualClock clock;
  ExecGraph g;
  for (int i = 0; i < 5; ++i) {
    ExecStep s = step("l" + std::to_string(i), timed(clock, seconds(3 + i)));
    s.lock = "db";
    if (i == 2) s.gate = ExecGate{"tcp", "db:5432", {}, seconds(60), seconds(1), seconds(4), {}};
    g.add(std::move(s));
  }
  g.add(step("free", timed(clock, seconds(3))));
  Executor ex(clock, std::move(g));
  ExecResult r = ex.run();
  EXPECT_TRUE(r.ok());
  std::vector<std::pair<int64_t, int64_t>> spans;
  for (int i = 0; i < 5; ++i)
    spans.emplace_back(r.records[i].started_at.count(), r.records[i].finished_at.count());
  std::sort(spans.begin(), spans.end());
  for (size_t i = 1; i < spans.size(); ++i) EXPECT_GE(spans[i].first, spans[i - 1].second);
  EXPECT_EQ(secs(r.records[5].started_at), 0);         // the unlocked step is not held back
  EXPECT_EQ(secs(r.makespan), 3 + 4 + 5 + 4 + 6 + 7);  // gate time counts inside the lock
  EXPECT_EQ(r.records[1].waited_for, "lock db");
}

TEST(ExecutorTest, FirstInterruptDrainsSecondAbandons) {
  VirtualClock clock;
  ExecGraph g;
  StepId a = g.add(step("a", timed(clock, seconds(10))));
  StepId b = g.add(step("b", timed(clock, seconds(30))));
  StepId c = g.add(step("c", timed(clock, seconds(10)), {a}));
  StepId d = g.add(step("d", timed(clock, seconds(10)), {c}));
  Executor ex(clock, std::move(g));
  clock.schedule(seconds(5), [&] { ex.interrupt(); });
  ExecResult r = ex.run();
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(r.done, (std::vector<StepId>{a, b}));  // in flight: allowed to finish
  EXPECT_EQ(r.skipped, (std::vector<StepId>{c, d}));
  EXPECT_EQ(r.records[c].skip_reason, "interrupted");
  EXPECT_EQ(r.records[d].skip_reason, "interrupted");
  EXPECT_EQ(secs(r.makespan), 30);

  VirtualClock clock2;
  ExecGraph g2;
  g2.add(step("a", timed(clock2, seconds(10))));
  g2.add(step("b", timed(clock2, seconds(30))));
  Executor ex2(clock2, std::move(g2));
  clock2.schedule(seconds(5), [&] { ex2.interrupt(); });
  clock2.schedule(seconds(15), [&] { ex2.interrupt(); });
  ExecResult r2 = ex2.run();
  EXPECT_EQ(r2.done, (std::vector<StepId>{0}));
  EXPECT_EQ(r2.abandoned, (std::vector<StepId>{1}));
  EXPECT_EQ(secs(r2.records[1].finished_at), 15);
  EXPECT_EQ(clock2.now(), seconds(15));  // stopped at once, not after b's 30s
}

TEST(ExecutorTest, GateTimeoutFailsTheStepButRecordsTheApply) {
  VirtualClock clock;
  ExecGraph g;
  ExecStep s = step("web", timed(clock, seconds(10)));
  s.gate = ExecGate{"http", "http://web/health", 200, seconds(60), seconds(5), seconds(120), {}};
  StepId web = g.add(std::move(s));
  StepId lb = g.add(step("lb", timed(clock, seconds(1)), {web}));
  Executor ex(clock, std::move(g));
  ExecResult r = ex.run();
  EXPECT_EQ(r.records[web].status, StepStatus::Failed);
  EXPECT_TRUE(r.records[web].applied);
  EXPECT_EQ(secs(r.records[web].finished_at), 70);
  ASSERT_TRUE(r.records[web].error);
  EXPECT_NE(r.records[web].error->summary.find("http://web/health"), std::string::npos);
  EXPECT_EQ(r.records[lb].skip_reason, "dependency web failed");
}

TEST(ExecutorTest, GateResolvedByTheOperationReplacesTheStepGate) {
  VirtualClock clock;
  ExecGraph g;
  ExecStep s = step("m", [&](const StepContext&, StepDone done) {
    StepOutcome o;
    o.gate = ExecGate{"tcp", "10.0.0.7:22", {}, seconds(600), seconds(10), seconds(25), {}};
    clock.schedule(seconds(40), [done, o] { done(o); });
  });
  s.gate = ExecGate{"tcp", "(known after apply)", {}, seconds(600), seconds(10), {}, {}};
  g.add(std::move(s));
  Executor ex(clock, std::move(g));
  ExecResult r = ex.run();
  EXPECT_EQ(secs(r.records[0].finished_at), 65);
}

TEST(ExecutorTest, CriticalPathOfAKnownDag) {
  // a(10) ─┬─ c(5) ─┐
  // b(3) ──┘        ├─ e(2)
  // d(20) ──────────┘
  // f(1) after b. The chain that determines the makespan is d → e (22); a → c → e is 17.
  VirtualClock clock;
  ExecGraph g;
  StepId a = g.add(step("a", timed(clock, seconds(10))));
  StepId b = g.add(step("b", timed(clock, seconds(3))));
  StepId c = g.add(step("c", timed(clock, seconds(5)), {a, b}));
  StepId d = g.add(step("d", timed(clock, seconds(20))));
  StepId e = g.add(step("e", timed(clock, seconds(2)), {c, d}));
  g.add(step("f", timed(clock, seconds(1)), {b}));
  Executor ex(clock, std::move(g));
  ExecResult r = ex.run();
  EXPECT_EQ(r.critical_path, (std::vector<StepId>{d, e}));
  EXPECT_EQ(secs(r.makespan), 22);
  EXPECT_EQ(secs(r.lower_bound), 22);
  (void)a;
}

TEST(ExecutorTest, SynchronousOperationsOnALongChainDoNotRecurse) {
  VirtualClock clock;
  ExecGraph g;
  const int n = 200000;
  g.add(step("s0", [](const StepContext&, StepDone done) { done({}); }));
  for (int i = 1; i < n; ++i)
    g.add(step("s" + std::to_string(i), [](const StepContext&, StepDone done) { done({}); },
               {static_cast<StepId>(i - 1)}));
  Executor ex(clock, std::move(g));
  ExecResult r = ex.run();
  EXPECT_EQ(r.done.size(), static_cast<size_t>(n));
  EXPECT_EQ(r.critical_path.size(), static_cast<size_t>(n));
}

TEST(ExecutorTest, LongFailureChainIsSkippedIteratively) {
  VirtualClock clock;
  ExecGraph g;
  const int n = 200000;
  g.add(step("s0", [](const StepContext&, StepDone done) {
    done(StepOutcome{permanent("x"), {}});
  }));
  for (int i = 1; i < n; ++i)
    g.add(step("s" + std::to_string(i), {}, {static_cast<StepId>(i - 1)}));
  Executor ex(clock, std::move(g));
  ExecResult r = ex.run();
  EXPECT_EQ(r.skipped.size(), static_cast<size_t>(n - 1));
}

struct RecordingObserver : ExecObserver {
  std::vector<std::string> events;
  const ExecGraph* graph = nullptr;
  void on_step_started(StepId id, const StepRecord&) override {
    events.push_back("start " + graph->steps[id].address);
  }
  void on_step_retrying(StepId id, const StepRecord& r, const ProviderError&, Duration) override {
    events.push_back("retry " + graph->steps[id].address + " " + std::to_string(r.attempts));
  }
  void on_step_applied(StepId id, const StepRecord&) override {
    events.push_back("applied " + graph->steps[id].address);
  }
  void on_step_finished(StepId id, const StepRecord& r) override {
    events.push_back(std::string(to_string(r.status)) + " " + graph->steps[id].address);
  }
};

TEST(ExecutorTest, ObserverSeesEveryTransitionInOrder) {
  VirtualClock clock;
  ExecGraph g;
  int calls = 0;
  StepId a = g.add(step("a", [&](const StepContext&, StepDone done) {
    std::optional<ProviderError> err;
    if (++calls == 1) err = transient("reset");
    clock.schedule(seconds(1), [done, err] { done(StepOutcome{err, {}}); });
  }));
  g.add(step("b", timed(clock, seconds(1), permanent("no")), {a}));
  g.add(step("c", timed(clock, seconds(1)), {1}));
  RecordingObserver obs;
  Executor ex(clock, std::move(g), {}, &obs);
  obs.graph = &ex.graph();
  ex.run();
  EXPECT_EQ(obs.events, (std::vector<std::string>{"start a", "retry a 1", "applied a", "done a",
                                                  "start b", "failed b", "skipped c"}));
  auto p = ex.progress();
  EXPECT_EQ(p.done, 1u);
  EXPECT_EQ(p.failed, 1u);
  EXPECT_EQ(p.skipped, 1u);
}

TEST(ExecutorTest, ValidateReportsCyclesAndBadIds) {
  ExecGraph g;
  g.add(step("a", {}, {1}));
  g.add(step("b", {}, {0}));
  g.add(step("c", {}, {7}));
  auto problems = g.validate();
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find("c: dependency #7 does not exist"), std::string::npos);
  EXPECT_NE(problems[1].find("cycle among 2 steps: a, b"), std::string::npos);
}

TEST(ExecutorTest, EmptyGraphFinishesAtOnce) {
  VirtualClock clock;
  Executor ex(clock, ExecGraph{});
  ExecResult r = ex.run();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.makespan.count(), 0);
  EXPECT_TRUE(r.critical_path.empty());
}

// A deferred block: "expand" learns its instances when it runs and adds them; the aggregate
// (all of them) and the any-of node (the first of them) were waiting for it.
TEST(ExecutorTest, ExtendAddsStepsThatDependentsWaitFor) {
  VirtualClock clock;
  ExecGraph g;
  StepId master = g.add(step("master", timed(clock, seconds(10))));
  Executor* exec = nullptr;
  std::vector<StepId> added;
  StepId expand = g.add(step("expand", {}, {master}));
  StepId agg = g.add(step("workers[*]", {}, {expand}));
  StepId after_all = g.add(step("after_all", timed(clock, seconds(1)), {agg}));
  ExecStep first = step("first_worker", timed(clock, seconds(1)), {expand});
  StepId any = g.add(step("any(workers)", {}, {expand}));
  first.depends_on = {any};
  StepId after_first = g.add(std::move(first));
  g.steps[expand].operation = [&](const StepContext& ctx, StepDone done) {
    ExecExtension x;
    const auto base = static_cast<StepId>(exec->graph().size());
    for (int i = 0; i < 3; ++i) {
      x.steps.push_back(step("w" + std::to_string(i), timed(clock, seconds(5 + 10 * i)), {ctx.id}));
      added.push_back(base + i);
    }
    for (StepId w : added) x.waits.push_back({agg, w});
    x.any_groups.push_back({any, added});
    exec->extend(std::move(x), ctx.id);
    done({});
  };
  ASSERT_TRUE(g.validate().empty());
  Executor ex(clock, std::move(g));
  exec = &ex;
  const ExecResult& r = ex.run();
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.records.size(), 9u);
  for (StepId w : added) EXPECT_EQ(secs(r.records[w].started_at), 10);
  EXPECT_EQ(secs(r.records[after_first].started_at), 15);  // after w0, the first one done
  EXPECT_EQ(r.records[any].satisfied_by, (std::vector<StepId>{added[0]}));
  EXPECT_EQ(secs(r.records[after_all].started_at), 35);  // after w2
  EXPECT_EQ(secs(r.makespan), 36);
  // The critical path runs through the expansion to the last worker.
  EXPECT_EQ(r.critical_path, (std::vector<StepId>{master, expand, added[2], agg, after_all}));
  EXPECT_EQ(secs(r.lower_bound), 36);
}

TEST(ExecutorTest, ExtendedStepsRollOutAndInheritFailures) {
  VirtualClock clock;
  ExecGraph g;
  Executor* exec = nullptr;
  StepId bad = g.add(step("bad", timed(clock, seconds(1), permanent("boom"))));
  StepId good = g.add(step("good", timed(clock, seconds(1))));
  StepId expand = g.add(step("expand", {}, {good}));
  std::vector<StepId> added;
  g.steps[expand].operation = [&](const StepContext& ctx, StepDone done) {
    ExecExtension x;
    const auto base = static_cast<StepId>(exec->graph().size());
    for (int i = 0; i < 5; ++i) {
      x.steps.push_back(step("r" + std::to_string(i), timed(clock, seconds(10)), {ctx.id}));
      added.push_back(base + i);
    }
    // One more that also needs the failed step: skipped, not run.
    x.steps.push_back(step("needs_bad", timed(clock, seconds(1)), {ctx.id, bad}));
    ExecRollout ro;
    ro.name = "r";
    ro.members = added;
    ro.canary = 1;
    ro.batch = 2;
    x.rollouts.push_back(ro);
    exec->extend(std::move(x), ctx.id);
    done({});
  };
  Executor ex(clock, std::move(g));
  exec = &ex;
  const ExecResult& r = ex.run();
  EXPECT_EQ(r.failed, (std::vector<StepId>{bad}));
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_EQ(ex.graph().steps[r.skipped[0]].address, "needs_bad");
  EXPECT_EQ(r.records[r.skipped[0]].skip_reason, "dependency bad failed");
  // Canary at 1 s, then batches of two every 10 s.
  std::vector<int64_t> starts;
  for (StepId a : added) starts.push_back(secs(r.records[a].started_at));
  EXPECT_EQ(starts, (std::vector<int64_t>{1, 11, 11, 21, 21}));
}

TEST(ExecutorTest, ExtendAfterInterruptStartsNothingNew) {
  VirtualClock clock;
  ExecGraph g;
  Executor* exec = nullptr;
  StepId expand = g.add(step("expand", {}));
  g.steps[expand].operation = [&](const StepContext& ctx, StepDone done) {
    exec->interrupt();
    ExecExtension x;
    x.steps.push_back(step("late", timed(clock, seconds(1)), {ctx.id}));
    exec->extend(std::move(x), ctx.id);
    done({});
  };
  Executor ex(clock, std::move(g));
  exec = &ex;
  const ExecResult& r = ex.run();
  EXPECT_TRUE(r.interrupted);
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_EQ(r.records[r.skipped[0]].skip_reason, "interrupted");
}

}  // namespace
}  // namespace orch
