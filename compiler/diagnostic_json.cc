// Diagnostics as JSON in the shape of Terraform's `validate -json` (format_version 1.0), and the
// block context ("resource \"x\" \"y\"") that both renderings can show.
#include <algorithm>
#include <cctype>

#include "compiler/diagnostic_render.h"

namespace orch {
namespace {

bool is_ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

// Skips a quoted string starting at text[i] == '"'; returns the index after the closing quote.
// Interpolations `${ ... }` may contain nested strings and braces.
size_t skip_string(std::string_view text, size_t i);

// Skips expression text inside `${ ... }` starting after the `{`; returns the index after `}`.
size_t skip_interpolation(std::string_view text, size_t i) {
  int depth = 1;
  while (i < text.size()) {
    char c = text[i];
    if (c == '"') {
      i = skip_string(text, i);
      continue;
    }
    if (c == '{') ++depth;
    if (c == '}' && --depth == 0) return i + 1;
    ++i;
  }
  return i;
}

size_t skip_string(std::string_view text, size_t i) {
  ++i;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\\') {
      i += 2;
    } else if (c == '"' || c == '\n') {
      return i + 1;  // an unterminated string ends at the line's end
    } else if ((c == '$' || c == '%') && i + 1 < text.size() && text[i + 1] == '{') {
      i = skip_interpolation(text, i + 2);
    } else {
      ++i;
    }
  }
  return i;
}

// Skips a heredoc whose `<<` is at text[i]; returns the index after its terminator line, or i+2
// when this is not a heredoc introducer.
size_t skip_heredoc(std::string_view text, size_t i) {
  size_t j = i + 2;
  if (j < text.size() && text[j] == '-') ++j;
  size_t name_start = j;
  while (j < text.size() && is_ident_char(text[j])) ++j;
  if (j == name_start || j >= text.size() || text[j] != '\n') return i + 2;
  std::string_view name = text.substr(name_start, j - name_start);
  size_t pos = j + 1;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    size_t a = line.find_first_not_of(" \t");
    size_t b = line.find_last_not_of(" \t\r");
    if (a != std::string_view::npos && line.substr(a, b - a + 1) == name) {
      return nl == std::string_view::npos ? text.size() : nl;
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return text.size();
}

// "resource   \"a\"  \"b\"" → "resource \"a\" \"b\"": whitespace between header parts collapsed.
std::string normalise_header(std::string_view header) {
  std::string out;
  bool in_string = false, space = false;
  for (char c : header) {
    if (!in_string && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    if (c == '"') in_string = !in_string;
    out += c;
  }
  return out;
}

}  // namespace

std::string block_context(const SourceFile& file, int64_t byte) {
  std::string_view text = file.text();
  int depth = 0;
  size_t header_start = std::string_view::npos;
  size_t header_end = 0;
  bool attribute_line = false;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '#' || (c == '/' && i + 1 < text.size() && text[i + 1] == '/')) {
      size_t nl = text.find('\n', i);
      i = nl == std::string_view::npos ? text.size() : nl;
      continue;
    }
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      size_t end = text.find("*/", i + 2);
      i = end == std::string_view::npos ? text.size() : end + 2;
      continue;
    }
    if (c == '"') {
      i = skip_string(text, i);
      continue;
    }
    if (c == '<' && i + 1 < text.size() && text[i + 1] == '<') {
      i = skip_heredoc(text, i);
      continue;
    }
    if (depth == 0) {
      // Past the position and not in the header of a block that started before it: no block
      // contains the position.
      if (static_cast<int64_t>(i) > byte &&
          (header_start == std::string_view::npos || static_cast<int64_t>(header_start) > byte)) {
        break;
      }
      if (c == '\n') {
        header_start = std::string_view::npos;
        attribute_line = false;
      } else if (c == '=') {
        header_start = std::string_view::npos;  // a top-level attribute, not a block
        attribute_line = true;
      } else if (header_start == std::string_view::npos && !attribute_line && is_ident_start(c)) {
        header_start = i;
      }
    }
    if (c == '{') {
      if (depth == 0) header_end = i;
      ++depth;
    } else if (c == '}' && depth > 0) {
      --depth;
      if (depth == 0 && header_start != std::string_view::npos) {
        if (static_cast<int64_t>(header_start) <= byte && byte <= static_cast<int64_t>(i)) {
          return normalise_header(text.substr(header_start, header_end - header_start));
        }
        header_start = std::string_view::npos;
      }
    }
    ++i;
  }
  // An unclosed block (a syntax error) still gives its header.
  if (depth > 0 && header_start != std::string_view::npos &&
      static_cast<int64_t>(header_start) <= byte) {
    return normalise_header(text.substr(header_start, header_end - header_start));
  }
  return {};
}

