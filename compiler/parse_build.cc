// Parse tree → AST: bodies, blocks, attributes and every expression form.
//
// The builder walks each context's children in order and tells tokens from rule contexts by
// their dynamic type (one typeid comparison) and rules apart by their rule index: every rule of
// grammar/Orch.g4 has exactly one context class (no labelled alternatives), so a static_cast
// after the index check is exact. dynamic_cast chains cost more than the whole ANTLR parse.
#include "compiler/parse_build.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <typeinfo>

#include "compiler/lex.h"
#include "compiler/parse.h"

namespace orch::parse_detail {
namespace {

using P = grammar::OrchParser;
constexpr size_t npos = static_cast<size_t>(-1);

// HCL's binary operator precedence: higher binds tighter; all are left-associative.
int precedence(size_t type) {
  switch (type) {
    case P::STAR:
    case P::SLASH:
    case P::PERCENT:
      return 6;
    case P::PLUS:
    case P::MINUS:
      return 5;
    case P::LT:
    case P::LE:
    case P::GT:
    case P::GE:
      return 4;
    case P::EQ:
    case P::NEQ:
      return 3;
    case P::AND:
      return 2;
    case P::OR:
      return 1;
    default:
      return 0;
  }
}

bool opens_template_part(size_t type) {
  return type == P::TEMPLATE_INTERP || type == P::TEMPLATE_CONTROL ||
         (type >= P::CTRL_IF && type <= P::CTRL_ENDFOR);
}

}  // namespace

// ---- Children and ranges

size_t AstBuilder::token_type(Tree* t) {
  if (!t || typeid(*t) != typeid(antlr4::tree::TerminalNodeImpl)) return npos;
  return static_cast<antlr4::tree::TerminalNode*>(t)->getSymbol()->getType();
}

size_t AstBuilder::rule_index(Tree* t) {
  if (!t) return npos;
  const std::type_info& ti = typeid(*t);
  if (ti == typeid(antlr4::tree::TerminalNodeImpl) || ti == typeid(antlr4::tree::ErrorNodeImpl)) {
    return npos;
  }
  return static_cast<antlr4::RuleContext*>(t)->getRuleIndex();
}

AstBuilder::Tree* AstBuilder::child(antlr4::ParserRuleContext* ctx, size_t i) {
  return ctx && i < ctx->children.size() ? ctx->children[i] : nullptr;
}

size_t AstBuilder::kid_token(antlr4::ParserRuleContext* ctx, size_t i) const {
  return token_type(child(ctx, i));
}

size_t AstBuilder::gi(antlr4::Token* t) const {
  if (!t) return npos;
  size_t i = t->getTokenIndex();
  if (i == INVALID_INDEX || base_ + i >= t_.types.size()) return npos;
  return base_ + i;
}

size_t AstBuilder::gi(Tree* terminal) const {
  if (token_type(terminal) == npos) return npos;
  return gi(static_cast<antlr4::tree::TerminalNode*>(terminal)->getSymbol());
}

Range AstBuilder::range_of(size_t first, size_t last) const {
  if (first == npos) return sink_.range(0, 0);
  int64_t s = t_.start[first];
  int64_t e = last == npos || last < first ? t_.end[first] : t_.end[last];
  // Ranges are asked for roughly front to back: remember the line of the last one.
  const SourceFile& src = sink_.source();
  Range r;
  r.file = file_;
  r.start = src.pos_near(s, line_hint_);
  r.end = src.pos_near(std::max(e, s), r.start.line);
  line_hint_ = r.start.line;
  return r;
}

Range AstBuilder::range(antlr4::ParserRuleContext* ctx) const {
  if (!ctx) return sink_.range(0, 0);
  size_t si = gi(ctx->getStart()), ei = gi(ctx->getStop());
  // A rule ending in NL (a body item): the range stops before the newline.
  if (si != npos && ei != npos && ei > si && t_.types[ei] == P::NL) --ei;
  return range_of(si, ei);
}

Range AstBuilder::token_range(Tree* terminal) const {
  size_t g = gi(terminal);
  return range_of(g, g);
}

Range AstBuilder::span(const Range& a, const Range& b) const {
  Range r = a;
  if (b.end.byte > r.end.byte) r.end = b.end;
  return r;
}

std::string AstBuilder::text(Tree* terminal) const {
  size_t i = gi(terminal);
  if (i == npos || t_.origin[i] < 0) return {};
  return std::string(t_.raw[t_.origin[i]].text);
}

ExprPtr AstBuilder::hole(antlr4::ParserRuleContext* ctx) const {
  // A hole starting at a newline or the end (an expression that is missing) is zero-width.
  size_t si = ctx ? gi(ctx->getStart()) : npos;
  if (si != npos && (t_.types[si] == P::NL || t_.types[si] == kEofType)) {
    return make_literal(Value::null(), sink_.range(t_.start[si], t_.start[si]));
  }
  return make_literal(Value::null(), range(ctx));
}

bool AstBuilder::depth_ok(int depth, const Range& r) {
  if (depth <= kMaxExpressionDepth) return true;
  if (!depth_reported_) {
    depth_reported_ = true;
    auto* d = sink_.error(
        r.start.byte, r.end.byte,
        fmt::format("expression too complex: more than {} nested operations", kMaxExpressionDepth));
    if (d) d->detail = "Split the expression into several locals.";
  }
  return false;
}

void AstBuilder::separator_error(antlr4::ParserRuleContext* ctx, size_t i, const char* what) {
  size_t g = gi(child(ctx, i));
  if (g == npos) return;
  std::string after = g > 0 ? " after " + describe_token(t_, g - 1) : "";
  sink_.error(t_.start[g], t_.end[g],
              fmt::format("expected {}{}, found {}", what, after, describe_token(t_, g)));
}

// ---- Bodies

void AstBuilder::file(P::ConfigFileContext* ctx, Body& body, size_t base) {
  base_ = base;
  if (!ctx) {
    body.range = sink_.range(0, static_cast<int64_t>(sink_.source().text().size()));
    return;
  }
  for (Tree* c : ctx->children) {
    if (rule_index(c) == P::RuleBodyItem) body_item(static_cast<P::BodyItemContext*>(c), body);
  }
}

void AstBuilder::attribute(Tree* name, P::ExpressionContext* value, Body& body) {
  if (!name || !value) return;
  Attribute a;
  a.name = text(name);
  if (a.name.empty()) return;
  a.name_range = token_range(name);
  int depth = 0;
  a.value = expression(value, depth);
  a.range = span(a.name_range, a.value->range);
  body.attributes.push_back(std::move(a));
}

void AstBuilder::body_item(P::BodyItemContext* ctx, Body& body) {
  const auto& kids = ctx->children;
  if (kids.empty() || token_type(kids[0]) != P::IDENT) return;
  if (kid_token(ctx, 1) == P::ASSIGN) {
    attribute(kids[0], kid<P::ExpressionContext>(ctx, 2, P::RuleExpression), body);
    return;
  }
  Block b;
  b.type = text(kids[0]);
  b.type_range = token_range(kids[0]);
  size_t open = npos, close = npos;
  P::BlockBodyContext* block_body = nullptr;
  for (size_t i = 1; i < kids.size(); ++i) {
    size_t type = token_type(kids[i]);
    if (type == P::LBRACE) open = gi(kids[i]);
    if (type == P::RBRACE) close = gi(kids[i]);
    size_t rule = rule_index(kids[i]);
    if (rule == P::RuleBlockBody) block_body = static_cast<P::BlockBodyContext*>(kids[i]);
    if (rule != P::RuleBlockLabel) continue;
    auto* label = static_cast<P::BlockLabelContext*>(kids[i]);
    Range r = range(label);
    Tree* first = child(label, 0);
    size_t first_type = token_type(first);
    if (first_type == P::IDENT) {
      b.labels.push_back(text(first));
    } else if (first_type == P::STRING) {
      b.labels.push_back(string_token(first)->literal.as_string());
    } else if (auto* body_ctx = kid<P::TemplateBodyContext>(label, 1, P::RuleTemplateBody)) {
      int depth = 0;
      ExprPtr e = template_parts(body_ctx, r, Style{}, depth);
      if (e->kind == ExprKind::Literal && e->literal.kind() == ValueKind::String) {
        b.labels.push_back(e->literal.as_string());
      } else {
        auto* d = sink_.error(r.start.byte, r.end.byte, "block labels must be plain strings");
        if (d) d->detail = "Interpolation (${...}) and directives are not allowed in block labels.";
        b.labels.push_back({});
      }
    } else {
      continue;
    }
    b.label_ranges.push_back(r);
  }
  if (open == npos) return;  // not a block after all: the parser reported the error
  size_t first = gi(kids[0]);
  b.range = range_of(first, close != npos ? close : gi(ctx->getStop()));
  b.body.range = open != npos ? range_of(open, close != npos ? close : open) : b.range;
  if (block_body) {
    const auto& inner = block_body->children;
    for (size_t i = 0; i < inner.size(); ++i) {
      if (rule_index(inner[i]) == P::RuleBodyItem) {
        body_item(static_cast<P::BodyItemContext*>(inner[i]), b.body);
      } else if (token_type(inner[i]) == P::IDENT && kid_token(block_body, i + 1) == P::ASSIGN) {
        attribute(inner[i], kid<P::ExpressionContext>(block_body, i + 2, P::RuleExpression),
                  b.body);
      }
    }
  }
  body.blocks.push_back(std::move(b));
}

// ---- Operators

ExprPtr AstBuilder::expression(P::ExpressionContext* ctx, int& depth) {
  depth = 0;
  if (!ctx) return hole(ctx);
  size_t next = 0;
  ExprPtr cond = binary(ctx, next, depth);
  if (kid_token(ctx, next) != P::QUESTION) return cond;
  // `cond ? a : b`: the branches are the expression children after `?`.
  std::vector<ExprPtr> kids;
  kids.push_back(std::move(cond));
  int d = depth;
  for (size_t i = next + 1; i < ctx->children.size() && kids.size() < 3; ++i) {
    if (rule_index(ctx->children[i]) != P::RuleExpression) continue;
    int di = 0;
    kids.push_back(expression(static_cast<P::ExpressionContext*>(ctx->children[i]), di));
    d = std::max(d, di);
  }
  while (kids.size() < 3) kids.push_back(hole(ctx));
  depth = d + 1;
  Range r = span(kids[0]->range, kids[2]->range);
  return make_node(ExprKind::Conditional, r, std::move(kids));
}

// Operands and binary operators up to `?` (or the end), combined by precedence. Sets `next` to
// the child index where it stopped.
ExprPtr AstBuilder::binary(P::ExpressionContext* ctx, size_t& next, int& depth) {
  struct Operand {
    ExprPtr e;
    int height;
  };
  std::vector<Operand> vals;
  std::vector<size_t> ops;  // child indices of operator tokens
  bool too_deep = false;
  auto reduce = [&] {
    Operand rhs = std::move(vals.back());
    vals.pop_back();
    Operand& lhs = vals.back();
    size_t op = ops.back();
    ops.pop_back();
    int height = std::max(lhs.height, rhs.height) + 1;
    Range r = span(lhs.e->range, rhs.e->range);
    if (!depth_ok(height, r)) {
      too_deep = true;
      return;
    }
    std::vector<ExprPtr> kids;
    kids.push_back(std::move(lhs.e));
    kids.push_back(std::move(rhs.e));
    lhs.e = make_node(ExprKind::Binary, r, std::move(kids), text(ctx->children[op]));
    lhs.height = height;
  };
  const auto& kids = ctx->children;
  bool want_operand = true;
  size_t i = 0;
  for (; i < kids.size() && !too_deep; ++i) {
    Tree* c = kids[i];
    if (rule_index(c) == P::RuleOperand) {
      if (!want_operand) continue;  // error recovery left two operands in a row
      int h = 0;
      vals.push_back({operand(static_cast<P::OperandContext*>(c), h), h});
      want_operand = false;
      continue;
    }
    size_t type = token_type(c);
    if (type == P::QUESTION) break;
    int prec = precedence(type);
    if (prec == 0 || want_operand) continue;
    while (!ops.empty() && precedence(token_type(kids[ops.back()])) >= prec && !too_deep) reduce();
    ops.push_back(i);
    want_operand = true;
  }
  next = i;
  if (too_deep) {
    depth = 0;
    return hole(ctx);
  }
  if (vals.empty()) return hole(ctx);
  if (want_operand && !ops.empty()) ops.pop_back();  // a trailing operator without operand
  while (!ops.empty() && !too_deep) reduce();
  if (too_deep) return hole(ctx);
  depth = vals.front().height;
  return std::move(vals.front().e);
}

ExprPtr AstBuilder::operand(P::OperandContext* ctx, int& depth) {
  depth = 0;
  // `!-x`: unary operators are a right spine of operand contexts; the innermost applies first.
  std::vector<P::OperandContext*> unary;
  P::OperandContext* base = ctx;
  while (base) {
    size_t type = kid_token(base, 0);
    if (type != P::NOT && type != P::MINUS) break;
    unary.push_back(base);
    base = kid<P::OperandContext>(base, 1, P::RuleOperand);
  }
  ExprPtr e;
  if (!base) {
    e = hole(ctx);
  } else if (auto* prim = kid<P::PrimaryContext>(base, 0, P::RulePrimary)) {
    e = traversals(base, primary(prim, depth), depth);
  } else {
    e = hole(base);
  }
  for (size_t i = unary.size(); i-- > 0;) {
    Range r = span(token_range(unary[i]->children[0]), e->range);
    if (!depth_ok(depth + 1, r)) return e;
    std::vector<ExprPtr> kids;
    kids.push_back(std::move(e));
    e = make_node(ExprKind::Unary, r, std::move(kids), text(unary[i]->children[0]));
    ++depth;
  }
  return e;
}

// `.name`, `.0`, `.*`, `[*]` and `[index]` after the primary (children 1...). After a splat the
// following traversals apply to each element: `.*` takes only attribute steps, `[*]` also takes
// indexes.
ExprPtr AstBuilder::traversals(P::OperandContext* ctx, ExprPtr base, int& depth) {
  enum class Kind { Attr, LegacyIndex, Index, AttrSplat, FullSplat };
  struct Step {
    Kind kind;
    size_t first;  // child index of `.` or `[`
    size_t last;   // ParserTokens index of the step's last token
    Tree* name = nullptr;
    P::ExpressionContext* index = nullptr;
  };
  std::vector<Step> steps;
  const auto& kids = ctx->children;
  for (size_t i = 1; i < kids.size(); ++i) {
    size_t type = token_type(kids[i]);
    if (type == P::DOT) {
      Tree* what = child(ctx, i + 1);
      size_t wt = token_type(what);
      if (wt == P::IDENT) steps.push_back({Kind::Attr, i, gi(what), what});
      if (wt == P::NUMBER) steps.push_back({Kind::LegacyIndex, i, gi(what), what});
      if (wt == P::STAR) steps.push_back({Kind::AttrSplat, i, gi(what)});
      if (wt != npos) ++i;
    } else if (type == P::LBRACK) {
      size_t j = i + 1;
      Step s{Kind::Index, i, gi(kids[i])};
      if (kid_token(ctx, j) == P::STAR) {
        s.kind = Kind::FullSplat;
        s.last = gi(kids[j]);
        ++j;
      } else if (auto* ix = kid<P::ExpressionContext>(ctx, j, P::RuleExpression)) {
        s.index = ix;
        size_t stop = gi(ix->getStop());
        if (stop != npos) s.last = stop;
        ++j;
      }
      if (kid_token(ctx, j) == P::RBRACK) {
        s.last = gi(kids[j]);
        ++j;
      }
      steps.push_back(s);
      i = j - 1;
    }
  }
  if (steps.size() > static_cast<size_t>(kMaxExpressionDepth)) {
    depth_ok(kMaxExpressionDepth + 1, range(ctx));
    depth = 0;
    return hole(ctx);
  }
  // One traversal step applied to `e`; its range ends at the step's last token.
  auto apply = [&](const Step& s, ExprPtr e, int& d) -> ExprPtr {
    Range r = span(e->range, range_of(s.last, s.last));
    std::vector<ExprPtr> args;
    args.push_back(std::move(e));
    if (s.kind == Kind::Attr) {
      ++d;
      return make_node(ExprKind::GetAttr, r, std::move(args), text(s.name));
    }
    if (s.kind == Kind::LegacyIndex) {
      args.push_back(number(s.name));
      ++d;
      return make_node(ExprKind::Index, r, std::move(args));
    }
    int di = 0;
    args.push_back(s.index ? expression(s.index, di) : make_literal(Value::null(), r));
    d = std::max(d, di) + 1;
    return make_node(ExprKind::Index, r, std::move(args));
  };
  ExprPtr cur = std::move(base);
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    if (s.kind != Kind::AttrSplat && s.kind != Kind::FullSplat) {
      cur = apply(s, std::move(cur), depth);
      if (!depth_ok(depth, cur->range)) return cur;
      continue;
    }
    ExprPtr each = make_node(ExprKind::SplatItem, range_of(gi(kids[s.first]), s.last), {});
    int each_depth = 0;
    while (i + 1 < steps.size()) {
      Kind k = steps[i + 1].kind;
      bool takes = k == Kind::Attr || k == Kind::LegacyIndex ||
                   (s.kind == Kind::FullSplat && k == Kind::Index);
      if (!takes) break;
      each = apply(steps[i + 1], std::move(each), each_depth);
      ++i;
    }
    Range r = span(cur->range, each->range);
    depth = std::max(depth, each_depth) + 1;
    if (!depth_ok(depth, r)) return cur;
    std::vector<ExprPtr> args;
    args.push_back(std::move(cur));
    args.push_back(std::move(each));
    cur = make_node(ExprKind::Splat, r, std::move(args));
  }
  return cur;
}

