// The scale benchmark's configuration (bench/scale/main.orch) stays valid, formatted and
// simulable: a small cluster through `orch apply -simulate`, twice with the same seed.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "tests/support/orch_process.h"
#include "tests/support/temp_dir.h"

namespace orch {
namespace {

namespace fs = std::filesystem;

class BenchScaleConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::copy(fs::path(ORCH_SOURCE_DIR) / "bench" / "scale" / "main.orch", dir.path() / "main.orch");
  }
  testing::ProcessResult orch(std::vector<std::string> args) {
    testing::ProcessOptions o;
    o.cwd = dir.path().string();
    o.env["NO_COLOR"] = "1";
    o.env["HOME"] = dir.path().string();
    o.env["AWS_ACCESS_KEY_ID"] = "";
    o.env["AWS_SECRET_ACCESS_KEY"] = "";
    return testing::run_orch_process(args, o);
  }
  static std::string makespan(const std::string& out) {
    std::smatch m;
    static const std::regex re("Simulated makespan: ([^ ]+)");
    return std::regex_search(out, m, re) ? m[1].str() : "";
  }
  testing::TempDir dir;
};

TEST_F(BenchScaleConfig, ValidFormattedAndSimulated) {
  auto v = orch({"validate"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  auto f = orch({"fmt", "-check"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;

  // 250 nodes: 250 instances + election + 250 Chef nodes + master converge + 3 racks.
  auto a =
      orch({"apply", "-simulate", "-simulate-seed", "3", "-auto-approve", "-var", "nodes=250"});
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  EXPECT_NE(a.out.find("Apply complete! Resources: 505 added"), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("master = \"node-"), std::string::npos) << a.out;
  const std::string first = makespan(a.out);
  ASSERT_FALSE(first.empty()) << a.out;

  fs::remove_all(dir.path() / ".orch");
  auto again =
      orch({"apply", "-simulate", "-simulate-seed", "3", "-auto-approve", "-var", "nodes=250"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(makespan(again.out), first) << "same seed, same makespan";
}

}  // namespace
}  // namespace orch
