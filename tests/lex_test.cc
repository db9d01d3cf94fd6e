// Tests of the lexer (compiler/lex.h): token kinds, ranges, templates, heredocs, errors.
#include "compiler/lex.h"

#include <gtest/gtest.h>

namespace orch {
namespace {

using K = TokenKind;

std::vector<K> kinds(const std::string& text, LexMode mode = LexMode::Normal) {
  SourceFile src("t.orch", text);
  std::vector<K> out;
  for (const Token& t : lex(src, mode)) out.push_back(t.kind);
  return out;
}

std::vector<std::string> texts(const std::string& text) {
  SourceFile src("t.orch", text);
  std::vector<std::string> out;
  for (const Token& t : lex(src)) out.emplace_back(t.text);
  return out;
}

std::vector<std::string> errors(const std::string& text) {
  SourceFile src("t.orch", text);
  Diagnostics d;
  lex(src, d);
  std::vector<std::string> out;
  for (const auto& x : d.list()) {
    out.push_back(std::to_string(x.range.start.line) + ":" + std::to_string(x.range.start.column) +
                  " " + x.summary);
  }
  return out;
}

TEST(Lex, AttributeWithComment) {
  EXPECT_EQ(kinds("a = 1 # c\n"),
            (std::vector<K>{K::Ident, K::Assign, K::Number, K::Comment, K::Newline, K::Eof}));
}

TEST(Lex, CommentsOfEveryKind) {
  EXPECT_EQ(texts("# one\n// two\n/* three\n */x"),
            (std::vector<std::string>{"# one", "\n", "// two", "\n", "/* three\n */", "x", ""}));
}

TEST(Lex, IdentifiersMayContainDashes) {
  EXPECT_EQ(texts("foo-bar_2 -x"), (std::vector<std::string>{"foo-bar_2", "-", "x", ""}));
}

TEST(Lex, Numbers) {
  EXPECT_EQ(texts("1 2.5 1e3 2.5E-3 7e"),
            (std::vector<std::string>{"1", "2.5", "1e3", "2.5E-3", "7", "e", ""}));
}

TEST(Lex, LegacyIndexAfterDotIsDigitsOnly) {
  EXPECT_EQ(texts("a.0.1"), (std::vector<std::string>{"a", ".", "0", ".", "1", ""}));
}

TEST(Lex, Operators) {
  EXPECT_EQ(
      kinds("== != <= >= < > && || ! => = ... . ? : % * / + -"),
      (std::vector<K>{K::Equal, K::NotEqual, K::LessEqual, K::GreaterEqual, K::Less,   K::Greater,
                      K::And,   K::Or,       K::Bang,      K::FatArrow,     K::Assign, K::Ellipsis,
                      K::Dot,   K::Question, K::Colon,     K::Percent,      K::Star,   K::Slash,
                      K::Plus,  K::Minus,    K::Eof}));
}

TEST(Lex, CrLfIsOneNewline) {
  EXPECT_EQ(kinds("a\r\nb"), (std::vector<K>{K::Ident, K::Newline, K::Ident, K::Eof}));
}

TEST(Lex, QuotedTemplateWithNestedInterpolation) {
  EXPECT_EQ(texts(R"("a${"b${c}"}d")"),
            (std::vector<std::string>{"\"", "a", "${", "\"", "b", "${", "c", "}", "\"", "}", "d",
                                      "\"", ""}));
  EXPECT_EQ(kinds(R"("a${"b${c}"}d")"),
            (std::vector<K>{K::OQuote, K::TemplateLit, K::TemplateInterp, K::OQuote, K::TemplateLit,
                            K::TemplateInterp, K::Ident, K::TemplateSeal, K::CQuote,
                            K::TemplateSeal, K::TemplateLit, K::CQuote, K::Eof}));
}

TEST(Lex, BracesInsideInterpolationDoNotCloseIt) {
  EXPECT_EQ(kinds(R"("${ {a = 1} }")"),
            (std::vector<K>{K::OQuote, K::TemplateInterp, K::LBrace, K::Ident, K::Assign, K::Number,
                            K::RBrace, K::TemplateSeal, K::CQuote, K::Eof}));
}

TEST(Lex, StripMarkersAndDirectives) {
  EXPECT_EQ(
      texts(R"("%{~ if x ~}y%{ endif }")"),
      (std::vector<std::string>{"\"", "%{~", "if", "x", "~}", "y", "%{", "endif", "}", "\"", ""}));
}

TEST(Lex, EscapedTemplateSequencesStayLiteral) {
  EXPECT_EQ(texts(R"("$${a} %%{b}")"), (std::vector<std::string>{"\"", "$${a} %%{b}", "\"", ""}));
}

TEST(Lex, EscapesKeepTheQuoteInside) {
  EXPECT_EQ(texts(R"("a\"b")"), (std::vector<std::string>{"\"", "a\\\"b", "\"", ""}));
}

TEST(Lex, Heredoc) {
  EXPECT_EQ(texts("x = <<EOT\nhello ${name}\n  EOT\ny"),
            (std::vector<std::string>{"x", "=", "<<EOT\n", "hello ", "${", "name", "}", "\n", "EOT",
                                      "\n", "y", ""}));
}

