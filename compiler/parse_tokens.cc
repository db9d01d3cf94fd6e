// Turns lexer tokens into the stream ANTLR parses: drops comments, keeps only significant
// newlines, matches brackets (repairing and reporting mismatches) and enforces the nesting limit
// before the recursive-descent parser can overflow the stack.
#include <fmt/format.h>

#include "OrchParser.h"
#include "compiler/parse.h"
#include "compiler/parse_support.h"

namespace orch::parse_detail {
namespace {

using P = grammar::OrchParser;

struct Frame {
  TokenKind opener;
  size_t raw;             // index of the opener in raw tokens
  bool newlines;          // newlines are significant directly inside this frame
  bool for_expr = false;  // `[for ...]` or `{for ...}`: `if` after an operand is a keyword
  int extra = 0;          // chained `?` conditionals or open template directives inside it
};

// The directive keywords after `%{`, and the token each makes with it.
size_t directive_type(std::string_view word) {
  if (word == "if") return P::CTRL_IF;
  if (word == "else") return P::CTRL_ELSE;
  if (word == "endif") return P::CTRL_ENDIF;
  if (word == "for") return P::CTRL_FOR;
  if (word == "endfor") return P::CTRL_ENDFOR;
  return 0;
}

size_t parser_type(const Token& t) {
  switch (t.kind) {
    case TokenKind::Ident:
      return P::IDENT;  // keywords and function names are typed by context (Preparer::name_type)
    case TokenKind::Number:
      return P::NUMBER;
    case TokenKind::OQuote:
      return P::OQUOTE;
    case TokenKind::CQuote:
      return P::CQUOTE;
    case TokenKind::OHeredoc:
      return P::OHEREDOC;
    case TokenKind::CHeredoc:
      return P::CHEREDOC;
    case TokenKind::TemplateLit:
      return P::TEMPLATE_LIT;
    case TokenKind::TemplateInterp:
      return P::TEMPLATE_INTERP;
    case TokenKind::TemplateControl:
      return P::TEMPLATE_CONTROL;
    case TokenKind::TemplateSeal:
      return P::TEMPLATE_SEAL;
    case TokenKind::LBrace:
      return P::LBRACE;
    case TokenKind::RBrace:
      return P::RBRACE;
    case TokenKind::LBrack:
      return P::LBRACK;
    case TokenKind::RBrack:
      return P::RBRACK;
    case TokenKind::LParen:
      return P::LPAREN;
    case TokenKind::RParen:
      return P::RPAREN;
    case TokenKind::Comma:
      return P::COMMA;
    case TokenKind::Dot:
      return P::DOT;
    case TokenKind::Ellipsis:
      return P::ELLIPSIS;
    case TokenKind::Colon:
      return P::COLON;
    case TokenKind::Question:
      return P::QUESTION;
    case TokenKind::Assign:
      return P::ASSIGN;
    case TokenKind::FatArrow:
      return P::ARROW;
    case TokenKind::Plus:
      return P::PLUS;
    case TokenKind::Minus:
      return P::MINUS;
    case TokenKind::Star:
      return P::STAR;
    case TokenKind::Slash:
      return P::SLASH;
    case TokenKind::Percent:
      return P::PERCENT;
    case TokenKind::Equal:
      return P::EQ;
    case TokenKind::NotEqual:
      return P::NEQ;
    case TokenKind::Less:
      return P::LT;
    case TokenKind::LessEqual:
      return P::LE;
    case TokenKind::Greater:
      return P::GT;
    case TokenKind::GreaterEqual:
      return P::GE;
    case TokenKind::And:
      return P::AND;
    case TokenKind::Or:
      return P::OR;
    case TokenKind::Bang:
      return P::NOT;
    case TokenKind::Newline:
      return P::NL;
    case TokenKind::Eof:
      return kEofType;
    case TokenKind::Comment:
    case TokenKind::Invalid:
      break;
  }
  return 0;
}

// The closer that matches an opener, or Eof when `k` is not an opener.
TokenKind closer_of(TokenKind k) {
  switch (k) {
    case TokenKind::LBrace:
      return TokenKind::RBrace;
    case TokenKind::LBrack:
      return TokenKind::RBrack;
    case TokenKind::LParen:
      return TokenKind::RParen;
    case TokenKind::TemplateInterp:
    case TokenKind::TemplateControl:
      return TokenKind::TemplateSeal;
    case TokenKind::OQuote:
      return TokenKind::CQuote;
    case TokenKind::OHeredoc:
      return TokenKind::CHeredoc;
    default:
      return TokenKind::Eof;
  }
}

bool is_bracket(TokenKind k) {
  return k == TokenKind::LBrace || k == TokenKind::LBrack || k == TokenKind::LParen ||
         k == TokenKind::RBrace || k == TokenKind::RBrack || k == TokenKind::RParen;
}

bool is_closer(TokenKind k) {
  return k == TokenKind::RBrace || k == TokenKind::RBrack || k == TokenKind::RParen ||
         k == TokenKind::TemplateSeal || k == TokenKind::CQuote || k == TokenKind::CHeredoc;
}

std::string spell(TokenKind k) {
  switch (k) {
    case TokenKind::LBrace:
      return "{";
    case TokenKind::RBrace:
      return "}";
    case TokenKind::LBrack:
      return "[";
    case TokenKind::RBrack:
      return "]";
    case TokenKind::LParen:
      return "(";
    case TokenKind::RParen:
      return ")";
    case TokenKind::TemplateInterp:
      return "${";
    case TokenKind::TemplateControl:
      return "%{";
    case TokenKind::TemplateSeal:
      return "}";
    default:
      return "?";
  }
}

class Preparer {
 public:
  Preparer(const SourceFile& src, Entry entry, ErrorSink& sink, Diagnostics& diags)
      : src_(src), entry_(entry), sink_(sink) {
    size_t before = diags.size();
    out_.raw = lex(src, diags, entry == Entry::Template ? LexMode::Template : LexMode::Normal);
    // Lexical errors were reported by lex(); mark their lines so parser errors there are quiet.
    for (size_t i = before; i < diags.size(); ++i) {
      const Range& r = diags.list()[i].range;
      sink_.error(r.start.byte, r.end.byte, {});
    }
  }

