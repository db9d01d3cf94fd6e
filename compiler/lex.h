// The lexer of .orch files: bytes → tokens, including comments and newlines (for the formatter).
//
// HCL's lexical structure is context-sensitive (nested string templates, heredocs, `.0` legacy
// indexes), so it is scanned by hand here; the ANTLR grammar (grammar/Orch.g4) parses the tokens.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/diagnostic.h"
#include "compiler/source.h"

namespace orch {

// Token kinds. The numeric values are stable; append new kinds at the end.
enum class TokenKind {
  Eof,              // end of input (always the last token; empty text)
  Newline,          // "\n" or "\r\n" outside strings; one token per line break
  Comment,          // `# ...` or `// ...` (without the line break), or `/* ... */`
  Ident,            // foo, foo-bar, _x, also keywords: for in if else endif endfor true false null
  Number,           // 1, 1.5, 1e3, 2.5E-3 (after `.` only digits: `a.0.1` is two legacy indexes)
  OQuote,           // `"` opening a quoted template
  CQuote,           // `"` closing a quoted template
  OHeredoc,         // `<<EOT` or `<<-EOT` including the line break after the marker
  CHeredoc,         // the closing marker `EOT` (leading whitespace not included)
  TemplateLit,      // literal text inside a template, raw (escapes not decoded; see decode_*)
  TemplateInterp,   // `${` or `${~`
  TemplateControl,  // `%{` or `%{~`
  TemplateSeal,     // `}` or `~}` closing an interpolation or directive
  LBrace,           // {
  RBrace,           // }
  LBrack,           // [
  RBrack,           // ]
  LParen,           // (
  RParen,           // )
  Comma,            // ,
  Dot,              // .
  Ellipsis,         // ...
  Colon,            // :
  Question,         // ?
  Assign,           // =
  FatArrow,         // =>
  Plus,             // +
  Minus,            // -
  Star,             // *
  Slash,            // /
  Percent,          // %
  Equal,            // ==
  NotEqual,         // !=
  Less,             // <
  LessEqual,        // <=
  Greater,          // >
  GreaterEqual,     // >=
  And,              // &&
  Or,               // ||
  Bang,             // !
  Invalid,          // a byte sequence that is not a token; `error` says why
};

struct Token {
  TokenKind kind = TokenKind::Eof;
  int64_t start = 0;      // byte offset of the first byte
  int64_t end = 0;        // byte offset one past the last byte
  std::string_view text;  // view into the SourceFile's text: [start, end)
};

// A lexical problem: every Invalid token has one; so do the OQuote of an unterminated string,
// the OHeredoc of an unterminated heredoc and the Comment of an unterminated `/*`.
struct LexError {
  size_t token = 0;  // index into the token vector
  std::string message;
};

// How the input starts: an ordinary file/expression, or a bare template (templatefile()).
enum class LexMode { Normal, Template };

// Tokenizes the whole file. Never fails: problems become Invalid tokens (and, when `errors` is
// given, LexErrors). The returned views point into `src`, which must outlive the tokens.
// An unterminated string or heredoc still gets its closing token (zero-width, at the point
// where the lexer gave up), so that openers and closers always pair up.
std::vector<Token> lex(const SourceFile& src, LexMode mode = LexMode::Normal,
                       std::vector<LexError>* errors = nullptr);

// Like lex(), and reports every lexical problem (invalid characters, invalid UTF-8,
// unterminated strings/comments/heredocs, bad escapes) to `diags`.
std::vector<Token> lex(const SourceFile& src, Diagnostics& diags, LexMode mode = LexMode::Normal);

// Decodes the escapes of a quoted-string TemplateLit: \n \r \t \" \\ \uNNNN \UNNNNNNNN, and
// `$${` → `${`, `%%{` → `%{`. Returns false and sets `error` (with `error_offset`, the byte offset
// in `raw`) on an invalid escape; `out` then holds the text decoded so far.
bool decode_quoted(std::string_view raw, std::string* out, std::string* error = nullptr,
                   size_t* error_offset = nullptr);

// Decodes a heredoc or bare-template TemplateLit: only `$${` → `${` and `%%{` → `%{`.
std::string decode_heredoc(std::string_view raw);

// Human name of a token kind for messages: "`{`", "newline", "identifier", "end of file".
std::string token_kind_name(TokenKind kind);

// True when `text` is valid UTF-8; otherwise sets `bad_offset` to the first invalid byte.
bool valid_utf8(std::string_view text, size_t* bad_offset = nullptr);

}  // namespace orch