// ---- Primary expressions

ExprPtr AstBuilder::number(Tree* tok) {
  std::string s = text(tok);
  Range r = token_range(tok);
  if (s.empty()) return make_literal(Value::null(), r);
  if (s.find_first_of(".eE") == std::string::npos) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && p == s.data() + s.size()) return make_literal(Value::number(v), r);
  }
  return make_literal(Value::number(std::strtod(s.c_str(), nullptr)), r);
}

ExprPtr AstBuilder::string_token(Tree* tok) {
  size_t g = gi(tok);
  std::string out;
  if (g != npos && t_.origin[g] >= 0) {
    // The literal pieces between the quotes; escapes were validated by the lexer.
    for (size_t k = t_.origin[g] + 1; k < t_.raw.size() && t_.raw[k].kind == TokenKind::TemplateLit;
         ++k) {
      decode_quoted(t_.raw[k].text, &out);
    }
  }
  return make_literal(Value::string(std::move(out)), range_of(g, g));
}

ExprPtr AstBuilder::primary(P::PrimaryContext* ctx, int& depth) {
  depth = 0;
  Tree* first = child(ctx, 0);
  switch (token_type(first)) {
    case P::NUMBER:
      return number(first);
    case P::STRING:
      return string_token(first);
    case P::OQUOTE:
      return template_parts(kid<P::TemplateBodyContext>(ctx, 1, P::RuleTemplateBody), range(ctx),
                            Style{}, depth);
    case P::OHEREDOC: {
      size_t close = npos;
      for (Tree* c : ctx->children) {
        if (token_type(c) == P::CHEREDOC) close = gi(c);
      }
      size_t open = gi(first);
      Style style{false, open != npos && close != npos ? heredoc_indent(open, close) : 0};
      ExprPtr e = template_parts(kid<P::TemplateBodyContext>(ctx, 1, P::RuleTemplateBody),
                                 range(ctx), style, depth);
      e->heredoc = true;
      return e;
    }
    case P::LBRACK:
      if (kid_token(ctx, 1) == P::FOR) return for_expr(ctx, false, depth);
      return tuple(ctx, depth);
    case P::LBRACE:
      if (kid_token(ctx, 1) == P::FOR) return for_expr(ctx, true, depth);
      return object(ctx, depth);
    case P::FUNCTION_NAME:
      return call(ctx, depth);
    case P::IDENT: {
      std::string name = text(first);
      Range r = token_range(first);
      if (name == "true") return make_literal(Value::boolean(true), r);
      if (name == "false") return make_literal(Value::boolean(false), r);
      if (name == "null") return make_literal(Value::null(), r);
      return make_variable(std::move(name), r);
    }
    case P::LPAREN: {
      std::vector<ExprPtr> kids;
      auto* inner = kid<P::ExpressionContext>(ctx, 1, P::RuleExpression);
      kids.push_back(inner ? expression(inner, depth) : hole(ctx));
      ++depth;
      return make_node(ExprKind::Parens, range(ctx), std::move(kids));
    }
    default:
      return hole(ctx);
  }
}