  ParserTokens run() {
    const auto& raw = out_.raw;
    out_.types.reserve(raw.size() + 1);
    out_.origin.reserve(raw.size() + 1);
    out_.start.reserve(raw.size() + 1);
    out_.end.reserve(raw.size() + 1);
    for (size_t i = 0; i < raw.size() && !out_.too_deep; ++i) {
      const Token& t = raw[i];
      switch (t.kind) {
        case TokenKind::Comment:
          if (t.text.find('\n') != std::string_view::npos) newline(i);
          continue;
        case TokenKind::Invalid:
          continue;  // reported by the lexer
        case TokenKind::Newline:
          newline(i);
          continue;
        case TokenKind::Eof:
          finish(i);
          continue;
        default:
          break;
      }
      if (i == skip_) continue;  // a directive keyword, merged into its `%{`
      if (t.kind == TokenKind::OQuote) {
        size_t close = plain_string(i);
        if (close != npos) {
          i = close;
          continue;
        }
      }
      if (is_closer(t.kind)) {
        if (!close(i)) continue;  // stray closer: reported and dropped
      }
      if (t.kind == TokenKind::Question && !stack_.empty()) {
        ++stack_.back().extra;
        if (!depth_ok(i)) return std::move(out_);
      } else if (t.kind == TokenKind::Question) {
        ++top_extra_;
        if (!depth_ok(i)) return std::move(out_);
      }
      if (t.kind == TokenKind::Comma) reset_extra();
      // Prefix operators recurse in the parser too: a run of them counts as nesting.
      bool unary = t.kind == TokenKind::Bang || (t.kind == TokenKind::Minus && !operand_end_);
      unary_run_ = unary ? unary_run_ + 1 : 0;
      if (unary && !depth_ok(i)) return std::move(out_);
      size_t type = t.kind == TokenKind::Ident ? name_type(i) : parser_type(t);
      operand_end_ = t.kind == TokenKind::Number || t.kind == TokenKind::CQuote ||
                     t.kind == TokenKind::CHeredoc || t.kind == TokenKind::RParen ||
                     t.kind == TokenKind::RBrack || t.kind == TokenKind::RBrace ||
                     (t.kind == TokenKind::Ident && type == P::IDENT);
      if (t.kind == TokenKind::TemplateControl) {
        type = directive(i);
        if (out_.too_deep) return std::move(out_);
      }
      push(i, type);
      if (type >= P::CTRL_IF && type <= P::CTRL_ENDFOR) out_.end.back() = raw[skip_].end;
      if (closer_of(t.kind) != TokenKind::Eof) {
        Frame f{t.kind, i, opener_keeps_newlines(i)};
        f.for_expr = starts_for_expression(i);
        stack_.push_back(f);
        if (f.for_expr) expect_for_intro(next_significant(i));
        if (!depth_ok(i)) return std::move(out_);
      }
    }
    return std::move(out_);
  }

