// End-to-end: the real `orch` binary in temporary directories on the sim provider.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;

struct CmdResult {
  int code = -1;
  std::string out;
};

class CliE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("orch_e2e_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write_config("small", "debian-12", true);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write_config(const std::string& size, const std::string& image, bool with_task) {
    std::ofstream f(dir_ / "main.orch");
    f << "variable \"n\" {\n  type    = number\n  default = 3\n}\n\n"
      << "resource \"sim_machine\" \"node\" {\n  count = var.n\n  name  = \"node-${count.index}\"\n"
      << "  size  = \"" << size << "\"\n  image = \"" << image << "\"\n}\n";
    if (with_task)
      f << "\nresource \"sim_task\" \"setup\" {\n  on      = sim_machine.node[*].private_dns\n"
        << "  command = \"setup\"\n}\n";
  }

  CmdResult orch(const std::string& args) {
    std::string cmd = "cd '" + dir_.string() + "' && '" + ORCH_BINARY + "' " + args +
                      " </dev/null 2>&1";
    CmdResult r;
    FILE* p = ::popen(cmd.c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    int status = ::pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }

  fs::path dir_;
};

TEST_F(CliE2E, PlanApplyThenNoChanges) {
  CmdResult plan = orch("plan -out=p.plan");
  ASSERT_EQ(plan.code, 0) << plan.out;
  EXPECT_NE(plan.out.find("Plan: 4 to add, 0 to change, 0 to destroy."), std::string::npos)
      << plan.out;
  CmdResult apply = orch("apply p.plan");
  ASSERT_EQ(apply.code, 0) << apply.out;
  EXPECT_NE(apply.out.find("Apply complete! Resources: 4 added, 0 changed, 0 destroyed."),
            std::string::npos)
      << apply.out;
  EXPECT_NE(apply.out.find("sim_machine.node[2]: Creation complete after 40s"), std::string::npos)
      << apply.out;
  EXPECT_NE(apply.out.find("Simulated makespan:"), std::string::npos);
  CmdResult again = orch("plan -detailed-exitcode");
  EXPECT_EQ(again.code, 0) << again.out;
  EXPECT_NE(again.out.find("No changes. Your infrastructure matches the configuration."),
            std::string::npos)
      << again.out;
}

TEST_F(CliE2E, UpdateReplaceDeleteAndDetailedExitcode) {
  ASSERT_EQ(orch("apply -auto-approve").code, 0);
  write_config("large", "debian-12", true);
  CmdResult upd = orch("plan -detailed-exitcode");
  EXPECT_EQ(upd.code, 2) << upd.out;
  EXPECT_NE(upd.out.find("~ size = \"small\" -> \"large\""), std::string::npos) << upd.out;
  EXPECT_NE(upd.out.find("0 to add, 3 to change, 0 to destroy"), std::string::npos) << upd.out;

  write_config("small", "debian-13", true);
  CmdResult rep = orch("plan");
  EXPECT_NE(rep.out.find("must be replaced"), std::string::npos) << rep.out;
  EXPECT_NE(rep.out.find("# forces replacement"), std::string::npos) << rep.out;

  write_config("small", "debian-12", false);
  CmdResult del = orch("apply -auto-approve");
  EXPECT_EQ(del.code, 0) << del.out;
  EXPECT_NE(del.out.find("(because sim_task.setup is not in configuration)"), std::string::npos)
      << del.out;
  EXPECT_NE(del.out.find("0 added, 0 changed, 1 destroyed"), std::string::npos) << del.out;
}

TEST_F(CliE2E, StalePlanRefused) {
  ASSERT_EQ(orch("plan -out=old.plan").code, 0);
  ASSERT_EQ(orch("apply -auto-approve").code, 0);
  CmdResult r = orch("apply old.plan");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("Saved plan is"), std::string::npos) << r.out;
}

TEST_F(CliE2E, ApplyWithoutTerminalNeedsAutoApprove) {
  CmdResult r = orch("apply");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("-auto-approve"), std::string::npos) << r.out;
}

TEST_F(CliE2E, DriftInWorldFileIsRepaired) {
  ASSERT_EQ(orch("apply -auto-approve").code, 0);
  fs::path world = dir_ / ".orch" / "sim-world.json";
  ASSERT_TRUE(fs::exists(world));
  std::ifstream in(world);
  nlohmann::json j = nlohmann::json::parse(in);
  in.close();
  // Delete every machine object named node-1 from the world, wherever the file keeps it.
  std::function<void(nlohmann::json&)> scrub = [&](nlohmann::json& v) {
    if (v.is_object()) {
      for (auto it = v.begin(); it != v.end();) {
        if (it->is_object() && it->contains("name") && (*it)["name"] == "node-1")
          it = v.erase(it);
        else {
          scrub(*it);
          ++it;
        }
      }
    } else if (v.is_array()) {
      for (size_t i = 0; i < v.size();) {
        if (v[i].is_object() && v[i].contains("name") && v[i]["name"] == "node-1")
          v.erase(i);
        else
          scrub(v[i++]);
      }
    }
  };
  scrub(j);
  std::ofstream(world) << j.dump();
  CmdResult plan = orch("plan");
  EXPECT_NE(plan.out.find("# sim_machine.node[1] has"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("outside orch"), std::string::npos) << plan.out;
  ASSERT_EQ(orch("apply -auto-approve").code, 0);
  EXPECT_EQ(orch("plan -detailed-exitcode").code, 0);
}

TEST_F(CliE2E, ShowJsonAndMarkdownOfSavedPlan) {
  ASSERT_EQ(orch("plan -out=p.plan").code, 0);
  CmdResult js = orch("show -json p.plan");
  ASSERT_EQ(js.code, 0) << js.out;
  auto j = nlohmann::json::parse(js.out);
  EXPECT_EQ(j["format_version"], "1.0");
  EXPECT_EQ(j["resource_changes"].size(), 4u);
  EXPECT_TRUE(j["graph"]["nodes"].size() >= 4u);
  CmdResult md = orch("show -markdown p.plan");
  EXPECT_NE(md.out.find("<details><summary>Create (4)</summary>"), std::string::npos) << md.out;
  // Determinism: planning twice gives byte-identical JSON.
  EXPECT_EQ(orch("plan -json").out, orch("plan -json").out);
}

}  // namespace