ExprPtr AstBuilder::tuple(P::PrimaryContext* ctx, int& depth) {
  std::vector<ExprPtr> elems;
  bool after_item = false;
  const auto& kids = ctx->children;
  for (size_t i = 1; i < kids.size(); ++i) {
    if (rule_index(kids[i]) == P::RuleExpression) {
      int d = 0;
      elems.push_back(expression(static_cast<P::ExpressionContext*>(kids[i]), d));
      depth = std::max(depth, d);
      after_item = true;
    } else if (token_type(kids[i]) == P::COMMA) {
      if (!after_item) separator_error(ctx, i, "an expression");
      after_item = false;
    }
  }
  ++depth;
  return make_node(ExprKind::Tuple, range(ctx), std::move(elems));
}

ExprPtr AstBuilder::call(P::PrimaryContext* ctx, int& depth) {
  std::vector<ExprPtr> args;
  bool after_arg = false, expand = false;
  const auto& kids = ctx->children;
  for (size_t i = 2; i < kids.size(); ++i) {
    if (rule_index(kids[i]) == P::RuleExpression) {
      int d = 0;
      args.push_back(expression(static_cast<P::ExpressionContext*>(kids[i]), d));
      depth = std::max(depth, d);
      after_arg = true;
      continue;
    }
    size_t type = token_type(kids[i]);
    if (type == P::COMMA || type == P::ELLIPSIS) {
      if (!after_arg) separator_error(ctx, i, "an expression");
      after_arg = false;
      expand = type == P::ELLIPSIS;
    }
  }
  ++depth;
  ExprPtr e = make_node(ExprKind::Call, range(ctx), std::move(args), text(kids[0]));
  e->expand_final = expand && !e->children.empty();
  return e;
}

