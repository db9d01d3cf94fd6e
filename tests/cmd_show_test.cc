// `orch show` without a plan file: the state as people read it (instances with ids and
// attributes, statuses, outputs), sensitive values redacted, without evaluating the
// configuration.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/run_orch.h"
#include "tests/support/temp_dir.h"

namespace orch::testing {
namespace {

constexpr const char* kConfig = R"(variable "secret" {
  type      = string
  sensitive = true
  default   = "hunter2-never-shown"
}

resource "sim_machine" "db" {
  name = "db"
  tags = { password = var.secret, role = "db" }
}

resource "sim_task" "setup" {
  on      = [sim_machine.db.name]
  command = "setup"
}

output "db_dns" {
  value = sim_machine.db.private_dns
}

output "secret" {
  value     = var.secret
  sensitive = true
}
)";

TEST(CmdShowTest, StateIsPrintedWithIdsAndSensitiveValuesRedacted) {
  TempDir dir;
  write_text(dir.file("main.orch"), kConfig);
  RunResult empty = run_orch(dir.path().string(), "show");
  EXPECT_EQ(empty.code, 0) << empty.err;
  EXPECT_NE(empty.out.find("The state is empty"), std::string::npos) << empty.out;

  RunResult apply = run_orch(dir.path().string(), "apply -auto-approve");
  ASSERT_EQ(apply.code, 0) << apply.out << apply.err;
  // The configuration is not needed (nor evaluated) to show the state.
  std::filesystem::rename(dir.file("main.orch"), dir.file("main.orch.off"));
  RunResult show = run_orch(dir.path().string(), "show");
  ASSERT_EQ(show.code, 0) << show.out << show.err;
  const std::string& out = show.out;
  EXPECT_NE(out.find("# State: 2 instances, serial "), std::string::npos) << out;
  EXPECT_NE(out.find("# sim_machine.db:\nresource \"sim_machine\" \"db\" {"), std::string::npos)
      << out;
  EXPECT_NE(out.find("  id          = \"m-"), std::string::npos) << out;
  EXPECT_NE(out.find("private_dns = \"db.sim.internal\""), std::string::npos) << out;
  EXPECT_NE(out.find("# sim_task.setup:"), std::string::npos) << out;
  EXPECT_LT(out.find("# sim_machine.db:"), out.find("# sim_task.setup:")) << out;
  EXPECT_NE(out.find("Outputs:\n\ndb_dns = \"db.sim.internal\"\nsecret = (sensitive value)"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("hunter2"), std::string::npos) << out;

  RunResult json = run_orch(dir.path().string(), "show -json");
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_NE(json.out.find("\"address\": \"sim_machine.db\""), std::string::npos) << json.out;
  EXPECT_EQ(json.out.find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace orch::testing
