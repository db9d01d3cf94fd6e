// Tests of the parser (compiler/parse.h): every construct, ranges, errors and limits.
#include "compiler/parse.h"

#include <gtest/gtest.h>

#include <sstream>

namespace orch {
namespace {

// Renders an expression as an S-expression so tests can compare whole trees.
std::string sx(const Expr* e) {
  if (!e) return "<null>";
  std::ostringstream o;
  auto kids = [&](const char* tag) {
    o << "(" << tag;
    if (!e->name.empty()) o << " " << e->name;
    for (const auto& c : e->children) o << " " << sx(c.get());
    o << ")";
  };
  switch (e->kind) {
    case ExprKind::Literal:
      o << e->literal.to_display();
      break;
    case ExprKind::Template: kids("tmpl"); break;
    case ExprKind::TemplateIf: kids("%if"); break;
    case ExprKind::TemplateFor: {
      o << "(%for";
      for (const auto& n : e->names) o << " " << n;
      for (const auto& c : e->children) o << " " << sx(c.get());
      o << ")";
      break;
    }
    case ExprKind::Variable: o << e->name; break;
    case ExprKind::GetAttr: o << "(. " << sx(e->children[0].get()) << " " << e->name << ")"; break;
    case ExprKind::Index: kids("[]"); break;
    case ExprKind::Splat: kids("splat"); break;
    case ExprKind::SplatItem: o << "@"; break;
    case ExprKind::Tuple: kids("tuple"); break;
    case ExprKind::Object: {
      o << "(object";
      for (const auto& it : e->items) {
        o << " " << (it.key_is_ident ? "ident:" : "") << sx(it.key.get()) << "=" << sx(it.value.get());
      }
      o << ")";
      break;
    }
    case ExprKind::For: {
      const ForClause& f = *e->for_clause;
      o << "(for" << (f.is_object ? "{} " : "[] ") << f.key_var << "," << f.value_var << " "
        << sx(f.collection.get());
      if (f.key_expr) o << " " << sx(f.key_expr.get()) << " =>";
      o << " " << sx(f.value_expr.get());
      if (f.grouping) o << "...";
      if (f.cond) o << " if " << sx(f.cond.get());
      o << ")";
      break;
    }
    case ExprKind::Conditional: kids("?"); break;
    case ExprKind::Unary: kids("unary"); break;
    case ExprKind::Binary: kids("bin"); break;
    case ExprKind::Call: kids(e->expand_final ? "call..." : "call"); break;
    case ExprKind::Parens: kids("parens"); break;
  }
  return o.str();
}

struct Parsed {
  std::unique_ptr<SourceFile> src;
  Diagnostics diags;
  ExprPtr expr;
  File file;
};

std::string expr(const std::string& text) {
  SourceFile src("e.orch", text);
  Diagnostics d;
  ExprPtr e = parse_expression(src, d);
  std::string out = sx(e.get());
  for (const auto& x : d.list()) {
    out += " !" + std::to_string(x.range.start.line) + ":" + std::to_string(x.range.start.column) +
           " " + x.summary;
  }
  return out;
}

TEST(ParseExpr, Basics) {
  EXPECT_EQ(expr("1 + 2 * 3"), "(bin + 1 (bin * 2 3))");
  EXPECT_EQ(expr("var.x[0].y"), "(. ([] (. var x) 0) y)");
}

}  // namespace
}  // namespace orch