TEST(Lex, IndentedHeredocMarkerOnlyAtLineStart) {
  // `EOT` inside a line does not end the heredoc.
  EXPECT_EQ(kinds("<<-EOT\n  a EOT\n  EOT\n"),
            (std::vector<K>{K::OHeredoc, K::TemplateLit, K::CHeredoc, K::Newline, K::Eof}));
}

TEST(Lex, BareTemplateMode) {
  EXPECT_EQ(
      kinds("a ${b} \"c\"\n%{if d}e%{endif}", LexMode::Template),
      (std::vector<K>{K::TemplateLit, K::TemplateInterp, K::Ident, K::TemplateSeal, K::TemplateLit,
                      K::TemplateControl, K::Ident, K::Ident, K::TemplateSeal, K::TemplateLit,
                      K::TemplateControl, K::Ident, K::TemplateSeal, K::Eof}));
}

TEST(Lex, RangesAreByteOffsets) {
  SourceFile src("t.orch", "ab = \"x\"");
  auto toks = lex(src);
  ASSERT_EQ(toks.size(), 6u);
  EXPECT_EQ(toks[0].start, 0);
  EXPECT_EQ(toks[0].end, 2);
  EXPECT_EQ(toks[3].start, 6);
  EXPECT_EQ(toks[3].end, 7);
  EXPECT_EQ(toks[5].start, 8);
}

TEST(Lex, InvalidCharacters) {
  EXPECT_EQ(errors("a = @\nb = $"),
            (std::vector<std::string>{"1:5 invalid character `@`", "2:5 invalid character `$`"}));
  EXPECT_EQ(errors("a = 1 & 2"),
            (std::vector<std::string>{"1:7 invalid character `&`; did you mean `&&`?"}));
}

TEST(Lex, NonAsciiOutsideStrings) {
  auto e = errors("a = é");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_NE(e[0].find("1:5 invalid character `é`"), std::string::npos);
  EXPECT_TRUE(errors("a = \"é ü\" # ö").empty());
}

TEST(Lex, InvalidUtf8PointsAtTheBadByte) {
  EXPECT_EQ(errors("a = \"ok\xff\"\n"),
            (std::vector<std::string>{"1:8 invalid UTF-8: byte 0xFF is not valid here"}));
  EXPECT_EQ(errors("# c\xc3\n"),
            (std::vector<std::string>{"1:4 invalid UTF-8: byte 0xC3 is not valid here"}));
  EXPECT_EQ(errors("\xed\xa0\x80"),  // an encoded surrogate is not UTF-8
            (std::vector<std::string>{"1:1 invalid UTF-8: byte 0xED is not valid here",
                                      "1:2 invalid UTF-8: byte 0xA0 is not valid here",
                                      "1:3 invalid UTF-8: byte 0x80 is not valid here"}));
}

TEST(Lex, UnterminatedThings) {
  EXPECT_EQ(errors("a = \"abc\nb = 1"), (std::vector<std::string>{"1:5 unterminated string"}));
  EXPECT_EQ(errors("a = <<EOT\nabc\n"), (std::vector<std::string>{"1:5 unterminated heredoc"}));
  EXPECT_EQ(errors("/* abc"),
            (std::vector<std::string>{"1:1 unterminated comment: `/*` is never closed by `*/`"}));
  // The closer is still produced (zero-width) so that the parser sees pairs.
  EXPECT_EQ(kinds("\"abc\n"),
            (std::vector<K>{K::OQuote, K::TemplateLit, K::CQuote, K::Newline, K::Eof}));
}

TEST(Lex, BadEscapes) {
  EXPECT_EQ(errors(R"(a = "x\qy")"),
            (std::vector<std::string>{
                "1:7 invalid escape sequence `\\q`; valid escapes are \\n \\r \\t \\\" \\\\ "
                "\\uNNNN \\UNNNNNNNN"}));
  EXPECT_EQ(errors(R"(a = "\u12")").size(), 1u);
  EXPECT_TRUE(errors(R"(a = "\u00e9 \U0001F600 \n\t\\\"")").empty());
}

TEST(Lex, HeredocNeedsMarkerAndLineBreak) {
  EXPECT_EQ(errors("a = << EOT\n").size(), 1u);
  EXPECT_EQ(errors("a = <<EOT x\n").size(), 1u);
}

TEST(Decode, QuotedEscapes) {
  std::string out;
  ASSERT_TRUE(decode_quoted(R"(a\n\t\"\\\u00e9\U0001F600$${x}%%{y})", &out));
  EXPECT_EQ(out, "a\n\t\"\\é😀${x}%{y}");
  std::string err;
  size_t at = 0;
  out.clear();
  EXPECT_FALSE(decode_quoted(R"(ab\x)", &out, &err, &at));
  EXPECT_EQ(at, 2u);
  out.clear();
  EXPECT_FALSE(decode_quoted(R"(\uD800)", &out, &err, &at));  // surrogate
}

TEST(Decode, HeredocKeepsBackslashes) {
  EXPECT_EQ(decode_heredoc(R"(a\nb $${x} %%{y})"), R"(a\nb ${x} %{y})");
}

TEST(Lex, HugeInputIsLinear) {
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "a = [1, \"x${y}\"]\n";
  SourceFile src("t.orch", text);
  auto toks = lex(src);
  EXPECT_EQ(toks.size(), 100000u * 13 + 1);
}

}  // namespace
}  // namespace orch
