// Checks docs/language.md against the implementation, as functions_doc_test.cc does for
// functions.md:
//  - every ```hcl block is a module on its own (a main.orch; the ```hcl file=PATH blocks right
//    after it are more files of it) and validates without errors or warnings;
//  - every ```hcl expect-error="SUMMARY" block gives an error whose summary contains SUMMARY;
//  - every ```orch-example block holds expression lines, each followed by "# => " and the
//    displayed result (or "error: SUMMARY: DETAIL"), evaluated like `orch console` does.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/check.h"
#include "compiler/diagnostic_render.h"
#include "compiler/eval.h"
#include "compiler/format.h"
#include "compiler/load.h"
#include "compiler/parse.h"
#include "providers/registry.h"
#include "tests/support/temp_dir.h"

namespace orch {
namespace {

namespace fs = std::filesystem;

struct ConfigExample {
  int line = 0;
  std::string expect_error;                                // empty: must be valid
  std::vector<std::pair<std::string, std::string>> files;  // path, text; first is main.orch
};

struct ExprExample {
  int line = 0;
  std::string expr;
  std::string expected;
};

struct Doc {
  std::vector<ConfigExample> configs;
  std::vector<ExprExample> exprs;
};

std::string read_doc() {
  std::ifstream in(std::string(ORCH_SOURCE_DIR) + "/docs/language.md");
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// The value of `key="..."` or `key=word` in a fence's info string.
std::string fence_attr(const std::string& info, const std::string& key) {
  size_t p = info.find(key + "=");
  if (p == std::string::npos) return {};
  p += key.size() + 1;
  if (p < info.size() && info[p] == '"') {
    size_t e = info.find('"', p + 1);
    return info.substr(p + 1, e == std::string::npos ? std::string::npos : e - p - 1);
  }
  size_t e = info.find(' ', p);
  return info.substr(p, e == std::string::npos ? std::string::npos : e - p);
}

Doc parse_doc(const std::string& text) {
  Doc doc;
  std::istringstream in(text);
  std::string line, block, info;
  enum class In { None, Hcl, Example } in_block = In::None;
  int n = 0, start = 0;
  while (std::getline(in, line)) {
    ++n;
    // Fences may be indented (inside list items); their contents are de-indented as much.
    size_t indent = line.find_first_not_of(' ');
    std::string trimmed = indent == std::string::npos ? "" : line.substr(indent);
    if (in_block == In::None) {
      if (trimmed.rfind("```hcl", 0) == 0) {
        in_block = In::Hcl;
        info = trimmed.substr(6);
        block.clear();
        start = n;
      } else if (trimmed == "```orch-example") {
        in_block = In::Example;
      }
      continue;
    }
    if (trimmed == "```") {
      if (in_block == In::Hcl) {
        std::string file = fence_attr(info, "file");
        if (!file.empty()) {
          EXPECT_FALSE(doc.configs.empty()) << "language.md:" << start << ": file= block first";
          if (!doc.configs.empty()) doc.configs.back().files.push_back({file, block});
        } else {
          ConfigExample ex{start, fence_attr(info, "expect-error"), {{"main.orch", block}}};
          doc.configs.push_back(ex);
        }
      }
      in_block = In::None;
      continue;
    }
    if (in_block == In::Hcl) {
      block += (indent != std::string::npos && indent <= line.size() ? line : trimmed) + "\n";
      continue;
    }
    if (trimmed.rfind("# => ", 0) == 0) {
      EXPECT_FALSE(doc.exprs.empty()) << "language.md:" << n << ": result without expression";
      if (!doc.exprs.empty()) doc.exprs.back().expected = trimmed.substr(5);
    } else if (trimmed.rfind("#    ", 0) == 0) {
      if (!doc.exprs.empty()) doc.exprs.back().expected += "\n" + trimmed.substr(5);
    } else if (!trimmed.empty()) {
      doc.exprs.push_back(ExprExample{n, trimmed, ""});
    }
  }
  EXPECT_EQ(in_block, In::None) << "unterminated code block in language.md";
  return doc;
}

// Strips the common indentation of a block's lines (fences inside list items are indented).
std::string dedent(const std::string& text) {
  size_t common = std::string::npos;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t i = line.find_first_not_of(' ');
    if (i != std::string::npos) common = std::min(common, i);
  }
  if (common == std::string::npos || common == 0) return text;
  std::string out;
  std::istringstream again(text);
  while (std::getline(again, line))
    out += (line.size() >= common ? line.substr(common) : "") + "\n";
  return out;
}

struct Outcome {
  Diagnostics diags;
  SourceManager sources;
};

void validate(const ConfigExample& ex, Outcome& out) {
  testing::TempDir dir;
  for (const auto& [path, text] : ex.files) {
    fs::path p = fs::path(dir.path()) / path;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << dedent(text);
  }
  auto config = load_config(dir.path().string(), out.sources, out.diags);
  if (config) check_config(*config, builtin_schemas(), out.diags);
}

std::string rendered(const Outcome& o) {
  RenderOptions opts;
  opts.color = false;
  return render_diagnostics(o.diags, o.sources, opts);
}

TEST(LanguageDocTest, ConfigurationExamplesValidateAsDocumented) {
  Doc doc = parse_doc(read_doc());
  ASSERT_GT(doc.configs.size(), 30u);
  for (const ConfigExample& ex : doc.configs) {
    Outcome out;
    validate(ex, out);
    if (ex.expect_error.empty()) {
      EXPECT_TRUE(out.diags.empty()) << "language.md:" << ex.line << ": example is not valid:\n"
                                     << ex.files[0].second << rendered(out);
      continue;
    }
    bool found = false;
    for (const Diagnostic& d : out.diags.list()) {
      found |=
          d.severity == Severity::Error && d.summary.find(ex.expect_error) != std::string::npos;
    }
    EXPECT_TRUE(found) << "language.md:" << ex.line << ": expected the error \"" << ex.expect_error
                       << "\":\n"
                       << ex.files[0].second << rendered(out);
  }
}

// The examples are written in the canonical style, so that what people copy is what `orch fmt`
// keeps.
TEST(LanguageDocTest, ConfigurationExamplesAreFormatted) {
  Doc doc = parse_doc(read_doc());
  for (const ConfigExample& ex : doc.configs) {
    for (const auto& [path, text] : ex.files) {
      std::string body = dedent(text);
      SourceFile src(path, body);
      std::string formatted;
      Diagnostics diags;
      if (!format_source(src, &formatted, diags)) continue;  // examples of syntax errors
      EXPECT_EQ(formatted, body) << "language.md:" << ex.line << ": not in the canonical style";
    }
  }
}

// The outcome of an expression: its display, or "error: <summary>: <detail>".
std::string run(const std::string& expr) {
  SourceFile src("example.orch", expr);
  Diagnostics diags;
  ExprPtr e = parse_expression(src, diags);
  if (!e || diags.has_errors()) {
    return "parse error: " + (diags.list().empty() ? "" : diags.list()[0].summary);
  }
  BasicScope scope;
  scope.base_dir = ORCH_SOURCE_DIR;
  Value v = evaluate(*e, scope, diags);
  if (diags.has_errors()) {
    return "error: " + diags.list()[0].summary + ": " + diags.list()[0].detail;
  }
  return v.to_display();
}

TEST(LanguageDocTest, ExpressionExamplesEvaluateAsDocumented) {
  Doc doc = parse_doc(read_doc());
  ASSERT_GT(doc.exprs.size(), 20u);
  for (const ExprExample& ex : doc.exprs) {
    ASSERT_FALSE(ex.expected.empty()) << "language.md:" << ex.line << ": no \"# => \" line";
    EXPECT_EQ(run(ex.expr), ex.expected) << "language.md:" << ex.line << ": " << ex.expr;
  }
}

TEST(LanguageDocTest, ParserOfTheDocFindsExamples) {
  Doc doc = parse_doc(
      "```hcl\na = 1\n```\n```hcl file=m/x.orch\nb = 2\n```\n"
      "- item\n\n  ```hcl expect-error=\"Unsupported argument\"\n  c = 3\n  ```\n"
      "```orch-example\n1 + 2\n# => 3\n```\n");
  ASSERT_EQ(doc.configs.size(), 2u);
  ASSERT_EQ(doc.configs[0].files.size(), 2u);
  EXPECT_EQ(doc.configs[0].files[1].first, "m/x.orch");
  EXPECT_EQ(doc.configs[1].expect_error, "Unsupported argument");
  EXPECT_EQ(dedent(doc.configs[1].files[0].second), "c = 3\n");
  ASSERT_EQ(doc.exprs.size(), 1u);
  EXPECT_EQ(doc.exprs[0].expected, "3");
}

}  // namespace
}  // namespace orch
