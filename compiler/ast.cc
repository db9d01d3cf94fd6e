// Helpers of the AST: lookups in bodies and expression constructors.
#include "compiler/ast.h"

namespace orch {

const Attribute* Body::attribute(std::string_view name) const {
  for (const Attribute& a : attributes) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

const Block* Body::block(std::string_view type) const {
  for (const Block& b : blocks) {
    if (b.type == type) return &b;
  }
  return nullptr;
}

ExprPtr make_literal(Value v, Range r) {
  auto e = std::make_unique<Expr>();
  e->kind = ExprKind::Literal;
  e->range = std::move(r);
  e->literal = std::move(v);
  return e;
}

ExprPtr make_variable(std::string name, Range r) {
  auto e = std::make_unique<Expr>();
  e->kind = ExprKind::Variable;
  e->range = std::move(r);
  e->name = std::move(name);
  return e;
}

ExprPtr make_node(ExprKind kind, Range r, std::vector<ExprPtr> children, std::string name) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->range = std::move(r);
  e->children = std::move(children);
  e->name = std::move(name);
  return e;
}

}  // namespace orch