ExprPtr AstBuilder::for_expr(P::PrimaryContext* ctx, bool is_object, int& depth) {
  auto e = make_node(ExprKind::For, range(ctx), {});
  e->for_clause = std::make_unique<ForClause>();
  ForClause& fc = *e->for_clause;
  fc.is_object = is_object;
  depth = 0;
  // Children: `[`/`{` for forIntro `:` (key `=>`)? value `...`? (`if` cond)? `]`/`}`.
  std::vector<ExprPtr*> slots;
  if (is_object) slots.push_back(&fc.key_expr);
  slots.push_back(&fc.value_expr);
  size_t slot = 0;
  bool cond = false;
  for (Tree* c : ctx->children) {
    size_t rule = rule_index(c);
    if (rule == P::RuleForIntro) {
      auto* intro = static_cast<P::ForIntroContext*>(c);
      std::vector<std::string> names;
      for (Tree* n : intro->children) {
        if (token_type(n) == P::IDENT) names.push_back(text(n));
        if (rule_index(n) == P::RuleExpression) {
          int dc = 0;
          fc.collection = expression(static_cast<P::ExpressionContext*>(n), dc);
          depth = std::max(depth, dc);
        }
      }
      if (names.size() == 2) fc.key_var = names[0];
      if (!names.empty()) fc.value_var = names.back();
    } else if (rule == P::RuleExpression) {
      int d = 0;
      ExprPtr x = expression(static_cast<P::ExpressionContext*>(c), d);
      depth = std::max(depth, d);
      if (cond) {
        fc.cond = std::move(x);
      } else if (slot < slots.size()) {
        *slots[slot++] = std::move(x);
      }
    } else {
      size_t type = token_type(c);
      if (type == P::IF) cond = true;
      if (type == P::ELLIPSIS) fc.grouping = true;
    }
  }
  if (!fc.collection) fc.collection = hole(ctx);
  for (ExprPtr* s : slots) {
    if (!*s) *s = hole(ctx);
  }
  ++depth;
  return e;
}

