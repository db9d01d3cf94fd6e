// Tests of the parser (compiler/parse.h): every construct, ranges, errors and limits.
#include "compiler/parse.h"

#include <gtest/gtest.h>

#include <sstream>

namespace orch {
namespace {

// Renders an expression as an S-expression so tests can compare whole trees.
std::string sx(const Expr* e) {
  if (!e) return "<null>";
  std::ostringstream o;
  auto kids = [&](const char* tag) {
    o << "(" << tag;
    if (!e->name.empty()) o << " " << e->name;
    for (const auto& c : e->children) o << " " << sx(c.get());
    o << ")";
  };
  switch (e->kind) {
    case ExprKind::Literal:
      o << e->literal.to_display();
      break;
    case ExprKind::Template:
      kids("tmpl");
      break;
    case ExprKind::TemplateIf:
      kids("%if");
      break;
    case ExprKind::TemplateFor: {
      o << "(%for";
      for (const auto& n : e->names) o << " " << n;
      for (const auto& c : e->children) o << " " << sx(c.get());
      o << ")";
      break;
    }
    case ExprKind::Variable:
      o << e->name;
      break;
    case ExprKind::GetAttr:
      o << "(. " << sx(e->children[0].get()) << " " << e->name << ")";
      break;
    case ExprKind::Index:
      kids("[]");
      break;
    case ExprKind::Splat:
      kids("splat");
      break;
    case ExprKind::SplatItem:
      o << "@";
      break;
    case ExprKind::Tuple:
      kids("tuple");
      break;
    case ExprKind::Object: {
      o << "(object";
      for (const auto& it : e->items) {
        o << " " << (it.key_is_ident ? "ident:" : "") << sx(it.key.get()) << "="
          << sx(it.value.get());
      }
      o << ")";
      break;
    }
    case ExprKind::For: {
      const ForClause& f = *e->for_clause;
      o << "(for" << (f.is_object ? "{} " : "[] ") << f.key_var << "," << f.value_var << " "
        << sx(f.collection.get());
      if (f.key_expr) o << " " << sx(f.key_expr.get()) << " =>";
      o << " " << sx(f.value_expr.get());
      if (f.grouping) o << "...";
      if (f.cond) o << " if " << sx(f.cond.get());
      o << ")";
      break;
    }
    case ExprKind::Conditional:
      kids("?");
      break;
    case ExprKind::Unary:
      kids("unary");
      break;
    case ExprKind::Binary:
      kids("bin");
      break;
    case ExprKind::Call:
      kids(e->expand_final ? "call..." : "call");
      break;
    case ExprKind::Parens:
      kids("parens");
      break;
  }
  return o.str();
}

std::string expr(const std::string& text) {
  SourceFile src("e.orch", text);
  Diagnostics d;
  ExprPtr e = parse_expression(src, d);
  std::string out = sx(e.get());
  for (const auto& x : d.list()) {
    out += " !" + std::to_string(x.range.start.line) + ":" + std::to_string(x.range.start.column) +
           " " + x.summary;
  }
  return out;
}

TEST(ParseExpr, Basics) {
  EXPECT_EQ(expr("1 + 2 * 3"), "(bin + 1 (bin * 2 3))");
  EXPECT_EQ(expr("var.x[0].y"), "(. ([] (. var x) 0) y)");
}

// ---- Expressions

TEST(ParseExpr, Literals) {
  EXPECT_EQ(expr("null"), "null");
  EXPECT_EQ(expr("true"), "true");
  EXPECT_EQ(expr("false"), "false");
  EXPECT_EQ(expr("42"), "42");
  EXPECT_EQ(expr("1.5e3"), "1500");
  EXPECT_EQ(expr("2.5"), "2.5");
  EXPECT_EQ(expr("\"hi\""), "\"hi\"");
  EXPECT_EQ(expr("99999999999999999999"), "1e+20");
}

TEST(ParseExpr, StringEscapesAreDecoded) {
  SourceFile src("e.orch", R"("a\n\t\"\\\u00e9 $${x} %%{y}")");
  Diagnostics d;
  ExprPtr e = parse_expression(src, d);
  ASSERT_EQ(e->kind, ExprKind::Literal);
  EXPECT_EQ(e->literal.as_string(), "a\n\t\"\\é ${x} %{y}");
  EXPECT_TRUE(d.empty());
}

TEST(ParseExpr, Precedence) {
  EXPECT_EQ(expr("1 + 2 * 3"), "(bin + 1 (bin * 2 3))");
  EXPECT_EQ(expr("1 - 2 - 3"), "(bin - (bin - 1 2) 3)");
  EXPECT_EQ(expr("a || b && c"), "(bin || a (bin && b c))");
  EXPECT_EQ(expr("a == b || c != d"), "(bin || (bin == a b) (bin != c d))");
  EXPECT_EQ(expr("a < b == c >= d"), "(bin == (bin < a b) (bin >= c d))");
  EXPECT_EQ(expr("a + b < c * d"), "(bin < (bin + a b) (bin * c d))");
  EXPECT_EQ(expr("a % b / c * d"), "(bin * (bin / (bin % a b) c) d)");
  EXPECT_EQ(expr("-a.b * c"), "(bin * (unary - (. a b)) c)");
  EXPECT_EQ(expr("!-x"), "(unary ! (unary - x))");
  EXPECT_EQ(expr("!a && b"), "(bin && (unary ! a) b)");
  EXPECT_EQ(expr("a || b ? c : d"), "(? (bin || a b) c d)");
  EXPECT_EQ(expr("a ? b : c ? d : e"), "(? a b (? c d e))");
  EXPECT_EQ(expr("a ? b ? c : d : e"), "(? a (? b c d) e)");
  EXPECT_EQ(expr("(1 + 2) * 3"), "(bin * (parens (bin + 1 2)) 3)");
}

TEST(ParseExpr, Traversals) {
  EXPECT_EQ(expr("var.x[0].y"), "(. ([] (. var x) 0) y)");
  EXPECT_EQ(expr("a.0.1"), "([] ([] a 0) 1)");
  EXPECT_EQ(expr("a[\"k\"][b + 1]"), "([] ([] a \"k\") (bin + b 1))");
  EXPECT_EQ(expr("ec2_instance.node[3].private_ip"), "(. ([] (. ec2_instance node) 3) private_ip)");
}

TEST(ParseExpr, Splats) {
  EXPECT_EQ(expr("a[*].b.c[0]"), "(splat a ([] (. (. @ b) c) 0))");
  EXPECT_EQ(expr("a[*]"), "(splat a @)");
  // An attribute splat takes only attribute steps; the index applies to the result.
  EXPECT_EQ(expr("a.*.b[0]"), "([] (splat a (. @ b)) 0)");
  EXPECT_EQ(expr("a[*].b[*].c"), "(splat (splat a (. @ b)) (. @ c))");
  EXPECT_EQ(expr("x.node[*].id"), "(splat (. x node) (. @ id))");
}

TEST(ParseExpr, Collections) {
  EXPECT_EQ(expr("[]"), "(tuple)");
  EXPECT_EQ(expr("[1, 2,]"), "(tuple 1 2)");
  EXPECT_EQ(expr("[\n1,\n2\n]"), "(tuple 1 2)");
  EXPECT_EQ(expr("{}"), "(object)");
  EXPECT_EQ(expr("{ a = 1, \"k2\": 2, (var.x) = 3, 4 = 5 }"),
            "(object ident:\"a\"=1 \"k2\"=2 (parens (. var x))=3 \"4\"=5)");
  EXPECT_EQ(expr("{\n a = 1\n b = 2,\n\n c = 3\n}"),
            "(object ident:\"a\"=1 ident:\"b\"=2 ident:\"c\"=3)");
  EXPECT_EQ(expr("{ for = 1, in = 2, if = 3 }"),
            "(object ident:\"for\"=1 ident:\"in\"=2 ident:\"if\"=3)");
}

TEST(ParseExpr, ForExpressions) {
  EXPECT_EQ(expr("[for x in y: x]"), "(for[] ,x y x)");
  EXPECT_EQ(expr("[for i, x in y : x * i if x > 0]"), "(for[] i,x y (bin * x i) if (bin > x 0))");
  EXPECT_EQ(expr("{for k, v in m : k => v}"), "(for{} k,v m k => v)");
  EXPECT_EQ(expr("{for k, v in m : v => k... if k != \"\"}"),
            "(for{} k,v m v => k... if (bin != k \"\"))");
  // Newlines are allowed between the parts of both forms.
  EXPECT_EQ(expr("{\n for k, v in m :\n k => v\n if v\n}"), "(for{} k,v m k => v if v)");
  EXPECT_EQ(expr("[\n for x in y :\n x\n]"), "(for[] ,x y x)");
}

TEST(ParseExpr, Calls) {
  EXPECT_EQ(expr("f()"), "(call f)");
  EXPECT_EQ(expr("f(1, 2,)"), "(call f 1 2)");
  EXPECT_EQ(expr("f(1, [2, 3]...)"), "(call... f 1 (tuple 2 3))");
  EXPECT_EQ(expr("max(\n 1,\n 2\n)"), "(call max 1 2)");
  EXPECT_EQ(expr("any(ec2_instance.node)"), "(call any (. ec2_instance node))");
}

TEST(ParseExpr, Templates) {
  EXPECT_EQ(expr("\"a${b}c\""), "(tmpl \"a\" b \"c\")");
  EXPECT_EQ(expr("\"${x}\""), "(tmpl x)");
  EXPECT_EQ(expr("\"a${\"b${c}\"}\""), "(tmpl \"a\" (tmpl \"b\" c))");
  EXPECT_EQ(expr("\"%{if c}yes%{else}no%{endif}\""), "(tmpl (%if c \"yes\" \"no\"))");
  EXPECT_EQ(expr("\"%{for k, v in m}${k}=${v},%{endfor}\""),
            "(tmpl (%for k v m (tmpl k \"=\" v \",\")))");
  EXPECT_EQ(expr("\"%{for v in m}${v}%{endfor}\""), "(tmpl (%for v m (tmpl v)))");
  EXPECT_EQ(expr("\"a ${~ b ~} c\""), "(tmpl \"a\" b \"c\")");
  EXPECT_EQ(expr("\"a  %{~ if c ~}  x  %{~ endif ~}  b\""), "(tmpl \"a\" (%if c \"x\") \"b\")");
  EXPECT_EQ(expr("\"${ {a = 1}.a }\""), "(tmpl (. (object ident:\"a\"=1) a))");
}

TEST(ParseExpr, Heredocs) {
  EXPECT_EQ(expr("<<EOT\nhello\n  ${name}\nEOT\n"), "(tmpl \"hello\\n  \" name \"\\n\")");
  EXPECT_EQ(expr("<<-EOT\n    a\n      b\n    EOT\n"), "\"a\\n  b\\n\"");
  // Backslashes are literal in heredocs; blank lines do not count for the indentation.
  EXPECT_EQ(expr("<<-EOT\n  a\\n\n\n  b\n  EOT\n"), "\"a\\\\n\\n\\nb\\n\"");
  EXPECT_EQ(expr("<<EOT\nEOT\n"), "\"\"");
  SourceFile src("e.orch", "<<EOT\nx\nEOT\n");
  Diagnostics d;
  EXPECT_TRUE(parse_expression(src, d)->heredoc);
}

// ---- Files

struct FileResult {
  std::unique_ptr<SourceFile> src;
  Diagnostics diags;
  File file;
};

std::unique_ptr<FileResult> file(const std::string& text) {
  auto r = std::make_unique<FileResult>();
  r->src = std::make_unique<SourceFile>("f.orch", text);
  r->file = parse_file(*r->src, r->diags);
  return r;
}

std::vector<std::string> errors(const std::string& text) {
  auto r = file(text);
  std::vector<std::string> out;
  for (const auto& d : r->diags.list()) {
    out.push_back(std::to_string(d.range.start.line) + ":" + std::to_string(d.range.start.column) +
                  " " + d.summary);
  }
  return out;
}

std::string pos(const Range& r) {
  return std::to_string(r.start.line) + ":" + std::to_string(r.start.column) + "-" +
         std::to_string(r.end.line) + ":" + std::to_string(r.end.column);
}

TEST(ParseFile, BlocksAndAttributes) {
  auto r = file(R"(# top
variable "workers" {
  type    = number
  default = 10
}

resource "ec2_instance" node {
  count = var.workers + 1
  lifecycle {
    prevent_destroy = true
  }
  rollout { canary = 1 }
}
locals {}
top = "x"
)");
  ASSERT_TRUE(r->diags.empty()) << r->diags.list()[0].summary;
  const Body& b = r->file.body;
  ASSERT_EQ(b.blocks.size(), 3u);
  ASSERT_EQ(b.attributes.size(), 1u);
  EXPECT_EQ(b.attributes[0].name, "top");
  const Block& v = b.blocks[0];
  EXPECT_EQ(v.type, "variable");
  EXPECT_EQ(v.labels, std::vector<std::string>{"workers"});
  EXPECT_EQ(pos(v.range), "2:1-5:2");
  EXPECT_EQ(pos(v.type_range), "2:1-2:9");
  EXPECT_EQ(pos(v.label_ranges[0]), "2:10-2:19");
  EXPECT_EQ(pos(v.body.range), "2:20-5:2");
  ASSERT_EQ(v.body.attributes.size(), 2u);
  EXPECT_EQ(pos(v.body.attributes[1].range), "4:3-4:15");
  EXPECT_EQ(pos(v.body.attributes[1].name_range), "4:3-4:10");
  EXPECT_EQ(pos(v.body.attributes[1].value->range), "4:13-4:15");
  const Block& res = b.blocks[1];
  EXPECT_EQ(res.labels, (std::vector<std::string>{"ec2_instance", "node"}));
  ASSERT_NE(res.body.block("lifecycle"), nullptr);
  EXPECT_NE(res.body.block("lifecycle")->body.attribute("prevent_destroy"), nullptr);
  ASSERT_NE(res.body.block("rollout"), nullptr);
  EXPECT_NE(res.body.block("rollout")->body.attribute("canary"), nullptr);
  EXPECT_EQ(res.body.attribute("missing"), nullptr);
  EXPECT_EQ(b.blocks[2].type, "locals");
}

TEST(ParseFile, NoTrailingNewlineAndCrLf) {
  EXPECT_TRUE(errors("a = 1").empty());
  EXPECT_TRUE(errors("b {\r\n  a = 1\r\n}\r\n").empty());
  EXPECT_TRUE(errors("").empty());
  EXPECT_TRUE(errors("\n\n# only a comment\n").empty());
}

TEST(ParseFile, RangesOfExpressions) {
  auto r = file("a = foo.bar[1] + f(2)\n");
  const Expr& e = *r->file.body.attributes[0].value;
  EXPECT_EQ(pos(e.range), "1:5-1:22");
  EXPECT_EQ(pos(e.children[0]->range), "1:5-1:15");
  EXPECT_EQ(pos(e.children[0]->children[0]->range), "1:5-1:12");
  EXPECT_EQ(pos(e.children[1]->range), "1:18-1:22");
  EXPECT_EQ(e.range.start.byte, 4);
  EXPECT_EQ(e.range.end.byte, 21);
  EXPECT_EQ(e.range.file, "f.orch");
}

TEST(ParseFile, MultiLineCommentsAndHeredocsInBodies) {
  auto r = file("b {\n  /* a\n  b */\n  x = <<EOT\n  hi\n  EOT\n  y = 2\n}\n");
  ASSERT_TRUE(r->diags.empty()) << r->diags.list()[0].summary;
  ASSERT_EQ(r->file.body.blocks[0].body.attributes.size(), 2u);
  EXPECT_EQ(r->file.body.blocks[0].body.attributes[0].value->literal.as_string(), "  hi\n");
}

// ---- Errors

TEST(ParseErrors, ExpectedEqualsOrBlock) {
  EXPECT_EQ(
      errors("foo\n"),
      (std::vector<std::string>{"1:4 expected `=` or a block body after `foo`, found newline"}));
  EXPECT_EQ(
      errors("foo bar\n"),
      (std::vector<std::string>{"1:8 expected a block label or `{` after `bar`, found newline"}));
}

TEST(ParseErrors, NewlineRequiredAfterAttribute) {
  EXPECT_EQ(errors("a = 1 b = 2\n"),
            (std::vector<std::string>{"1:7 newline required after an attribute, found `b`"}));
}

TEST(ParseErrors, MissingExpression) {
  EXPECT_EQ(errors("a =\nb = 1\n"),
            (std::vector<std::string>{"1:4 expected an expression after `=`, found newline"}));
  EXPECT_EQ(errors("a = 1 +\n"),
            (std::vector<std::string>{"1:8 expected an expression after `+`, found newline"}));
}

TEST(ParseErrors, UnclosedBraceWithNote) {
  auto r = file("b {\n  a = 1\n");
  ASSERT_EQ(r->diags.size(), 1u);
  const Diagnostic& d = r->diags.list()[0];
  EXPECT_EQ(d.summary, "unclosed `{`");
  EXPECT_EQ(pos(d.range), "3:1-3:1");
  ASSERT_EQ(d.notes.size(), 1u);
  EXPECT_EQ(d.notes[0].message, "`{` opened here");
  EXPECT_EQ(pos(d.notes[0].range), "1:3-1:4");
}

TEST(ParseErrors, MismatchedBracket) {
  EXPECT_EQ(errors("a = (1]\nb = 2\n"),
            (std::vector<std::string>{"1:7 mismatched `]`: expected `)` to close `(`"}));
  EXPECT_EQ(errors("}\na = 1\n"), (std::vector<std::string>{"1:1 unexpected `}`"}));
}

TEST(ParseErrors, OneLineBlock) {
  EXPECT_EQ(errors("b { a = 1\n}\n"),
            (std::vector<std::string>{
                "1:10 a one-line block must end with `}` right after its attribute"}));
  EXPECT_EQ(errors("b { a = 1 c = 2 }\n").size(), 1u);
}

TEST(ParseErrors, LexicalErrorsAreNotRepeatedByTheParser) {
  EXPECT_EQ(errors("a = \"abc\nb = @\nc = 1\n"),
            (std::vector<std::string>{"1:5 unterminated string", "2:5 invalid character `@`"}));
}

TEST(ParseErrors, BlockLabelsMustBePlainStrings) {
  EXPECT_EQ(errors("b \"${x}\" {}\n"),
            (std::vector<std::string>{"1:3 block labels must be plain strings"}));
}

TEST(ParseErrors, RecoveryReportsSeveralErrorsAndKeepsGoodItems) {
  auto r = file(R"(resource "a" "b" {
  x = 1 +
  y = 2
}
variable "v" {
  default = [1 2]
}
output "o" {
  value = 3
}
bad bad bad
ok = 4
)");
  std::vector<std::string> got;
  for (const auto& d : r->diags.list()) got.push_back(std::to_string(d.range.start.line));
  EXPECT_EQ(got, (std::vector<std::string>{"2", "6", "11"}));
  // Items without errors are all there.
  ASSERT_GE(r->file.body.blocks.size(), 3u);
  EXPECT_EQ(r->file.body.blocks[2].type, "output");
}

TEST(ParseErrors, AtMostOneErrorPerLine) {
  EXPECT_EQ(errors("a = ) ) ) ]\n").size(), 1u);
}

// ---- Limits

TEST(ParseLimits, DeepNestingIsADiagnostic) {
  for (const char* open : {"[", "(", "{", "\"${", "!", "-"}) {
    std::string text = "a = ";
    for (int i = 0; i < 10000; ++i) text += open;
    auto r = file(text);
    // An unclosed `"` is also reported (by the lexer); the nesting error is always there.
    ASSERT_LE(r->diags.size(), 2u) << open;
    bool found = false;
    for (const auto& d : r->diags.list()) {
      found |= d.summary == "nesting too deep: more than 256 levels";
    }
    EXPECT_TRUE(found) << open;
  }
}

TEST(ParseLimits, NestingJustUnderTheLimitParses) {
  std::string text = "a = ";
  for (int i = 0; i < 250; ++i) text += "[";
  for (int i = 0; i < 250; ++i) text += "]";
  auto r = file(text + "\n");
  EXPECT_TRUE(r->diags.empty());
}

TEST(ParseLimits, ChainedConditionalsAndDirectives) {
  std::string text = "a = x";
  for (int i = 0; i < 5000; ++i) text += " ? 1 : x";
  EXPECT_EQ(file(text)->diags.size(), 1u);
  std::string t2 = "a = \"";
  for (int i = 0; i < 5000; ++i) t2 += "%{if x}";
  EXPECT_EQ(file(t2 + "\"")->diags.list().at(0).summary, "nesting too deep: more than 256 levels");
}

TEST(ParseLimits, LongOperatorChainsAreDiagnosedNotOverflowed) {
  std::string text = "a = 1";
  for (int i = 0; i < 200000; ++i) text += " + 1";
  auto r = file(text + "\n");
  ASSERT_EQ(r->diags.size(), 1u);
  EXPECT_NE(r->diags.list()[0].summary.find("expression too complex"), std::string::npos);
  std::string t2 = "a = x";
  for (int i = 0; i < 200000; ++i) t2 += ".y";
  EXPECT_EQ(file(t2 + "\n")->diags.size(), 1u);
}

TEST(ParseLimits, InvalidUtf8) {
  auto r = file("a = \"\xc3\x28\"\nb = 1\n");
  ASSERT_EQ(r->diags.size(), 1u);
  EXPECT_EQ(pos(r->diags.list()[0].range), "1:6-1:7");
  EXPECT_NE(r->file.body.attribute("b"), nullptr);
}

TEST(ParseLimits, BigFileParses) {
  std::string text;
  for (int i = 0; text.size() < 10u * 1024 * 1024; ++i) {
    text += "resource \"sim_machine\" \"n" + std::to_string(i) +
            "\" {\n  count = var.n + 1\n  name  = \"node-${count.index}\"\n  tags  = { a = 1, b = "
            "[1, 2, 3] }\n}\n";
  }
  auto r = file(text);
  EXPECT_TRUE(r->diags.empty());
  EXPECT_GT(r->file.body.blocks.size(), 80000u);
}

// ---- Templates (templatefile)

TEST(ParseTemplate, WholeFileIsATemplate) {
  SourceFile src("t.tftpl",
                 "Hello ${name}!\n%{ for s in servers ~}\nserver ${s}\n%{ endfor ~}\n\\n \"q\"");
  Diagnostics d;
  ExprPtr e = parse_template(src, d);
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(sx(e.get()),
            "(tmpl \"Hello \" name \"!\\n\" (%for s servers (tmpl \"server \" s \"\\n\")) "
            "\"\\\\n \\\"q\\\"\")");
  SourceFile plain("t.txt", "no interpolation");
  EXPECT_EQ(sx(parse_template(plain, d).get()), "\"no interpolation\"");
}

TEST(ParseTemplate, Errors) {
  SourceFile src("t.tftpl", "a %{if x} b");
  Diagnostics d;
  parse_template(src, d);
  ASSERT_EQ(d.size(), 1u);
}

}  // namespace
}  // namespace orch
