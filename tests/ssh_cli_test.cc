// End-to-end: the real `orch` binary applying ssh_command against the test sshd: first run,
// no changes, re-run on a trigger, added hosts only, and a failure's report.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "tests/support/run_orch.h"
#include "tests/support/sshd.h"
#include "tests/support/temp_dir.h"

namespace orch {
namespace {

using testing::read_text;
using testing::RunResult;
using testing::TempDir;
using testing::TestSshd;

class SshCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = TestSshd::unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
    std::string err;
    ASSERT_TRUE(sshd.start(&err)) << err;
  }

  void write_config(int hosts, const std::string& version, const std::string& command) {
    std::ostringstream f;
    f << "provider \"ssh\" {\n  options = {\n";
    for (const auto& [k, v] : sshd.client_options()) f << "    " << k << " = \"" << v << "\"\n";
    f << "  }\n}\n\n"
      << "resource \"ssh_command\" \"hello\" {\n"
      << "  hosts    = [for i in range(" << hosts << ") : \"node${i}\"]\n"
      << "  command  = \"" << command << "\"\n"
      << "  triggers = { version = \"" << version << "\" }\n"
      << "}\n\n"
      << "output \"codes\" {\n  value = ssh_command.hello.exit_codes\n}\n";
    testing::write_text(dir.file("main.orch"), f.str());
  }

  RunResult orch(const std::string& args) {
    RunResult r = testing::run_orch(dir.path().string(), args);
    if (std::getenv("ORCH_TEST_SHOW")) std::cout << "$ orch " << args << "\n" << r.out << r.err;
    return r;
  }

  size_t runs() const {
    std::string marks = read_text(dir.file("marks"));
    return static_cast<size_t>(std::count(marks.begin(), marks.end(), '\n'));
  }

  std::string mark_command() const { return "echo $ORCH_HOST >> " + dir.file("marks"); }

  TestSshd sshd;
  TempDir dir;
};

TEST_F(SshCli, ApplyNoChangesTriggerAndNewHosts) {
  write_config(3, "1", mark_command());
  RunResult first = orch("apply -auto-approve -no-color");
  ASSERT_EQ(first.code, 0) << first.out << first.err;
  EXPECT_EQ(runs(), 3u);
  EXPECT_NE(first.out.find("Apply complete! Resources: 1 added"), std::string::npos) << first.out;

  RunResult again = orch("plan -detailed-exitcode -no-color");
  EXPECT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("No changes."), std::string::npos) << again.out;

  write_config(3, "2", mark_command());
  RunResult plan = orch("plan -no-color");
  ASSERT_EQ(plan.code, 0) << plan.out << plan.err;
  EXPECT_NE(plan.out.find("(because a trigger value changed)"), std::string::npos) << plan.out;
  ASSERT_EQ(orch("apply -auto-approve -no-color").code, 0);
  EXPECT_EQ(runs(), 6u);

  write_config(4, "2", mark_command());
  RunResult grow = orch("plan -no-color");
  EXPECT_NE(grow.out.find("+ \"node3\""), std::string::npos) << grow.out;
  ASSERT_EQ(orch("apply -auto-approve -no-color").code, 0);
  EXPECT_EQ(runs(), 7u);
  EXPECT_EQ(read_text(dir.file("marks")).substr(read_text(dir.file("marks")).rfind("node")),
            "node3\n");
}

TEST_F(SshCli, FailureIsReportedWithTheTailAndTheLog) {
  write_config(2, "1", "echo step one; echo it broke on $ORCH_HOST >&2; exit 4");
  RunResult r = orch("apply -auto-approve -no-color");
  EXPECT_NE(r.code, 0);
  const std::string all = r.out + r.err;
  EXPECT_NE(all.find("the command failed on 2 of 2 hosts (max_failures = 0)"), std::string::npos)
      << all;
  EXPECT_NE(all.find("node0: exit code 4 (log: .orch/logs/ssh_command.hello/node0.log)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("| it broke on node1"), std::string::npos) << all;
  EXPECT_NE(read_text(dir.file(".orch/logs/ssh_command.hello/node1.log")).find("step one"),
            std::string::npos);
}

}  // namespace
}  // namespace orch
