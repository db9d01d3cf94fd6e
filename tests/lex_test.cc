// Tests of the lexer (compiler/lex.h): token kinds, ranges, templates, heredocs, errors.
#include "compiler/lex.h"

#include <gtest/gtest.h>

namespace orch {
namespace {

std::vector<TokenKind> kinds(const std::string& text, LexMode mode = LexMode::Normal) {
  SourceFile src("t.orch", text);
  std::vector<TokenKind> out;
  for (const Token& t : lex(src, mode)) out.push_back(t.kind);
  return out;
}

using K = TokenKind;

TEST(Lex, AttributeWithComment) {
  EXPECT_EQ(kinds("a = 1 # c\n"),
            (std::vector<K>{K::Ident, K::Assign, K::Number, K::Comment, K::Newline, K::Eof}));
}

}  // namespace
}  // namespace orch
