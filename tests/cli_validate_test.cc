// Tests of `orch validate` through the real binary. Golden cases: each directory under
// tests/golden/validate/ is a module; NAME.out holds the exit status, stdout and stderr of
// `orch validate NAME` and NAME.json the stdout of `orch validate -json NAME` (run from
// tests/golden/validate, so file names are relative). ORCH_UPDATE_GOLDEN=1 rewrites them.
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/orch_process.h"
#include "tests/support/temp_dir.h"

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
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Did you mean \"-json\"?"), std::string::npos) << r.err;
  auto c = run_orch_process({"valdate"});
  EXPECT_EQ(c.exit_code, 1);
  // Not 2, which `plan -detailed-exitcode` uses for "changes present".
  EXPECT_EQ(run_orch_process({"plan", "-detailed-exitcod"}).exit_code, 1);
  EXPECT_EQ(run_orch_process({"-chdir=/nonexistent/dir", "validate"}).exit_code, 1);
  EXPECT_NE(c.err.find("Did you mean \"validate\"?"), std::string::npos) << c.err;
}

// Runs orch with its stdout and stderr on a pseudo-terminal (where colour is allowed), with
// NO_COLOR set to `no_color` (unset when empty). Returns everything it wrote.
std::string run_on_tty(const std::vector<std::string>& args, const std::string& no_color) {
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  if (pid < 0) return "forkpty failed";
  if (pid == 0) {
    if (no_color.empty()) {
      unsetenv("NO_COLOR");
    } else {
      setenv("NO_COLOR", no_color.c_str(), 1);
    }
    setenv("TERM", "xterm", 1);
    std::vector<char*> argv{const_cast<char*>(ORCH_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(ORCH_BINARY, argv.data());
    _exit(127);
  }
  std::string out;
  char buf[4096];
  while (true) {
    pollfd p{master, POLLIN, 0};
    if (poll(&p, 1, 10000) <= 0) break;
    ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child has exited and closed the terminal
    out.append(buf, static_cast<size_t>(n));
  }
  close(master);
  int status = 0;
  waitpid(pid, &status, 0);
  return out;
}

TEST(CliValidate, ColourOnlyOnATerminalWithoutNoColor) {
  std::string dir = (kGoldenDir / "references").string();
  EXPECT_NE(run_on_tty({"validate", dir}, "").find("\x1b["), std::string::npos);
  EXPECT_EQ(run_on_tty({"validate", dir}, "1").find("\x1b["), std::string::npos);
  EXPECT_EQ(run_on_tty({"validate", "-no-color", dir}, "").find("\x1b["), std::string::npos);
  EXPECT_EQ(run_on_tty({"-no-color", "validate", dir}, "").find("\x1b["), std::string::npos);
  // Pipes are never coloured (the golden tests run on pipes with NO_COLOR unset).
  ProcessOptions o;
  o.env["NO_COLOR"] = "";
  EXPECT_EQ(run_orch_process({"validate", dir}, o).err.find("\x1b["), std::string::npos);
}

// Hostile input through the whole command: a diagnostic and exit 1, never a crash.
TEST(CliValidate, HugeDeepAndInvalidInputGetDiagnostics) {
  testing::TempDir dir;
  auto run = [&](const std::string& text) {
    std::ofstream(dir.path() / "main.orch", std::ios::binary) << text;
    return run_orch_process({"validate", "-json", dir.path().string()});
  };
  std::string deep =
      "locals {\n  a = " + std::string(10000, '[') + std::string(10000, ']') + "\n}\n";
  auto r = run(deep);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("nesting too deep"), std::string::npos) << r.out.substr(0, 500);
  auto bad = run("locals {\n  a = \"\xff\xfe\"\n}\n");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.out.find("UTF-8"), std::string::npos) << bad.out.substr(0, 500);
  std::string big = "locals {\n";
  for (int i = 0; big.size() < 10u * 1024 * 1024; ++i) {
    big += "  v" + std::to_string(i) + " = [\"item-${" + std::to_string(i) + "}\", " +
           std::to_string(i) + " * 2, { k = \"x\" }]\n";
  }
  auto ok = run(big + "}\n");
  EXPECT_EQ(ok.exit_code, 0) << ok.out.substr(0, 500);
  auto nested =
      run("locals {\n  a = " + std::string(10000, '(') + "1" + std::string(10000, ')') + "\n}\n");
  EXPECT_EQ(nested.exit_code, 1);
}

// The JSON has exactly the keys of `terraform validate -json` (orch adds only `notes`), so that
// tools written for Terraform read it.
TEST(CliValidate, JsonHasTerraformsShapeKeyByKey) {
  auto keys = [](const nlohmann::json& j) {
    std::vector<std::string> k;
    for (auto it = j.begin(); it != j.end(); ++it) k.push_back(it.key());
    std::sort(k.begin(), k.end());
    return k;
  };
  using V = std::vector<std::string>;
  for (const char* name : {"valid", "resources", "syntax_errors", "cycle", "references"}) {
    auto r = run_orch_process({"validate", "-json", name}, golden_run());
    auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(keys(doc),
              (V{"diagnostics", "error_count", "format_version", "valid", "warning_count"}));
    EXPECT_EQ(doc["format_version"], "1.0");
    EXPECT_TRUE(doc["valid"].is_boolean());
    EXPECT_TRUE(doc["error_count"].is_number_integer());
    for (const auto& d : doc["diagnostics"]) {
      V k = keys(d);
      k.erase(std::remove(k.begin(), k.end(), "notes"), k.end());
      if (!d.contains("range")) {
        EXPECT_EQ(k, (V{"detail", "severity", "summary"})) << d.dump();
        continue;
      }
      EXPECT_EQ(k, (V{"detail", "range", "severity", "snippet", "summary"})) << d.dump();
      EXPECT_TRUE(d["severity"] == "error" || d["severity"] == "warning");
      EXPECT_EQ(keys(d["range"]), (V{"end", "filename", "start"}));
      EXPECT_EQ(keys(d["range"]["start"]), (V{"byte", "column", "line"}));
      EXPECT_EQ(keys(d["range"]["end"]), (V{"byte", "column", "line"}));
      V snippet{"code",       "context", "highlight_end_offset", "highlight_start_offset",
                "start_line", "values"};
      V got = keys(d["snippet"]);
      EXPECT_EQ(got, snippet) << d["snippet"].dump();
      EXPECT_TRUE(d["snippet"]["values"].is_array());
    }
  }
}

}  // namespace
}  // namespace orch
