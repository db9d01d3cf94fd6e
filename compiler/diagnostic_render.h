// Rendering of diagnostics for people (Clang-style text with snippets and carets) and for tools
// (the JSON shape of Terraform's `validate -json`). Producing diagnostics is done elsewhere.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "compiler/diagnostic.h"
#include "compiler/source.h"

namespace orch {

struct RenderOptions {
  bool color = false;  // ANSI colours: only on a TTY, never with NO_COLOR or -no-color
  int width = 100;     // columns available; long source lines are trimmed, detail is wrapped
  int tab_width = 4;   // tab stops used when showing source lines
};

// One diagnostic: `file:line:col: error: summary`, the source lines with an underline under the
// exact range, the detail (wrapped), then each note the same way. Ends with a newline.
std::string render_diagnostic(const Diagnostic& d, const SourceManager& sources,
                              const RenderOptions& opts);

// All diagnostics separated by blank lines, then the count line ("2 errors, 1 warning").
// Empty when there are no diagnostics.
std::string render_diagnostics(const Diagnostics& diags, const SourceManager& sources,
                               const RenderOptions& opts);

// "2 errors, 1 warning", "1 error", "3 warnings"; empty when both counts are zero.
std::string count_line(int errors, int warnings);

// The top-level block header that contains `byte` (`resource "sim_machine" "node"`), or empty.
// Terraform shows this as a diagnostic's context.
std::string block_context(const SourceFile& file, int64_t byte);

// One diagnostic as Terraform's JSON diagnostic object (severity, summary, detail, range,
// snippet). Notes, which Terraform does not have, are added as "notes" only when present.
nlohmann::ordered_json diagnostic_json(const Diagnostic& d, const SourceManager& sources);

// The whole `validate -json` document: format_version, valid, error_count, warning_count,
// diagnostics.
nlohmann::ordered_json validate_json(const Diagnostics& diags, const SourceManager& sources);

// JSON text indented by two spaces with a final newline; invalid UTF-8 (quoted from a broken
// source file) is replaced by U+FFFD instead of failing.
std::string json_text(const nlohmann::ordered_json& j);

}  // namespace orch