 private:
  void push(size_t raw_index) { push(raw_index, parser_type(out_.raw[raw_index])); }

  void push(size_t raw_index, size_t type) {
    const Token& t = out_.raw[raw_index];
    out_.types.push_back(static_cast<uint16_t>(type));
    out_.origin.push_back(static_cast<int32_t>(raw_index));
    out_.start.push_back(t.start);
    out_.end.push_back(t.end);
  }

  void push_synthetic(size_t type, int64_t at) {
    out_.types.push_back(static_cast<uint16_t>(type));
    out_.origin.push_back(-1);
    out_.start.push_back(at);
    out_.end.push_back(at);
  }

  bool newlines_significant() const {
    if (stack_.empty()) return entry_ != Entry::Template;
    return stack_.back().newlines;
  }

  void newline(size_t i) {
    if (!newlines_significant()) return;
    reset_extra();
    if (!out_.types.empty() && out_.types.back() == P::NL) return;
    if (stack_.empty() && entry_ == Entry::File) out_.boundaries.push_back(out_.types.size());
    push(i);
    if (out_.raw[i].kind == TokenKind::Comment) {  // a multi-line comment stands for a newline
      out_.start.back() = out_.end.back() = out_.raw[i].end;
    }
  }

  void reset_extra() {
    if (stack_.empty()) {
      top_extra_ = 0;
    } else if (stack_.back().opener != TokenKind::OQuote &&
               stack_.back().opener != TokenKind::OHeredoc) {
      stack_.back().extra = 0;
    }
  }

  // `{` starts a body or object (newline-sensitive) unless it is `{for name ...`.
  bool opener_keeps_newlines(size_t i) const {
    return out_.raw[i].kind == TokenKind::LBrace && !starts_for_expression(i);
  }

  // `[for name` or `{for name` in an expression (a block body's `{` follows a name or label).
  bool starts_for_expression(size_t i) const {
    const auto& raw = out_.raw;
    if (raw[i].kind != TokenKind::LBrack && raw[i].kind != TokenKind::LBrace) return false;
    if (raw[i].kind == TokenKind::LBrace && !out_.types.empty()) {
      // The `{` itself was pushed already: look at what came before it.
      size_t n = out_.types.size();
      size_t before = n >= 2 ? out_.types[n - 2] : 0;
      if (before == P::IDENT || before == P::STRING || before == P::CQUOTE) return false;
    }
    size_t j = next_significant(i);
    if (j >= raw.size() || raw[j].kind != TokenKind::Ident || raw[j].text != "for") return false;
    size_t k = next_significant(j);
    return k < raw.size() && raw[k].kind == TokenKind::Ident;
  }

  size_t next_significant(size_t i) const {
    for (++i; i < out_.raw.size(); ++i) {
      TokenKind k = out_.raw[i].kind;
      if (k != TokenKind::Newline && k != TokenKind::Comment) return i;
    }
    return i;
  }

