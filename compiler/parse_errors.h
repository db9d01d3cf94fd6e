// The ANTLR error strategy that reports syntax errors to an ErrorSink in plain words.
#pragma once

#include "OrchParser.h"
#include "antlr4-runtime.h"
#include "compiler/parse_support.h"

namespace orch::parse_detail {

class FriendlyErrors : public antlr4::DefaultErrorStrategy {
 public:
  // `base` is the ParserTokens index of the chunk's first token.
  FriendlyErrors(const ParserTokens& toks, ErrorSink& sink, size_t base)
      : t_(toks), sink_(sink), base_(base) {}

 protected:
  void reportNoViableAlternative(antlr4::Parser* p, const antlr4::NoViableAltException& e) override;
  void reportInputMismatch(antlr4::Parser* p, const antlr4::InputMismatchException& e) override;
  void reportFailedPredicate(antlr4::Parser* p, const antlr4::FailedPredicateException& e) override;
  void reportUnwantedToken(antlr4::Parser* p) override;
  void reportMissingToken(antlr4::Parser* p) override;
  // The default conjures the missing token through the token's source, which ours lack.
  antlr4::Token* getMissingSymbol(antlr4::Parser* p) override;

 private:
  void report(antlr4::Parser* p, antlr4::Token* offending, antlr4::Token* start);

  const ParserTokens& t_;
  ErrorSink& sink_;
  size_t base_;
  int reported_ = 0;
  int quiet_line_ = 0;
  std::vector<std::unique_ptr<antlr4::Token>> conjured_;
};

}  // namespace orch::parse_detail
