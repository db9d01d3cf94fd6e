// The hand-written scanner: an explicit stack of modes (expression, quoted template, heredoc,
// bare template) so nesting like "${"${x}"}" never recurses.
#include "compiler/lex.h"

#include <fmt/format.h>

#include <algorithm>

namespace orch {
namespace {

enum class Frame { Brace, Interp, Quoted, Heredoc, Bare };

struct HeredocInfo {
  std::string_view marker;
};

bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_ident_char(char c) {
  return is_ident_start(c) || (c >= '0' && c <= '9') || c == '-';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Length of the valid UTF-8 sequence at `p`, or 0 when the bytes there are not valid UTF-8.
size_t utf8_len(std::string_view s, size_t p) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = b(p);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, cp = c & 0x07;
  } else {
    return 0;
  }
  if (p + n > s.size()) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((b(p + i) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(p + i) & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
  return n;
}

class Scanner {
 public:
  Scanner(const SourceFile& src, LexMode mode) : s_(src.text()) {
    if (mode == LexMode::Template) stack_.push_back(Frame::Bare);
    out_.reserve(s_.size() / 4 + 16);
  }

  std::vector<LexError> take_errors() { return std::move(errors_); }

  std::vector<Token> run() {
    while (p_ < s_.size()) {
      Frame top = stack_.empty() ? Frame::Brace : stack_.back();
      switch (top) {
        case Frame::Quoted:
          scan_quoted();
          break;
        case Frame::Heredoc:
        case Frame::Bare:
          scan_heredoc(top == Frame::Bare);
          break;
        default:
          scan_normal();
      }
    }
    close_at_eof();
    emit(TokenKind::Eof, p_, p_);
    return std::move(out_);
  }

 private:
  Token& emit(TokenKind k, size_t start, size_t end, std::string error = {}) {
    if (!error.empty()) errors_.push_back(LexError{out_.size(), std::move(error)});
    out_.push_back(Token{k, static_cast<int64_t>(start), static_cast<int64_t>(end),
                         s_.substr(start, end - start)});
    if (k != TokenKind::Comment && k != TokenKind::Newline) prev_ = k;
    return out_.back();
  }

  bool at(size_t i, char c) const { return i < s_.size() && s_[i] == c; }
  bool starts(size_t i, std::string_view t) const { return s_.substr(i, t.size()) == t; }

  // At end of input, every open template is unterminated: mark its opener and close it with a
  // zero-width token so that the parser sees balanced structure.
  void close_at_eof() {
    while (!stack_.empty()) {
      Frame f = stack_.back();
      stack_.pop_back();
      if (f == Frame::Quoted) {
        mark_opener(TokenKind::OQuote, "unterminated string");
        emit(TokenKind::CQuote, p_, p_);
      } else if (f == Frame::Heredoc) {
        heredocs_.pop_back();
        mark_opener(TokenKind::OHeredoc, "unterminated heredoc");
        emit(TokenKind::CHeredoc, p_, p_);
      } else if (f == Frame::Interp) {
        // Reported by the parser's bracket check ("unclosed `${`").
      }
    }
  }

  void mark_opener(TokenKind kind, const std::string& what) {
    for (size_t i = out_.size(); i-- > 0;) {
      if (out_[i].kind != kind) continue;
      for (const LexError& e : errors_) {
        if (e.token == i) return;  // already marked
      }
      errors_.push_back(LexError{i, what});
      return;
    }
  }

  void scan_normal() {
    size_t st = p_;
    char c = s_[p_];
    switch (c) {
      case ' ':
      case '\t':
        ++p_;
        return;
      case '\r':
        if (at(p_ + 1, '\n')) {
          p_ += 2;
          emit(TokenKind::Newline, st, p_);
        } else {
          ++p_;
        }
        return;
      case '\n':
        ++p_;
        emit(TokenKind::Newline, st, p_);
        return;
      case '#':
        line_comment();
        return;
      case '/':
        if (at(p_ + 1, '/')) return line_comment();
        if (at(p_ + 1, '*')) return block_comment();
        return op(TokenKind::Slash, 1);
      case '"':
        ++p_;
        emit(TokenKind::OQuote, st, p_);
        stack_.push_back(Frame::Quoted);
        return;
      case '<':
        if (at(p_ + 1, '<')) return heredoc_start();
        if (at(p_ + 1, '=')) return op(TokenKind::LessEqual, 2);
        return op(TokenKind::Less, 1);
      case '>':
        if (at(p_ + 1, '=')) return op(TokenKind::GreaterEqual, 2);
        return op(TokenKind::Greater, 1);
      case '=':
        if (at(p_ + 1, '=')) return op(TokenKind::Equal, 2);
        if (at(p_ + 1, '>')) return op(TokenKind::FatArrow, 2);
        return op(TokenKind::Assign, 1);
      case '!':
        if (at(p_ + 1, '=')) return op(TokenKind::NotEqual, 2);
        return op(TokenKind::Bang, 1);
      case '&':
        if (at(p_ + 1, '&')) return op(TokenKind::And, 2);
        return invalid(1, "invalid character `&`; did you mean `&&`?");
      case '|':
        if (at(p_ + 1, '|')) return op(TokenKind::Or, 2);
        return invalid(1, "invalid character `|`; did you mean `||`?");
      case '{':
        stack_.push_back(Frame::Brace);
        return op(TokenKind::LBrace, 1);
      case '}':
        return close_brace(1);
      case '~':
        if (at(p_ + 1, '}') && !stack_.empty() && stack_.back() == Frame::Interp) {
          return close_brace(2);
        }
        return invalid(1, "invalid character `~`");
      case '[':
        return op(TokenKind::LBrack, 1);
      case ']':
        return op(TokenKind::RBrack, 1);
      case '(':
        return op(TokenKind::LParen, 1);
      case ')':
        return op(TokenKind::RParen, 1);
      case ',':
        return op(TokenKind::Comma, 1);
      case ':':
        return op(TokenKind::Colon, 1);
      case '?':
        return op(TokenKind::Question, 1);
      case '+':
        return op(TokenKind::Plus, 1);
      case '-':
        return op(TokenKind::Minus, 1);
      case '*':
        return op(TokenKind::Star, 1);
      case '%':
        return op(TokenKind::Percent, 1);
      case '.':
        if (starts(p_, "...")) return op(TokenKind::Ellipsis, 3);
        return op(TokenKind::Dot, 1);
      default:
        break;
    }
    if (is_ident_start(c)) {
      while (p_ < s_.size() && is_ident_char(s_[p_])) ++p_;
      emit(TokenKind::Ident, st, p_);
      return;
    }
    if (is_digit(c)) return number();
    size_t n = utf8_len(s_, p_);
    if (n == 0) {
      return invalid(1, fmt::format("invalid UTF-8: byte 0x{:02X} is not valid here",
                                    static_cast<unsigned char>(c)));
    }
    if (n == 1) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
        return invalid(1, fmt::format("invalid character (control byte 0x{:02X})",
                                      static_cast<unsigned char>(c)));
      }
      return invalid(1, fmt::format("invalid character `{}`", c));
    }
    invalid(n, fmt::format("invalid character `{}`; only ASCII is allowed outside strings "
                           "and comments",
                           s_.substr(p_, n)));
  }