namespace {

nlohmann::ordered_json pos_json(const Pos& p) {
  nlohmann::ordered_json j;
  j["line"] = p.line;
  j["column"] = p.column;
  j["byte"] = p.byte;
  return j;
}

nlohmann::ordered_json range_json(const Range& r) {
  nlohmann::ordered_json j;
  j["filename"] = r.file.str();
  j["start"] = pos_json(r.start);
  j["end"] = pos_json(r.end);
  return j;
}

// Terraform's snippet: the whole source lines the highlight touches, the offsets of the highlight
// inside that code (clamped to it), and the enclosing top-level block as context.
nlohmann::ordered_json snippet_json(const SourceFile& file, const Range& r) {
  int64_t start = r.start.byte;
  int64_t end = std::max(r.end.byte, start);
  if (end == start) ++end;  // an empty range still highlights one byte, as Terraform does
  int first = file.pos_at(start).line;
  int last = std::max(first, file.pos_at(std::max<int64_t>(start, end - 1)).line);
  int64_t code_start = file.pos_at(start).byte - (file.pos_at(start).column - 1);
  std::string code;
  for (int l = first; l <= last; ++l) {
    if (l > first) code += '\n';
    code += file.line(l);
  }
  auto len = static_cast<int64_t>(code.size());
  int64_t hs = std::clamp<int64_t>(start - code_start, 0, len);
  int64_t he = std::clamp<int64_t>(hs + (end - start), 0, len);

  nlohmann::ordered_json j;
  std::string context = block_context(file, start);
  j["context"] =
      context.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(context);
  j["code"] = code;
  j["start_line"] = first;
  j["highlight_start_offset"] = hs;
  j["highlight_end_offset"] = he;
  j["values"] = nlohmann::ordered_json::array();
  return j;
}

}  // namespace

nlohmann::ordered_json diagnostic_json(const Diagnostic& d, const SourceManager& sources) {
  nlohmann::ordered_json j;
  j["severity"] = d.severity == Severity::Error ? "error" : "warning";
  j["summary"] = d.summary;
  j["detail"] = d.detail;
  if (d.range.valid()) {
    j["range"] = range_json(d.range);
    if (const SourceFile* file = sources.find(d.range.file.str())) {
      j["snippet"] = snippet_json(*file, d.range);
    }
  }
  if (!d.notes.empty()) {
    auto notes = nlohmann::ordered_json::array();
    for (const auto& n : d.notes) {
      nlohmann::ordered_json note;
      note["message"] = n.message;
      if (n.range.valid()) note["range"] = range_json(n.range);
      notes.push_back(std::move(note));
    }
    j["notes"] = std::move(notes);
  }
  return j;
}

nlohmann::ordered_json validate_json(const Diagnostics& diags, const SourceManager& sources) {
  nlohmann::ordered_json j;
  j["format_version"] = "1.0";
  j["valid"] = !diags.has_errors();
  j["error_count"] = diags.error_count();
  j["warning_count"] = diags.warning_count();
  auto list = nlohmann::ordered_json::array();
  for (const auto& d : diags.list()) list.push_back(diagnostic_json(d, sources));
  j["diagnostics"] = std::move(list);
  return j;
}

std::string json_text(const nlohmann::ordered_json& j) {
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace orch
