// Internals of the parser shared by parse*.cc: the filtered token stream fed to ANTLR, the
// syntax-error sink that suppresses cascades, and the parse-tree → AST builder.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "antlr4-runtime.h"
#include "compiler/ast.h"
#include "compiler/diagnostic.h"
#include "compiler/lex.h"
#include "compiler/source.h"

namespace orch::parse_detail {

// Reports syntax errors, at most one per source line, and remembers whether parsing should
// stop reporting (after a bracket-structure error only the first parser error is kept).
class ErrorSink {
 public:
  ErrorSink(const SourceFile& src, Diagnostics& diags) : src_(src), diags_(diags) {}

  // Returns the new diagnostic, or nullptr when suppressed.
  Diagnostic* error(int64_t start, int64_t end, std::string summary, std::string detail = {});
  // Reports even on a line that already has an error (for errors that stop parsing).
  Diagnostic* force_error(int64_t start, int64_t end, std::string summary);
  bool line_has_error(int line) const { return lines_.count(line) > 0; }
  int count() const { return count_; }
  const SourceFile& source() const { return src_; }
  Range range(int64_t start, int64_t end) const { return src_.range(start, end); }

 private:
  const SourceFile& src_;
  Diagnostics& diags_;
  std::set<int> lines_;
  int count_ = 0;
};

// ParserTokens::types stores ANTLR's EOF (size_t(-1)) as this.
inline constexpr uint16_t kEofType = 0xFFFF;

// What ANTLR parses: a token type per token plus where it came from.
struct ParserTokens {
  std::vector<Token> raw;       // every token from the lexer
  std::vector<uint16_t> types;  // ANTLR token types, ending with EOF
  std::vector<int32_t> origin;  // index into `raw`, or -1 for a token inserted here
  std::vector<int64_t> start;   // byte range of each token (zero-width when inserted)
  std::vector<int64_t> end;
  std::vector<size_t> boundaries;  // indices of newlines between top-level body items
  bool too_deep = false;           // nesting limit exceeded: do not parse
  bool structure_errors = false;   // brackets were repaired: keep only the first parser error
};

enum class Entry { File, Expression, Template };

// Lexes `src`, reports lexical and bracket errors to `sink`, and produces the parser stream.
ParserTokens prepare_tokens(const SourceFile& src, Entry entry, ErrorSink& sink,
                            Diagnostics& diags);

// Feeds tokens [begin, end) of a ParserTokens to ANTLR, then EOF. Tokens are created lazily and
// are small (the stream keeps every token of the chunk alive while it is parsed).
class ChunkSource : public antlr4::TokenSource {
 public:
  ChunkSource(const ParserTokens& t, size_t begin, size_t end) : t_(t), pos_(begin), end_(end) {}
  std::unique_ptr<antlr4::Token> nextToken() override;
  size_t getLine() const override { return 0; }
  size_t getCharPositionInLine() override { return 0; }
  antlr4::CharStream* getInputStream() override { return nullptr; }
  std::string getSourceName() override { return {}; }
  antlr4::TokenFactory<antlr4::CommonToken>* getTokenFactory() override;

 private:
  const ParserTokens& t_;
  size_t pos_;
  size_t end_;
};

// Human description of parser token `i` for messages: "`foo`", "newline", "end of file".
std::string describe_token(const ParserTokens& t, size_t i);

}  // namespace orch::parse_detail
