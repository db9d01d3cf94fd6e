// Tests of the local provider (providers/local/local_provider.h): local_command steps run for
// real on the event loop, in dependency order and in parallel; failures; re-runs; simulation.
#include "providers/local/local_provider.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "planner/run.h"
#include "providers/registry.h"
#include "tests/support/config_fixture.h"
#include "tests/support/temp_dir.h"

namespace orch {
namespace {

namespace fs = std::filesystem;

class LocalProviderTest : public ::testing::Test {
 protected:
  RunOptions options(bool simulate = false) {
    RunOptions o;
    o.dir = dir.path().string();
    o.simulate = simulate;
    o.schemas = &schemas;
    o.make_provider = [](const std::string& name) { return make_provider(name); };
    return o;
  }
  std::optional<ApplySummary> apply(bool simulate = false) {
    Session s(options(simulate));
    if (!s.load()) {
      ADD_FAILURE() << testing::summaries(s.diags());
      return std::nullopt;
    }
    auto p = s.plan();
    if (!p) {
      ADD_FAILURE() << testing::summaries(s.diags());
      return std::nullopt;
    }
    return s.apply(*p, false, {});
  }
  void write(const std::string& text) { std::ofstream(dir.file("main.orch")) << text; }

  testing::TempDir dir;
  SchemaRegistry schemas = builtin_schemas();
};

TEST_F(LocalProviderTest, RunsCommandsInOrderAndInParallel) {
  write(R"orch(
resource "local_command" "first" {
  command = "sleep 0.3; echo first > first.txt"
}
resource "local_command" "after" {
  count      = 4
  command    = "test -f first.txt && sleep 0.5 && echo ${count.index} > after-${count.index}.txt"
  depends_on = [local_command.first]
}
)orch");
  const auto t0 = std::chrono::steady_clock::now();
  auto r = apply();
  const auto wall = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->ok()) << (r->failed.empty() ? "" : r->failed[0].second);
  EXPECT_FALSE(r->simulated);
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(fs::exists(dir.file("after-" + std::to_string(i) + ".txt")));
  // 0.3 s then four 0.5 s commands at once: well under the 2.3 s a sequential run takes.
  EXPECT_LT(std::chrono::duration<double>(wall).count(), 2.0);
  EXPECT_GE(r->timeline.makespan, 800);
  EXPECT_EQ(r->timeline.find("local_command.after[2]")->dependency, "local_command.first");
  EXPECT_FALSE(r->timeline_file.empty());
  EXPECT_NE(r->timeline_file.find(".orch/runs/"), std::string::npos);
}

TEST_F(LocalProviderTest, FailuresReportTheExitAndOutput) {
  write(R"orch(
resource "local_command" "bad" {
  command = "echo cannot reach the master >&2; exit 3"
}
resource "local_command" "next" {
  command    = "true"
  depends_on = [local_command.bad]
}
)orch");
  auto r = apply();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->failed.size(), 1u);
  EXPECT_NE(r->failed[0].second.find("exit code 3 (expected 0): cannot reach the master"),
            std::string::npos)
      << r->failed[0].second;
  ASSERT_EQ(r->skipped.size(), 1u);
  EXPECT_EQ(r->timeline.find("local_command.bad")->blocked,
            std::vector<std::string>{"local_command.next"});
}

TEST_F(LocalProviderTest, TriggersRunItAgain) {
  write(
      "resource \"local_command\" \"c\" {\n  command  = \"echo x >> log\"\n"
      "  triggers = { v = \"1\" }\n}\n");
  ASSERT_TRUE(apply());
  {
    Session s(options());
    ASSERT_TRUE(s.load());
    auto p = s.plan();
    ASSERT_TRUE(p);
    EXPECT_FALSE(p->has_changes());
  }
  write(
      "resource \"local_command\" \"c\" {\n  command  = \"echo x >> log\"\n"
      "  triggers = { v = \"2\" }\n}\n");
  auto r = apply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->changed, 1);
  EXPECT_EQ(testing::read_text(dir.file("log")), "x\nx\n");
}

TEST_F(LocalProviderTest, SimulatedCommandsDoNotRun) {
  write("resource \"local_command\" \"c\" {\n  command = \"touch ran\"\n}\n");
  auto r = apply(true);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok());
  EXPECT_TRUE(r->simulated);
  EXPECT_FALSE(fs::exists(dir.file("ran")));
  EXPECT_GT(r->makespan.count(), 10'000);  // "command": a guessed run time of minutes
}

}  // namespace
}  // namespace orch