ExprPtr AstBuilder::object_key(P::ObjectItemContext* item, int& depth) {
  Tree* first = child(item, 0);
  switch (token_type(first)) {
    case P::IDENT:
      return make_literal(Value::string(text(first)), token_range(first));
    case P::STRING:
      return string_token(first);
    case P::NUMBER:
      return make_literal(Value::string(text(first)), token_range(first));
    case P::OQUOTE: {
      size_t close = 2;
      while (close < item->children.size() && token_type(item->children[close]) != P::CQUOTE) {
        ++close;
      }
      Range r = range_of(gi(first), gi(child(item, close)));
      return template_parts(kid<P::TemplateBodyContext>(item, 1, P::RuleTemplateBody), r, Style{},
                            depth);
    }
    case P::LPAREN: {
      std::vector<ExprPtr> kids;
      auto* inner = kid<P::ExpressionContext>(item, 1, P::RuleExpression);
      kids.push_back(inner ? expression(inner, depth) : hole(item));
      ++depth;
      Range r = range_of(gi(first), token_type(child(item, 2)) == P::RPAREN
                                        ? gi(child(item, 2))
                                        : gi(inner ? inner->getStop() : nullptr));
      return make_node(ExprKind::Parens, r, std::move(kids));
    }
    default:
      return nullptr;
  }
}

