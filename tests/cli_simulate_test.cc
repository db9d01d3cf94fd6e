// End-to-end tests of simulation through the `orch` binary: plan/apply -simulate on the
// quickstart, the report after a simulated apply, `show -timeline`, `graph -critical-path`,
// profiles and their errors.
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include <filesystem>
#include <fstream>

#include "tests/support/orch_process.h"
#include "tests/support/temp_dir.h"

namespace orch {
namespace {

namespace fs = std::filesystem;

class CliSimulate : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::copy(fs::path(ORCH_SOURCE_DIR) / "examples" / "quickstart" / "main.orch",
             dir.path() / "main.orch");
  }
  testing::ProcessResult orch(std::vector<std::string> args) {
    testing::ProcessOptions o;
    o.cwd = dir.path().string();
    o.env["NO_COLOR"] = "1";
    return testing::run_orch_process(args, o);
  }
  testing::TempDir dir;
};

TEST_F(CliSimulate, ApplyThenPlanShowsNoChanges) {
  auto plan = orch({"plan", "-simulate"});
  ASSERT_EQ(plan.exit_code, 0) << plan.out << plan.err;
  // 11 machines, the election, the master's setup; the workers are known after apply.
  EXPECT_NE(plan.out.find("Plan: 13 to add"), std::string::npos);
  EXPECT_NE(plan.out.find("Simulated (seed 1): applying this plan takes about 3m10.5s"),
            std::string::npos)
      << plan.out;

  auto apply = orch({"apply", "-simulate", "-auto-approve"});
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  EXPECT_NE(apply.out.find("Simulated makespan: 3m10.5s (virtual clock, seed 1)"),
            std::string::npos)
      << apply.out;
  EXPECT_NE(apply.out.find("Critical path (6 steps):"), std::string::npos) << apply.out;
  EXPECT_NE(apply.out.find("40s → 40.5s    sim_election.master"), std::string::npos) << apply.out;
  EXPECT_NE(apply.out.find("sim_task.worker: 9 steps by rollout batches, 6m30s in all"),
            std::string::npos)
      << apply.out;
  EXPECT_NE(apply.out.find("Timeline: .orch/simulate/runs/"), std::string::npos) << apply.out;
  EXPECT_FALSE(fs::exists(dir.path() / ".orch" / "state.json"));
  EXPECT_FALSE(fs::exists(dir.path() / ".orch" / "sim-world.json"));

  auto again = orch({"plan", "-simulate", "-detailed-exitcode"});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("No changes."), std::string::npos);
  auto real = orch({"plan", "-detailed-exitcode"});
  EXPECT_EQ(real.exit_code, 2) << real.out << real.err;
}

