// Tests of compiler/format.h: golden files, idempotence and token preservation over every .orch
// file in the repository, and the spacing/blank-line rules one by one.
//
// Golden cases: tests/golden/fmt/NAME.in.orch formats to NAME.out.orch (byte for byte);
// ORCH_UPDATE_GOLDEN=1 rewrites the expected files.
#include "compiler/format.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "compiler/lex.h"

namespace orch {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = ORCH_SOURCE_DIR;
const fs::path kGoldenDir = kSourceDir / "tests/golden/fmt";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string fmt_text(const std::string& text) {
  SourceFile src("test.orch", text);
  std::string out;
  Diagnostics diags;
  EXPECT_TRUE(format_source(src, &out, diags)) << "syntax errors in: " << text;
  return out;
}

// The tokens of a text with line breaks left out and comments trimmed at the right: what the
// formatter may not change.
std::vector<std::string> significant_tokens(const std::string& text) {
  SourceFile src("t.orch", text);
  std::vector<std::string> out;
  for (const Token& t : lex(src)) {
    if (t.kind == TokenKind::Newline) continue;
    std::string s(t.text);
    if (t.kind == TokenKind::Comment && s.rfind("/*", 0) != 0) {
      while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
    }
    out.push_back(std::to_string(static_cast<int>(t.kind)) + ":" + s);
  }
  return out;
}

std::vector<fs::path> golden_inputs() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(kGoldenDir)) {
    std::string name = e.path().filename().string();
    if (name.size() > 8 && name.substr(name.size() - 8) == ".in.orch") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Every .orch file of the repository (examples, tests, stdlib modules), build trees excluded.
std::vector<fs::path> repository_orch_files() {
  std::vector<fs::path> files;
  for (const char* dir : {"examples", "tests", "stdlib", "bench", "docs"}) {
    if (!fs::exists(kSourceDir / dir)) continue;
    for (const auto& e : fs::recursive_directory_iterator(kSourceDir / dir)) {
      if (e.is_regular_file() && e.path().extension() == ".orch") files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(Format, GoldenFiles) {
  auto inputs = golden_inputs();
  ASSERT_FALSE(inputs.empty());
  const char* update = std::getenv("ORCH_UPDATE_GOLDEN");
  for (const fs::path& in : inputs) {
    std::string name = in.filename().string();
    fs::path expected = in.parent_path() / (name.substr(0, name.size() - 8) + ".out.orch");
    std::string actual = fmt_text(read_file(in));
    if (update && std::string(update) == "1") {
      std::ofstream(expected, std::ios::binary) << actual;
      continue;
    }
    ASSERT_TRUE(fs::exists(expected)) << expected << " missing; run with ORCH_UPDATE_GOLDEN=1";
    EXPECT_EQ(read_file(expected), actual) << "golden mismatch for " << in;
  }
}

TEST(Format, IdempotentAndMeaningPreservingOnEveryRepositoryFile) {
  int formatted = 0;
  for (const fs::path& p : repository_orch_files()) {
    std::string text = read_file(p);
    SourceFile src(p.string(), text);
    std::string once;
    Diagnostics diags;
    if (!format_source(src, &once, diags)) continue;  // deliberately broken test inputs
    ++formatted;
    EXPECT_EQ(fmt_text(once), once) << "not idempotent: " << p;
    EXPECT_EQ(significant_tokens(once), significant_tokens(text)) << "tokens changed: " << p;
  }
  EXPECT_GT(formatted, 3);
}

TEST(Format, RefusesSyntaxErrorsAndLeavesOutputAlone) {
  SourceFile src("bad.orch", "resource \"a\" \"b\" {\n  x = [1, 2\n}\n");
  std::string out = "untouched";
  Diagnostics diags;
  EXPECT_FALSE(format_source(src, &out, diags));
  EXPECT_TRUE(diags.has_errors());
  EXPECT_EQ(out, "untouched");
  EXPECT_EQ(diags.list().front().range.file, "bad.orch");
}

TEST(Format, SpacingAroundOperators) {
  EXPECT_EQ(fmt_text("a = x -1\n"), "a = x - 1\n");
  EXPECT_EQ(fmt_text("a = x-1\n"), "a = x-1\n");  // one identifier: `-` is a name character
  EXPECT_EQ(fmt_text("a = - 1\n"), "a = -1\n");
  EXPECT_EQ(fmt_text("a = [x -1, -y]\n"), "a = [x - 1, -y]\n");
  EXPECT_EQ(fmt_text("a = x?-1:-2\n"), "a = x ? -1 : -2\n");
  EXPECT_EQ(fmt_text("a = ! b\n"), "a = !b\n");
  EXPECT_EQ(fmt_text("a = f( x , y... )\n"), "a = f(x, y...)\n");
  EXPECT_EQ(fmt_text("a = x[ 0 ][*].y.*.z\n"), "a = x[0][*].y.*.z\n");
  EXPECT_EQ(fmt_text("a = {x=1}\n"), "a = { x = 1 }\n");
  EXPECT_EQ(fmt_text("a = { }\n"), "a = {}\n");
  EXPECT_EQ(fmt_text("a = {\"k\" : 1}\n"), "a = { \"k\": 1 }\n");
  EXPECT_EQ(fmt_text("a = [for x in y: x]\n"), "a = [for x in y : x]\n");
  EXPECT_EQ(fmt_text("a = [for x in [1]: x if x>0]\n"), "a = [for x in [1] : x if x > 0]\n");
  EXPECT_EQ(fmt_text("a = x.in[0]\n"), "a = x.in[0]\n");
}

TEST(Format, StringsAndHeredocsAreCopiedExactly) {
  EXPECT_EQ(fmt_text("a = \"${ x  }  %{if y}z%{endif}\"\n"), "a = \"${ x  }  %{if y}z%{endif}\"\n");
  std::string heredoc = "a   = <<-EOT\n    one  \n  two\t\n    EOT\n";
  EXPECT_EQ(fmt_text(heredoc), "a = <<-EOT\n    one  \n  two\t\n    EOT\n");
}

TEST(Format, LinesAndBlankLines) {
  EXPECT_EQ(fmt_text(""), "");
  EXPECT_EQ(fmt_text("\n\n\n"), "");
  EXPECT_EQ(fmt_text("a = 1"), "a = 1\n");                         // final newline added
  EXPECT_EQ(fmt_text("a = 1   \r\nb = 2\r\n"), "a = 1\nb = 2\n");  // CRLF, trailing spaces
  EXPECT_EQ(fmt_text("a = 1\n\n\n\nb = 2\n"), "a = 1\n\nb = 2\n");
  EXPECT_EQ(fmt_text("x {\n\n  a = 1\n\n}\n"), "x {\n  a = 1\n}\n");
  EXPECT_EQ(fmt_text("x {\n}\ny {\n}\n"), "x {\n}\n\ny {\n}\n");
  EXPECT_EQ(fmt_text("x \"a\" {}\nx \"b\" {}\n"), "x \"a\" {}\nx \"b\" {}\n");
  // An object's closing brace is not a block's: no blank line after it.
  EXPECT_EQ(fmt_text("x {\n  t = {\n    a = 1\n  }\n  b = 2\n}\n"),
            "x {\n  t = {\n    a = 1\n  }\n  b = 2\n}\n");
}

TEST(Format, IndentationFollowsBrackets) {
  EXPECT_EQ(fmt_text("x {\ny {\nz = [\n1,\nf(\n2)\n]\n}\n}\n"),
            "x {\n  y {\n    z = [\n      1,\n      f(\n      2)\n    ]\n  }\n}\n");
  // Several openers on one line indent once, and close together.
  EXPECT_EQ(fmt_text("a = f({\nb = 1\n})\n"), "a = f({\n  b = 1\n})\n");
}

TEST(Format, AlignsEqualsInRunsOnly) {
  EXPECT_EQ(fmt_text("x {\n  a = 1\n  bbb = 2\n\n  cc = 3\n}\n"),
            "x {\n  a   = 1\n  bbb = 2\n\n  cc = 3\n}\n");
  // A value that continues on the next lines ends the run.
  EXPECT_EQ(fmt_text("a = 1\nbb = [\n1,\n]\nccc = 2\n"), "a = 1\nbb = [\n  1,\n]\nccc = 2\n");
}

TEST(Format, KeepsEveryComment) {
  std::string text = "# a\nx { # b\n  // c\n  y = 1 /* d */ # e\n}\n/* f\n g */\n";
  std::string out = fmt_text(text);
  for (const char* c : {"# a", "# b", "// c", "/* d */", "# e", "/* f\n g */"}) {
    EXPECT_NE(out.find(c), std::string::npos) << c << " lost in:\n" << out;
  }
  EXPECT_EQ(significant_tokens(out), significant_tokens(text));
}

}  // namespace
}  // namespace orch

namespace orch {
namespace {

// format_tokens is also called on text that was not checked (the benchmark does); it must not
// crash or hang on anything: fragments of tokens glued at random, deterministic seed.
TEST(Format, FormatTokensSurvivesGarbage) {
  const char* pieces[] = {"{",       "}",     "[",      "]",  "(",  ")",    "\"", "${",   "%{",
                          "<<EOT\n", "EOT\n", "<<-X\n", "\n", " ",  "#c\n", "/*", "*/",   "a",
                          "=",       "-",     "1",      ",",  ":",  "?",    "\\", "\xff", "\t",
                          "...",     "=>",    "for",    "in", "if", "~}",   "//x"};
  unsigned seed = 12345;
  for (int round = 0; round < 300; ++round) {
    std::string text;
    for (int i = 0; i < 40; ++i) {
      seed = seed * 1103515245 + 12345;
      text += pieces[(seed >> 16) % (sizeof pieces / sizeof pieces[0])];
    }
    SourceFile src("g.orch", text);
    std::string out = format_tokens(src);
    EXPECT_LE(out.size(), text.size() * 3 + 16);
  }
}

}  // namespace
}  // namespace orch