ExprPtr AstBuilder::object(P::PrimaryContext* ctx, int& depth) {
  auto e = make_node(ExprKind::Object, range(ctx), {});
  depth = 0;
  // Items are separated by a comma (optionally followed by a newline) or by newlines.
  enum class Last { Open, Item, Comma, Newline } last = Last::Open;
  const auto& kids = ctx->children;
  for (size_t i = 1; i < kids.size(); ++i) {
    size_t type = token_type(kids[i]);
    if (type == P::NL) {
      last = Last::Newline;
      continue;
    }
    if (type == P::COMMA) {
      if (last != Last::Item) separator_error(ctx, i, "`name = value` or `}`");
      last = Last::Comma;
      continue;
    }
    if (rule_index(kids[i]) != P::RuleObjectItem) continue;
    auto* item = static_cast<P::ObjectItemContext*>(kids[i]);
    if (last == Last::Item) {
      size_t g = gi(item->getStart());
      if (g != npos) {
        sink_.error(
            t_.start[g], t_.end[g],
            fmt::format("expected a newline, `}}` or `,`, found {}", describe_token(t_, g)));
      }
    }
    last = Last::Item;
    ObjectItem oi;
    int dk = 0, dv = 0;
    oi.key = object_key(item, dk);
    if (!oi.key) continue;
    oi.key_is_ident = token_type(child(item, 0)) == P::IDENT;
    P::ExpressionContext* value = nullptr;
    for (size_t j = 1; j < item->children.size(); ++j) {
      size_t t = token_type(item->children[j]);
      if (t == P::ASSIGN || t == P::COLON) {
        value = kid<P::ExpressionContext>(item, j + 1, P::RuleExpression);
        break;
      }
    }
    oi.value = value ? expression(value, dv) : hole(item);
    depth = std::max({depth, dk, dv});
    e->items.push_back(std::move(oi));
  }
  ++depth;
  return e;
}

