// Parse tree → AST: bodies, blocks, attributes and every expression form.
#include "compiler/parse_build.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "compiler/parse.h"

namespace orch::parse_detail {

using P = grammar::OrchParser;

// ---- Ranges

size_t AstBuilder::gi(antlr4::Token* t) const {
  if (!t) return std::string::npos;
  size_t i = t->getTokenIndex();
  if (i == INVALID_INDEX || base_ + i >= t_.types.size()) return std::string::npos;
  return base_ + i;
}

int64_t AstBuilder::tok_start(antlr4::Token* t) const {
  if (!t) return 0;
  size_t i = gi(t);
  if (i != std::string::npos) return t_.start[i];
  return static_cast<int64_t>(t->getStartIndex());
}

int64_t AstBuilder::tok_end(antlr4::Token* t) const {
  if (!t) return 0;
  size_t i = gi(t);
  if (i != std::string::npos) return t_.end[i];
  return static_cast<int64_t>(t->getStartIndex());
}

Range AstBuilder::range(antlr4::Token* a, antlr4::Token* b) const {
  int64_t s = tok_start(a);
  int64_t e = b ? tok_end(b) : tok_end(a);
  if (e < s) e = tok_end(a);
  return sink_.range(s, e);
}

Range AstBuilder::range(antlr4::ParserRuleContext* ctx) const {
  if (!ctx) return sink_.range(0, 0);
  antlr4::Token* stop = ctx->getStop();
  int64_t s = tok_start(ctx->getStart());
  size_t si = gi(stop), bi = gi(ctx->getStart());
  // A rule ending in NL (attribute, block): the range stops before the newline.
  if (si != std::string::npos && bi != std::string::npos && si > bi && t_.types[si] == P::NL) {
    return sink_.range(s, std::max(t_.end[si - 1], s));
  }
  return range(ctx->getStart(), stop);
}

Range AstBuilder::span(const Range& a, const Range& b) const {
  Range r = a;
  if (b.end.byte > r.end.byte) r.end = b.end;
  return r;
}

std::string AstBuilder::text(antlr4::tree::TerminalNode* n) const {
  if (!n) return {};
  size_t i = gi(n->getSymbol());
  if (i == std::string::npos || t_.origin[i] < 0) return {};
  return std::string(t_.raw[t_.origin[i]].text);
}

std::string AstBuilder::ident(P::IdentContext* ctx) const {
  if (!ctx || ctx->children.empty()) return {};
  auto* term = dynamic_cast<antlr4::tree::TerminalNode*>(ctx->children[0]);
  return term ? text(term) : std::string();
}

ExprPtr AstBuilder::hole(antlr4::ParserRuleContext* ctx) const {
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

// ---- Bodies

void AstBuilder::file(P::ConfigFileContext* ctx, Body& body, size_t base) {
  base_ = base;
  if (!ctx) {
    body.range = sink_.range(0, static_cast<int64_t>(sink_.source().text().size()));
    return;
  }
  for (auto* item : ctx->bodyItem()) body_item(item, body);
}

void AstBuilder::body_item(P::BodyItemContext* ctx, Body& body) {
  if (!ctx) return;
  if (auto* a = ctx->attribute()) {
    attribute(a->ident(), a->expression(), a, body);
  } else if (auto* b = ctx->block()) {
    block(b, body);
  }
}

void AstBuilder::attribute(P::IdentContext* name, P::ExpressionContext* value,
                           antlr4::ParserRuleContext* whole, Body& body) {
  if (!name || !value) return;
  Attribute a;
  a.name = ident(name);
  if (a.name.empty()) return;
  a.name_range = range(name);
  int depth = 0;
  a.value = expr(value, depth);
  a.range = span(a.name_range, a.value->range);
  (void)whole;
  body.attributes.push_back(std::move(a));
}

void AstBuilder::block(P::BlockContext* ctx, Body& body) {
  Block b;
  b.type = ident(ctx->ident());
  if (b.type.empty()) return;
  b.type_range = range(ctx->ident());
  for (auto* label : ctx->blockLabel()) {
    Range r = range(label);
    if (auto* id = label->ident()) {
      b.labels.push_back(ident(id));
    } else if (auto* s = label->stringLit()) {
      int depth = 0;
      ExprPtr e = template_parts(s->templateBody(), r, Style{}, depth);
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
  antlr4::Token* close = ctx->RBRACE() ? ctx->RBRACE()->getSymbol() : nullptr;
  antlr4::Token* open = ctx->LBRACE() ? ctx->LBRACE()->getSymbol() : nullptr;
  b.range = range(ctx->getStart(), close ? close : ctx->getStop());
  b.body.range = open ? range(open, close ? close : open) : b.range;
  if (auto* bb = ctx->blockBody()) {
    for (auto* item : bb->bodyItem()) body_item(item, b.body);
    if (auto* one = bb->oneLineAttribute()) {
      attribute(one->ident(), one->expression(), one, b.body);
    }
  }
  body.blocks.push_back(std::move(b));
}

// ---- Operators and traversals

ExprPtr AstBuilder::expr(P::ExpressionContext* ctx, int& depth) {
  depth = 0;
  if (!ctx) return hole(ctx);
  if (auto* p = dynamic_cast<P::PrimaryExprContext*>(ctx)) return primary(p->primary(), depth);
  if (auto* b = dynamic_cast<P::BinaryContext*>(ctx)) return binary_chain(b, depth);
  if (auto* u = dynamic_cast<P::UnaryContext*>(ctx)) return unary_chain(u, depth);
  if (auto* c = dynamic_cast<P::ConditionalContext*>(ctx)) {
    auto parts = c->expression();
    int d0 = 0, d1 = 0, d2 = 0;
    ExprPtr cond = parts.size() > 0 ? expr(parts[0], d0) : hole(ctx);
    ExprPtr a = parts.size() > 1 ? expr(parts[1], d1) : hole(ctx);
    ExprPtr b = parts.size() > 2 ? expr(parts[2], d2) : hole(ctx);
    depth = std::max({d0, d1, d2}) + 1;
    Range r = span(cond->range, b->range);
    std::vector<ExprPtr> kids;
    kids.push_back(std::move(cond));
    kids.push_back(std::move(a));
    kids.push_back(std::move(b));
    return make_node(ExprKind::Conditional, r, std::move(kids));
  }
  return traversal_chain(ctx, depth);
}

ExprPtr AstBuilder::binary_chain(P::BinaryContext* ctx, int& depth) {
  // `a + b * c - d` is Binary(-, Binary(+, a, Binary(*, b, c)), d): collect the left spine.
  std::vector<P::BinaryContext*> spine;
  P::ExpressionContext* base = ctx;
  while (auto* b = dynamic_cast<P::BinaryContext*>(base)) {
    spine.push_back(b);
    if (spine.size() > static_cast<size_t>(kMaxExpressionDepth)) {
      depth_ok(kMaxExpressionDepth + 1, range(ctx));
      return hole(ctx);
    }
    base = b->expression(0);
  }
  ExprPtr lhs = expr(base, depth);
  for (size_t i = spine.size(); i-- > 0;) {
    P::BinaryContext* b = spine[i];
    int d = 0;
    ExprPtr rhs = expr(b->expression(1), d);
    depth = std::max(depth, d) + 1;
    if (!depth_ok(depth, range(b))) return lhs;
    std::string op;
    if (b->children.size() > 1) {
      if (auto* t = dynamic_cast<antlr4::tree::TerminalNode*>(b->children[1])) op = text(t);
    }
    Range r = span(lhs->range, rhs->range);
    std::vector<ExprPtr> kids;
    kids.push_back(std::move(lhs));
    kids.push_back(std::move(rhs));
    lhs = make_node(ExprKind::Binary, r, std::move(kids), op);
  }
  return lhs;
}

ExprPtr AstBuilder::unary_chain(P::UnaryContext* ctx, int& depth) {
  std::vector<P::UnaryContext*> ops;
  P::ExpressionContext* base = ctx;
  while (auto* u = dynamic_cast<P::UnaryContext*>(base)) {
    ops.push_back(u);
    base = u->expression();
  }
  ExprPtr e = expr(base, depth);
  // The innermost operator applies first: `!-x` is !(-x).
  for (size_t i = ops.size(); i-- > 0;) {
    Range r = span(range(ops[i]->getStart(), ops[i]->getStart()), e->range);
    if (!depth_ok(depth + 1, r)) return e;
    std::string op;
    if (!ops[i]->children.empty()) {
      if (auto* t = dynamic_cast<antlr4::tree::TerminalNode*>(ops[i]->children[0])) op = text(t);
    }
    std::vector<ExprPtr> kids;
    kids.push_back(std::move(e));
    e = make_node(ExprKind::Unary, r, std::move(kids), op);
    ++depth;
  }
  return e;
}

ExprPtr AstBuilder::traversal_chain(P::ExpressionContext* ctx, int& depth) {
  auto is_step = [](P::ExpressionContext* c) {
    return dynamic_cast<P::GetAttrContext*>(c) || dynamic_cast<P::LegacyIndexContext*>(c) ||
           dynamic_cast<P::IndexContext*>(c) || dynamic_cast<P::AttrSplatContext*>(c) ||
           dynamic_cast<P::FullSplatContext*>(c);
  };
  std::vector<P::ExpressionContext*> ops;
  P::ExpressionContext* base = ctx;
  while (base && is_step(base)) {
    ops.push_back(base);
    if (ops.size() > static_cast<size_t>(kMaxExpressionDepth)) {
      depth_ok(kMaxExpressionDepth + 1, range(ctx));
      return hole(ctx);
    }
    base = base->getRuleContext<P::ExpressionContext>(0);
  }
  // Error recovery can leave a bare ExpressionContext that is no alternative at all: it is a
  // hole, and handing it back to expr() would recurse forever.
  if (ops.empty()) return hole(ctx);
  std::reverse(ops.begin(), ops.end());
  ExprPtr cur = base ? expr(base, depth) : hole(ctx);
  // One traversal step applied to `e`; the op's own tokens end at its stop token.
  auto step = [&](P::ExpressionContext* op, ExprPtr e, int& d) -> ExprPtr {
    Range r = span(e->range, range(op->getStop(), op->getStop()));
    std::vector<ExprPtr> kids;
    if (auto* g = dynamic_cast<P::GetAttrContext*>(op)) {
      kids.push_back(std::move(e));
      ++d;
      return make_node(ExprKind::GetAttr, r, std::move(kids), ident(g->ident()));
    }
    if (auto* l = dynamic_cast<P::LegacyIndexContext*>(op)) {
      kids.push_back(std::move(e));
      kids.push_back(number(l->NUMBER()));
      ++d;
      return make_node(ExprKind::Index, r, std::move(kids));
    }
    auto* ix = dynamic_cast<P::IndexContext*>(op);
    int di = 0;
    kids.push_back(std::move(e));
    kids.push_back(ix ? expr(ix->expression(1), di) : hole(op));
    d = std::max(d, di) + 1;
    return make_node(ExprKind::Index, r, std::move(kids));
  };
  for (size_t i = 0; i < ops.size(); ++i) {
    P::ExpressionContext* op = ops[i];
    bool attr_splat = dynamic_cast<P::AttrSplatContext*>(op) != nullptr;
    bool full_splat = dynamic_cast<P::FullSplatContext*>(op) != nullptr;
    if (!attr_splat && !full_splat) {
      cur = step(op, std::move(cur), depth);
      if (!depth_ok(depth, cur->range)) return cur;
      continue;
    }
    // A splat: the traversals after it apply to each element (`.*` takes only attributes).
    antlr4::Token* first = attr_splat
                               ? static_cast<P::AttrSplatContext*>(op)->DOT()->getSymbol()
                               : static_cast<P::FullSplatContext*>(op)->LBRACK()->getSymbol();
    ExprPtr each = make_node(ExprKind::SplatItem, range(first, op->getStop()), {});
    int each_depth = 0;
    while (i + 1 < ops.size()) {
      P::ExpressionContext* next = ops[i + 1];
      bool ok = dynamic_cast<P::GetAttrContext*>(next) ||
                dynamic_cast<P::LegacyIndexContext*>(next) ||
                (full_splat && dynamic_cast<P::IndexContext*>(next));
      if (!ok) break;
      each = step(next, std::move(each), each_depth);
      ++i;
    }
    Range r = span(cur->range, each->range);
    depth = std::max(depth, each_depth) + 1;
    if (!depth_ok(depth, r)) return cur;
    std::vector<ExprPtr> kids;
    kids.push_back(std::move(cur));
    kids.push_back(std::move(each));
    cur = make_node(ExprKind::Splat, r, std::move(kids));
  }
  return cur;
}

// ---- Primary expressions

ExprPtr AstBuilder::number(antlr4::tree::TerminalNode* tok) {
  std::string s = text(tok);
  Range r = tok ? range(tok->getSymbol(), tok->getSymbol()) : sink_.range(0, 0);
  if (s.empty()) return make_literal(Value::null(), r);
  if (s.find_first_of(".eE") == std::string::npos) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && p == s.data() + s.size()) return make_literal(Value::number(v), r);
  }
  return make_literal(Value::number(std::strtod(s.c_str(), nullptr)), r);
}

ExprPtr AstBuilder::primary(P::PrimaryContext* ctx, int& depth) {
  depth = 0;
  Range r = range(ctx);
  if (auto* n = dynamic_cast<P::NumberContext*>(ctx)) return number(n->NUMBER());
  if (auto* q = dynamic_cast<P::QuotedContext*>(ctx)) {
    return template_parts(q->templateBody(), r, Style{}, depth);
  }
  if (auto* h = dynamic_cast<P::HeredocContext*>(ctx)) {
    antlr4::Token* open = h->OHEREDOC() ? h->OHEREDOC()->getSymbol() : nullptr;
    antlr4::Token* close = h->CHEREDOC() ? h->CHEREDOC()->getSymbol() : nullptr;
    Style style{false, open && close ? heredoc_indent(open, close) : 0};
    ExprPtr e = template_parts(h->templateBody(), r, style, depth);
    e->heredoc = true;
    return e;
  }
  if (auto* f = dynamic_cast<P::ForTupleContext*>(ctx)) {
    ExprPtr e = for_expr(f->forIntro(), f->forCond(), ctx, false, depth);
    int dv = 0;
    e->for_clause->value_expr = expr(f->expression(), dv);
    depth = std::max(depth, dv) + 1;
    return e;
  }
  if (auto* f = dynamic_cast<P::ForObjectContext*>(ctx)) {
    ExprPtr e = for_expr(f->forIntro(), f->forCond(), ctx, true, depth);
    auto ex = f->expression();
    int dk = 0, dv = 0;
    e->for_clause->key_expr = ex.size() > 0 ? expr(ex[0], dk) : hole(ctx);
    e->for_clause->value_expr = ex.size() > 1 ? expr(ex[1], dv) : hole(ctx);
    e->for_clause->grouping = f->ELLIPSIS() != nullptr;
    depth = std::max({depth, dk, dv}) + 1;
    return e;
  }
  if (auto* t = dynamic_cast<P::TupleContext*>(ctx)) {
    std::vector<ExprPtr> kids;
    for (auto* e : t->expression()) {
      int d = 0;
      kids.push_back(expr(e, d));
      depth = std::max(depth, d);
    }
    ++depth;
    return make_node(ExprKind::Tuple, r, std::move(kids));
  }
  if (auto* o = dynamic_cast<P::ObjectContext*>(ctx)) return object(o, depth);
  if (auto* c = dynamic_cast<P::CallContext*>(ctx)) {
    std::vector<ExprPtr> kids;
    for (auto* e : c->expression()) {
      int d = 0;
      kids.push_back(expr(e, d));
      depth = std::max(depth, d);
    }
    ++depth;
    ExprPtr e = make_node(ExprKind::Call, r, std::move(kids), ident(c->ident()));
    e->expand_final = c->ELLIPSIS() != nullptr && !e->children.empty();
    return e;
  }
  if (auto* v = dynamic_cast<P::VariableContext*>(ctx)) {
    std::string name = ident(v->ident());
    if (name == "true") return make_literal(Value::boolean(true), r);
    if (name == "false") return make_literal(Value::boolean(false), r);
    if (name == "null") return make_literal(Value::null(), r);
    return make_variable(std::move(name), r);
  }
  if (auto* p = dynamic_cast<P::ParensContext*>(ctx)) {
    std::vector<ExprPtr> kids;
    kids.push_back(expr(p->expression(), depth));
    ++depth;
    return make_node(ExprKind::Parens, r, std::move(kids));
  }
  return hole(ctx);
}

ExprPtr AstBuilder::for_expr(P::ForIntroContext* intro, P::ForCondContext* cond,
                             antlr4::ParserRuleContext* whole, bool is_object, int& depth) {
  auto e = make_node(ExprKind::For, range(whole), {});
  e->for_clause = std::make_unique<ForClause>();
  ForClause& fc = *e->for_clause;
  fc.is_object = is_object;
  depth = 0;
  if (intro) {
    auto names = intro->ident();
    if (names.size() == 2) {
      fc.key_var = ident(names[0]);
      fc.value_var = ident(names[1]);
    } else if (names.size() == 1) {
      fc.value_var = ident(names[0]);
    }
    fc.collection = expr(intro->expression(), depth);
  } else {
    fc.collection = hole(whole);
  }
  if (cond) {
    int dc = 0;
    fc.cond = expr(cond->expression(), dc);
    depth = std::max(depth, dc);
  }
  return e;
}

ExprPtr AstBuilder::object(P::ObjectContext* ctx, int& depth) {
  auto e = make_node(ExprKind::Object, range(ctx), {});
  depth = 0;
  for (auto* item : ctx->objectItem()) {
    ObjectItem oi;
    P::ObjectKeyContext* key = item->objectKey();
    int dk = 0, dv = 0;
    if (auto* k = dynamic_cast<P::IdentKeyContext*>(key)) {
      oi.key = make_literal(Value::string(ident(k->ident())), range(k));
      oi.key_is_ident = true;
    } else if (auto* k = dynamic_cast<P::StringKeyContext*>(key)) {
      oi.key = template_parts(k->templateBody(), range(k), Style{}, dk);
    } else if (auto* k = dynamic_cast<P::NumberKeyContext*>(key)) {
      oi.key = make_literal(Value::string(text(k->NUMBER())), range(k));
    } else if (auto* k = dynamic_cast<P::ExprKeyContext*>(key)) {
      std::vector<ExprPtr> kids;
      kids.push_back(expr(k->expression(), dk));
      ++dk;
      oi.key = make_node(ExprKind::Parens, range(k), std::move(kids));
    } else {
      continue;
    }
    oi.value = expr(item->expression(), dv);
    depth = std::max({depth, dk, dv});
    e->items.push_back(std::move(oi));
  }
  ++depth;
  return e;
}

// ---- Templates

int AstBuilder::heredoc_indent(antlr4::Token* open, antlr4::Token* close) const {
  size_t oi = gi(open), ci = gi(close);
  if (oi == std::string::npos || ci == std::string::npos || t_.origin[oi] < 0) return 0;
  if (t_.raw[t_.origin[oi]].text.substr(0, 3) != "<<-") return 0;
  const std::string& src = sink_.source().text();
  int min_indent = -1;
  int nest = 0;
  for (size_t i = oi + 1; i < ci && i < t_.types.size(); ++i) {
    size_t type = t_.types[i];
    if (type == P::TEMPLATE_INTERP || type == P::TEMPLATE_CONTROL) ++nest;
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
    size_t type = t_.types[i];
    if ((type == P::TEMPLATE_INTERP || type == P::TEMPLATE_CONTROL) && t_.start[i] > 0 &&
        src[t_.start[i] - 1] == '\n') {
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
  auto tmpl = make_node(ExprKind::Template, r, {});
  depth = 0;
  if (!body) return make_literal(Value::string(""), r);
  auto parts = body->templatePart();
  auto is_strip = [&](size_t tok_index, bool after) {
    if (tok_index >= t_.origin.size() || t_.origin[tok_index] < 0) return false;
    std::string_view s = t_.raw[t_.origin[tok_index]].text;
    return after ? s.back() == '~' : s.front() == '~';
  };
  for (size_t i = 0; i < parts.size(); ++i) {
    P::TemplatePartContext* part = parts[i];
    if (dynamic_cast<P::TemplateLitContext*>(part)) {
      std::vector<size_t> run;
      size_t j = i;
      for (; j < parts.size() && dynamic_cast<P::TemplateLitContext*>(parts[j]); ++j) {
        size_t g = gi(parts[j]->getStart());
        if (g != std::string::npos) run.push_back(g);
      }
      if (run.empty()) {
        i = j - 1;
        continue;
      }
      std::string s = literal_run(run, style);
      // `~` strip markers on the neighbouring `${~`/`~}` remove adjacent whitespace.
      size_t first = run.front(), last = run.back();
      if (first > 0 && t_.types[first - 1] == P::TEMPLATE_SEAL && is_strip(first - 1, false)) {
        s.erase(0, s.find_first_not_of(" \t\r\n"));
      }
      if (last + 1 < t_.types.size() &&
          (t_.types[last + 1] == P::TEMPLATE_INTERP || t_.types[last + 1] == P::TEMPLATE_CONTROL) &&
          is_strip(last + 1, true)) {
        size_t k = s.find_last_not_of(" \t\r\n");
        s.erase(k == std::string::npos ? 0 : k + 1);
      }
      Range lr = range(parts[i]->getStart(), parts[j - 1]->getStart());
      if (!s.empty()) tmpl->children.push_back(make_literal(Value::string(std::move(s)), lr));
      i = j - 1;
      continue;
    }
    Range pr = range(part);
    int d = 0;
    if (auto* ip = dynamic_cast<P::TemplateInterpContext*>(part)) {
      tmpl->children.push_back(expr(ip->expression(), d));
    } else if (auto* tif = dynamic_cast<P::TemplateIfContext*>(part)) {
      auto bodies = tif->templateBody();
      std::vector<ExprPtr> kids;
      kids.push_back(expr(tif->expression(), d));
      for (auto* b : bodies) {
        int db = 0;
        kids.push_back(template_parts(b, range(b), style, db));
        d = std::max(d, db);
      }
      ++d;
      tmpl->children.push_back(make_node(ExprKind::TemplateIf, pr, std::move(kids)));
    } else if (auto* tf = dynamic_cast<P::TemplateForContext*>(part)) {
      auto names = tf->ident();
      std::vector<ExprPtr> kids;
      kids.push_back(expr(tf->expression(), d));
      int db = 0;
      kids.push_back(template_parts(tf->templateBody(), range(tf->templateBody()), style, db));
      d = std::max(d, db) + 1;
      auto node = make_node(ExprKind::TemplateFor, pr, std::move(kids));
      for (auto* n : names) node->names.push_back(ident(n));
      tmpl->children.push_back(std::move(node));
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

// ---- Entry points

ExprPtr AstBuilder::expression_only(P::ExpressionOnlyContext* ctx) {
  int depth = 0;
  if (!ctx || !ctx->expression()) return nullptr;
  return expr(ctx->expression(), depth);
}

ExprPtr AstBuilder::template_only(P::TemplateOnlyContext* ctx) {
  int depth = 0;
  Range r = sink_.range(0, static_cast<int64_t>(sink_.source().text().size()));
  if (!ctx) return make_literal(Value::string(""), r);
  return template_parts(ctx->templateBody(), r, Style{false, 0}, depth);
}

}  // namespace orch::parse_detail
