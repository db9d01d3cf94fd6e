// The canonical layout of .orch files (`orch fmt`): two-space indents, `=` aligned within runs of
// single-line attributes, one blank line between blocks, normalised spacing, every comment kept.
//
// It works on the token stream (compiler/lex.h), never on the AST: only the whitespace between
// tokens changes, so the tokens — and therefore the meaning — of the output are those of the
// input. Quoted strings, heredocs and multi-line comments are copied byte for byte.
#pragma once

#include <string>

#include "compiler/diagnostic.h"
#include "compiler/source.h"

namespace orch {

// Formats a whole file. Returns false, with the syntax errors in `diags`, when the file does not
// parse; `out` is then left untouched. Formatting a formatted file gives the same text.
bool format_source(const SourceFile& src, std::string* out, Diagnostics& diags);

// Formats without checking the syntax first (the caller knows it is valid).
std::string format_tokens(const SourceFile& src);

}  // namespace orch
