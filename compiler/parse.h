// Parsing .orch source into the AST (compiler/ast.h), with syntax diagnostics.
#pragma once

#include "compiler/ast.h"
#include "compiler/diagnostic.h"
#include "compiler/source.h"

namespace orch {

// Limits that keep hostile input from exhausting the stack: brackets, string templates,
// template directives and chained conditionals may nest this deep.
inline constexpr int kMaxNestingDepth = 256;
// Longest chain of operators/traversals in one expression (`a + b + ...`, `a.b.c...`).
inline constexpr int kMaxExpressionDepth = 2000;

// Parses a whole configuration file. Always returns a File (partial when there are errors);
// every syntax error is reported to `diags` with its exact range.
File parse_file(const SourceFile& src, Diagnostics& diags);

// Parses one expression (the whole input; surrounding newlines are allowed). Returns a null
// pointer only when nothing usable was parsed; errors go to `diags`.
ExprPtr parse_expression(const SourceFile& src, Diagnostics& diags);

// Parses the whole input as a template body, as templatefile() reads a file: `${...}`, `%{...}`
// directives, `$${`/`%%{` escapes; no backslash escapes. Returns a Template (or a Literal when
// the file has no interpolation).
ExprPtr parse_template(const SourceFile& src, Diagnostics& diags);

}  // namespace orch