  // The parser type of a name: a keyword where the grammar has one, FUNCTION_NAME before `(`,
  // otherwise IDENT (so `for`, `in`, `if`... stay usable as attribute and variable names).
  size_t name_type(size_t i) const {
    const Token& t = out_.raw[i];
    if (i == for_keyword_) return P::FOR;
    if (i == in_keyword_) return P::IN;
    if (t.text == "if" && !stack_.empty() && stack_.back().for_expr &&
        (operand_end_ || (!out_.types.empty() && out_.types.back() == P::ELLIPSIS))) {
      return P::IF;
    }
    bool after_dot = !out_.types.empty() && out_.types.back() == P::DOT;
    if (!after_dot && i + 1 < out_.raw.size() && out_.raw[i + 1].kind == TokenKind::LParen) {
      return P::FUNCTION_NAME;
    }
    return P::IDENT;
  }

  // After the `for` at raw index `kw`: marks it, and the `in` after its one or two names.
  void expect_for_intro(size_t kw) {
    const auto& raw = out_.raw;
    for_keyword_ = kw;
    size_t j = next_significant(kw);  // first name
    if (j >= raw.size() || raw[j].kind != TokenKind::Ident) return;
    size_t k = next_significant(j);
    if (k < raw.size() && raw[k].kind == TokenKind::Comma) {
      j = next_significant(k);  // second name
      if (j >= raw.size() || raw[j].kind != TokenKind::Ident) return;
      k = next_significant(j);
    }
    if (k < raw.size() && raw[k].kind == TokenKind::Ident && raw[k].text == "in") in_keyword_ = k;
  }

  // `%{` and its keyword become one CTRL_* token (the keyword is skipped); `%{if`/`%{for` nest
  // until `%{endif}`/`%{endfor}`, counted on the enclosing template's frame.
  size_t directive(size_t i) {
    const auto& raw = out_.raw;
    size_t j = next_significant(i);
    size_t type =
        j < raw.size() && raw[j].kind == TokenKind::Ident ? directive_type(raw[j].text) : 0;
    if (type == 0) {
      const Token& t = raw[i];
      auto* d = sink_.error(t.start, t.end, "invalid template directive");
      if (d)
        d->detail =
            "A `%{` starts a directive: `%{if ...}`, `%{else}`, `%{endif}`, `%{for ...}` or "
            "`%{endfor}`. Write `%%{` for a literal `%{`.";
      return P::TEMPLATE_CONTROL;
    }
    skip_ = j;
    int& extra = stack_.empty() ? top_extra_ : stack_.back().extra;
    if (type == P::CTRL_IF || type == P::CTRL_FOR) {
      ++extra;
      depth_ok(i);
    } else if ((type == P::CTRL_ENDIF || type == P::CTRL_ENDFOR) && extra > 0) {
      --extra;
    }
    if (type == P::CTRL_FOR) {
      expect_for_intro(j);
      for_keyword_ = npos;
    }
    return type;
  }

  // A quoted string without interpolation or directives becomes one STRING token (its origin is
  // the opening quote). Returns the raw index of the closing quote, or npos for a template.
  size_t plain_string(size_t i) {
    const auto& raw = out_.raw;
    size_t j = i + 1;
    while (j < raw.size() && raw[j].kind == TokenKind::TemplateLit) ++j;
    if (j >= raw.size() || raw[j].kind != TokenKind::CQuote) return npos;
    unary_run_ = 0;
    operand_end_ = true;
    push(i, P::STRING);
    out_.end.back() = raw[j].end;
    return j;
  }

  int depth() const {
    int d = static_cast<int>(stack_.size()) + top_extra_ + unary_run_;
    for (const Frame& f : stack_) d += f.extra;
    return d;
  }

  bool depth_ok(size_t i) {
    if (depth() <= kMaxNestingDepth) return true;
    const Token& t = out_.raw[i];
    auto* d =
        sink_.force_error(t.start, std::max(t.end, t.start + 1),
                          fmt::format("nesting too deep: more than {} levels", kMaxNestingDepth));
    if (d) {
      d->detail = fmt::format(
          "Brackets, strings, template directives and chained conditionals may nest at most {} "
          "levels deep. Split the expression into locals.",
          kMaxNestingDepth);
    }
    out_.too_deep = true;
    return false;
  }

