// Tests of timelines (planner/timeline.h): built from real executor runs on a virtual clock
// (dependencies, any-of, aggregates, rollouts, limits, failures and what they blocked), JSON,
// and the runs directory.
#include "planner/timeline.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "planner/virtual_clock.h"
#include "tests/support/temp_dir.h"

namespace orch {
namespace {

using namespace std::chrono_literals;

// A plan graph and the matching execution graph, built together.
struct Harness {
  PlanGraph pg;
  ExecGraph eg;
  VirtualClock clock;
  std::map<std::string, StepId> id;

  StepId node(const std::string& address, NodeKind kind = NodeKind::Instance,
              NodeOp op = NodeOp::Create) {
    PlanNode n;
    n.id = kind == NodeKind::AnyOf       ? "any(" + address + ")"
           : kind == NodeKind::Aggregate ? address + "[*]"
                                         : address;
    n.kind = kind;
    n.op = kind == NodeKind::Instance ? op : NodeOp::None;
    n.address = address;
    pg.nodes.push_back(n);
    ExecStep s;
    s.address = n.id;
    const StepId i = eg.add(std::move(s));
    id[n.id] = i;
    return i;
  }
  StepId op(const std::string& address, Duration d, bool fail = false,
            const std::string& provider = "") {
    StepId i = node(address);
    eg.steps[i].provider = provider;
    eg.steps[i].operation = [this, d, fail](const StepContext&, StepDone done) {
      clock.schedule(d, [done, fail] {
        StepOutcome o;
        if (fail) o.error = ProviderError{"boom", "", false, std::nullopt};
        done(o);
      });
    };
    return i;
  }
  void edge(StepId from, StepId to) {
    pg.edges.push_back({static_cast<int>(from), static_cast<int>(to)});
    if (pg.nodes[to].kind == NodeKind::AnyOf) {
      if (eg.steps[to].any_of.empty()) eg.steps[to].any_of.push_back({});
      eg.steps[to].any_of[0].push_back(from);
    } else {
      eg.steps[to].depends_on.push_back(from);
    }
  }
  Timeline run() {
    Executor ex(clock, eg);
    const ExecResult& r = ex.run();
    return build_timeline(pg, ex.graph(), r);
  }
};

TEST(TimelineTest, DeterminingDependencies) {
  Harness r;
  StepId a = r.op("t_x.a", 10s), b = r.op("t_x.b", 20s), c = r.op("t_x.c", 1s);
  r.edge(a, c);
  r.edge(b, c);
  StepId x0 = r.op("t_m.x[0]", 5s), x1 = r.op("t_m.x[1]", 3s);
  StepId any = r.node("t_m.x", NodeKind::AnyOf), e = r.op("t_e.e", 1s);
  r.edge(x0, any);
  r.edge(x1, any);
  r.edge(any, e);
  StepId all = r.node("t_m.x", NodeKind::Aggregate), f = r.op("t_f.f", 1s);
  r.edge(x0, all);
  r.edge(x1, all);
  r.edge(all, f);
  Timeline t = r.run();
  EXPECT_EQ(t.steps.size(), 7u);  // the any-of and aggregate nodes are looked through
  EXPECT_EQ(t.find("t_x.c")->dependency, "t_x.b");
  EXPECT_EQ(t.find("t_x.c")->ready, 20'000);
  EXPECT_EQ(t.find("t_e.e")->dependency, "t_m.x[1]");  // the first of the any-of group
  EXPECT_EQ(t.find("t_e.e")->started, 3'000);
  EXPECT_EQ(t.find("t_f.f")->dependency, "t_m.x[0]");  // the last of the block
  EXPECT_EQ(t.find("t_x.a")->dependency, "");
  EXPECT_EQ(t.find("t_x.a")->block, "t_x.a");
  EXPECT_EQ(t.find("t_m.x[1]")->block, "t_m.x");
  EXPECT_EQ(t.makespan, 21'000);
  EXPECT_EQ(t.critical_path, (std::vector<std::string>{"t_x.b", "t_x.c"}));
  EXPECT_TRUE(t.find("t_x.b")->critical);
  EXPECT_FALSE(t.find("t_x.a")->critical);
}

TEST(TimelineTest, RolloutBatchesAndLimits) {
  Harness r;
  ExecRollout ro;
  ro.name = "t_w.w";
  ro.canary = 1;
  ro.batch = 2;
  for (int i = 0; i < 5; ++i) ro.members.push_back(r.op("t_w.w[" + std::to_string(i) + "]", 10s));
  r.eg.add_rollout(ro);
  StepId l1 = r.op("t_l.a", 4s, false, "lim"), l2 = r.op("t_l.b", 4s, false, "lim");
  r.eg.set_limits("lim", ProviderLimits{1, 0, {}});
  Timeline t = r.run();
  EXPECT_EQ(t.find("t_w.w[0]")->batch, 0);
  EXPECT_EQ(t.find("t_w.w[0]")->rollout, "t_w.w");
  EXPECT_EQ(t.find("t_w.w[4]")->batch, 2);
  EXPECT_EQ(t.find("t_w.w[4]")->started, 20'000);
  EXPECT_EQ(t.find("t_w.w[4]")->waited_ms(), 20'000);
  EXPECT_EQ(t.find("t_w.w[4]")->waited_for, "rollout batch 3 of t_w.w");
  EXPECT_EQ(t.find("t_w.w[0]")->waited_for, "");
  const TimelineStep* second = t.find("t_l.b");
  (void)l1;
  (void)l2;
  EXPECT_EQ(second->waited_ms(), 4'000);
  EXPECT_NE(second->waited_for.find("limit of provider lim"), std::string::npos);
}

TEST(TimelineTest, FailuresAndWhatTheyBlocked) {
  Harness r;
  StepId a = r.op("t_a.a", 5s, true), b = r.op("t_b.b", 1s), c = r.op("t_c.c", 1s);
  StepId all = r.node("t_b.b", NodeKind::Aggregate), d = r.op("t_d.d", 1s), ok = r.op("t_o.o", 2s);
  r.edge(a, b);
  r.edge(b, all);
  r.edge(all, c);
  r.edge(ok, d);
  (void)d;
  Timeline t = r.run();
  const TimelineStep* fa = t.find("t_a.a");
  EXPECT_EQ(fa->status, "failed");
  EXPECT_EQ(fa->error, "boom");
  EXPECT_EQ(fa->blocked, (std::vector<std::string>{"t_b.b", "t_c.c"}));
  EXPECT_EQ(t.find("t_b.b")->status, "skipped");
  EXPECT_EQ(t.find("t_b.b")->skip_reason, "dependency t_a.a failed");
  EXPECT_EQ(t.find("t_d.d")->status, "done");
}

TEST(TimelineTest, RolloutStopsAreBlamedOnTheFailure) {
  Harness r;
  ExecRollout ro;
  ro.name = "t_w.w";
  ro.canary = 1;
  ro.batch = 1;
  ro.members.push_back(r.op("t_w.w[0]", 10s, true));
  ro.members.push_back(r.op("t_w.w[1]", 10s));
  ro.members.push_back(r.op("t_w.w[2]", 10s));
  r.eg.add_rollout(ro);
  Timeline t = r.run();
  EXPECT_EQ(t.find("t_w.w[0]")->blocked, (std::vector<std::string>{"t_w.w[1]", "t_w.w[2]"}));
}

TEST(TimelineTest, JsonRoundTrip) {
  Harness r;
  StepId a = r.op("t_a.a[\"k\"]", 5s, true), b = r.op("t_b.b", 1s);
  r.edge(a, b);
  Timeline t = r.run();
  t.simulated = true;
  t.seed = 3;
  t.command = "apply";
  t.recorded_at = "2025-01-02T03:04:05Z";
  t.parallelism = 10;
  std::string err;
  auto back = timeline_from_json(timeline_to_json(t), &err);
  ASSERT_TRUE(back) << err;
  EXPECT_EQ(timeline_to_json(*back), timeline_to_json(t));
  EXPECT_EQ(back->steps[0].address, "t_a.a[\"k\"]");
  EXPECT_EQ(back->seed, 3u);

  EXPECT_FALSE(timeline_from_json("{", &err));
  EXPECT_EQ(err, "not valid JSON");
  EXPECT_FALSE(timeline_from_json("{\"format\": \"x\"}", &err));
  EXPECT_NE(err.find("not an orch timeline"), std::string::npos);
  EXPECT_FALSE(timeline_from_json("{\"format\": \"orch-timeline\", \"version\": 9}", &err));
  EXPECT_NE(err.find("version 9"), std::string::npos);
  EXPECT_FALSE(
      timeline_from_json("{\"format\": \"orch-timeline\", \"version\": 1, \"steps\": [{}]}", &err));
  EXPECT_NE(err.find("malformed"), std::string::npos);
}

TEST(TimelineTest, RecordKeepsTheNewest) {
  testing::TempDir dir;
  const std::string runs = dir.file("runs");
  EXPECT_EQ(latest_timeline(runs), "");
  Timeline t;
  t.command = "apply";
  std::vector<std::string> paths;
  for (int i = 0; i < 5; ++i) {
    t.recorded_at = "2025-01-02T03:04:0" + std::to_string(i) + "Z";
    std::string err;
    paths.push_back(record_timeline(t, runs, &err, 3));
    ASSERT_FALSE(paths.back().empty()) << err;
  }
  EXPECT_EQ(paths[4], dir.file("runs/20250102T030404Z-apply.json"));
  EXPECT_FALSE(std::filesystem::exists(paths[0]));
  EXPECT_FALSE(std::filesystem::exists(paths[1]));
  EXPECT_TRUE(std::filesystem::exists(paths[2]));
  EXPECT_EQ(latest_timeline(runs), paths[4]);
  // Two applies in the same second keep both.
  std::string err;
  std::string same = record_timeline(t, runs, &err, 10);
  EXPECT_EQ(same, dir.file("runs/20250102T030404Z-apply-2.json"));
  EXPECT_EQ(latest_timeline(runs), same);
}

}  // namespace
}  // namespace orch
