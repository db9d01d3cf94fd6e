// Tests of `orch fmt` through the real binary: stdin/stdout, -check, -diff, -write, -list,
// -recursive, syntax errors, usage errors.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/support/orch_process.h"

namespace orch {
namespace {

namespace fs = std::filesystem;
using testing::ProcessOptions;
using testing::run_orch_process;

const std::string kUgly = "resource \"sim_machine\" \"a\"{\n    name=\"a\"\n    image = \"x\"\n}\n";
const std::string kPretty =
    "resource \"sim_machine\" \"a\" {\n  name  = \"a\"\n  image = \"x\"\n}\n";

class CliFmt : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "orch-fmt-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  static std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  ProcessOptions in_dir() const {
    ProcessOptions o;
    o.cwd = dir_.string();
    return o;
  }

  fs::path dir_;
};

TEST_F(CliFmt, StdinToStdout) {
  ProcessOptions o;
  o.stdin_text = kUgly;
  auto r = run_orch_process({"fmt", "-"}, o);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, kPretty);
  EXPECT_EQ(r.err, "");
}

TEST_F(CliFmt, CheckExitsThreeAndChangesNothing) {
  std::string ugly = write("main.orch", kUgly);
  write("ok.orch", kPretty);
  auto r = run_orch_process({"fmt", "-check"}, in_dir());
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "main.orch\n");  // only the file that would change
  EXPECT_EQ(read(ugly), kUgly);
  // Double-dash spelling is the same flag.
  EXPECT_EQ(run_orch_process({"fmt", "--check"}, in_dir()).exit_code, 3);
}

TEST_F(CliFmt, WritesAndListsThenNothingToDo) {
  std::string path = write("main.orch", kUgly);
  auto r = run_orch_process({"fmt"}, in_dir());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "main.orch\n");
  EXPECT_EQ(read(path), kPretty);
  auto again = run_orch_process({"fmt", "-check"}, in_dir());
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(again.out, "");
}

TEST_F(CliFmt, DiffIsUnified) {
  std::string path = write("main.orch", kUgly);
  auto r = run_orch_process({"fmt", "-diff", "-check", path});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.out.find("--- old/" + path + "\n+++ new/" + path + "\n@@ -1,4 +1,4 @@\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("-resource \"sim_machine\" \"a\"{\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("+resource \"sim_machine\" \"a\" {\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" }\n"), std::string::npos) << r.out;  // unchanged context line
  EXPECT_EQ(r.out.find('\033'), std::string::npos);           // no colour into a pipe
  EXPECT_EQ(read(path), kUgly);
}

TEST_F(CliFmt, WriteFalseListFalsePrintsResults) {
  std::string path = write("main.orch", kUgly);
  auto r = run_orch_process({"fmt", "-write=false", "-list=false", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, kPretty);
  EXPECT_EQ(read(path), kUgly);
  auto listed = run_orch_process({"fmt", "--write=false", path});
  EXPECT_EQ(listed.out, path + "\n");
  EXPECT_EQ(read(path), kUgly);
}

TEST_F(CliFmt, RecursiveOnlyWhenAskedAndHiddenDirectoriesSkipped) {
  write("top.orch", kPretty);
  std::string sub = write("sub/deep.orch", kUgly);
  write(".orch/cache.orch", kUgly);
  EXPECT_EQ(run_orch_process({"fmt", "-check"}, in_dir()).exit_code, 0);
  auto r = run_orch_process({"fmt", "-check", "-recursive"}, in_dir());
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "sub/deep.orch\n");
}

TEST_F(CliFmt, SyntaxErrorsAreReportedAndTheFileIsLeftAlone) {
  const std::string broken = "resource \"a\" \"b\" {\n  x = [1, 2\n}\n";
  std::string path = write("bad.orch", broken);
  write("good.orch", kUgly);
  auto r = run_orch_process({"fmt"}, in_dir());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.orch:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("error:"), std::string::npos) << r.err;
  EXPECT_EQ(read(path), broken);
  // The other file was still formatted.
  EXPECT_EQ(read((dir_ / "good.orch").string()), kPretty);
}

TEST_F(CliFmt, MissingPathAndWrongExtension) {
  auto r = run_orch_process({"fmt", "-check", (dir_ / "nope.orch").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("No file or directory"), std::string::npos) << r.err;
  std::string yaml = write("vars.yaml", "a: 1\n");
  auto y = run_orch_process({"fmt", yaml});
  EXPECT_EQ(y.exit_code, 2);
  EXPECT_EQ(read(yaml), "a: 1\n");
}

TEST_F(CliFmt, UnknownFlagIsAUsageErrorWithASuggestion) {
  auto r = run_orch_process({"fmt", "-chek"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown flag -chek"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Did you mean \"-check\"?"), std::string::npos) << r.err;
}

TEST_F(CliFmt, HelpShowsSingleDashFlags) {
  auto r = run_orch_process({"fmt", "-help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("-check"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("--check"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace orch