  void op(TokenKind k, size_t n) {
    emit(k, p_, p_ + n);
    p_ += n;
  }

  void invalid(size_t n, std::string why) {
    emit(TokenKind::Invalid, p_, p_ + n, std::move(why));
    p_ += n;
  }

  void close_brace(size_t n) {
    if (!stack_.empty() && stack_.back() == Frame::Interp) {
      stack_.pop_back();
      return op(TokenKind::TemplateSeal, n);
    }
    if (!stack_.empty() && stack_.back() == Frame::Brace) stack_.pop_back();
    op(TokenKind::RBrace, n);
  }

  void line_comment() {
    size_t st = p_;
    while (p_ < s_.size() && s_[p_] != '\n' && !(s_[p_] == '\r' && at(p_ + 1, '\n'))) ++p_;
    emit(TokenKind::Comment, st, p_);
  }

  void block_comment() {
    size_t st = p_;
    size_t e = s_.find("*/", p_ + 2);
    if (e == std::string_view::npos) {
      p_ = s_.size();
      emit(TokenKind::Comment, st, p_, "unterminated comment: `/*` is never closed by `*/`");
      return;
    }
    p_ = e + 2;
    emit(TokenKind::Comment, st, p_);
  }

  void number() {
    size_t st = p_;
    while (p_ < s_.size() && is_digit(s_[p_])) ++p_;
    // After `.`, a number is a legacy index: `a.0.1` is a[0][1], never a[0.1].
    if (prev_ != TokenKind::Dot) {
      if (at(p_, '.') && p_ + 1 < s_.size() && is_digit(s_[p_ + 1])) {
        ++p_;
        while (p_ < s_.size() && is_digit(s_[p_])) ++p_;
      }
      if (at(p_, 'e') || at(p_, 'E')) {
        size_t q = p_ + 1;
        if (at(q, '+') || at(q, '-')) ++q;
        if (q < s_.size() && is_digit(s_[q])) {
          p_ = q;
          while (p_ < s_.size() && is_digit(s_[p_])) ++p_;
        }
      }
    }
    emit(TokenKind::Number, st, p_);
  }

