// Tests of `orch validate` through the real binary. Golden cases: each directory under
// tests/golden/validate/ is a module; NAME.out holds the exit status, stdout and stderr of
// `orch validate NAME` and NAME.json the stdout of `orch validate -json NAME` (run from
// tests/golden/validate, so file names are relative). ORCH_UPDATE_GOLDEN=1 rewrites them.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/orch_process.h"

namespace orch {
namespace {

namespace fs = std::filesystem;
using testing::ProcessOptions;
using testing::run_orch_process;

const fs::path kGoldenDir = fs::path(ORCH_SOURCE_DIR) / "tests/golden/validate";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void expect_golden(const fs::path& p, const std::string& actual) {
  const char* update = std::getenv("ORCH_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(p, std::ios::binary) << actual;
    return;
  }
  ASSERT_TRUE(fs::exists(p)) << p << " is missing; run with ORCH_UPDATE_GOLDEN=1 to create it";
  EXPECT_EQ(read_file(p), actual) << "golden mismatch: " << p;
}

ProcessOptions golden_run() {
  ProcessOptions o;
  o.cwd = kGoldenDir.string();
  o.env["NO_COLOR"] = "";  // unset: output goes to pipes anyway, which must not be coloured
  return o;
}

std::vector<std::string> golden_cases() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(kGoldenDir)) {
    if (e.is_directory()) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class ValidateGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(ValidateGolden, TextAndJson) {
  const std::string name = GetParam();
  auto text = run_orch_process({"validate", name}, golden_run());
  expect_golden(kGoldenDir / (name + ".out"),
                "$ orch validate " + name + "\nexit " + std::to_string(text.exit_code) +
                    "\n-- stdout --\n" + text.out + "-- stderr --\n" + text.err);
  auto json = run_orch_process({"validate", "-json", name}, golden_run());
  expect_golden(kGoldenDir / (name + ".json"), json.out);
  EXPECT_EQ(json.err, "");
  EXPECT_EQ(json.exit_code, text.exit_code);
  auto doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc["valid"].get<bool>(), text.exit_code == 0);
  EXPECT_EQ(doc["error_count"].get<int>() > 0, text.exit_code == 1);
  EXPECT_EQ(text.out.find('\033'), std::string::npos);
  EXPECT_EQ(text.err.find('\033'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Golden, ValidateGolden, ::testing::ValuesIn(golden_cases()),
                         [](const auto& info) { return info.param; });

TEST(CliValidate, ValidConfigurationSaysSuccess) {
  auto r = run_orch_process({"validate", (kGoldenDir / "valid").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Success! The configuration is valid.\n");
  EXPECT_EQ(r.err, "");
}

TEST(CliValidate, DefaultsToTheCurrentDirectoryAndAcceptsFiles) {
  ProcessOptions o;
  o.cwd = (kGoldenDir / "valid").string();
  EXPECT_EQ(run_orch_process({"validate"}, o).exit_code, 0);
  EXPECT_EQ(run_orch_process({"--chdir", kGoldenDir.string(), "validate", "valid"}).exit_code, 0);
  // Files stand for their directories (the pre-commit hook passes files).
  auto r = run_orch_process({"validate", (kGoldenDir / "valid/main.orch").string(),
                             (kGoldenDir / "valid/outputs.orch").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto bad = run_orch_process({"validate", (kGoldenDir / "valid/main.orch").string(),
                               (kGoldenDir / "cycle/main.orch").string()});
  EXPECT_EQ(bad.exit_code, 1);
}

TEST(CliValidate, MissingDirectoryIsAnError) {
  auto r = run_orch_process({"validate", "/nonexistent/orch-dir"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("/nonexistent/orch-dir"), std::string::npos) << r.err;
  auto j = run_orch_process({"validate", "-json", "/nonexistent/orch-dir"});
  EXPECT_EQ(j.exit_code, 1);
  EXPECT_FALSE(nlohmann::json::parse(j.out)["valid"].get<bool>());
}

TEST(CliValidate, UsageErrors) {
  auto r = run_orch_process({"validate", "-jsn"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("Did you mean \"-json\"?"), std::string::npos) << r.err;
  auto c = run_orch_process({"valdate"});
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.err.find("Did you mean \"validate\"?"), std::string::npos) << c.err;
}

}  // namespace
}  // namespace orch
