// Tests of -simulate through a Session (planner/simulation.h): a configuration of ec2, chef and
// etcd resources rehearsed with providers that fail if touched; where the simulated state lives
// and when it is seeded from the real one; determinism; the twin of sim against sim itself.
#include "planner/simulation.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "planner/plan_simulation.h"
#include "planner/run.h"
#include "providers/sim/sim_provider.h"
#include "tests/support/config_fixture.h"
#include "tests/support/peer_schemas.h"
#include "tests/support/temp_dir.h"

namespace orch {
namespace {

namespace fs = std::filesystem;
using testing::summaries;

// A cluster in the shape of DESIGN.md's example: the first node up is elected master through
// etcd, registered with Chef, converged and gated before the workers' canary + 50% batches.
constexpr const char* kCluster = R"orch(
variable "workers" {
  type    = number
  default = 4
}

provider "ec2" {
  region = "us-east-1"
}

resource "ec2_instance" "node" {
  count         = var.workers + 1
  image_id      = "ami-0c55b159cbfafe1f0"
  instance_type = "m5.2xlarge"
  tags          = { cluster = "cdh" }
  ready_when {
    chef_node = self.private_dns
    timeout   = "15m"
  }
}

resource "etcd_election" "master" {
  name       = "cdh/master"
  candidates = ec2_instance.node[*].private_dns
  depends_on = [any(ec2_instance.node)]
}

resource "chef_node" "member" {
  count    = var.workers + 1
  name     = ec2_instance.node[count.index].private_dns
  run_list = ec2_instance.node[count.index].private_dns == etcd_election.master.leader ? ["role[cdh-master]"] : ["role[cdh-worker]"]
  normal   = { cloudera = { master = etcd_election.master.leader } }
}

resource "chef_converge" "master" {
  nodes      = [etcd_election.master.leader]
  depends_on = [chef_node.member]
  ready_when {
    http    = "http://${etcd_election.master.leader}:7180/api/version"
    timeout = "30m"
  }
}

resource "chef_converge" "worker" {
  count      = var.workers + 1
  nodes      = [ec2_instance.node[count.index].private_dns]
  depends_on = [chef_converge.master]
  rollout {
    canary       = 1
    batch        = "50%"
    max_failures = 1
  }
}

output "master" {
  value = etcd_election.master.leader
}
)orch";

class SimulationTest : public ::testing::Test {
 protected:
  void write(const std::string& text, const std::string& name = "main.orch") {
    std::ofstream(dir.file(name)) << text;
  }

  RunOptions options(bool simulate = true) {
    RunOptions o;
    o.dir = dir.path().string();
    o.simulate = simulate;
    o.schemas = &schemas;
    auto calls = trap_calls;
    o.make_provider = [calls](const std::string& name) -> std::unique_ptr<Provider> {
      if (name == "sim") return std::make_unique<SimProvider>();
      if (name == "ec2") return testing::make_trap_provider(testing::ec2_like_schema(), calls);
      if (name == "chef") return testing::make_trap_provider(testing::chef_like_schema(), calls);
      if (name == "etcd") return testing::make_trap_provider(testing::etcd_like_schema(), calls);
      return nullptr;
    };
    return o;
  }

  std::optional<Plan> plan(Session& s) {
    if (!s.load()) {
      ADD_FAILURE() << summaries(s.diags());
      return std::nullopt;
    }
    auto p = s.plan();
    EXPECT_TRUE(p) << summaries(s.diags());
    return p;
  }

  std::optional<ApplySummary> apply(RunOptions o) {
    Session s(std::move(o));
    auto p = plan(s);
    if (!p) return std::nullopt;
    auto r = s.apply(*p, false, {});
    EXPECT_TRUE(r) << summaries(s.diags());
    return r;
  }

  static std::string output(const ApplySummary& s, const std::string& name) {
    for (const auto& [n, v] : s.outputs)
      if (n == name && v.kind() == ValueKind::String) return v.as_string();
    return "";
  }

