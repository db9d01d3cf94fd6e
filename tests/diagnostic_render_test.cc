// Tests of compiler/diagnostic_render.h: golden files for text and JSON, plus focused checks.
//
// Each golden case in tests/golden/diagnostics/ is NAME.orch (the source), NAME.spec.json (the
// diagnostics to render, located by the text they point at) and the expected NAME.txt and
// NAME.json, compared byte for byte. ORCH_UPDATE_GOLDEN=1 rewrites the expected files.
#include "compiler/diagnostic_render.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace orch {
namespace {

namespace fs = std::filesystem;

const fs::path kGoldenDir = fs::path(ORCH_SOURCE_DIR) / "tests/golden/diagnostics";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Compares `actual` with the golden file, or rewrites it when ORCH_UPDATE_GOLDEN=1.
void expect_golden(const fs::path& p, const std::string& actual) {
  const char* update = std::getenv("ORCH_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(p, std::ios::binary) << actual;
    return;
  }
  ASSERT_TRUE(fs::exists(p)) << p << " is missing; run with ORCH_UPDATE_GOLDEN=1 to create it";
  EXPECT_EQ(read_file(p), actual) << "golden mismatch: " << p;
}

// Finds the n-th (1-based) occurrence of `needle` in `text`; fails the test when absent.
int64_t find_nth(const std::string& text, const std::string& needle, int n) {
  size_t pos = std::string::npos;
  size_t from = 0;
  for (int i = 0; i < n; ++i) {
    pos = text.find(needle, from);
    if (pos == std::string::npos) {
      ADD_FAILURE() << "text not found in source: " << needle;
      return 0;
    }
    from = pos + 1;
  }
  return static_cast<int64_t>(pos);
}

// A range from a spec object: {"at": "text", "occurrence": n, "to": "text", "length": n} or
// {"start": byte, "end": byte}; no location at all when none of these are present.
Range spec_range(const nlohmann::json& j, const SourceFile& file) {
  if (j.contains("start")) return file.range(j["start"].get<int64_t>(), j["end"].get<int64_t>());
  if (!j.contains("at")) return {};
  const std::string& text = file.text();
  std::string at = j["at"];
  int64_t start = find_nth(text, at, j.value("occurrence", 1));
  int64_t end = start + static_cast<int64_t>(at.size());
  if (j.contains("length")) end = start + j["length"].get<int64_t>();
  if (j.contains("to")) {
    std::string to = j["to"];
    auto pos = text.find(to, static_cast<size_t>(start));
    EXPECT_NE(pos, std::string::npos) << to;
    end = static_cast<int64_t>(pos + to.size());
  }
  return file.range(start, end);
}

Diagnostics spec_diagnostics(const nlohmann::json& spec, const SourceFile& file) {
  Diagnostics diags;
  for (const auto& d : spec["diagnostics"]) {
    Diagnostic diag;
    diag.severity = d.value("severity", "error") == "warning" ? Severity::Warning : Severity::Error;
    diag.summary = d["summary"];
    diag.detail = d.value("detail", "");
    diag.range = spec_range(d, file);
    if (d.contains("file")) diag.range.file = d["file"].get<std::string>();
    for (const auto& n : d.value("notes", nlohmann::json::array())) {
      diag.notes.push_back(DiagnosticNote{n["message"], spec_range(n, file)});
    }
    diags.add(std::move(diag));
  }
  return diags;
}

std::vector<std::string> golden_cases() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(kGoldenDir)) {
    if (e.path().extension() == ".orch") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class DiagnosticGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(DiagnosticGolden, TextAndJson) {
  const std::string name = GetParam();
  SourceManager sources;
  const SourceFile* file = sources.add(name + ".orch", read_file(kGoldenDir / (name + ".orch")));
  auto spec = nlohmann::json::parse(read_file(kGoldenDir / (name + ".spec.json")));
  Diagnostics diags = spec_diagnostics(spec, *file);
  RenderOptions opts;
  opts.width = spec.value("width", 100);
  expect_golden(kGoldenDir / (name + ".txt"), render_diagnostics(diags, sources, opts));
  expect_golden(kGoldenDir / (name + ".json"), json_text(validate_json(diags, sources)));
}

INSTANTIATE_TEST_SUITE_P(Golden, DiagnosticGolden, ::testing::ValuesIn(golden_cases()),
                         [](const auto& info) { return info.param; });

TEST(DiagnosticRender, CountLine) {
  EXPECT_EQ(count_line(0, 0), "");
  EXPECT_EQ(count_line(1, 0), "1 error");
  EXPECT_EQ(count_line(2, 1), "2 errors, 1 warning");
  EXPECT_EQ(count_line(0, 3), "3 warnings");
}

TEST(DiagnosticRender, ColourOnlyWhenAsked) {
  SourceManager sources;
  const SourceFile* f = sources.add("a.orch", "x = 1\n");
  Diagnostics diags;
  diags.error(f->range(0, 1), "Bad thing");
  RenderOptions opts;
  std::string plain = render_diagnostics(diags, sources, opts);
  EXPECT_EQ(plain.find('\033'), std::string::npos);
  opts.color = true;
  std::string coloured = render_diagnostics(diags, sources, opts);
  EXPECT_NE(coloured.find("\033[1;31merror:\033[0m"), std::string::npos) << coloured;
  EXPECT_NE(coloured.find("\033[1;32m^\033[0m"), std::string::npos) << coloured;
}

TEST(DiagnosticRender, WarningIsYellowAndCounted) {
  SourceManager sources;
  const SourceFile* f = sources.add("a.orch", "x = 1\n");
  Diagnostics diags;
  diags.warning(f->range(4, 5), "Deprecated");
  RenderOptions opts;
  opts.color = true;
  std::string out = render_diagnostics(diags, sources, opts);
  EXPECT_NE(out.find("\033[1;33mwarning:\033[0m"), std::string::npos) << out;
  auto j = validate_json(diags, sources);
  EXPECT_TRUE(j["valid"].get<bool>());
  EXPECT_EQ(j["warning_count"], 1);
}

TEST(DiagnosticRender, FileNotInManagerHasLocationButNoSnippet) {
  SourceManager sources;
  Diagnostic d;
  d.summary = "Cannot read file";
  d.range = Range{"missing.orch", {3, 5, 20}, {3, 9, 24}};
  std::string out = render_diagnostic(d, sources, RenderOptions{});
  EXPECT_EQ(out, "missing.orch:3:5: error: Cannot read file\n");
  auto j = diagnostic_json(d, sources);
  EXPECT_TRUE(j.contains("range"));
  EXPECT_FALSE(j.contains("snippet"));
}

TEST(DiagnosticRender, BlockContext) {
  SourceFile f("m.orch",
               "variable \"a\" {\n  default = \"}\"\n}\n\n"
               "resource   \"sim_machine\" \"n\" {\n  x = <<EOT\n}\nEOT\n  y = { z = 1 }\n}\n"
               "top = { q = 1 }\n");
  auto at = [&](const char* needle) {
    return block_context(f, static_cast<int64_t>(f.text().find(needle)));
  };
  EXPECT_EQ(at("default"), "variable \"a\"");
  EXPECT_EQ(at("y ="), "resource \"sim_machine\" \"n\"");
  EXPECT_EQ(at("q ="), "");
  EXPECT_EQ(block_context(f, 0), "variable \"a\"");
}

TEST(DiagnosticRender, JsonSnippetOffsetsPointAtTheRange) {
  SourceManager sources;
  const SourceFile* f = sources.add("a.orch", "a = 1\nresource \"t\" \"n\" {\n  bad = 2\n}\n");
  auto start = static_cast<int64_t>(f->text().find("bad"));
  Diagnostics diags;
  diags.error(f->range(start, start + 3), "Unsupported argument");
  auto j = validate_json(diags, sources);
  const auto& s = j["diagnostics"][0]["snippet"];
  std::string code = s["code"];
  EXPECT_EQ(code, "  bad = 2");
  EXPECT_EQ(s["start_line"], 3);
  EXPECT_EQ(code.substr(s["highlight_start_offset"].get<size_t>(),
                        s["highlight_end_offset"].get<size_t>() -
                            s["highlight_start_offset"].get<size_t>()),
            "bad");
  EXPECT_EQ(s["context"], "resource \"t\" \"n\"");
  EXPECT_FALSE(j["valid"].get<bool>());
}

TEST(DiagnosticRender, DeterministicOutput) {
  SourceManager sources;
  const SourceFile* f = sources.add("a.orch", "x = \"\xff\t\x01\"\n");
  Diagnostics diags;
  diags.error(f->range(4, 9), "Invalid bytes");
  std::string a = render_diagnostics(diags, sources, RenderOptions{});
  std::string b = render_diagnostics(diags, sources, RenderOptions{});
  EXPECT_EQ(a, b);
  EXPECT_NE(a.find("<FF>"), std::string::npos) << a;
  EXPECT_NE(a.find("<01>"), std::string::npos) << a;
  // The JSON must be valid UTF-8 even when the source is not.
  std::string json = json_text(validate_json(diags, sources));
  EXPECT_NE(json.find("\xEF\xBF\xBD"), std::string::npos) << json;
}

}  // namespace
}  // namespace orch
