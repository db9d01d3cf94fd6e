// Benchmark of what `orch validate` does, phase by phase, on a configuration directory made by
// bench/gen_config.py (2,000 blocks, 20,000 instances by default):
//
//   bench/gen_config.py bench/out/validate && build/validate_bench bench/out/validate [RUNS]
//
// Prints a table: bytes, lexing and parsing throughput (MB/s), the parser's stages (tokens:
// lexing and preparing the parser's token stream; ANTLR: the parse tree; AST: the tree built
// from it), load (parse + build config), check, and the whole validate; each the best of RUNS
// runs (default 5).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "compiler/check.h"
#include "compiler/format.h"
#include "compiler/lex.h"
#include "compiler/load.h"
#include "compiler/parse.h"
#include "compiler/parse_build.h"
#include "compiler/parse_support.h"
#include "providers/registry.h"

namespace fs = std::filesystem;
using namespace orch;

namespace {

// Best wall time of `runs` calls, in milliseconds.
double best_ms(int runs, const std::function<void()>& fn) {
  double best = 1e300;
  for (int i = 0; i < runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  return best;
}

void row(const char* phase, double ms, double bytes) {
  double mbps = bytes > 0 ? bytes / (1024.0 * 1024.0) / (ms / 1000.0) : 0;
  if (bytes > 0) {
    fmt::print("| {:<28} | {:>10.1f} | {:>10.1f} |\n", phase, ms, mbps);
  } else {
    fmt::print("| {:<28} | {:>10.1f} | {:>10} |\n", phase, ms, "");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: validate_bench DIR [RUNS]   (make DIR with bench/gen_config.py)\n");
    return 2;
  }
  const std::string dir = argv[1];
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;

  SourceManager files;
  std::vector<const SourceFile*> sources;
  std::vector<fs::path> paths;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".orch") paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  double bytes = 0;
  for (const auto& p : paths) {
    std::string error;
    const SourceFile* f = files.load(p.string(), &error);
    if (!f) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return 1;
    }
    sources.push_back(f);
    bytes += static_cast<double>(f->text().size());
  }

  size_t tokens = 0, blocks = 0;
  double fmt_ms = best_ms(runs, [&] {
    for (const SourceFile* f : sources) (void)format_tokens(*f);
  });
  double lex_ms = best_ms(runs, [&] {
    tokens = 0;
    for (const SourceFile* f : sources) tokens += lex(*f).size();
  });
  double parse_ms = best_ms(runs, [&] {
    blocks = 0;
    for (const SourceFile* f : sources) {
      Diagnostics d;
      File file = parse_file(*f, d);
      blocks += file.body.blocks.size();
    }
  });
  // The parser's stages separately (what parse_file does, for the whole file in one chunk).
  double tokens_ms = best_ms(runs, [&] {
    for (const SourceFile* f : sources) {
      Diagnostics d;
      parse_detail::ErrorSink sink(*f, d);
      (void)parse_detail::prepare_tokens(*f, parse_detail::Entry::File, sink, d);
    }
  });
  double antlr_ms = 0, ast_ms = 0;
  for (int r = 0; r < runs; ++r) {
    double a = 0, b = 0;
    for (const SourceFile* f : sources) {
      Diagnostics d;
      parse_detail::ErrorSink sink(*f, d);
      auto toks = parse_detail::prepare_tokens(*f, parse_detail::Entry::File, sink, d);
      auto t0 = std::chrono::steady_clock::now();
      parse_detail::ChunkStream stream(toks, 0, toks.types.size());
      grammar::OrchParser parser(&stream);
      parser.removeErrorListeners();
      parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
          antlr4::atn::PredictionMode::SLL);
      parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
      auto* tree = parser.configFile();
      auto t1 = std::chrono::steady_clock::now();
      parse_detail::AstBuilder builder(toks, sink);
      Body body;
      builder.file(tree, body, 0);
      auto t2 = std::chrono::steady_clock::now();
      a += std::chrono::duration<double, std::milli>(t1 - t0).count();
      b += std::chrono::duration<double, std::milli>(t2 - t1).count();
    }
    antlr_ms = r == 0 ? a : std::min(antlr_ms, a);
    ast_ms = r == 0 ? b : std::min(ast_ms, b);
  }
  SchemaRegistry schemas = builtin_schemas();
  int errors = 0;
  double load_ms = 0, check_ms = 0;
  double total_ms = best_ms(runs, [&] {
    SourceManager sm;
    Diagnostics diags;
    auto t0 = std::chrono::steady_clock::now();
    auto config = load_config(dir, sm, diags);
    auto t1 = std::chrono::steady_clock::now();
    if (config) check_config(*config, schemas, diags);
    auto t2 = std::chrono::steady_clock::now();
    load_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    check_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
    errors = diags.error_count();
  });

  fmt::print("validate_bench: {} ({} files, {:.0f} KiB, {} tokens, {} blocks), best of {}\n\n", dir,
             sources.size(), bytes / 1024, tokens, blocks, runs);
  fmt::print("| {:<28} | {:>10} | {:>10} |\n", "phase", "ms", "MB/s");
  fmt::print("|{:-<30}|{:->12}|{:->12}|\n", "", "", "");
  row("lex", lex_ms, bytes);
  row("parse (lex + ANTLR + AST)", parse_ms, bytes);
  row("  tokens (lex + prepare)", tokens_ms, bytes);
  row("  ANTLR parse tree", antlr_ms, bytes);
  row("  AST from the tree", ast_ms, bytes);
  row("fmt (format_tokens)", fmt_ms, bytes);
  row("load_config (last run)", load_ms, bytes);
  row("check_config (last run)", check_ms, 0);
  row("validate = load + check", total_ms, bytes);
  if (errors > 0) fmt::print("\nnote: the configuration has {} errors\n", errors);
  return 0;
}