  testing::TempDir dir;
  SchemaRegistry schemas = testing::peer_schemas();
  std::shared_ptr<testing::TrapCalls> trap_calls = std::make_shared<testing::TrapCalls>();
};

TEST_F(SimulationTest, RehearsesARealConfigurationWithoutTouchingProviders) {
  write(kCluster);
  {
    Session s(options());
    auto p = plan(s);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->counts().add, 5 + 1 + 5 + 1 + 5);
  }
  auto r = apply(options());
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok()) << (r->failed.empty() ? "" : r->failed[0].second);
  EXPECT_EQ(r->added, 17);
  EXPECT_TRUE(r->simulated);
  EXPECT_EQ(trap_calls->total(), 0) << "a real provider was used";

  // The leader is the first node to be done (its create and its chef_node gate).
  const Timeline& t = r->timeline;
  const TimelineStep* first = nullptr;
  for (const auto& s : t.steps)
    if (s.block == "ec2_instance.node" && (!first || s.finished < first->finished)) first = &s;
  ASSERT_NE(first, nullptr);
  const TimelineStep* election = t.find("etcd_election.master");
  ASSERT_NE(election, nullptr);
  EXPECT_EQ(election->dependency, first->address);
  EXPECT_EQ(election->started, first->finished);
  const std::string label = first->address.substr(first->address.find("node["));
  EXPECT_EQ(output(*r, "master"), "node-" + label.substr(5, label.size() - 6) + ".ec2.internal");

  // Rollout batches: canary, then 50% batches, each after the one before.
  const TimelineStep* canary = t.find("chef_converge.worker[0]");
  const TimelineStep* last = t.find("chef_converge.worker[4]");
  ASSERT_TRUE(canary && last);
  EXPECT_EQ(canary->batch, 0);
  EXPECT_EQ(last->batch, 2);
  EXPECT_GE(last->started, canary->finished);
  EXPECT_NE(last->waited_for.find("rollout batch 3"), std::string::npos) << last->waited_for;
  EXPECT_EQ(r->makespan.count(), t.makespan);
  EXPECT_FALSE(t.critical_path.empty());
  ASSERT_NE(t.find(t.critical_path.back()), nullptr);
  EXPECT_EQ(t.find(t.critical_path.back())->finished, t.makespan);
}

TEST_F(SimulationTest, SimulatedStateIsItsOwn) {
  write(kCluster);
  auto r = apply(options());
  ASSERT_TRUE(r);
  EXPECT_TRUE(fs::exists(dir.path() / ".orch" / "simulate" / "state.json"));
  EXPECT_FALSE(fs::exists(dir.path() / ".orch" / "state.json"));
  EXPECT_TRUE(fs::exists(r->timeline_file));
  EXPECT_NE(r->timeline_file.find("simulate/runs/"), std::string::npos);

  // The election ran when the first machine was up: the other candidates' DNS names were not
  // known yet, so (as with the real provider) it got the known ones, and the next plan
  // completes the list in place; the leader stays.
  {
    Session again(options());
    auto p = plan(again);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->counts().change, 1);
    EXPECT_EQ(p->counts().add + p->counts().destroy, 0);
    const ResourceChange* e = p->find("etcd_election.master");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->action, PlanAction::Update);
    EXPECT_TRUE(e->after.attributes().at("leader").equals(e->before.attributes().at("leader")));
    auto second = again.apply(*p, false, {});
    ASSERT_TRUE(second);
    EXPECT_EQ(second->changed, 1);
  }
  // plan → apply -simulate → plan -simulate: no changes.
  Session again(options());
  auto p = plan(again);
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->has_changes());
  EXPECT_EQ(trap_calls->total(), 0);

  // A change is planned against the simulated state only.
  write(std::string(kCluster) +
        "\nresource \"etcd_key\" \"flag\" {\n  key   = \"/cdh/flag\"\n"
        "  value = \"on\"\n}\n");
  Session changed(options());
  p = plan(changed);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->counts().add, 1);
  EXPECT_EQ(p->counts().change, 0);

  // A plan made in a rehearsal is marked so that `apply FILE` applies it as one.
  EXPECT_EQ(changed.plan_file(*p).options.at("simulate"), "true");
}

TEST_F(SimulationTest, DeterministicForASeed) {
  write(kCluster + std::string("\nsimulate {\n  seed = 5\n}\n"));
  auto a = apply(options());
  ASSERT_TRUE(a);
  EXPECT_EQ(a->timeline.seed, 5u);
  fs::remove_all(dir.path() / ".orch");
  auto b = apply(options());
  ASSERT_TRUE(b);
  ASSERT_EQ(a->timeline.steps.size(), b->timeline.steps.size());
  for (size_t i = 0; i < a->timeline.steps.size(); ++i) {
    EXPECT_EQ(a->timeline.steps[i].address, b->timeline.steps[i].address);
    EXPECT_EQ(a->timeline.steps[i].started, b->timeline.steps[i].started);
    EXPECT_EQ(a->timeline.steps[i].finished, b->timeline.steps[i].finished);
  }
  EXPECT_EQ(output(*a, "master"), output(*b, "master"));

  // Another seed (from the command line, over the block): another world.
  fs::remove_all(dir.path() / ".orch");
  RunOptions o = options();
  o.simulate_seed = 6;
  auto c = apply(o);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->timeline.seed, 6u);
  EXPECT_NE(a->makespan, c->makespan);
}

