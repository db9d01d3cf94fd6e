// Text and JSON rendering of diagnostics.
#include "compiler/diagnostic_render.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace orch {
namespace {

constexpr const char* kReset = "\033[0m";
constexpr const char* kBold = "\033[1m";
constexpr const char* kRed = "\033[1;31m";
constexpr const char* kYellow = "\033[1;33m";
constexpr const char* kCyan = "\033[1;36m";
constexpr const char* kGreen = "\033[1;32m";
constexpr const char* kDim = "\033[2m";

// At most this many source lines are shown for one range; longer ranges are elided in the middle.
constexpr int kMaxSnippetLines = 6;

class Painter {
 public:
  explicit Painter(bool on) : on_(on) {}
  std::string operator()(const char* code, std::string_view text) const {
    if (!on_ || text.empty()) return std::string(text);
    return fmt::format("{}{}{}", code, text, kReset);
  }

 private:
  bool on_;
};

// Length of the UTF-8 sequence starting at s[i], or 0 when it is not valid UTF-8.
int utf8_length(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  int n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (int k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  if (n == 2 && c < 0xC2) return 0;  // overlong
  return n;
}

// A source line prepared for the terminal: tabs expanded, control characters and invalid UTF-8
// shown as <XX>, and a map from byte offsets to display columns.
struct DisplayLine {
  std::string text;
  std::vector<int> col_of_byte;  // size = bytes + 1; column where each byte starts
  int width = 0;                 // display columns
};

DisplayLine make_display_line(std::string_view line, int tab_width) {
  DisplayLine d;
  d.col_of_byte.assign(line.size() + 1, 0);
  size_t i = 0;
  while (i < line.size()) {
    auto c = static_cast<unsigned char>(line[i]);
    int n = 1;
    d.col_of_byte[i] = d.width;
    if (c == '\t') {
      int spaces = tab_width - d.width % tab_width;
      d.text.append(spaces, ' ');
      d.width += spaces;
    } else if (c < 0x20 || c == 0x7F) {
      d.text += fmt::format("<{:02X}>", c);
      d.width += 4;
    } else if (c < 0x80) {
      d.text += static_cast<char>(c);
      d.width += 1;
    } else if (int len = utf8_length(line, i); len > 0) {
      d.text.append(line.substr(i, len));
      for (int k = 1; k < len; ++k) d.col_of_byte[i + k] = d.width;
      d.width += 1;
      n = len;
    } else {
      d.text += fmt::format("<{:02X}>", c);
      d.width += 4;
    }
    i += n;
  }
  d.col_of_byte[line.size()] = d.width;
  return d;
}

// Cuts a display string (as made above) to the display columns [from, to).
std::string slice_columns(const std::string& text, int from, int to) {
  std::string out;
  int col = 0;
  size_t i = 0;
  while (i < text.size() && col < to) {
    int len = utf8_length(text, i);
    if (len == 0) len = 1;
    if (col >= from) out.append(text, i, len);
    col += 1;
    i += len;
  }
  return out;
}

int digits(int n) {
  return static_cast<int>(std::to_string(std::max(n, 0)).size());
}

// Greedy word wrap; lines starting with whitespace are kept as they are (preformatted), blank
// lines separate paragraphs.
std::string wrap(std::string_view text, int width, std::string_view indent) {
  std::string out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    if (line.empty()) {
      out += '\n';
    } else if (line[0] == ' ' || line[0] == '\t') {
      out += fmt::format("{}{}\n", indent, line);
    } else {
      std::string cur;
      size_t i = 0;
      while (i < line.size()) {
        size_t j = line.find(' ', i);
        std::string_view word = line.substr(i, j == std::string_view::npos ? j : j - i);
        i = j == std::string_view::npos ? line.size() : j + 1;
        if (word.empty()) continue;
        int avail = width - static_cast<int>(indent.size());
        if (!cur.empty() && static_cast<int>(cur.size() + 1 + word.size()) > avail) {
          out += fmt::format("{}{}\n", indent, cur);
          cur.clear();
        }
        if (!cur.empty()) cur += ' ';
        cur += word;
      }
      out += fmt::format("{}{}\n", indent, cur);
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return out;
}

// The last line a range touches: a range ending at the very start of a line (just after a
// newline) does not show that line.
int last_line_of(const Range& r) {
  if (r.end.line > r.start.line && r.end.column == 1) return r.end.line - 1;
  return std::max(r.end.line, r.start.line);
}

// Source lines of `r` with line numbers and an underline: `^` at the start, `~` after it.
std::string render_snippet(const SourceFile& file, const Range& r, const RenderOptions& opts,
                           const Painter& paint, bool first_line_only) {
  int first = r.start.line;
  int last = std::min(last_line_of(r), file.line_count());
  if (first_line_only) last = std::min(last, first);
  if (first < 1 || first > file.line_count()) return {};
  int gutter = std::max(4, digits(last));
  int avail = std::max(20, opts.width - gutter - 3);
  std::string out;
  auto bar = paint(kDim, "|");

  std::vector<int> shown;
  for (int l = first; l <= last; ++l) {
    bool head = l < first + kMaxSnippetLines / 2;
    bool tail = l > last - kMaxSnippetLines / 2;
    if (last - first + 1 <= kMaxSnippetLines || head || tail) {
      shown.push_back(l);
    } else if (shown.empty() || shown.back() != -1) {
      shown.push_back(-1);  // elision marker
    }
  }

  bool caret_done = false;
  for (int l : shown) {
    if (l == -1) {
      out += fmt::format("{:>{}} {}\n", "...", gutter, bar);
      continue;
    }
    std::string_view raw = file.line(l);
    DisplayLine dl = make_display_line(raw, opts.tab_width);
    // Highlighted bytes of this line.
    size_t b0 = 0, b1 = raw.size();
    if (l == first) b0 = std::min<size_t>(static_cast<size_t>(r.start.column - 1), raw.size());
    bool range_ends_here = l == r.end.line;
    if (range_ends_here) {
      b1 = std::min<size_t>(static_cast<size_t>(r.end.column - 1), raw.size());
    }
    if (l != first) {
      while (b0 < raw.size() && (raw[b0] == ' ' || raw[b0] == '\t')) ++b0;
    }
    if (!range_ends_here) {
      while (b1 > b0 && (raw[b1 - 1] == ' ' || raw[b1 - 1] == '\t')) --b1;
    }
    b1 = std::max(b1, b0);
    int c0 = dl.col_of_byte[b0];
    int c1 = dl.col_of_byte[b1];
    if (l == first && c1 == c0) c1 = c0 + 1;  // an empty range still gets its caret
    if (l == first && static_cast<size_t>(r.start.column - 1) > raw.size()) {
      c0 = dl.width;  // a position past the end of the line (e.g. at the newline)
      c1 = c0 + 1;
    }

    // Trim long lines to a window around the highlight.
    int from = 0, to = std::max(dl.width, c1);
    std::string prefix, suffix;
    if (to - from > avail) {
      if (c0 > avail - 20) from = std::max(0, c0 - 20);
      if (from > 0) {
        prefix = "...";
        from += 3;
      }
      to = std::min(to, from + avail - static_cast<int>(prefix.size()));
      if (to < dl.width) {
        suffix = "...";
        to -= 3;
      }
    }
    std::string text = prefix + slice_columns(dl.text, from, to) + suffix;
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += fmt::format("{:>{}} {}{}{}\n", l, gutter, bar, text.empty() ? "" : " ", text);

    int u0 = std::max(c0, from) - from + static_cast<int>(prefix.size());
    int u1 = std::min(c1, to) - from + static_cast<int>(prefix.size());
    if (u1 > u0 || (l == first && !caret_done)) {
      std::string marks;
      for (int c = u0; c < std::max(u1, u0 + 1); ++c) {
        marks += (!caret_done && c == u0 && l == first) ? '^' : '~';
      }
      caret_done = true;
      out += fmt::format("{:>{}} {} {}{}\n", "", gutter, bar, std::string(u0, ' '),
                         paint(kGreen, marks));
    }
  }
  return out;
}

std::string location(const Range& r) {
  return fmt::format("{}:{}:{}", r.file.str(), r.start.line, r.start.column);
}

// `first_line_only`: notes point at where something is, so their snippet is one line.
std::string render_located(const char* colour, std::string_view label, std::string_view message,
                           const Range& range, const SourceManager& sources,
                           const RenderOptions& opts, const Painter& paint,
                           bool first_line_only = false) {
  std::string out;
  if (range.valid()) out += paint(kBold, location(range) + ":") + " ";
  out += paint(colour, std::string(label) + ":") + " " + paint(kBold, message) + "\n";
  if (range.valid()) {
    if (const SourceFile* file = sources.find(range.file.str())) {
      out += render_snippet(*file, range, opts, paint, first_line_only);
    }
  }
  return out;
}

}  // namespace

std::string render_diagnostic(const Diagnostic& d, const SourceManager& sources,
                              const RenderOptions& opts) {
  Painter paint(opts.color);
  bool error = d.severity == Severity::Error;
  std::string out = render_located(error ? kRed : kYellow, error ? "error" : "warning", d.summary,
                                   d.range, sources, opts, paint);
  if (!d.detail.empty()) out += wrap(d.detail, std::min(opts.width, 80), "  ");
  for (const auto& note : d.notes) {
    out += render_located(kCyan, "note", note.message, note.range, sources, opts, paint, true);
  }
  return out;
}

std::string count_line(int errors, int warnings) {
  std::vector<std::string> parts;
  if (errors > 0) parts.push_back(fmt::format("{} error{}", errors, errors == 1 ? "" : "s"));
  if (warnings > 0) {
    parts.push_back(fmt::format("{} warning{}", warnings, warnings == 1 ? "" : "s"));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::string render_diagnostics(const Diagnostics& diags, const SourceManager& sources,
                               const RenderOptions& opts) {
  if (diags.empty()) return {};
  std::string out;
  for (const auto& d : diags.list()) {
    out += render_diagnostic(d, sources, opts);
    out += '\n';
  }
  Painter paint(opts.color);
  out += paint(kBold, count_line(diags.error_count(), diags.warning_count())) + "\n";
  return out;
}

}  // namespace orch
