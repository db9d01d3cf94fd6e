// Parse tree (ANTLR contexts) → AST. Null-safe: after syntax errors the tree has holes, and
// the builder still returns what it can (holes become null literals).
#pragma once

#include "OrchParser.h"
#include "compiler/parse_support.h"

namespace orch::parse_detail {

class AstBuilder {
 public:
  AstBuilder(const ParserTokens& toks, ErrorSink& sink) : t_(toks), sink_(sink) {}

  // Appends the items of one chunk (whose first token is ParserTokens index `base`) to `body`;
  // with a null `ctx`, only sets the file's range.
  void file(grammar::OrchParser::ConfigFileContext* ctx, Body& body, size_t base = 0);
  ExprPtr expression_only(grammar::OrchParser::ExpressionOnlyContext* ctx);
  ExprPtr template_only(grammar::OrchParser::TemplateOnlyContext* ctx);

 private:
  using P = grammar::OrchParser;

  void body_item(P::BodyItemContext* ctx, Body& body);
  void attribute(P::IdentContext* name, P::ExpressionContext* value,
                 antlr4::ParserRuleContext* whole, Body& body);
  void block(P::BlockContext* ctx, Body& body);

  // Each expression builder sets `depth` to the height of the tree it returns.
  ExprPtr expr(P::ExpressionContext* ctx, int& depth);
  // Long operator and traversal chains are left spines in the parse tree: walked iteratively.
  ExprPtr binary_chain(P::BinaryContext* ctx, int& depth);
  ExprPtr traversal_chain(P::ExpressionContext* ctx, int& depth);
  ExprPtr unary_chain(P::UnaryContext* ctx, int& depth);
  ExprPtr primary(P::PrimaryContext* ctx, int& depth);
  ExprPtr number(antlr4::tree::TerminalNode* tok);
  ExprPtr for_expr(P::ForIntroContext* intro, P::ForCondContext* cond,
                   antlr4::ParserRuleContext* whole, bool is_object, int& depth);
  ExprPtr object(P::ObjectContext* ctx, int& depth);
  ExprPtr template_expr(P::TemplateBodyContext* body, antlr4::ParserRuleContext* whole,
                        bool heredoc, int& depth);
  // How literal text of a template is decoded: quoted strings decode backslash escapes;
  // heredocs and template files do not, and `<<-` heredocs lose `indent` leading blanks per line.
  struct Style {
    bool quoted = true;
    int indent = 0;
  };
  ExprPtr template_parts(P::TemplateBodyContext* body, Range r, Style style, int& depth);
  std::string literal_run(const std::vector<size_t>& lit_tokens, Style style);
  int heredoc_indent(antlr4::Token* open, antlr4::Token* close) const;
  // Keeps expression trees within kMaxExpressionDepth; reports once per expression.
  bool depth_ok(int depth, const Range& r);

  // Ranges. gi() maps a token of the current chunk to its ParserTokens index (npos if none).
  size_t gi(antlr4::Token* t) const;
  int64_t tok_start(antlr4::Token* t) const;
  int64_t tok_end(antlr4::Token* t) const;
  Range range(antlr4::ParserRuleContext* ctx) const;
  Range range(antlr4::Token* a, antlr4::Token* b) const;
  Range span(const Range& a, const Range& b) const;
  std::string text(antlr4::tree::TerminalNode* n) const;
  std::string ident(P::IdentContext* ctx) const;
  ExprPtr hole(antlr4::ParserRuleContext* ctx) const;

  const ParserTokens& t_;
  ErrorSink& sink_;
  bool depth_reported_ = false;
  size_t base_ = 0;
};

}  // namespace orch::parse_detail
