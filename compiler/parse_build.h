// Parse tree (ANTLR contexts) → AST. Null-safe: after syntax errors the tree has holes, and
// the builder still returns what it can (holes become null literals). It also applies what the
// LL(1) grammar leaves to it: binary operator precedence, and the separators of lists, call
// arguments and object items.
#pragma once

#include "OrchParser.h"
#include "compiler/parse_support.h"

namespace orch::parse_detail {

class AstBuilder {
 public:
  AstBuilder(const ParserTokens& toks, ErrorSink& sink)
      : t_(toks), sink_(sink), file_(sink.source().file_name()) {}

  // Appends the items of one chunk (whose first token is ParserTokens index `base`) to `body`;
  // with a null `ctx`, only sets the file's range.
  void file(grammar::OrchParser::ConfigFileContext* ctx, Body& body, size_t base = 0);
  ExprPtr expression_only(grammar::OrchParser::ExpressionOnlyContext* ctx);
  ExprPtr template_only(grammar::OrchParser::TemplateOnlyContext* ctx);

 private:
  using P = grammar::OrchParser;
  using Tree = antlr4::tree::ParseTree;

  void body_item(P::BodyItemContext* ctx, Body& body);
  void attribute(Tree* name, P::ExpressionContext* value, Body& body);

  // Each expression builder sets `depth` to the height of the tree it returns.
  ExprPtr expression(P::ExpressionContext* ctx, int& depth);
  ExprPtr binary(P::ExpressionContext* ctx, size_t& next, int& depth);
  ExprPtr operand(P::OperandContext* ctx, int& depth);
  ExprPtr traversals(P::OperandContext* ctx, ExprPtr base, int& depth);
  ExprPtr primary(P::PrimaryContext* ctx, int& depth);
  ExprPtr number(Tree* tok);
  ExprPtr string_token(Tree* tok);
  ExprPtr tuple(P::PrimaryContext* ctx, int& depth);
  ExprPtr object(P::PrimaryContext* ctx, int& depth);
  ExprPtr object_key(P::ObjectItemContext* item, int& depth);
  ExprPtr call(P::PrimaryContext* ctx, int& depth);
  ExprPtr for_expr(P::PrimaryContext* ctx, bool is_object, int& depth);
  // Reports a misplaced separator in a list (`[a,,b]`, `f(,)`): `i` is its child index.
  void separator_error(antlr4::ParserRuleContext* ctx, size_t i, const char* what);

  // How literal text of a template is decoded: quoted strings decode backslash escapes;
  // heredocs and template files do not, and `<<-` heredocs lose `indent` leading blanks per line.
  struct Style {
    bool quoted = true;
    int indent = 0;
  };
  ExprPtr template_parts(P::TemplateBodyContext* body, Range r, Style style, int& depth);
  ExprPtr template_if(P::TemplateIfContext* ctx, Style style, int& depth);
  ExprPtr template_for(P::TemplateForContext* ctx, Style style, int& depth);
  std::string literal_run(const std::vector<size_t>& lit_tokens, Style style);
  int heredoc_indent(size_t open, size_t close) const;
  // Keeps expression trees within kMaxExpressionDepth; reports once per expression.
  bool depth_ok(int depth, const Range& r);

  // Children of rule contexts, classified without RTTI casts (see parse_build.cc).
  static size_t token_type(Tree* t);  // npos when `t` is not a token (or is an error node)
  static size_t rule_index(Tree* t);  // npos when `t` is not a rule context
  static Tree* child(antlr4::ParserRuleContext* ctx, size_t i);
  size_t kid_token(antlr4::ParserRuleContext* ctx, size_t i) const;
  // Child `i` as a context of rule `R` (context class C), or nullptr.
  template <class C>
  static C* kid(antlr4::ParserRuleContext* ctx, size_t i, size_t rule) {
    Tree* t = child(ctx, i);
    return t && rule_index(t) == rule ? static_cast<C*>(t) : nullptr;
  }

  // Ranges. gi() maps a token of the current chunk to its ParserTokens index (npos if none).
  size_t gi(antlr4::Token* t) const;
  size_t gi(Tree* terminal) const;
  Range range_of(size_t first, size_t last) const;  // ParserTokens indices, inclusive
  Range range(antlr4::ParserRuleContext* ctx) const;
  Range token_range(Tree* terminal) const;
  Range span(const Range& a, const Range& b) const;
  std::string text(Tree* terminal) const;
  ExprPtr hole(antlr4::ParserRuleContext* ctx) const;

  const ParserTokens& t_;
  ErrorSink& sink_;
  FileName file_;
  mutable int line_hint_ = 1;
  bool depth_reported_ = false;
  size_t base_ = 0;
};

}  // namespace orch::parse_detail