  void heredoc_start() {
    size_t st = p_;
    size_t q = p_ + 2;
    if (at(q, '-')) ++q;
    size_t name_start = q;
    if (q < s_.size() && is_ident_start(s_[q])) {
      while (q < s_.size() && is_ident_char(s_[q])) ++q;
    }
    size_t name_end = q;
    if (name_end == name_start) {
      return invalid(q - st, "invalid heredoc: expected a marker name after `<<`, like <<EOT");
    }
    if (at(q, '\r')) ++q;
    if (!at(q, '\n')) {
      return invalid(name_end - st, "invalid heredoc: the marker must be followed by a line break");
    }
    ++q;
    p_ = q;
    emit(TokenKind::OHeredoc, st, p_);
    heredocs_.push_back(HeredocInfo{s_.substr(name_start, name_end - name_start)});
    stack_.push_back(Frame::Heredoc);
    line_start_ = true;
  }

  // Emits pending literal text [lit_start, p_) if any.
  void flush_lit(size_t lit_start) {
    if (p_ > lit_start) emit(TokenKind::TemplateLit, lit_start, p_);
  }

  // Handles `${`, `%{`, `$${`, `%%{` at p_. Returns true when it consumed something.
  bool template_sequence(size_t& lit_start) {
    char c = s_[p_];
    if (c != '$' && c != '%') return false;
    if (at(p_ + 1, c) && at(p_ + 2, '{')) {  // escaped: stays literal
      p_ += 3;
      return true;
    }
    if (!at(p_ + 1, '{')) return false;
    flush_lit(lit_start);
    size_t n = at(p_ + 2, '~') ? 3 : 2;
    op(c == '$' ? TokenKind::TemplateInterp : TokenKind::TemplateControl, n);
    stack_.push_back(Frame::Interp);
    lit_start = p_;
    return true;
  }

  // Checks the byte at p_ for invalid UTF-8; emits an Invalid token for it. Returns true if bad.
  bool bad_utf8(size_t& lit_start) {
    if (static_cast<unsigned char>(s_[p_]) < 0x80) return false;
    size_t n = utf8_len(s_, p_);
    if (n > 0) {
      p_ += n;
      return true;
    }
    flush_lit(lit_start);
    invalid(1, fmt::format("invalid UTF-8: byte 0x{:02X} is not valid here",
                           static_cast<unsigned char>(s_[p_])));
    lit_start = p_;
    return true;
  }

  void scan_quoted() {
    size_t lit_start = p_;
    while (p_ < s_.size()) {
      char c = s_[p_];
      if (c == '"') {
        flush_lit(lit_start);
        stack_.pop_back();
        op(TokenKind::CQuote, 1);
        return;
      }
      if (c == '\n' || (c == '\r' && at(p_ + 1, '\n'))) {
        flush_lit(lit_start);
        stack_.pop_back();
        mark_opener(TokenKind::OQuote, "unterminated string");
        emit(TokenKind::CQuote, p_, p_);  // zero-width close; the newline follows
        return;
      }
      if (c == '\\') {
        escape(lit_start);
        continue;
      }
      if (template_sequence(lit_start)) {
        if (stack_.back() != Frame::Quoted) return;
        continue;
      }
      if (bad_utf8(lit_start)) continue;
      ++p_;
    }
    flush_lit(lit_start);
  }