  // Handles a closer; returns false when it matches no opener and was dropped.
  bool close(size_t i) {
    const Token& t = out_.raw[i];
    size_t match = stack_.size();
    while (match > 0 && closer_of(stack_[match - 1].opener) != t.kind) --match;
    if (match == 0) {
      out_.structure_errors = true;
      auto* d = sink_.error(t.start, t.end, fmt::format("unexpected `{}`", t.text));
      if (stack_.empty()) {
        if (d) d->detail = "There is no open bracket for it to close.";
        return false;
      }
      const Token& o = out_.raw[stack_.back().raw];
      if (d) {
        d->summary = fmt::format("mismatched `{}`: expected `{}` to close `{}`", t.text,
                                 spell(closer_of(o.kind)), o.text);
        d->notes.push_back({fmt::format("`{}` opened here", o.text), src_.range(o.start, o.end)});
      }
      if (is_bracket(o.kind) && is_bracket(t.kind)) {
        // Most likely the wrong bracket was typed: let it close the open one.
        push(i);
        out_.types.back() = parser_type(Token{closer_of(o.kind), 0, 0, {}});
        stack_.pop_back();
      }
      return false;
    }
    // Frames above the match were never closed: report the innermost, close all.
    while (stack_.size() > match) {
      unclosed(stack_.back(), t.start, t.end, fmt::format("found `{}` instead", t.text));
      stack_.pop_back();
    }
    stack_.pop_back();
    return true;
  }

  void unclosed(const Frame& f, int64_t at_start, int64_t at_end, const std::string& found) {
    const Token& o = out_.raw[f.raw];
    TokenKind closer = closer_of(f.opener);
    out_.structure_errors = true;
    auto* d = sink_.error(at_start, at_end, fmt::format("unclosed `{}`", o.text),
                          fmt::format("Expected `{}` to close the `{}` opened at line {}, column "
                                      "{}; {}.",
                                      spell(closer), o.text, src_.pos_at(o.start).line,
                                      src_.pos_at(o.start).column, found));
    if (d)
      d->notes.push_back({fmt::format("`{}` opened here", o.text), src_.range(o.start, o.end)});
    push_synthetic(parser_type(Token{closer, 0, 0, {}}), at_start);
  }

  void finish(size_t i) {
    const Token& t = out_.raw[i];
    while (!stack_.empty()) {
      unclosed(stack_.back(), t.start, t.end, "the file ends first");
      stack_.pop_back();
    }
    if (entry_ != Entry::Template && (out_.types.empty() || out_.types.back() != P::NL)) {
      push_synthetic(P::NL, t.start);
    }
    push(i);
  }

  static constexpr size_t npos = static_cast<size_t>(-1);

