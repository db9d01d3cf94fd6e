// Inputs the fuzzer (tests/fuzz/parse_fuzz.cc) once crashed on, kept in tests/fuzz/regressions/:
// each goes through the same steps as the fuzz target (lexer, every parser entry point, the
// formatter, the config builder and the checker) and must give diagnostics, not a crash.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/check.h"
#include "compiler/format.h"
#include "compiler/lex.h"
#include "compiler/load.h"
#include "compiler/parse.h"
#include "providers/registry.h"

namespace orch {
namespace {

namespace fs = std::filesystem;

void run_like_the_fuzzer(const std::string& name, const std::string& text) {
  auto src = std::make_unique<SourceFile>(name, text);
  lex(*src);
  Diagnostics d1, d2, d3;
  parse_expression(*src, d1);
  parse_template(*src, d2);
  std::string formatted;
  format_source(*src, &formatted, d3);
  Diagnostics diags;
  auto file = std::make_unique<File>(parse_file(*src, diags));
  std::vector<std::unique_ptr<File>> files;
  files.push_back(std::move(file));
  Config config = build_config(std::move(files), ".", "", diags);
  check_config(config, builtin_schemas(), diags);
  for (const auto& d : diags.list()) {
    if (!d.range.valid()) continue;
    EXPECT_GE(d.range.start.byte, 0) << name;
    EXPECT_LE(d.range.start.byte, d.range.end.byte) << name;
    EXPECT_LE(d.range.end.byte, static_cast<int64_t>(text.size())) << name;
  }
}

TEST(FuzzRegressions, EveryKeptInputGivesDiagnosticsNotACrash) {
  fs::path dir = fs::path(ORCH_SOURCE_DIR) / "tests/fuzz/regressions";
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    run_like_the_fuzzer(e.path().filename().string(), buf.str());
    ++n;
  }
  EXPECT_GT(n, 0);
}

}  // namespace
}  // namespace orch