  void escape(size_t& lit_start) {
    size_t st = p_;
    char e = p_ + 1 < s_.size() ? s_[p_ + 1] : '\0';
    size_t n = 0;
    switch (e) {
      case 'n':
      case 'r':
      case 't':
      case '"':
      case '\\':
        p_ += 2;
        return;
      case 'u':
        n = 4;
        break;
      case 'U':
        n = 8;
        break;
      default:
        break;
    }
    if (n > 0) {
      std::string out;
      std::string_view seq = s_.substr(st, 2 + n);
      if (seq.size() == 2 + n && decode_quoted(seq, &out)) {
        p_ += 2 + n;
        return;
      }
    }
    // Invalid escape: report exactly the backslash and the character after it.
    p_ = st;
    flush_lit(lit_start);
    size_t len = (e == '\0' || e == '\n' || e == '\r') ? 1 : 1 + utf8_len(s_, st + 1);
    if (len == 1 && e != '\0' && e != '\n' && e != '\r') len = 2;
    std::string why =
        (e == 'u' || e == 'U')
            ? fmt::format(
                  "invalid escape `\\{}`: expected {} hexadecimal digits naming a Unicode "
                  "character",
                  e, n)
            : fmt::format(
                  "invalid escape sequence `{}`; valid escapes are \\n \\r \\t \\\" \\\\ "
                  "\\uNNNN \\UNNNNNNNN",
                  s_.substr(st, len));
    invalid(len, why);
    lit_start = p_;
  }

  void scan_heredoc(bool bare) {
    size_t lit_start = p_;
    while (p_ < s_.size()) {
      if (line_start_ && !bare) {
        flush_lit(lit_start);
        lit_start = p_;
        line_start_ = false;
        if (closing_marker()) return;
      }
      char c = s_[p_];
      if (c == '\n') {
        ++p_;
        // One literal per line, so that `<<-` indentation is stripped per line start.
        flush_lit(lit_start);
        lit_start = p_;
        line_start_ = true;
        continue;
      }
      if (template_sequence(lit_start)) {
        if (stack_.back() == Frame::Interp) return;
        continue;
      }
      if (bad_utf8(lit_start)) continue;
      ++p_;
    }
    flush_lit(lit_start);
  }

  bool closing_marker() {
    size_t q = p_;
    while (q < s_.size() && (s_[q] == ' ' || s_[q] == '\t')) ++q;
    std::string_view m = heredocs_.back().marker;
    if (!starts(q, m)) return false;
    size_t e = q + m.size();
    if (!(e == s_.size() || s_[e] == '\n' || (s_[e] == '\r' && at(e + 1, '\n')))) return false;
    p_ = e;
    emit(TokenKind::CHeredoc, q, e);
    heredocs_.pop_back();
    stack_.pop_back();
    return true;
  }