TEST_F(CliSimulate, ShowTimeline) {
  auto none = orch({"show", "-timeline", "t.svg"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("no apply has been recorded yet"), std::string::npos) << none.err;

  ASSERT_EQ(orch({"apply", "-simulate", "-auto-approve"}).exit_code, 0);
  auto show = orch({"show", "-timeline", "t.svg"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.err.find("simulated apply of 23 steps, makespan 3m10.5s"), std::string::npos)
      << show.err;
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_file(dir.file("t.svg").c_str()));
  EXPECT_EQ(doc.select_nodes("//g[contains(@class,'step')]").size(), 23u);
  EXPECT_EQ(doc.select_nodes("//g[@class='step critical']").size(), 6u);

  auto table = orch({"show", "-timeline", "-"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("held by rollout batch 3 of sim_task.worker"), std::string::npos)
      << table.out;

  auto bad = orch({"show", "-timeline", "t.svg", "main.orch"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("main.orch: not valid JSON"), std::string::npos) << bad.err;
}

TEST_F(CliSimulate, RealAppliesAreRecordedToo) {
  ASSERT_EQ(orch({"apply", "-auto-approve"}).exit_code, 0);  // sim itself: a "real" apply
  auto show = orch({"show", "-timeline", "-"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("Makespan 3m10.5s"), std::string::npos) << show.out;
  EXPECT_FALSE(fs::is_empty(dir.path() / ".orch" / "runs"));
}

TEST_F(CliSimulate, GraphCriticalPathUsesSimulatedDurations) {
  auto g = orch({"graph", "-type=apply", "-critical-path"});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_NE(g.out.find("\"sim_machine.node[0]\" [label = \"sim_machine.node[0] (40s)\", color = "
                       "red"),
            std::string::npos)
      << g.out;
  EXPECT_NE(g.out.find("\"sim_machine.node[10]\" [label = \"sim_machine.node[10] (1m30s)\"]"),
            std::string::npos)
      << g.out;
  // The slowest machine is not on the critical path: the first one up is (any-of).
  EXPECT_EQ(g.out.find("\"sim_machine.node[10]\" [label = \"sim_machine.node[10] (1m30s)\", color"),
            std::string::npos);

  auto blocks = orch({"graph", "-critical-path"});
  ASSERT_EQ(blocks.exit_code, 0) << blocks.err;
  EXPECT_NE(blocks.out.find("\"sim_election.master\" [label = \"sim_election.master (500ms)\", "
                            "color = red"),
            std::string::npos)
      << blocks.out;
}

TEST_F(CliSimulate, ProfilesAndTheirErrors) {
  std::ofstream(dir.file("slow.yaml")) << "seed: 3\nresources:\n  sim_task:\n    create: 2m\n";
  auto apply = orch({"apply", "-simulate-profile", "slow.yaml", "-auto-approve"});
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  EXPECT_NE(apply.out.find("Simulated makespan: 8m40.5s (virtual clock, seed 3)"),
            std::string::npos)
      << apply.out;

  std::ofstream(dir.file("bad.yaml")) << "resources:\n  sim_tsk:\n    create: 2m\n";
  auto bad = orch({"plan", "-simulate-profile", "bad.yaml"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("\"sim_task\"?"), std::string::npos) << bad.err;

  std::ofstream(dir.file("extra.orch"))
      << "simulate {\n  default {\n    create = \"fast\"\n  }\n}\n";
  auto block = orch({"validate"});
  EXPECT_EQ(block.exit_code, 1);
  EXPECT_NE(block.err.find("Invalid simulated duration"), std::string::npos) << block.err;
}

// The providers compiled in for real (ec2, chef, ssh), rehearsed with no credentials, no
// servers and no network: their twins come from their schemas and hints.
TEST_F(CliSimulate, RealProvidersNeedNoCredentials) {
  fs::remove(dir.path() / "main.orch");
  std::ofstream(dir.file("main.orch")) << R"orch(
provider "ec2" {
  region  = "eu-west-1"
  profile = "nobody-has-this-profile"
}

provider "chef" {
  server_url  = "https://chef.invalid/organizations/nowhere"
  client_name = "orch"
  key_file    = "/nonexistent/orch.pem"
}

resource "ec2_instance" "node" {
  count         = 4
  image_id      = "ami-0c55b159cbfafe1f0"
  instance_type = "m5.2xlarge"
}

resource "sim_election" "master" {
  name       = "cdh/master"
  candidates = ec2_instance.node[*].private_dns
  depends_on = [any(ec2_instance.node)]
}

resource "chef_node" "member" {
  count    = 4
  name     = ec2_instance.node[count.index].private_dns
  run_list = ec2_instance.node[count.index].private_dns == sim_election.master.leader ? ["role[master]"] : ["role[worker]"]
}

resource "chef_converge" "master" {
  nodes      = [sim_election.master.leader]
  depends_on = [chef_node.member]
}

resource "chef_converge" "worker" {
  count      = 4
  nodes      = [ec2_instance.node[count.index].private_dns]
  depends_on = [chef_converge.master]
  rollout {
    canary = 1
    batch  = "50%"
  }
}

output "master" {
  value = sim_election.master.leader
}
)orch";
  testing::ProcessOptions o;
  o.cwd = dir.path().string();
  o.env["NO_COLOR"] = "1";
  o.env["HOME"] = dir.path().string();
  o.env["AWS_ACCESS_KEY_ID"] = "";
  o.env["AWS_SECRET_ACCESS_KEY"] = "";
  auto apply = testing::run_orch_process({"apply", "-simulate", "-auto-approve"}, o);
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  EXPECT_NE(apply.out.find("Apply complete! Resources: 14 added"), std::string::npos) << apply.out;
  EXPECT_NE(apply.out.find("Simulated makespan:"), std::string::npos);
  // The first machine up leads (ec2's private DNS names are synthesized from the address).
  EXPECT_NE(apply.out.find("master = \"node-"), std::string::npos) << apply.out;
  EXPECT_NE(apply.out.find(".ec2.internal\""), std::string::npos) << apply.out;
  EXPECT_FALSE(fs::exists(dir.path() / ".orch" / "state.json"));

  // The election got the candidates known when it ran; the next plan completes them, and then
  // nothing is left to do.
  auto plan = testing::run_orch_process({"plan", "-simulate", "-detailed-exitcode"}, o);
  EXPECT_EQ(plan.exit_code, 2) << plan.out << plan.err;
  EXPECT_NE(plan.out.find("Plan: 0 to add, 1 to change, 0 to destroy."), std::string::npos)
      << plan.out;
  ASSERT_EQ(testing::run_orch_process({"apply", "-simulate", "-auto-approve"}, o).exit_code, 0);
  auto again = testing::run_orch_process({"plan", "-simulate", "-detailed-exitcode"}, o);
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
}

}  // namespace
}  // namespace orch