  const SourceFile& src_;
  Entry entry_;
  ErrorSink& sink_;
  ParserTokens out_;
  std::vector<Frame> stack_;
  int top_extra_ = 0;
  int unary_run_ = 0;
  bool operand_end_ = false;
  size_t skip_ = npos;         // a raw token already consumed with the one before it
  size_t for_keyword_ = npos;  // the raw index of the next `for` keyword
  size_t in_keyword_ = npos;   // the raw index of the next `in` keyword
};

}  // namespace

Diagnostic* ErrorSink::error(int64_t start, int64_t end, std::string summary, std::string detail) {
  int line = src_.pos_at(start).line;
  if (!lines_.insert(line).second) return nullptr;
  if (summary.empty()) return nullptr;  // only marks the line (already reported elsewhere)
  ++count_;
  return &diags_.error(src_.range(start, end), std::move(summary), std::move(detail));
}

Diagnostic* ErrorSink::force_error(int64_t start, int64_t end, std::string summary) {
  lines_.insert(src_.pos_at(start).line);
  ++count_;
  return &diags_.error(src_.range(start, end), std::move(summary));
}

ParserTokens prepare_tokens(const SourceFile& src, Entry entry, ErrorSink& sink,
                            Diagnostics& diags) {
  return Preparer(src, entry, sink, diags).run();
}

std::string describe_token(const ParserTokens& t, size_t i) {
  if (i >= t.types.size()) return "end of file";
  size_t type = t.types[i];
  if (type == kEofType) return "end of file";
  if (type == P::NL) return "newline";
  if (t.origin[i] < 0) return "end of file";
  switch (type) {
    case P::CTRL_IF:
      return "`%{if`";
    case P::CTRL_ELSE:
      return "`%{else}`";
    case P::CTRL_ENDIF:
      return "`%{endif}`";
    case P::CTRL_FOR:
      return "`%{for`";
    case P::CTRL_ENDFOR:
      return "`%{endfor}`";
    default:
      break;
  }
  const Token& r = t.raw[t.origin[i]];
  switch (r.kind) {
    case TokenKind::OQuote:
      return "a string";
    case TokenKind::OHeredoc:
      return "a heredoc";
    case TokenKind::TemplateLit:
      return "string text";
    case TokenKind::Number:
      return fmt::format("number `{}`", r.text);
    default:
      break;
  }
  std::string_view text = r.text;
  if (text.size() > 40) return fmt::format("`{}...`", text.substr(0, 40));
  return fmt::format("`{}`", text);
}

}  // namespace orch::parse_detail

namespace orch::parse_detail {

std::string SlimToken::getText() const {
  int32_t o = global_ < t_->origin.size() ? t_->origin[global_] : -1;
  return o >= 0 ? std::string(t_->raw[o].text) : std::string();
}

size_t SlimToken::getStartIndex() const {
  return global_ < t_->start.size() ? static_cast<size_t>(t_->start[global_]) : 0;
}

ChunkStream::ChunkStream(const ParserTokens& t, size_t begin, size_t end) {
  tokens_.reserve(end - begin + 1);
  for (size_t i = begin; i < end; ++i) tokens_.emplace_back(t, i, t.types[i], tokens_.size());
  // EOF sits where the chunk ends (the next chunk's first token, or the real EOF).
  tokens_.emplace_back(t, std::min(end, t.types.size() - 1), kEofType, tokens_.size());
}

antlr4::Token* ChunkStream::LT(ssize_t k) {
  if (k == 0) return nullptr;
  if (k < 0) {
    return static_cast<ssize_t>(pos_) + k < 0 ? nullptr : &tokens_[pos_ + k];
  }
  return &tokens_[std::min(pos_ + static_cast<size_t>(k) - 1, tokens_.size() - 1)];
}

void ChunkStream::consume() {
  if (pos_ + 1 >= tokens_.size()) throw antlr4::IllegalStateException("cannot consume EOF");
  ++pos_;
}

std::string ChunkStream::getText(const antlr4::misc::Interval& interval) {
  if (interval.a < 0 || interval.b < 0) return {};
  std::string out;
  size_t last = std::min(static_cast<size_t>(interval.b), tokens_.size() - 1);
  for (size_t i = static_cast<size_t>(interval.a); i <= last; ++i) {
    if (tokens_[i].getType() == antlr4::Token::EOF) break;
    out += tokens_[i].getText();
  }
  return out;
}

std::string ChunkStream::getText(antlr4::RuleContext* ctx) {
  return ctx ? getText(ctx->getSourceInterval()) : std::string();
}

std::string ChunkStream::getText(antlr4::Token* start, antlr4::Token* stop) {
  if (!start || !stop) return {};
  return getText(antlr4::misc::Interval(start->getTokenIndex(), stop->getTokenIndex()));
}

std::unique_ptr<antlr4::Token> ChunkStream::NoSource::nextToken() {
  return std::make_unique<antlr4::CommonToken>(antlr4::Token::EOF);
}

antlr4::TokenFactory<antlr4::CommonToken>* ChunkStream::NoSource::getTokenFactory() {
  return antlr4::CommonTokenFactory::DEFAULT.get();
}

}  // namespace orch::parse_detail
