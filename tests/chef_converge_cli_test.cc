// End-to-end: the real `orch` binary converging nodes with chef_converge — through ssh (the test
// sshd running a stand-in chef-client) and then through Push Jobs — against the fake Chef
// Server served from this test process: apply, no changes, a trigger that re-converges.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "tests/fakes/fake_chef.h"
#include "tests/fakes/fake_chef_push.h"
#include "tests/support/chef_client_stub.h"
#include "tests/support/run_orch.h"
#include "tests/support/sshd.h"
#include "tests/support/temp_dir.h"

namespace orch::testing {
namespace {

namespace fs = std::filesystem;
using fakes::Json;

const std::string kChefData = ORCH_SOURCE_DIR "/tests/testdata/chef/";

class ChefConvergeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = TestSshd::unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
    fake.add_client("orch-ci", read_text(kChefData + "test_client.pub"));
    push = fakes::add_push_jobs(fake);
    fake.with_store([](fakes::FakeChefStore& s) {
      for (const char* n : {"web1", "web2", "db1"})
        s.nodes[n] = Json{{"name", n},
                          {"chef_environment", "_default"},
                          {"json_class", "Chef::Node"},
                          {"chef_type", "node"},
                          {"run_list", Json::array()},
                          {"normal", Json::object()},
                          {"default", Json::object()},
                          {"override", Json::object()},
                          {"automatic", {{"ohai_time", 1.6e9}}}};
      ++s.generation;
    });
    fs::create_directories(dir.path() / "bin");
    fs::create_directories(dir.path() / "ctl");
    ASSERT_TRUE(write_script(dir.file("bin/chef-client"),
                             stand_in_chef_client(dir.file("ctl"), fake.server().port())));
    TestSshd::Options o;
    o.path_prefix = {dir.file("bin")};
    sshd = std::make_unique<TestSshd>(o);
    std::string err;
    ASSERT_TRUE(sshd->start(&err)) << err;
    fs::create_directories(dir.path() / "cfg");
  }

  void write_config(const std::string& role) {
    std::ostringstream f;
    f << "provider \"chef\" {\n"
      << "  server_url  = \"" << fake.url() << "\"\n"
      << "  client_name = \"orch-ci\"\n"
      << "  key_file    = \"" << kChefData << "test_client.pem\"\n"
      << "}\n\n"
      << "resource \"chef_converge\" \"web\" {\n"
      << "  nodes    = [\"web1\", \"web2\"]\n"
      << "  triggers = { run_list = [\"" << role << "\"] }\n"
      << "  ssh_options = {\n";
    for (const auto& [k, v] : sshd->client_options()) f << "    " << k << " = \"" << v << "\"\n";
    f << "  }\n}\n\n"
      << "resource \"chef_converge\" \"db\" {\n"
      << "  nodes      = [\"db1\"]\n"
      << "  via        = \"push\"\n"
      << "  depends_on = [chef_converge.web]\n"
      << "}\n";
    write_text(dir.file("cfg/main.orch"), f.str());
  }

  RunResult orch(const std::string& args) {
    RunResult r = run_orch(dir.file("cfg"), args);
    if (std::getenv("ORCH_TEST_SHOW")) std::cout << "$ orch " << args << "\n" << r.out << r.err;
    return r;
  }

  double ohai_time(const std::string& node) {
    auto n = fake.node(node);
    return n ? (*n)["automatic"].value("ohai_time", 0.0) : 0.0;
  }

  fakes::FakeChef fake;
  std::shared_ptr<fakes::FakePushJobs> push;
  TempDir dir;
  std::unique_ptr<TestSshd> sshd;
};

TEST_F(ChefConvergeCli, ApplyNoChangesAndTrigger) {
  write_config("role[web]");
  RunResult first = orch("apply -auto-approve -no-color");
  ASSERT_EQ(first.code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("Apply complete! Resources: 2 added"), std::string::npos) << first.out;
  for (const char* n : {"web1", "web2", "db1"}) EXPECT_GT(ohai_time(n), 1.6e9) << n;
  EXPECT_EQ(push->jobs_started(), 1u);

  RunResult again = orch("plan -detailed-exitcode -no-color");
  EXPECT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("No changes."), std::string::npos) << again.out;

  const double before = ohai_time("web1");
  write_config("role[web-v2]");
  RunResult plan = orch("plan -no-color");
  EXPECT_NE(plan.out.find("chef_converge.web will be updated in-place"), std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("(because a trigger value changed)"), std::string::npos) << plan.out;
  EXPECT_EQ(plan.out.find("chef_converge.db will"), std::string::npos) << plan.out;
  RunResult second = orch("apply -auto-approve -no-color");
  ASSERT_EQ(second.code, 0) << second.out << second.err;
  EXPECT_GT(ohai_time("web1"), before);
  EXPECT_EQ(push->jobs_started(), 1u);  // db had no reason to converge again
}

TEST_F(ChefConvergeCli, FailedConvergeStopsItsDependents) {
  write_config("role[web]");
  write_text(dir.file("ctl/fail-web2"), "");
  RunResult r = orch("apply -auto-approve -no-color");
  EXPECT_NE(r.code, 0);
  const std::string all = r.out + r.err;
  EXPECT_NE(all.find("the converge failed on 1 of 2 nodes (max_failures = 0)"), std::string::npos)
      << all;
  EXPECT_NE(all.find("web2: exit code 1 (log: .orch/logs/chef_converge.web/web2.log)"),
            std::string::npos)
      << all;
  EXPECT_TRUE(fs::exists(dir.file("cfg/.orch/logs/chef_converge.web/web2.log")));
  EXPECT_EQ(push->jobs_started(), 0u);  // db depends on web: never started
  EXPECT_EQ(ohai_time("db1"), 1.6e9);
}

}  // namespace
}  // namespace orch::testing
