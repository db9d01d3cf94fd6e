// `orch apply` through the real binary, where timing matters: interrupts (SIGINT once: finish
// what is in flight and stop; twice: abandon it), kill -9 in the middle then a rerun, a second
// concurrent apply refused by the lock, a failure in one branch, and deferred expansion.
//
// Applies that must be caught in the middle run the sim provider on the real clock
// (-simulate=false) with a `command` readiness gate that the test opens by creating a file:
// the gate touches `gate-started` while it waits for `release`, so the test knows, without
// sleeping, that the step is in flight.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/orch_background.h"
#include "tests/support/run_orch.h"
#include "tests/support/temp_dir.h"

namespace orch::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// m (a machine), slow (gated on the release file), after (needs slow), other (independent).
constexpr const char* kGated = R"(resource "sim_machine" "m" {
  name      = "m"
  boot_time = "0s"
}

resource "sim_task" "slow" {
  on       = [sim_machine.m.name]
  command  = "slow"
  duration = "0s"
  ready_when {
    command  = "touch gate-started; test -e release"
    interval = "50ms"
    timeout  = "2m"
  }
}

resource "sim_task" "after" {
  on         = [sim_machine.m.name]
  command    = "after"
  duration   = "0s"
  depends_on = [sim_task.slow]
}

resource "sim_task" "other" {
  on       = [sim_machine.m.name]
  command  = "other"
  duration = "0s"
}
)";

