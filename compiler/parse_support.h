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

// A token that is only a type and an index into ParserTokens (CommonToken is ~5x larger).
class SlimToken : public antlr4::WritableToken {
 public:
  SlimToken(const ParserTokens& t, size_t global, size_t type, size_t index)
      : t_(&t),
        global_(static_cast<uint32_t>(global)),
        index_(static_cast<uint32_t>(index)),
        type_(static_cast<uint32_t>(type)) {}
  std::string getText() const override;
  size_t getType() const override { return type_ == kEofType ? antlr4::Token::EOF : type_; }
  size_t getLine() const override { return 0; }
  size_t getCharPositionInLine() const override { return 0; }
  size_t getChannel() const override { return antlr4::Token::DEFAULT_CHANNEL; }
  size_t getTokenIndex() const override { return index_; }
  size_t getStartIndex() const override;
  size_t getStopIndex() const override { return getStartIndex() + getText().size() - 1; }
  antlr4::TokenSource* getTokenSource() const override { return nullptr; }
  antlr4::CharStream* getInputStream() const override { return nullptr; }
  std::string toString() const override { return getText(); }
  void setText(const std::string&) override {}
  void setType(size_t t) override { type_ = static_cast<uint32_t>(t); }
  void setLine(size_t) override {}
  void setCharPositionInLine(size_t) override {}
  void setChannel(size_t) override {}
  void setTokenIndex(size_t i) override { index_ = static_cast<uint32_t>(i); }

 private:
  const ParserTokens* t_;
  uint32_t global_;
  uint32_t index_;
  uint32_t type_;
};

// The token stream ANTLR parses: tokens [begin, end) of a ParserTokens, then EOF, all made at
// once in one array (ANTLR's CommonTokenStream allocates every token separately).
class ChunkStream : public antlr4::TokenStream {
 public:
  ChunkStream(const ParserTokens& t, size_t begin, size_t end);

  antlr4::Token* LT(ssize_t k) override;
  antlr4::Token* get(size_t i) const override {
    return const_cast<SlimToken*>(&tokens_[std::min(i, tokens_.size() - 1)]);
  }
  antlr4::TokenSource* getTokenSource() const override { return &source_; }
  std::string getText(const antlr4::misc::Interval& interval) override;
  std::string getText() override { return getText(antlr4::misc::Interval(0, size() - 1)); }
  std::string getText(antlr4::RuleContext* ctx) override;
  std::string getText(antlr4::Token* start, antlr4::Token* stop) override;
  void consume() override;
  size_t LA(ssize_t i) override {
    antlr4::Token* t = LT(i);
    return t ? t->getType() : antlr4::Token::INVALID_TYPE;
  }
  ssize_t mark() override { return 0; }
  void release(ssize_t) override {}
  size_t index() override { return pos_; }
  void seek(size_t i) override { pos_ = std::min(i, tokens_.size() - 1); }
  size_t size() override { return tokens_.size(); }
  std::string getSourceName() const override { return {}; }

 private:
  // ANTLR asks the stream for its source only to conjure tokens; ours are never used.
  class NoSource : public antlr4::TokenSource {
   public:
    std::unique_ptr<antlr4::Token> nextToken() override;
    size_t getLine() const override { return 0; }
    size_t getCharPositionInLine() override { return 0; }
    antlr4::CharStream* getInputStream() override { return nullptr; }
    std::string getSourceName() override { return {}; }
    antlr4::TokenFactory<antlr4::CommonToken>* getTokenFactory() override;
  };

  std::vector<SlimToken> tokens_;
  size_t pos_ = 0;
  mutable NoSource source_;
};

// Human description of parser token `i` for messages: "`foo`", "newline", "end of file".
std::string describe_token(const ParserTokens& t, size_t i);

}  // namespace orch::parse_detail
