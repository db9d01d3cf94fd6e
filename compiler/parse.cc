// The parser driver: lex, prepare the token stream, parse with ANTLR (fast SLL first, full LL
// with error recovery only when SLL fails), and build the AST.
#include "compiler/parse.h"

#include "OrchParser.h"
#include "antlr4-runtime.h"
#include "compiler/parse_build.h"
#include "compiler/parse_errors.h"
#include "compiler/parse_support.h"

namespace orch {
namespace {

using parse_detail::AstBuilder;
using parse_detail::Entry;
using parse_detail::ErrorSink;
using parse_detail::ParserTokens;
using P = grammar::OrchParser;

// Top-level items are parsed in chunks of about this many tokens, each by a fresh parser, so
// that parse-tree memory stays small on huge files and an error cannot swallow the next chunk.
constexpr size_t kChunkTokens = 50000;

// Runs `rule` on tokens [begin, end) with SLL prediction and bail-out; on failure reruns it with
// full LL prediction and error recovery (the standard two-stage strategy: SLL is fast and almost
// always enough). `use` gets the tree while the parser that owns it is alive.
template <class Rule, class Use>
void parse_chunk(ParserTokens& toks, ErrorSink& sink, size_t begin, size_t end, Rule rule,
                 Use use) {
  parse_detail::ChunkStream stream(toks, begin, end);
  P parser(&stream);
  parser.removeErrorListeners();
  auto* sim = parser.getInterpreter<antlr4::atn::ParserATNSimulator>();
  sim->setPredictionMode(antlr4::atn::PredictionMode::SLL);
  parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
  try {
    use(rule(parser));
    return;
  } catch (antlr4::ParseCancellationException&) {
  }
  stream.seek(0);
  parser.reset();
  sim->setPredictionMode(antlr4::atn::PredictionMode::LL);
  parser.setErrorHandler(std::make_shared<parse_detail::FriendlyErrors>(toks, sink, begin));
  use(rule(parser));
}

}  // namespace

File parse_file(const SourceFile& src, Diagnostics& diags) {
  File f;
  f.source = &src;
  ErrorSink sink(src, diags);
  ParserTokens toks = parse_detail::prepare_tokens(src, Entry::File, sink, diags);
  AstBuilder b(toks, sink);
  b.file(nullptr, f.body);
  if (toks.too_deep) return f;
  size_t begin = 0, next_boundary = 0;
  while (begin < toks.types.size()) {
    // End the chunk after a top-level newline once it is big enough; the last takes the rest.
    size_t end = toks.types.size();
    while (next_boundary < toks.boundaries.size() &&
           toks.boundaries[next_boundary] < begin + kChunkTokens) {
      ++next_boundary;
    }
    if (next_boundary < toks.boundaries.size()) end = toks.boundaries[next_boundary] + 1;
    if (end >= toks.types.size() - 1) end = toks.types.size();
    parse_chunk(
        toks, sink, begin, end, [](P& p) { return p.configFile(); },
        [&](P::ConfigFileContext* tree) { b.file(tree, f.body, begin); });
    begin = end;
  }
  return f;
}

ExprPtr parse_expression(const SourceFile& src, Diagnostics& diags) {
  ErrorSink sink(src, diags);
  ParserTokens toks = parse_detail::prepare_tokens(src, Entry::Expression, sink, diags);
  if (toks.too_deep) return nullptr;
  AstBuilder b(toks, sink);
  ExprPtr out;
  parse_chunk(
      toks, sink, 0, toks.types.size(), [](P& p) { return p.expressionOnly(); },
      [&](P::ExpressionOnlyContext* tree) { out = b.expression_only(tree); });
  return out;
}

ExprPtr parse_template(const SourceFile& src, Diagnostics& diags) {
  ErrorSink sink(src, diags);
  ParserTokens toks = parse_detail::prepare_tokens(src, Entry::Template, sink, diags);
  AstBuilder b(toks, sink);
  if (toks.too_deep) return b.template_only(nullptr);
  ExprPtr out;
  parse_chunk(
      toks, sink, 0, toks.types.size(), [](P& p) { return p.templateOnly(); },
      [&](P::TemplateOnlyContext* tree) { out = b.template_only(tree); });
  return out;
}

}  // namespace orch