class ApplyTest : public ::testing::Test {
 protected:
  void write(const std::string& text) { write_text(dir_.file("main.orch"), text); }
  std::string path(const std::string& name) const { return dir_.file(name); }
  RunResult orch(const std::string& args) { return run_orch(dir_.path().string(), args); }
  std::vector<std::string> state_list() {
    RunResult r = orch("state list");
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    std::vector<std::string> out;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
  // Objects in the simulated world by the address that created them.
  std::map<std::string, int> world_objects() {
    std::ifstream in(path(".orch/sim-world.json"));
    nlohmann::json j = nlohmann::json::parse(in);
    std::map<std::string, int> out;
    for (auto& [id, o] : j["objects"].items()) ++out[o["address"].get<std::string>()];
    return out;
  }
  int runs_of(const std::string& address) {
    std::ifstream in(path(".orch/sim-world.json"));
    nlohmann::json j = nlohmann::json::parse(in);
    for (auto& [id, o] : j["objects"].items())
      if (o["address"] == address) return o["attributes"]["runs"].get<int>();
    return -1;
  }

  TempDir dir_;
};

TEST_F(ApplyTest, FirstInterruptFinishesWhatIsInFlightAndStartsNothingNew) {
  write(kGated);
  BackgroundOrch apply(dir_.path(), {"apply", "-auto-approve", "-simulate=false"});
  ASSERT_TRUE(wait_for_file(path("gate-started"), 30s)) << apply.out() << apply.err();
  apply.signal(SIGINT);
  ASSERT_TRUE(apply.wait_for_line("Interrupt received", 30s)) << apply.out() << apply.err();
  // The step in flight may finish: open its gate.
  write_text(path("release"), "");
  int code = apply.wait(60s);
  EXPECT_EQ(code, 1) << apply.out() << apply.err();
  const std::string& out = apply.out();
  EXPECT_NE(out.find("waiting for 1 step in flight to finish (interrupt again to abandon them)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("sim_task.slow: Creation complete"), std::string::npos) << out;
  EXPECT_NE(out.find("Apply interrupted."), std::string::npos) << out;
  EXPECT_NE(out.find("skipped: sim_task.after (interrupted)"), std::string::npos) << out;
  // State was written: slow is in it, after is not; the next apply does the rest.
  auto listed = state_list();
  EXPECT_NE(std::find(listed.begin(), listed.end(), "sim_task.slow"), listed.end());
  EXPECT_EQ(std::find(listed.begin(), listed.end(), "sim_task.after"), listed.end());
  RunResult again = orch("apply -auto-approve -simulate=false");
  EXPECT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("sim_task.after: Creation complete"), std::string::npos) << again.out;
  EXPECT_EQ(runs_of("sim_task.slow"), 1);
}

TEST_F(ApplyTest, SecondInterruptAbandonsWhatIsInFlight) {
  write(kGated);
  BackgroundOrch apply(dir_.path(), {"apply", "-auto-approve", "-simulate=false"});
  ASSERT_TRUE(wait_for_file(path("gate-started"), 30s)) << apply.out() << apply.err();
  apply.signal(SIGINT);
  ASSERT_TRUE(apply.wait_for_line("Interrupt received", 30s)) << apply.out() << apply.err();
  apply.signal(SIGINT);
  // The gate never opens: only abandoning ends the run before its 2 minute timeout.
  int code = apply.wait(30s);
  EXPECT_EQ(code, 1) << apply.out() << apply.err();
  const std::string& out = apply.out();
  EXPECT_NE(out.find("Second interrupt: abandoning 1 step in flight"), std::string::npos) << out;
  EXPECT_NE(out.find("failed:  sim_task.slow: abandoned (interrupted while in flight)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("skipped: sim_task.after (interrupted)"), std::string::npos) << out;
  // The state is valid and names what was applied; slow's gate is checked again next time.
  auto listed = state_list();
  EXPECT_NE(std::find(listed.begin(), listed.end(), "sim_task.slow"), listed.end());
  RunResult plan = orch("plan -simulate=false");
  EXPECT_NE(plan.out.find("sim_task.slow is unchanged, but its readiness gate is checked again"),
            std::string::npos)
      << plan.out << plan.err;
}

TEST_F(ApplyTest, KillDuringApplyLeavesValidStateAndTheRerunFinishesWithoutDuplicates) {
  write(kGated);
  BackgroundOrch apply(dir_.path(), {"apply", "-auto-approve", "-simulate=false"});
  ASSERT_TRUE(wait_for_file(path("gate-started"), 30s)) << apply.out() << apply.err();
  apply.signal(SIGKILL);
  EXPECT_EQ(apply.wait(30s), 128 + SIGKILL);

  // The state reads back (snapshot + journal) and holds what finished before the kill.
  auto listed = state_list();
  EXPECT_NE(std::find(listed.begin(), listed.end(), "sim_machine.m"), listed.end());
  EXPECT_NE(std::find(listed.begin(), listed.end(), "sim_task.slow"), listed.end());
  // The plan checks slow's gate again (it never held) and does the rest.
  RunResult plan = orch("plan -simulate=false");
  EXPECT_EQ(plan.code, 0) << plan.out << plan.err;
  EXPECT_NE(plan.out.find("sim_task.slow is unchanged, but its readiness gate is checked again"),
            std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("# sim_task.after will be created"), std::string::npos) << plan.out;

  // The dead holder's lock is taken over; after waits for slow's gate, then runs.
  fs::remove(path("gate-started"));
  BackgroundOrch rerun(dir_.path(), {"apply", "-auto-approve", "-simulate=false"});
  ASSERT_TRUE(wait_for_file(path("gate-started"), 30s)) << rerun.out() << rerun.err();
  EXPECT_EQ(rerun.out().find("sim_task.after: Creation complete"), std::string::npos);
  write_text(path("release"), "");
  EXPECT_EQ(rerun.wait(60s), 0) << rerun.out() << rerun.err();
  EXPECT_NE(rerun.err().find("stale"), std::string::npos) << rerun.err();
  EXPECT_NE(rerun.out().find("sim_task.after: Creation complete"), std::string::npos)
      << rerun.out();
  // One object per address, and the steps done before the kill did not run again.
  for (const auto& [address, count] : world_objects()) EXPECT_EQ(count, 1) << address;
  EXPECT_EQ(world_objects().size(), 4u);
  EXPECT_EQ(runs_of("sim_task.slow"), 1);
  EXPECT_EQ(orch("plan -detailed-exitcode -simulate=false").code, 0);
}

TEST_F(ApplyTest, SecondConcurrentApplyIsRefusedNamingTheHolder) {
  write(kGated);
  BackgroundOrch first(dir_.path(), {"apply", "-auto-approve", "-simulate=false"});
  ASSERT_TRUE(wait_for_file(path("gate-started"), 30s)) << first.out() << first.err();
  RunResult second = orch("apply -auto-approve -simulate=false");
  EXPECT_EQ(second.code, 1) << second.out << second.err;
  EXPECT_NE(second.err.find("Error acquiring the state lock"), std::string::npos) << second.err;
  // Who (user@host), which process, doing what, since when, and how to break it.
  EXPECT_NE(second.err.find("(pid " + std::to_string(first.pid()) + ")"), std::string::npos)
      << second.err;
  EXPECT_NE(second.err.find("orch apply"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("@"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("since 20"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("force-unlock"), std::string::npos) << second.err;
  write_text(path("release"), "");
  EXPECT_EQ(first.wait(60s), 0) << first.out() << first.err();
}

TEST_F(ApplyTest, FailureInOneBranchLeavesTheOthersApplied) {
  write(R"(resource "sim_machine" "a" {
  name      = "a"
  boot_time = "10s"
}

resource "sim_machine" "b" {
  name      = "b"
  boot_time = "20s"
}

resource "sim_task" "bad" {
  on        = [sim_machine.a.name]
  command   = "fails"
  fail_rate = 1
}

resource "sim_task" "after_bad" {
  on         = [sim_machine.a.name]
  command    = "never"
  depends_on = [sim_task.bad]
}

resource "sim_task" "good" {
  on      = [sim_machine.b.name]
  command = "works"
}
)");
  RunResult r = orch("apply -auto-approve");
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("Apply failed. Resources: 3 added, 0 changed, 0 destroyed; 1 failed, 1 "
                       "skipped."),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("failed:  sim_task.bad: sim_task.bad: command failed with exit status 1"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("skipped: sim_task.after_bad (dependency sim_task.bad failed)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("done:    sim_machine.a, sim_machine.b, sim_task.good"), std::string::npos)
      << r.out;
  auto listed = state_list();
  EXPECT_EQ(listed, (std::vector<std::string>{"sim_machine.a", "sim_machine.b", "sim_task.good"}));
}

// The quickstart's shape: workers are every machine but the elected master, known only once
// the election ran.
constexpr const char* kDeferred = R"(resource "sim_machine" "node" {
  count     = 4
  name      = "node-${count.index}"
  boot_time = "${10 + count.index}s"
}

resource "sim_election" "master" {
  name       = "m"
  candidates = sim_machine.node[*].private_dns
  depends_on = [any(sim_machine.node)]
}

resource "sim_task" "worker" {
  for_each = setsubtract(toset(sim_machine.node[*].private_dns), [sim_election.master.leader])
  on       = [each.key]
  command  = "join ${sim_election.master.leader}"
  rollout {
    canary = 1
  }
}

resource "sim_task" "all_joined" {
  on      = [sim_election.master.leader]
  command = "check ${length(sim_task.worker)}"
}
)";

TEST_F(ApplyTest, DeferredForEachIsExpandedDuringApply) {
  write(kDeferred);
  RunResult plan = orch("plan -out=p.plan");
  ASSERT_EQ(plan.code, 0) << plan.out << plan.err;
  EXPECT_NE(plan.out.find("# sim_task.worker[*] will be created: its instances are known after "
                          "apply"),
            std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("(for_each depends on sim_election.master.leader, known after apply; "
                          "at most 4 instances)"),
            std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("Known after apply: the instances of 1 block (at most 4 to add)."),
            std::string::npos)
      << plan.out;
  RunResult show = orch("show -json p.plan");
  auto j = nlohmann::json::parse(show.out);
  ASSERT_EQ(j["deferred_changes"].size(), 1u);
  EXPECT_EQ(j["deferred_changes"][0]["resource_change"]["address"], "sim_task.worker[*]");

  RunResult apply = orch("apply p.plan");
  ASSERT_EQ(apply.code, 0) << apply.out << apply.err;
  EXPECT_NE(apply.out.find("sim_task.worker: 3 instances (for_each known now), 3 to apply"),
            std::string::npos)
      << apply.out;
  // Not on the master (node-0 is up first); all_joined waited for every worker.
  EXPECT_EQ(apply.out.find("sim_task.worker[\"node-0.sim.internal\"]"), std::string::npos)
      << apply.out;
  for (const char* w : {"node-1", "node-2", "node-3"})
    EXPECT_NE(apply.out.find(std::string("sim_task.worker[\"") + w +
                             ".sim.internal\"]: Creation complete"),
              std::string::npos)
        << apply.out;
  size_t joined = apply.out.find("sim_task.all_joined: Creation complete");
  ASSERT_NE(joined, std::string::npos) << apply.out;
  for (const char* w : {"node-1", "node-2", "node-3"})
    EXPECT_LT(apply.out.find(std::string("sim_task.worker[\"") + w + ".sim.internal\"]: Creation"),
              joined)
        << apply.out;
  EXPECT_EQ(orch("plan -detailed-exitcode").code, 0);
  RunResult out = orch("state show sim_task.all_joined");
  EXPECT_NE(out.out.find("check 3"), std::string::npos) << out.out;
}

}  // namespace
}  // namespace orch::testing
