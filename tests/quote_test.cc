// Tests of compiler/quote.h: HCL quoting reads back as the same string; JSON quoting as Go's.
#include "compiler/quote.h"

#include <gtest/gtest.h>

#include "compiler/parse.h"

namespace orch {
namespace {

// Parses `text` as an HCL expression; it must be one string literal.
std::string read_back(const std::string& text) {
  SourceFile src("q.orch", text);
  Diagnostics d;
  ExprPtr e = parse_expression(src, d);
  EXPECT_TRUE(d.empty()) << text << ": " << (d.empty() ? "" : d.list()[0].summary);
  if (!e || e->kind != ExprKind::Literal || e->literal.kind() != ValueKind::String) {
    ADD_FAILURE() << text << " is not a string literal";
    return {};
  }
  return e->literal.as_string();
}

TEST(QuoteHcl, EscapesWhatHclNeeds) {
  EXPECT_EQ(quote_hcl_string("plain"), "\"plain\"");
  EXPECT_EQ(quote_hcl_string("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(quote_hcl_string("l1\nl2\r\t"), R"("l1\nl2\r\t")");
  EXPECT_EQ(quote_hcl_string(std::string("\x01\x7f", 2)), R"("\u0001\u007f")");
  // Interpolation and directive openers are escaped; a lone `$` or `%` is not.
  EXPECT_EQ(quote_hcl_string("${x} %{if} $5 100%"), R"("$${x} %%{if} $5 100%")");
  EXPECT_EQ(quote_hcl_string("é 😀"), "\"é 😀\"");
}

TEST(QuoteHcl, ReadsBackAsTheSameString) {
  for (std::string s : {"", "x", "${a}", "$${a}", "%{ if x }", "a\\${b}", "\"\\\n\t\r", "tab\there",
                        "$", "%", "{}", "é"}) {
    EXPECT_EQ(read_back(quote_hcl_string(s)), s) << quote_hcl_string(s);
  }
  std::string control("a\x02z", 3);
  EXPECT_EQ(read_back(quote_hcl_string(control)), control);
}

TEST(QuoteJson, AsGoEncodingJson) {
  EXPECT_EQ(quote_json_string("a\"b\\c\n"), R"("a\"b\\c\n")");
  EXPECT_EQ(quote_json_string("<a&b>"), R"("\u003ca\u0026b\u003e")");
  EXPECT_EQ(quote_json_string("${x}"), R"("${x}")");
  EXPECT_EQ(quote_json_string(std::string("\x01", 1)), R"("\u0001")");
  EXPECT_EQ(quote_json_string("\xe2\x80\xa8"), R"("\u2028")");
}

}  // namespace
}  // namespace orch
