// When the planner reads a data source (planner/run.cc): at plan time, unless one of its
// dependencies (depends_on or a reference) has changes in the plan, creates and updates as well
// as the deletes of instances the configuration no longer has; then it is read during apply,
// after them. Checked through `orch plan|apply -simulate` with chef_search (the chef provider's
// simulated twin), so that no server is needed.
#include <gtest/gtest.h>

#include "tests/support/orch_process.h"
#include "tests/support/temp_dir.h"

namespace orch {
namespace {

using testing::ProcessResult;

const char* kConfig = R"(variable "n" {
  type    = number
  default = 2
}

resource "chef_node" "web" {
  count = var.n
  name  = "web-${count.index}"
  tags  = ["web"]
}

data "chef_search" "web" {
  index      = "node"
  query      = "tags:web"
  depends_on = [chef_node.web]
}

data "chef_search" "db" {
  index = "node"
  query = "tags:db"
}

resource "chef_role" "lb" {
  name               = "lb"
  default_attributes = { backends = data.chef_search.web.total, dbs = data.chef_search.db.total }
}
)";

class PlanDataRead : public ::testing::Test {
 protected:
  void SetUp() override { testing::write_text(dir.file("main.orch"), kConfig); }
  ProcessResult orch(std::vector<std::string> args) {
    testing::ProcessOptions o;
    o.cwd = dir.path().string();
    o.env["NO_COLOR"] = "1";
    o.env["HOME"] = dir.path().string();
    return testing::run_orch_process(args, o);
  }
  testing::TempDir dir;
};

TEST_F(PlanDataRead, DeferredWhileADependencyChanges) {
  ProcessResult first = orch({"plan", "-simulate"});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("# data.chef_search.web will be read during apply\n"
                           "  # (because it depends on resources with changes in this plan)"),
            std::string::npos)
      << first.out;
  // No dependency with changes: read now.
  EXPECT_EQ(first.out.find("data.chef_search.db will be read"), std::string::npos) << first.out;

  ProcessResult json = orch({"plan", "-simulate", "-json"});
  EXPECT_NE(json.out.find("\"action_reason\": \"read_because_dependency_pending\""),
            std::string::npos)
      << json.out;

  ASSERT_EQ(orch({"apply", "-simulate", "-auto-approve"}).exit_code, 0);
  ProcessResult same = orch({"plan", "-simulate", "-detailed-exitcode"});
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  EXPECT_NE(same.out.find("No changes."), std::string::npos) << same.out;

  // An instance the configuration no longer has is deleted in this plan: a pending change too.
  ProcessResult fewer = orch({"plan", "-simulate", "-var", "n=1"});
  ASSERT_EQ(fewer.exit_code, 0) << fewer.out << fewer.err;
  EXPECT_NE(fewer.out.find("chef_node.web[1] will be destroyed"), std::string::npos) << fewer.out;
  EXPECT_NE(fewer.out.find("data.chef_search.web will be read during apply"), std::string::npos)
      << fewer.out;
}

}  // namespace
}  // namespace orch