// ---- Templates

int AstBuilder::heredoc_indent(size_t oi, size_t ci) const {
  if (t_.origin[oi] < 0) return 0;
  if (t_.raw[t_.origin[oi]].text.substr(0, 3) != "<<-") return 0;
  const std::string& src = sink_.source().text();
  int min_indent = -1;
  int nest = 0;
  for (size_t i = oi + 1; i < ci && i < t_.types.size(); ++i) {
    size_t type = t_.types[i];
    if (opens_template_part(type)) ++nest;
    if (type == P::TEMPLATE_SEAL) --nest;
    if (type != P::TEMPLATE_LIT || nest != 0) continue;
    int64_t s = t_.start[i];
    if (s > 0 && src[s - 1] != '\n') continue;  // not at a line start
    int64_t p = s;
    while (p < static_cast<int64_t>(src.size()) && (src[p] == ' ' || src[p] == '\t')) ++p;
    if (p >= static_cast<int64_t>(src.size()) || src[p] == '\n' || src[p] == '\r') continue;
    int indent = static_cast<int>(p - s);
    if (min_indent < 0 || indent < min_indent) min_indent = indent;
  }
  // Lines starting with `${` have no indentation (their literal token is absent).
  for (size_t i = oi + 1; i < ci && i < t_.types.size(); ++i) {
    if (opens_template_part(t_.types[i]) && t_.start[i] > 0 && src[t_.start[i] - 1] == '\n') {
      min_indent = 0;
    }
  }
  return std::max(min_indent, 0);
}

std::string AstBuilder::literal_run(const std::vector<size_t>& toks, Style style) {
  std::string out;
  const std::string& src = sink_.source().text();
  for (size_t i : toks) {
    if (t_.origin[i] < 0) continue;
    std::string_view raw = t_.raw[t_.origin[i]].text;
    if (style.quoted) {
      decode_quoted(raw, &out);  // escapes were validated by the lexer
      continue;
    }
    int64_t s = t_.start[i];
    if (style.indent > 0 && (s == 0 || src[s - 1] == '\n')) {
      size_t k = 0;
      while (k < raw.size() && static_cast<int>(k) < style.indent &&
             (raw[k] == ' ' || raw[k] == '\t'))
        ++k;
      raw.remove_prefix(k);
    }
    out += decode_heredoc(raw);
  }
  return out;
}

