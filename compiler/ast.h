// The abstract syntax of .orch files: bodies of attributes and blocks, and expressions.
// Built from the ANTLR parse tree by parse.cc; nothing after parsing sees the parse tree.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "compiler/source.h"
#include "compiler/value.h"

namespace orch {

enum class ExprKind {
  Literal,      // `literal`: null, bool, number, or a string without interpolation
  Template,     // `parts`: Literal string pieces and interpolated exprs, concatenated
  TemplateIf,   // %{if cond}...%{else}...%{endif}: children = {cond, then_template, else_template?}
  TemplateFor,  // %{for key, val in coll}...%{endfor}: names = {key?, val}, children = {coll, body}
  Variable,     // a root name: `var`, `local`, `each`, `count`, `self`, `path`, `aws_instance`...
  GetAttr,      // children[0].name
  Index,        // children[0][children[1]]
  Splat,        // children[0][*] then `each` applied per element: children = {source, each}
  SplatItem,    // placeholder inside a Splat's `each` expression standing for one element
  Tuple,        // [children...]
  Object,       // { items[i].key = items[i].value }
  For,          // [for ...] / {for ...}: see ForClause
  Conditional,  // children = {cond, then, else}
  Unary,        // op name "!" or "-"; children = {operand}
  Binary,       // op name "+", "&&", "==", ...; children = {lhs, rhs}
  Call,         // name(children...), `expand_final` when the last argument ends with `...`
  Parens,       // (children[0]) kept so the formatter and diagnostics see the original shape
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct ObjectItem {
  ExprPtr key;    // a bare identifier key is a Literal string with `key_is_ident` set
  ExprPtr value;
  bool key_is_ident = false;
};

struct ForClause {
  std::string key_var;    // empty when only one variable is given
  std::string value_var;
  ExprPtr collection;
  ExprPtr key_expr;       // object form only
  ExprPtr value_expr;
  ExprPtr cond;           // optional `if`
  bool is_object = false;
  bool grouping = false;  // `...` after the value in object form
};

struct Expr {
  ExprKind kind = ExprKind::Literal;
  Range range;
  Value literal;                  // Literal
  std::string name;               // Variable root, GetAttr attribute, Call function, operator
  std::vector<ExprPtr> children;  // see ExprKind
  std::vector<std::string> names; // TemplateFor variables
  std::vector<ObjectItem> items;  // Object
  std::unique_ptr<ForClause> for_clause;  // For
  bool expand_final = false;      // Call with trailing `...`
  bool heredoc = false;           // Template written as a heredoc (for the formatter)
};

struct Block;

struct Attribute {
  std::string name;
  Range name_range;
  ExprPtr value;
  Range range;  // whole `name = value`
};

struct Body {
  std::vector<Attribute> attributes;  // in source order
  std::vector<Block> blocks;          // in source order
  Range range;

  const Attribute* attribute(std::string_view name) const;
  const Block* block(std::string_view type) const;  // first block of that type
};

struct Block {
  std::string type;
  Range type_range;
  std::vector<std::string> labels;
  std::vector<Range> label_ranges;
  Body body;
  Range range;  // from the type to the closing brace
};

struct File {
  const SourceFile* source = nullptr;
  Body body;
};

// Helpers to build expressions (used by the parser and by tests).
ExprPtr make_literal(Value v, Range r = {});
ExprPtr make_variable(std::string name, Range r = {});
ExprPtr make_node(ExprKind kind, Range r, std::vector<ExprPtr> children, std::string name = {});

}  // namespace orch