  std::string_view s_;
  size_t p_ = 0;
  std::vector<Frame> stack_;
  std::vector<HeredocInfo> heredocs_;
  std::vector<Token> out_;
  std::vector<LexError> errors_;
  TokenKind prev_ = TokenKind::Eof;
  bool line_start_ = false;
};

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

std::vector<Token> lex(const SourceFile& src, LexMode mode, std::vector<LexError>* errors) {
  Scanner scanner(src, mode);
  std::vector<Token> toks = scanner.run();
  if (errors) {
    *errors = scanner.take_errors();
    std::stable_sort(errors->begin(), errors->end(),
                     [](const LexError& a, const LexError& b) { return a.token < b.token; });
  }
  return toks;
}

std::vector<Token> lex(const SourceFile& src, Diagnostics& diags, LexMode mode) {
  std::vector<LexError> errors;
  std::vector<Token> toks = lex(src, mode, &errors);
  for (const LexError& e : errors) {
    const Token& t = toks[e.token];
    Range r = src.range(t.start, std::max(t.end, t.start + 1));
    if (t.kind == TokenKind::OHeredoc) r = src.range(t.start, t.start + 2);
    auto& d = diags.error(r, e.message);
    if (t.kind == TokenKind::OQuote) {
      d.detail =
          "A quoted string must end with `\"` on the same line; use a heredoc "
          "(<<EOT) for text that spans lines.";
    } else if (t.kind == TokenKind::OHeredoc) {
      std::string_view m = t.text.substr(2);
      if (!m.empty() && m[0] == '-') m.remove_prefix(1);
      m = m.substr(0, m.find_first_of("\r\n"));
      d.detail = fmt::format("Add a line containing only the closing marker `{}`.", m);
    }
  }
  for (const Token& t : toks) {
    if (t.kind != TokenKind::Comment) continue;
    size_t bad;
    if (!valid_utf8(t.text, &bad)) {
      diags.error(src.range(t.start + bad, t.start + bad + 1),
                  fmt::format("invalid UTF-8: byte 0x{:02X} is not valid here",
                              static_cast<unsigned char>(t.text[bad])));
    }
  }
  return toks;
}

bool valid_utf8(std::string_view text, size_t* bad_offset) {
  for (size_t p = 0; p < text.size();) {
    size_t n = utf8_len(text, p);
    if (n == 0) {
      if (bad_offset) *bad_offset = p;
      return false;
    }
    p += n;
  }
  return true;
}

bool decode_quoted(std::string_view raw, std::string* out, std::string* error,
                   size_t* error_offset) {
  out->reserve(out->size() + raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if ((c == '$' || c == '%') && i + 2 < raw.size() && raw[i + 1] == c && raw[i + 2] == '{') {
      out->push_back(c);
      out->push_back('{');
      i += 2;
      continue;
    }
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    auto fail = [&](std::string why) {
      if (error) *error = std::move(why);
      if (error_offset) *error_offset = i;
      return false;
    };
    if (i + 1 >= raw.size()) return fail("a backslash at the end of the string escapes nothing");
    char e = raw[++i];
    switch (e) {
      case 'n':
        out->push_back('\n');
        continue;
      case 'r':
        out->push_back('\r');
        continue;
      case 't':
        out->push_back('\t');
        continue;
      case '"':
      case '\\':
        out->push_back(e);
        continue;
      case 'u':
      case 'U': {
        size_t n = e == 'u' ? 4 : 8;
        if (i + n >= raw.size()) {
          --i;
          return fail("incomplete Unicode escape");
        }
        uint32_t cp = 0;
        for (size_t k = 1; k <= n; ++k) {
          int h = hex(raw[i + k]);
          if (h < 0) {
            --i;
            return fail("invalid Unicode escape: expected hexadecimal digits");
          }
          cp = cp * 16 + static_cast<uint32_t>(h);
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
          --i;
          return fail("invalid Unicode escape: not a Unicode character");
        }
        append_utf8(out, cp);
        i += n;
        continue;
      }
      default:
        --i;
        return fail(fmt::format("invalid escape sequence `\\{}`", e));
    }
  }
  return true;
}

std::string decode_heredoc(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if ((c == '$' || c == '%') && i + 2 < raw.size() && raw[i + 1] == c && raw[i + 2] == '{') {
      out.push_back(c);
      out.push_back('{');
      i += 2;
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string token_kind_name(TokenKind kind) {
  switch (kind) {
    case TokenKind::Eof:
      return "end of file";
    case TokenKind::Newline:
      return "newline";
    case TokenKind::Comment:
      return "comment";
    case TokenKind::Ident:
      return "identifier";
    case TokenKind::Number:
      return "number";
    case TokenKind::OQuote:
      return "string";
    case TokenKind::CQuote:
      return "`\"`";
    case TokenKind::OHeredoc:
      return "heredoc";
    case TokenKind::CHeredoc:
      return "heredoc end marker";
    case TokenKind::TemplateLit:
      return "string text";
    case TokenKind::TemplateInterp:
      return "`${`";
    case TokenKind::TemplateControl:
      return "`%{`";
    case TokenKind::TemplateSeal:
      return "`}`";
    case TokenKind::LBrace:
      return "`{`";
    case TokenKind::RBrace:
      return "`}`";
    case TokenKind::LBrack:
      return "`[`";
    case TokenKind::RBrack:
      return "`]`";
    case TokenKind::LParen:
      return "`(`";
    case TokenKind::RParen:
      return "`)`";
    case TokenKind::Comma:
      return "`,`";
    case TokenKind::Dot:
      return "`.`";
    case TokenKind::Ellipsis:
      return "`...`";
    case TokenKind::Colon:
      return "`:`";
    case TokenKind::Question:
      return "`?`";
    case TokenKind::Assign:
      return "`=`";
    case TokenKind::FatArrow:
      return "`=>`";
    case TokenKind::Plus:
      return "`+`";
    case TokenKind::Minus:
      return "`-`";
    case TokenKind::Star:
      return "`*`";
    case TokenKind::Slash:
      return "`/`";
    case TokenKind::Percent:
      return "`%`";
    case TokenKind::Equal:
      return "`==`";
    case TokenKind::NotEqual:
      return "`!=`";
    case TokenKind::Less:
      return "`<`";
    case TokenKind::LessEqual:
      return "`<=`";
    case TokenKind::Greater:
      return "`>`";
    case TokenKind::GreaterEqual:
      return "`>=`";
    case TokenKind::And:
      return "`&&`";
    case TokenKind::Or:
      return "`||`";
    case TokenKind::Bang:
      return "`!`";
    case TokenKind::Invalid:
      return "invalid character";
  }
  return "token";
}

}  // namespace orch