ExprPtr AstBuilder::template_parts(P::TemplateBodyContext* body, Range r, Style style, int& depth) {
  depth = 0;
  if (!body) return make_literal(Value::string(""), r);
  auto tmpl = make_node(ExprKind::Template, r, {});
  auto is_strip = [&](size_t tok_index, bool after) {
    if (tok_index >= t_.origin.size() || t_.origin[tok_index] < 0) return false;
    std::string_view s = t_.raw[t_.origin[tok_index]].text;
    return after ? s.back() == '~' : s.front() == '~';
  };
  const auto& kids = body->children;
  for (size_t i = 0; i < kids.size(); ++i) {
    size_t type = token_type(kids[i]);
    if (type == P::TEMPLATE_LIT) {
      std::vector<size_t> run;
      size_t j = i;
      for (; j < kids.size() && token_type(kids[j]) == P::TEMPLATE_LIT; ++j) {
        size_t g = gi(kids[j]);
        if (g != npos) run.push_back(g);
      }
      i = j - 1;
      if (run.empty()) continue;
      std::string s = literal_run(run, style);
      // `~` strip markers on the neighbouring `${~`/`~}` remove adjacent whitespace.
      size_t first = run.front(), last = run.back();
      if (first > 0 && t_.types[first - 1] == P::TEMPLATE_SEAL && is_strip(first - 1, false)) {
        s.erase(0, s.find_first_not_of(" \t\r\n"));
      }
      if (last + 1 < t_.types.size() && opens_template_part(t_.types[last + 1]) &&
          is_strip(last + 1, true)) {
        size_t k = s.find_last_not_of(" \t\r\n");
        s.erase(k == std::string::npos ? 0 : k + 1);
      }
      if (!s.empty()) {
        tmpl->children.push_back(make_literal(Value::string(std::move(s)), range_of(first, last)));
      }
      continue;
    }
    int d = 0;
    size_t rule = rule_index(kids[i]);
    if (rule == P::RuleExpression) {
      tmpl->children.push_back(expression(static_cast<P::ExpressionContext*>(kids[i]), d));
    } else if (rule == P::RuleTemplateIf) {
      tmpl->children.push_back(template_if(static_cast<P::TemplateIfContext*>(kids[i]), style, d));
    } else if (rule == P::RuleTemplateFor) {
      tmpl->children.push_back(
          template_for(static_cast<P::TemplateForContext*>(kids[i]), style, d));
    }
    depth = std::max(depth, d);
  }
  ++depth;
  // A template of only literal text is a plain string literal.
  if (tmpl->children.empty()) return make_literal(Value::string(""), r);
  if (tmpl->children.size() == 1 && tmpl->children[0]->kind == ExprKind::Literal) {
    ExprPtr lit = std::move(tmpl->children[0]);
    lit->range = r;
    return lit;
  }
  return tmpl;
}

ExprPtr AstBuilder::template_if(P::TemplateIfContext* ctx, Style style, int& depth) {
  std::vector<ExprPtr> kids;
  depth = 0;
  for (Tree* c : ctx->children) {
    size_t rule = rule_index(c);
    int d = 0;
    if (rule == P::RuleExpression && kids.empty()) {
      kids.push_back(expression(static_cast<P::ExpressionContext*>(c), d));
    } else if (rule == P::RuleTemplateBody && !kids.empty()) {
      auto* b = static_cast<P::TemplateBodyContext*>(c);
      kids.push_back(template_parts(b, range(b), style, d));
    }
    depth = std::max(depth, d);
  }
  if (kids.empty()) kids.push_back(hole(ctx));
  if (kids.size() < 2) kids.push_back(make_literal(Value::string(""), range(ctx)));
  ++depth;
  return make_node(ExprKind::TemplateIf, range(ctx), std::move(kids));
}

ExprPtr AstBuilder::template_for(P::TemplateForContext* ctx, Style style, int& depth) {
  std::vector<ExprPtr> kids;
  std::vector<std::string> names;
  depth = 0;
  for (Tree* c : ctx->children) {
    size_t rule = rule_index(c);
    int d = 0;
    if (token_type(c) == P::IDENT) {
      names.push_back(text(c));
    } else if (rule == P::RuleExpression && kids.empty()) {
      kids.push_back(expression(static_cast<P::ExpressionContext*>(c), d));
    } else if (rule == P::RuleTemplateBody && kids.size() == 1) {
      auto* b = static_cast<P::TemplateBodyContext*>(c);
      kids.push_back(template_parts(b, range(b), style, d));
    }
    depth = std::max(depth, d);
  }
  if (kids.empty()) kids.push_back(hole(ctx));
  if (kids.size() < 2) kids.push_back(make_literal(Value::string(""), range(ctx)));
  ++depth;
  auto node = make_node(ExprKind::TemplateFor, range(ctx), std::move(kids));
  node->names = std::move(names);
  return node;
}

// ---- Entry points

ExprPtr AstBuilder::expression_only(P::ExpressionOnlyContext* ctx) {
  int depth = 0;
  if (!ctx) return nullptr;
  for (Tree* c : ctx->children) {
    if (rule_index(c) == P::RuleExpression) {
      return expression(static_cast<P::ExpressionContext*>(c), depth);
    }
  }
  return nullptr;
}

ExprPtr AstBuilder::template_only(P::TemplateOnlyContext* ctx) {
  int depth = 0;
  Range r = sink_.range(0, static_cast<int64_t>(sink_.source().text().size()));
  if (!ctx) return make_literal(Value::string(""), r);
  return template_parts(kid<P::TemplateBodyContext>(ctx, 0, P::RuleTemplateBody), r,
                        Style{false, 0}, depth);
}

}  // namespace orch::parse_detail