TEST_F(SimulationTest, ProfileFailuresAndWhatTheyBlocked) {
  write(kCluster);
  std::ofstream(dir.file("fail.yaml")) << "resources:\n  chef_converge:\n    fail_rate: 1\n";
  RunOptions o = options();
  o.simulate_profile = dir.file("fail.yaml");
  auto r = apply(o);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok());
  ASSERT_EQ(r->failed.size(), 1u);
  EXPECT_EQ(r->failed[0].first, "chef_converge.master");
  EXPECT_EQ(r->skipped.size(), 5u);
  const TimelineStep* master = r->timeline.find("chef_converge.master");
  ASSERT_NE(master, nullptr);
  EXPECT_EQ(master->status, "failed");
  EXPECT_EQ(master->blocked.size(), 5u);
  EXPECT_NE(master->error.find("simulated failure of create"), std::string::npos);
}

TEST_F(SimulationTest, ProfileErrorsStopTheRun) {
  write(kCluster);
  std::ofstream(dir.file("bad.yaml")) << "resources:\n  chef_converge:\n    create: later\n";
  RunOptions o = options();
  o.simulate_profile = dir.file("bad.yaml");
  Session s(std::move(o));
  EXPECT_FALSE(s.load());
  EXPECT_TRUE(testing::has_diag(s.diags(), "Invalid simulated duration"));
}

