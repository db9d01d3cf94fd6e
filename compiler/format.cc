// The formatter: tokens → lines → indentation, spacing, alignment, blank lines.
//
// The algorithm follows hclwrite's (the library behind `terraform fmt`): one indent level per
// line that opens brackets, `=` aligned across consecutive lines whose value is complete on that
// line, trailing comments aligned the same way. On top of that, runs of blank lines collapse to
// one, bodies lose blank lines at their edges, and a block's closing brace is followed by a
// blank line.
#include "compiler/format.h"

#include <algorithm>

#include "compiler/lex.h"
#include "compiler/parse.h"

namespace orch {
namespace {

// A token, or a whole quoted string / heredoc copied verbatim.
struct Unit {
  TokenKind kind = TokenKind::Eof;  // OQuote / OHeredoc stand for a whole string / heredoc
  std::string_view text;
  bool multiline = false;  // spans several physical lines (heredoc, /* */ comment)
  bool keyword = false;    // `for`, `in` or `if` used as a keyword
};

bool is_opener(TokenKind k) {
  return k == TokenKind::LBrace || k == TokenKind::LBrack || k == TokenKind::LParen;
}
bool is_closer(TokenKind k) {
  return k == TokenKind::RBrace || k == TokenKind::RBrack || k == TokenKind::RParen;
}
int bracket_change(const Unit& u) {
  return is_opener(u.kind) ? 1 : is_closer(u.kind) ? -1 : 0;
}

// Ends an operand: what may come right before a binary operator or an index.
bool ends_operand(const Unit& u) {
  switch (u.kind) {
    case TokenKind::Ident:
      return !u.keyword;
    case TokenKind::Number:
    case TokenKind::OQuote:
    case TokenKind::OHeredoc:
    case TokenKind::RParen:
    case TokenKind::RBrack:
    case TokenKind::RBrace:
      return true;
    default:
      return false;
  }
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Groups tokens into units: a quoted string or heredoc from its opening to its matching closing
// token becomes one unit with the source bytes as they are.
std::vector<Unit> make_units(const SourceFile& src, const std::vector<Token>& toks) {
  std::string_view text = src.text();
  std::vector<Unit> units;
  for (size_t i = 0; i < toks.size(); ++i) {
    const Token& t = toks[i];
    if (t.kind == TokenKind::Eof) break;
    Unit u;
    u.kind = t.kind;
    if (t.kind == TokenKind::OQuote || t.kind == TokenKind::OHeredoc) {
      TokenKind open = t.kind;
      TokenKind close = open == TokenKind::OQuote ? TokenKind::CQuote : TokenKind::CHeredoc;
      int depth = 0;
      size_t j = i;
      for (; j < toks.size() && toks[j].kind != TokenKind::Eof; ++j) {
        if (toks[j].kind == open) ++depth;
        if (toks[j].kind == close && --depth == 0) break;
      }
      int64_t end = j < toks.size() ? toks[j].end : static_cast<int64_t>(text.size());
      if (j >= toks.size() || toks[j].kind == TokenKind::Eof) end = toks[j - 1].end;
      u.text = text.substr(t.start, end - t.start);
      i = std::min(j, toks.size() - 1);
      if (toks[i].kind == TokenKind::Eof) --i;
    } else if (t.kind == TokenKind::Comment) {
      u.text = t.text;
      if (u.text.substr(0, 2) != "/*") u.text = trim_right(u.text);
    } else {
      u.text = t.text;
    }
    u.multiline = u.kind != TokenKind::Newline && u.text.find('\n') != std::string_view::npos;
    units.push_back(u);
  }
  // Keywords of for expressions: not after a dot (an attribute named `in`) and not a key.
  for (size_t i = 0; i < units.size(); ++i) {
    Unit& u = units[i];
    if (u.kind != TokenKind::Ident) continue;
    if (u.text != "for" && u.text != "in" && u.text != "if") continue;
    bool after_dot = i > 0 && units[i - 1].kind == TokenKind::Dot;
    bool is_key = i + 1 < units.size() &&
                  (units[i + 1].kind == TokenKind::Assign || units[i + 1].kind == TokenKind::Colon);
    u.keyword = !after_dot && !is_key;
  }
  return units;
}

enum class Bracket { Block, Object, Other };

struct Line {
  std::vector<Unit> units;      // without the line break
  int indent = 0;               // levels
  bool closes_block = false;    // starts with the `}` of a block
  bool one_line_block = false;  // a whole block on one line: `output "x" { value = 1 }`
  bool opens = false;           // ends with more openers than closers
  bool starts_with_closer = false;
  // Text cells: lead (up to `=`), assign (from `=`), trailing comment.
  std::string lead, assign, comment;
  bool has_assign = false;
  bool multiline = false;
};

// One space between `prev` and `next`, or none. `before` is the unit before `prev` (or null);
// `object_key_colon` says a colon is an object's `key: value` separator.
bool space_between(const Unit* before, const Unit& prev, const Unit& next, bool object_key_colon) {
  TokenKind p = prev.kind, n = next.kind;
  if (n == TokenKind::Comment || p == TokenKind::Comment) return true;
  if (p == TokenKind::Dot || n == TokenKind::Dot) return false;
  if (n == TokenKind::Comma || n == TokenKind::Ellipsis) return false;
  if (p == TokenKind::Comma) return true;
  if (n == TokenKind::Colon && object_key_colon) return false;
  if (n == TokenKind::LParen && p == TokenKind::Ident && !prev.keyword) return false;  // call
  if (n == TokenKind::LBrack && ends_operand(prev)) return false;                      // index
  if (p == TokenKind::Bang) return false;
  if (p == TokenKind::Minus) {
    // Unary minus (after an operator, an opener or at the start): no space after it.
    return before != nullptr && ends_operand(*before);
  }
  if (p == TokenKind::LBrace || n == TokenKind::RBrace) {
    return !(p == TokenKind::LBrace && n == TokenKind::RBrace);  // `{ a = 1 }`, but `{}`
  }
  if (is_opener(p)) return false;
  if (is_closer(n)) return false;
  return true;
}

// The text of units [from, to) with canonical spacing; `lead_before` is the unit before `from`
// (for the unary-minus rule), `key_colon` flags per unit index.
std::string join(const std::vector<Unit>& u, size_t from, size_t to,
                 const std::vector<bool>& key_colon) {
  std::string out;
  for (size_t i = from; i < to; ++i) {
    if (i > from) {
      const Unit* before = i >= 2 ? &u[i - 2] : nullptr;
      if (space_between(before, u[i - 1], u[i], key_colon[i])) out += ' ';
    }
    out.append(u[i].text);
  }
  return out;
}

// Display width of the first physical line of `s` (UTF-8 code points).
int width_of(std::string_view s) {
  int w = 0;
  for (char c : s) {
    if (c == '\n') break;
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++w;
  }
  return w;
}

std::vector<Line> split_lines(const std::vector<Unit>& units) {
  std::vector<Line> lines(1);
  for (const Unit& u : units) {
    if (u.kind == TokenKind::Newline) {
      lines.emplace_back();
    } else {
      lines.back().units.push_back(u);
    }
  }
  return lines;
}

// hclwrite's indentation: a line with a net surplus of openers indents what follows by one level
// (however many it opened); closers give back levels in the same groups.
void compute_indents(std::vector<Line>& lines) {
  std::vector<int> indents;
  std::vector<Bracket> stack;
  for (Line& line : lines) {
    if (line.units.empty()) continue;
    int net = 0;
    const size_t depth_at_start = stack.size();
    for (size_t i = 0; i < line.units.size(); ++i) {
      const Unit& u = line.units[i];
      net += bracket_change(u);
      if (u.kind == TokenKind::LBrace) {
        // A block: `type "label" ... {` at the start of a line, where bodies are.
        size_t first = 0;  // skip leading /* */ comments
        while (first < i && line.units[first].kind == TokenKind::Comment) ++first;
        bool header = first < i && line.units[first].kind == TokenKind::Ident;
        for (size_t k = first + 1; k < i && header; ++k) {
          TokenKind kk = line.units[k].kind;
          header = kk == TokenKind::Ident || kk == TokenKind::OQuote;
        }
        bool in_body = stack.empty() || stack.back() == Bracket::Block;
        stack.push_back(header && in_body ? Bracket::Block : Bracket::Object);
      } else if (u.kind == TokenKind::LBrack || u.kind == TokenKind::LParen) {
        stack.push_back(Bracket::Other);
      } else if (is_closer(u.kind) && !stack.empty()) {
        if (u.kind == TokenKind::RBrace && stack.back() == Bracket::Block) {
          if (i == 0) line.closes_block = true;
          if (stack.size() == depth_at_start + 1 && line.units[0].kind == TokenKind::Ident) {
            line.one_line_block = true;
          }
        }
        stack.pop_back();
      }
    }
    line.starts_with_closer = is_closer(line.units[0].kind);
    line.opens = net > 0;
    if (net > 0) {
      line.indent = static_cast<int>(indents.size());
      indents.push_back(net);
    } else {
      int closed = -net;
      while (closed > 0 && !indents.empty()) {
        if (closed >= indents.back()) {
          closed -= indents.back();
          indents.pop_back();
        } else {
          indents.back() -= closed;
          closed = 0;
        }
      }
      line.indent = static_cast<int>(indents.size());
    }
  }
}

// Splits each line into lead / assign / comment cells with canonical spacing inside them.
void make_cells(std::vector<Line>& lines) {
  std::vector<Bracket> stack;  // only for object-key colons
  for (Line& line : lines) {
    const auto& u = line.units;
    line.multiline = std::any_of(u.begin(), u.end(), [](const Unit& x) { return x.multiline; });
    std::vector<bool> key_colon(u.size(), false);
    for (size_t i = 0; i < u.size(); ++i) {
      if (u[i].kind == TokenKind::Colon && i >= 1 && !stack.empty() &&
          stack.back() == Bracket::Object) {
        bool key = u[i - 1].kind == TokenKind::Ident || u[i - 1].kind == TokenKind::OQuote;
        bool item_start =
            i == 1 || u[i - 2].kind == TokenKind::LBrace || u[i - 2].kind == TokenKind::Comma;
        key_colon[i] = key && item_start;
      }
      if (u[i].kind == TokenKind::LBrace) {
        bool is_for = i + 1 < u.size() && u[i + 1].keyword && u[i + 1].text == "for";
        stack.push_back(is_for ? Bracket::Other : Bracket::Object);
      } else if (is_opener(u[i].kind)) {
        stack.push_back(Bracket::Other);
      } else if (is_closer(u[i].kind) && !stack.empty()) {
        stack.pop_back();
      }
    }
    size_t end = u.size();
    if (u.size() > 1 && u.back().kind == TokenKind::Comment) {
      line.comment = std::string(u.back().text);
      --end;
    }
    // The assign cell: from the first `=` at bracket depth 0 of a value complete on this line.
    size_t assign = end;
    int depth = 0;
    for (size_t i = 0; i < end; ++i) {
      if (u[i].kind == TokenKind::Assign && i > 0 && depth == 0) {
        int net = 0;
        for (size_t k = i; k < end; ++k) net += bracket_change(u[k]);
        if (net == 0 && !u[0].multiline) assign = i;
        break;
      }
      depth += bracket_change(u[i]);
    }
    line.has_assign = assign < end;
    line.lead = join(u, 0, assign, key_colon);
    if (line.has_assign) line.assign = join(u, assign, end, key_colon);
    if (u.size() == 1 && end == 0) line.lead = line.comment, line.comment.clear();
  }
}

// Pads the `=` of consecutive assignment lines to one column, then trailing comments likewise.
void align(std::vector<Line>& lines) {
  std::vector<int> pad_assign(lines.size(), 1);
  for (size_t i = 0; i < lines.size();) {
    if (!lines[i].has_assign) {
      ++i;
      continue;
    }
    size_t j = i;
    int max_lead = 0;
    while (j < lines.size() && lines[j].has_assign && lines[j].indent == lines[i].indent) {
      max_lead = std::max(max_lead, width_of(lines[j].lead));
      ++j;
    }
    for (size_t k = i; k < j; ++k) pad_assign[k] = max_lead - width_of(lines[k].lead) + 1;
    for (size_t k = i; k < j; ++k) {
      lines[k].lead += std::string(static_cast<size_t>(pad_assign[k]), ' ') + lines[k].assign;
      lines[k].assign.clear();
    }
    i = j;
  }
  for (size_t i = 0; i < lines.size();) {
    if (lines[i].comment.empty() || lines[i].multiline) {
      ++i;
      continue;
    }
    size_t j = i;
    int max_code = 0;
    while (j < lines.size() && !lines[j].comment.empty() && !lines[j].multiline) {
      max_code = std::max(max_code, 2 * lines[j].indent + width_of(lines[j].lead));
      ++j;
    }
    for (size_t k = i; k < j; ++k) {
      int pad = max_code - 2 * lines[k].indent - width_of(lines[k].lead) + 1;
      lines[k].lead += std::string(static_cast<size_t>(pad), ' ') + lines[k].comment;
      lines[k].comment.clear();
    }
    i = j;
  }
  for (Line& line : lines) {
    if (!line.comment.empty()) line.lead += " " + line.comment;  // after a multi-line unit
  }
}

}  // namespace

std::string format_tokens(const SourceFile& src) {
  std::vector<Unit> units = make_units(src, lex(src));
  std::vector<Line> lines = split_lines(units);
  compute_indents(lines);
  make_cells(lines);
  align(lines);

  std::string out;
  bool pending_blank = false;
  const Line* prev = nullptr;  // last line written
  for (const Line& line : lines) {
    if (line.units.empty()) {
      pending_blank = prev != nullptr;
      continue;
    }
    if (prev != nullptr) {
      // Blocks are separated by a blank line; runs of one-line blocks may stay together.
      bool blank =
          pending_blank || prev->closes_block || (prev->one_line_block && !line.one_line_block);
      if (prev->opens || line.starts_with_closer) blank = false;  // no blank edges in bodies
      if (blank) out += '\n';
    }
    out.append(static_cast<size_t>(2 * line.indent), ' ');
    out += trim_right(line.lead);
    out += '\n';
    pending_blank = false;
    prev = &line;
  }
  return out;
}

bool format_source(const SourceFile& src, std::string* out, Diagnostics& diags) {
  Diagnostics syntax;
  (void)parse_file(src, syntax);
  if (syntax.has_errors()) {
    diags.append(syntax);
    return false;
  }
  *out = format_tokens(src);
  return true;
}

}  // namespace orch