TEST_F(SimulationTest, GateDurationsFromTheProfile) {
  write(kCluster + std::string(R"orch(
simulate {
  resource "ec2_instance" {
    create = "1m"
    gate   = "2m"
  }
}
)orch"));
  auto r = apply(options());
  ASSERT_TRUE(r);
  const TimelineStep* node = r->timeline.find("ec2_instance.node[0]");
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->operation_ms(), 60'000);
  EXPECT_EQ(node->gate_ms(), 120'000);
  const TimelineStep* election = r->timeline.find("etcd_election.master");
  EXPECT_EQ(election->started, 180'000);
}

constexpr const char* kQuickstart = R"orch(
resource "sim_machine" "node" {
  count     = 5
  name      = "node-${count.index}"
  boot_time = "${60 - count.index * 5}s"
}

resource "sim_election" "master" {
  name       = "m"
  candidates = sim_machine.node[*].private_dns
  depends_on = [any(sim_machine.node)]
}

resource "sim_task" "setup" {
  on       = [sim_election.master.leader]
  command  = "setup"
  duration = "1m"
}

resource "sim_task" "worker" {
  count      = 5
  on         = [sim_machine.node[count.index].private_dns]
  command    = "join ${sim_election.master.leader}"
  depends_on = [sim_task.setup]
  rollout {
    canary = 1
    batch  = 2
  }
}

output "master" {
  value = sim_election.master.leader
}
)orch";

TEST_F(SimulationTest, TwinOfSimBehavesLikeSim) {
  write(kQuickstart);
  auto real = apply(options(false));  // sim itself, on the virtual clock
  ASSERT_TRUE(real);
  ASSERT_TRUE(real->ok());
  EXPECT_FALSE(fs::exists(dir.path() / ".orch" / "simulate"));
  EXPECT_TRUE(fs::exists(dir.path() / ".orch" / "sim-world.json"));
  const auto world_before = testing::read_text(dir.file(".orch/sim-world.json"));

  testing::TempDir other;
  std::ofstream(other.file("main.orch")) << kQuickstart;
  RunOptions o = options();
  o.dir = other.path().string();
  auto twin = apply(o);
  ASSERT_TRUE(twin);
  ASSERT_TRUE(twin->ok());
  EXPECT_EQ(twin->makespan, real->makespan);
  EXPECT_EQ(output(*twin, "master"), output(*real, "master"));
  EXPECT_EQ(output(*twin, "master"), "node-4.sim.internal");
  EXPECT_EQ(twin->timeline.critical_path, real->timeline.critical_path);
  EXPECT_FALSE(fs::exists(other.path() / ".orch" / "sim-world.json"));
  EXPECT_EQ(testing::read_text(dir.file(".orch/sim-world.json")), world_before);
}

TEST_F(SimulationTest, PlanEstimateMatchesTheApply) {
  write(kCluster + std::string("\nsimulate {\n  seed = 3\n}\n"));
  Session s(options());
  auto p = plan(s);
  ASSERT_TRUE(p);
  ASSERT_NE(s.simulation(), nullptr);
  PlanSimulation estimate = simulate_plan(*p, schemas, s.simulation()->model());
  auto applied = s.apply(*p, false, {});
  ASSERT_TRUE(applied);
  EXPECT_EQ(estimate.makespan, applied->makespan);
  EXPECT_EQ(estimate.timeline.critical_path, applied->timeline.critical_path);
  ASSERT_FALSE(estimate.critical_path.empty());
  EXPECT_EQ(p->graph.nodes[estimate.critical_path.front()].address.rfind("ec2_instance.node[", 0),
            0u);
  // Provider limits and -parallelism stretch it.
  PlanSimulationOptions one;
  one.parallelism = 1;
  EXPECT_GT(simulate_plan(*p, schemas, s.simulation()->model(), one).makespan,
            estimate.makespan * 3 / 2);
}

TEST_F(SimulationTest, AProviderLimitHoldsBackOnlyTheTypesItCovers) {
  write(kCluster);
  Session s(options());
  auto p = plan(s);
  ASSERT_TRUE(p);
  ASSERT_NE(s.simulation(), nullptr);
  const auto& model = s.simulation()->model();
  const Duration free = simulate_plan(*p, schemas, model).makespan;
  PlanSimulationOptions one_at_a_time;
  one_at_a_time.limits["ec2"].max_concurrency = 1;
  EXPECT_GT(simulate_plan(*p, schemas, model, one_at_a_time).makespan, free);
  // The instances wait on machines, not on the API: exempt, they all boot at once again.
  one_at_a_time.limits["ec2"].exempt_types = {"ec2_instance"};
  EXPECT_EQ(simulate_plan(*p, schemas, model, one_at_a_time).makespan, free);
}

TEST_F(SimulationTest, SeededFromTheRealStateAndReseededWhenItMovesOn) {
  write(kQuickstart);
  ASSERT_TRUE(apply(options(false)));  // real
  const auto real_state = testing::read_text(dir.file(".orch/state.json"));
  {
    Session s(options());
    auto p = plan(s);
    ASSERT_TRUE(p);
    EXPECT_FALSE(p->has_changes()) << "the rehearsal starts from the real state";
  }
  // A rehearsed change stays in the rehearsal.
  std::string more = kQuickstart;
  more.replace(more.find("count     = 5"), 13, "count     = 6");
  write(more);
  auto r = apply(options());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->added, 1);
  EXPECT_EQ(testing::read_text(dir.file(".orch/state.json")), real_state);
  {
    Session real_plan(options(false));
    auto p = plan(real_plan);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->counts().add, 1);
  }
  {
    Session s(options());
    auto p = plan(s);
    ASSERT_TRUE(p);
    EXPECT_FALSE(p->has_changes());
  }
  // The real state moves on (a real apply of something else): the rehearsal starts again
  // from it, so the rehearsed machine is to be added again.
  write(kQuickstart + std::string("\nresource \"sim_machine\" \"extra\" {\n  name = \"x\"\n}\n"));
  ASSERT_TRUE(apply(options(false)));
  write(more + std::string("\nresource \"sim_machine\" \"extra\" {\n  name = \"x\"\n}\n"));
  Session s(options());
  auto p = plan(s);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->counts().add, 1);
  EXPECT_NE(p->find("sim_machine.node[5]"), nullptr);
}

TEST_F(SimulationTest, SimulatedPlansAreRefusedByRealApplies) {
  write(kQuickstart);
  ASSERT_TRUE(apply(options(false)));
  Session s(options());
  auto p = plan(s);
  ASSERT_TRUE(p);
  // The simulated state has a lineage of its own.
  Session real(options(false));
  ASSERT_TRUE(real.load());
  auto applied = real.apply(*p, true, {});
  EXPECT_FALSE(applied);
  EXPECT_TRUE(real.diags().has_errors());
}

TEST_F(SimulationTest, UnreadableRealStateIsAWarning) {
  write(kQuickstart);
  fs::create_directories(dir.path() / ".orch");
  std::ofstream(dir.file(".orch/state.json")) << "{ not json";
  Session s(options());
  ASSERT_TRUE(s.load()) << summaries(s.diags());
  EXPECT_TRUE(testing::has_diag(s.diags(), "Simulating from an empty state"));
  auto p = s.plan();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->counts().add, 12);
  EXPECT_EQ(testing::read_text(dir.file(".orch/state.json")), "{ not json");
}

}  // namespace
}  // namespace orch
