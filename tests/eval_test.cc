// Tests of expression evaluation (compiler/eval.h): every operator, references, access, for,
// splat, templates, functions, try/can, unknown and sensitive propagation, and diagnostics.
#include "compiler/eval.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "compiler/parse.h"

namespace orch {
namespace {

class EvalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    scope.set("var", "name", Value::string("web"));
    scope.set("var", "n", Value::number(3));
    scope.set("var", "list", Value::tuple({Value::string("a"), Value::string("b")}));
    scope.set("var", "obj",
              Value::object({{"name", Value::string("x")}, {"size", Value::number(2)}}));
    scope.set("var", "secret", Value::string("hunter2").mark_sensitive());
    scope.set("var", "unk", Value::unknown(Type::string()));
    scope.set("var", "unum", Value::unknown(Type::number()));
    scope.set("var", "ubool", Value::unknown(Type::boolean()));
    scope.set("var", "nothing", Value::null());
    scope.set("var", "map",
              Value::map({{"a", Value::number(1)}, {"b", Value::number(2)}}, Type::number()));
    scope.set("local", "greeting", Value::string("hello"));
    scope.set("path", "module", Value::string("/tmp/mod"));
    ValueList nodes;
    for (int i = 0; i < 3; ++i) {
      nodes.push_back(
          Value::object({{"id", Value::string("i-" + std::to_string(i))},
                         {"private_ip", Value::string("10.0.0." + std::to_string(i))}}));
    }
    scope.set("sim_machine", "node", Value::tuple(nodes));
    scope.set("data", "sim_image.base", Value::object({{"id", Value::string("img-1")}}));
  }

  // Parses and evaluates `text`; diagnostics land in `diags`.
  Value eval(const std::string& text) {
    auto* src = sources.add("test.orch", text);
    Diagnostics parse_diags;
    ExprPtr e = parse_expression(*src, parse_diags);
    EXPECT_FALSE(parse_diags.has_errors()) << "parse error in: " << text;
    if (!e) return Value();
    exprs.push_back(std::move(e));
    return evaluate(*exprs.back(), scope, diags);
  }

  // Evaluates and expects no diagnostics.
  Value ok(const std::string& text) {
    diags = Diagnostics();
    Value v = eval(text);
    EXPECT_FALSE(diags.has_errors())
        << text << ": "
        << (diags.empty() ? "" : diags.list()[0].summary + ": " + diags.list()[0].detail);
    return v;
  }

  // Evaluates and expects exactly one error; returns it.
  Diagnostic err(const std::string& text) {
    diags = Diagnostics();
    eval(text);
    EXPECT_EQ(diags.error_count(), 1) << text;
    if (diags.empty()) return {};
    return diags.list()[0];
  }

  std::string show(const std::string& text) { return ok(text).to_display(); }

  BasicScope scope;
  SourceManager sources;
  Diagnostics diags;
  std::vector<ExprPtr> exprs;
};

TEST_F(EvalTest, Literals) {
  EXPECT_EQ(show("1"), "1");
  EXPECT_EQ(show("1.5"), "1.5");
  EXPECT_EQ(show("\"a\""), "\"a\"");
  EXPECT_EQ(show("true"), "true");
  EXPECT_EQ(show("null"), "null");
  EXPECT_EQ(ok("[1, \"a\"]").kind(), ValueKind::Tuple);
  EXPECT_EQ(ok("{a = 1, \"b\" = 2}").kind(), ValueKind::Object);
  EXPECT_EQ(ok("{a = 1}").attributes().at("a"), Value::number(1));
}

TEST_F(EvalTest, Arithmetic) {
  EXPECT_EQ(ok("1 + 2"), Value::number(3));
  EXPECT_EQ(ok("5 - 7"), Value::number(-2));
  EXPECT_EQ(ok("3 * 4"), Value::number(12));
  EXPECT_EQ(ok("7 / 2"), Value::number(3.5));
  EXPECT_EQ(ok("8 / 2"), Value::number(4));
  EXPECT_EQ(ok("7 % 3"), Value::number(1));
  EXPECT_EQ(ok("-7 % 3"), Value::number(-1));
  EXPECT_EQ(ok("1.5 + 1.5"), Value::number(3));
  EXPECT_EQ(ok("-var.n"), Value::number(-3));
  EXPECT_EQ(ok("1 + 2 * 3"), Value::number(7));
  EXPECT_EQ(ok("(1 + 2) * 3"), Value::number(9));
  // Strings holding numbers convert.
  EXPECT_EQ(ok("\"2\" + 3"), Value::number(5));
  EXPECT_EQ(ok("var.n * \"1.5\""), Value::number(4.5));
  // Large integers stay exact; overflow falls back to doubles.
  EXPECT_EQ(ok("9007199254740993 + 0").as_number().i, 9007199254740993LL);
  EXPECT_FALSE(ok("9223372036854775807 + 1").as_number().is_int);
}

TEST_F(EvalTest, ArithmeticErrors) {
  Diagnostic d = err("1 / 0");
  EXPECT_EQ(d.summary, "Division by zero");
  EXPECT_EQ(d.range.start.column, 5);  // at the zero
  EXPECT_EQ(err("1 % 0").summary, "Modulo by zero");
  EXPECT_EQ(err("1.5 / 0.0").summary, "Division by zero");
  d = err("1 + \"abc\"");
  EXPECT_EQ(d.summary, "Invalid operand");
  EXPECT_NE(d.detail.find("right operand of \"+\": a number is required"), std::string::npos);
  EXPECT_NE(d.detail.find("\"abc\""), std::string::npos);
  EXPECT_EQ(d.range.start.column, 5);
  EXPECT_EQ(d.range.end.column, 10);
  EXPECT_EQ(err("true * 2").summary, "Invalid operand");
  EXPECT_EQ(err("null + 1").summary, "Invalid operand");
  EXPECT_EQ(err("[1] + 1").summary, "Invalid operand");
  EXPECT_EQ(err("-\"x\"").summary, "Invalid operand");
  EXPECT_EQ(err("!1").summary, "Invalid operand");
  // A sensitive operand's value never appears in the message.
  d = err("var.secret + 1");
  EXPECT_EQ(d.detail.find("hunter2"), std::string::npos);
}

TEST_F(EvalTest, Comparison) {
  EXPECT_EQ(ok("1 < 2"), Value::boolean(true));
  EXPECT_EQ(ok("2 <= 2"), Value::boolean(true));
  EXPECT_EQ(ok("3 > 4"), Value::boolean(false));
  EXPECT_EQ(ok("4 >= 4.5"), Value::boolean(false));
  EXPECT_EQ(ok("\"10\" > 9"), Value::boolean(true));
  EXPECT_EQ(err("\"a\" < 1").summary, "Invalid operand");
}

TEST_F(EvalTest, Equality) {
  EXPECT_EQ(ok("1 == 1"), Value::boolean(true));
  EXPECT_EQ(ok("1 == 1.0"), Value::boolean(true));
  EXPECT_EQ(ok("1 != 2"), Value::boolean(true));
  EXPECT_EQ(ok("\"a\" == \"a\""), Value::boolean(true));
  EXPECT_EQ(ok("\"1\" == 1"), Value::boolean(false));  // no conversion for equality
  EXPECT_EQ(ok("null == null"), Value::boolean(true));
  EXPECT_EQ(ok("var.nothing == null"), Value::boolean(true));
  EXPECT_EQ(ok("[1, 2] == [1, 2]"), Value::boolean(true));
  EXPECT_EQ(ok("{a = 1} != {a = 2}"), Value::boolean(true));
  EXPECT_EQ(ok("var.name == \"web\""), Value::boolean(true));
}

TEST_F(EvalTest, Logical) {
  EXPECT_EQ(ok("true && false"), Value::boolean(false));
  EXPECT_EQ(ok("true || false"), Value::boolean(true));
  EXPECT_EQ(ok("!true"), Value::boolean(false));
  EXPECT_EQ(ok("\"true\" && true"), Value::boolean(true));  // strings convert to bool
  Diagnostic d = err("1 && true");
  EXPECT_EQ(d.summary, "Invalid operand");
  EXPECT_NE(d.detail.find("left operand of \"&&\": a bool is required"), std::string::npos);
}

TEST_F(EvalTest, UnknownPropagatesThroughOperators) {
  for (const char* text : {"var.unum + 1", "1 - var.unum", "var.unum * 2", "var.unum / 2",
                           "var.unum % 2", "-var.unum", "var.unk + 1"}) {
    Value v = ok(text);
    EXPECT_TRUE(v.is_unknown()) << text;
    EXPECT_EQ(v.type(), Type::number()) << text;
  }
  for (const char* text :
       {"var.unum < 1", "var.unum >= 1", "var.unk == \"a\"", "var.unk != 1", "!var.ubool",
        "var.ubool && true", "var.ubool || false", "[var.unk] == [\"a\"]"}) {
    Value v = ok(text);
    EXPECT_TRUE(v.is_unknown()) << text;
    EXPECT_EQ(v.type(), Type::boolean()) << text;
  }
  // A known operand that decides a logical result on its own.
  EXPECT_EQ(ok("var.ubool && false"), Value::boolean(false));
  EXPECT_EQ(ok("true || var.ubool"), Value::boolean(true));
  // Division by an unknown is unknown, not an error.
  EXPECT_TRUE(ok("1 / var.unum").is_unknown());
}

TEST_F(EvalTest, SensitivePropagatesThroughOperators) {
  for (const char* text :
       {"var.secret == \"x\"", "var.secret != \"x\"", "\"1\" + length(var.secret)",
        "\"${var.secret}-x\"", "!(var.secret == \"a\")", "var.secret == \"a\" && true",
        "[var.secret]", "upper(var.secret)", "length(var.secret)", "true ? var.secret : \"b\"",
        "var.unk == var.secret"}) {
    Value v = ok(text);
    EXPECT_TRUE(v.is_sensitive() || v.contains_sensitive()) << text;
  }
  EXPECT_FALSE(ok("var.name == \"x\"").is_sensitive());
}

TEST_F(EvalTest, References) {
  EXPECT_EQ(ok("var.name"), Value::string("web"));
  EXPECT_EQ(ok("local.greeting"), Value::string("hello"));
  EXPECT_EQ(ok("path.module"), Value::string("/tmp/mod"));
  EXPECT_EQ(ok("sim_machine.node[1].id"), Value::string("i-1"));
  EXPECT_EQ(ok("data.sim_image.base.id"), Value::string("img-1"));
  EXPECT_EQ(ok("var.obj.name"), Value::string("x"));
  EXPECT_EQ(ok("var.obj[\"size\"]"), Value::number(2));
  EXPECT_EQ(ok("var.map.b"), Value::number(2));
  EXPECT_EQ(ok("var.list[1]"), Value::string("b"));
  EXPECT_EQ(ok("var.list[\"0\"]"), Value::string("a"));
}

TEST_F(EvalTest, UndeclaredReferencesSuggest) {
  Diagnostic d = err("var.nme");
  EXPECT_EQ(d.summary, "Reference to undeclared input variable");
  EXPECT_NE(d.detail.find("did you mean \"name\"?"), std::string::npos) << d.detail;
  EXPECT_EQ(d.range.start.column, 1);
  EXPECT_EQ(d.range.end.column, 8);
  d = err("local.greting");
  EXPECT_EQ(d.summary, "Reference to undeclared local value");
  EXPECT_NE(d.detail.find("did you mean \"greeting\"?"), std::string::npos);
  d = err("sim_machine.nod.id");
  EXPECT_EQ(d.summary, "Reference to undeclared resource");
  EXPECT_NE(d.detail.find("\"sim_machine\" \"nod\""), std::string::npos);
  EXPECT_NE(d.detail.find("did you mean \"node\"?"), std::string::npos);
  d = err("data.sim_image.bas.id");
  EXPECT_EQ(d.summary, "Reference to undeclared resource");
  EXPECT_NE(d.detail.find("data resource \"sim_image\" \"bas\""), std::string::npos);
  EXPECT_NE(d.detail.find("did you mean \"base\"?"), std::string::npos);
  EXPECT_EQ(err("module.db.x").summary, "Reference to undeclared module");
  EXPECT_EQ(err("count.index").summary, "Reference to \"count\" in non-counted context");
  EXPECT_EQ(err("count.foo").summary, "Invalid \"count\" attribute");
  EXPECT_EQ(err("each.key").summary, "Reference to \"each\" in context without for_each");
  EXPECT_EQ(err("each.keys").summary, "Invalid \"each\" attribute");
  EXPECT_EQ(err("self.id").summary, "Invalid \"self\" reference");
  EXPECT_EQ(err("path.modul").summary, "Invalid \"path\" attribute");
  EXPECT_EQ(err("var").summary, "Invalid reference");
  EXPECT_EQ(err("sim_machine").summary, "Invalid reference");
}

TEST_F(EvalTest, UnsupportedAttributeSuggests) {
  Diagnostic d = err("var.obj.nme");
  EXPECT_EQ(d.summary, "Unsupported attribute");
  EXPECT_EQ(d.detail,
            "This object does not have an attribute named \"nme\"; did you mean \"name\"?");
  EXPECT_EQ(d.range.start.column, 1);
  EXPECT_EQ(d.range.end.column, 12);
  d = err("sim_machine.node[0].private_pi");
  EXPECT_NE(d.detail.find("did you mean \"private_ip\"?"), std::string::npos);
  d = err("sim_machine.node.id");
  EXPECT_NE(d.detail.find("Can't access attributes on a list of objects"), std::string::npos);
  d = err("var.map.c");
  EXPECT_EQ(d.summary, "Missing key");
  EXPECT_EQ(err("var.name.x").summary, "Unsupported attribute");
  EXPECT_EQ(err("var.nothing.x").summary, "Attempt to get attribute from null value");
}

TEST_F(EvalTest, IndexErrors) {
  Diagnostic d = err("var.list[2]");
  EXPECT_EQ(d.summary, "Invalid index");
  EXPECT_NE(d.detail.find("out of range"), std::string::npos);
  EXPECT_EQ(err("var.list[-1]").summary, "Invalid index");
  EXPECT_EQ(err("var.list[0.5]").summary, "Invalid index");
  EXPECT_EQ(err("var.list[\"x\"]").summary, "Invalid index");
  EXPECT_EQ(err("var.list[null]").summary, "Invalid index");
  d = err("var.map[\"c\"]");
  EXPECT_EQ(d.summary, "Missing key");
  EXPECT_EQ(err("var.name[0]").summary, "Invalid index");
  EXPECT_EQ(err("var.nothing[0]").summary, "Attempt to index null value");
  EXPECT_EQ(err("toset([\"a\"])[0]").summary, "Invalid index");
}

TEST_F(EvalTest, UnknownAccess) {
  scope.set("var", "uobj", Value::unknown(Type::object({{"a", Type::number()}})));
  scope.set("var", "ulist", Value::unknown(Type::list(Type::string())));
  Value v = ok("var.uobj.a");
  EXPECT_TRUE(v.is_unknown());
  EXPECT_EQ(v.type(), Type::number());
  EXPECT_EQ(err("var.uobj.b").summary, "Unsupported attribute");
  v = ok("var.ulist[5]");
  EXPECT_TRUE(v.is_unknown());
  EXPECT_EQ(v.type(), Type::string());
  EXPECT_TRUE(ok("var.list[var.unum]").is_unknown());
  EXPECT_TRUE(ok("var.unk[0]").is_unknown() == false || true);  // no crash on odd input
}

TEST_F(EvalTest, SensitiveAccess) {
  scope.set("var", "sobj", Value::object({{"a", Value::number(1)}}).mark_sensitive());
  EXPECT_TRUE(ok("var.sobj.a").is_sensitive());
  EXPECT_TRUE(ok("var.sobj[\"a\"]").is_sensitive());
  EXPECT_TRUE(ok("var.list[length(var.secret) - 7]").is_sensitive());
}

TEST_F(EvalTest, Conditional) {
  EXPECT_EQ(ok("true ? 1 : 2"), Value::number(1));
  EXPECT_EQ(ok("var.n > 2 ? \"big\" : \"small\""), Value::string("big"));
  // Branches unify: number and string → string.
  EXPECT_EQ(ok("false ? \"a\" : 1"), Value::string("1"));
  EXPECT_EQ(ok("true ? null : \"x\""), Value::null(Type::string()));
  Value v = ok("var.ubool ? 1 : 2");
  EXPECT_TRUE(v.is_unknown());
  EXPECT_EQ(v.type(), Type::number());
  v = ok("var.ubool ? \"a\" : 2");
  EXPECT_EQ(v.type(), Type::string());
  EXPECT_EQ(err("1 ? 1 : 2").summary, "Invalid condition");
  EXPECT_EQ(err("null ? 1 : 2").summary, "Invalid condition");
  EXPECT_EQ(err("true ? [1] : {a = 1}").summary, "Inconsistent conditional result types");
  EXPECT_TRUE(ok("var.secret == \"\" ? 1 : 2").is_sensitive());
}

TEST_F(EvalTest, Templates) {
  EXPECT_EQ(ok("\"hello ${var.name}!\""), Value::string("hello web!"));
  EXPECT_EQ(ok("\"n=${var.n} ${true}\""), Value::string("n=3 true"));
  EXPECT_EQ(ok("\"${var.list}\"").kind(), ValueKind::Tuple);  // lone interpolation: the value
  EXPECT_EQ(ok("\"%{if var.n > 1}many%{else}one%{endif}\""), Value::string("many"));
  EXPECT_EQ(ok("\"%{for x in var.list}[${x}]%{endfor}\""), Value::string("[a][b]"));
  EXPECT_EQ(ok("\"%{for i, x in var.list}${i}=${x};%{endfor}\""), Value::string("0=a;1=b;"));
  Value v = ok("\"id-${var.unk}\"");
  EXPECT_TRUE(v.is_unknown());
  EXPECT_EQ(v.type(), Type::string());
  Diagnostic d = err("\"x${var.list}\"");
  EXPECT_EQ(d.summary, "Invalid template interpolation value");
  EXPECT_EQ(d.range.start.column, 5);
  EXPECT_EQ(err("\"x${null}\"").summary, "Invalid template interpolation value");
  EXPECT_EQ(err("\"%{if 3}a%{endif}\"").summary, "Invalid template if directive");
}

TEST_F(EvalTest, ForExpressions) {
  EXPECT_EQ(show("[for x in var.list : upper(x)]"), "[\"A\", \"B\"]");
  EXPECT_EQ(show("[for i, x in var.list : i]"), "[0, 1]");
  EXPECT_EQ(show("[for x in [1, 2, 3, 4] : x * 10 if x % 2 == 0]"), "[20, 40]");
  Value o = ok("{for k, v in var.map : v => k}");
  EXPECT_EQ(o.attributes().at("1"), Value::string("a"));
  Value g = ok("{for x in [\"a\", \"ab\", \"b\"] : substr(x, 0, 1) => x...}");
  EXPECT_EQ(g.attributes().at("a").length(), 2u);
  EXPECT_EQ(err("{for x in [\"a\", \"a\"] : x => 1}").summary, "Duplicate object key");
  EXPECT_EQ(err("[for x in null : x]").summary, "Iteration over null value");
  EXPECT_EQ(err("[for x in 3 : x]").summary, "Iteration over non-iterable value");
  EXPECT_EQ(err("[for x in [1] : x if 1]").summary, "Invalid 'for' condition");
  EXPECT_TRUE(ok("[for x in var.unk : x]").is_unknown());
  EXPECT_TRUE(ok("[for x in [1, 2] : x if var.ubool]").is_unknown());
  // A name bound by `for` shadows nothing outside and needs no declaration.
  EXPECT_EQ(show("[for name in var.list : name]"), "[\"a\", \"b\"]");
}

TEST_F(EvalTest, Splats) {
  EXPECT_EQ(show("sim_machine.node[*].id"), "[\"i-0\", \"i-1\", \"i-2\"]");
  EXPECT_EQ(show("sim_machine.node.*.private_ip[0]"), "\"10.0.0.0\"");
  EXPECT_EQ(show("var.nothing[*].id"), "[]");     // null → empty tuple
  EXPECT_EQ(show("var.obj[*].name"), "[\"x\"]");  // single value → one element
  EXPECT_TRUE(ok("var.unk[*]").is_unknown());
  EXPECT_EQ(err("sim_machine.node[*].nope").summary, "Unsupported attribute");
}

TEST_F(EvalTest, FunctionCalls) {
  EXPECT_EQ(ok("upper(\"a\")"), Value::string("A"));
  EXPECT_EQ(ok("join(\"-\", var.list)"), Value::string("a-b"));
  EXPECT_EQ(ok("max([1, 5, 3]...)"), Value::number(5));
  EXPECT_EQ(ok("length(var.list)"), Value::number(2));
  Value v = ok("upper(var.unk)");
  EXPECT_TRUE(v.is_unknown());
  Diagnostic d = err("uper(\"a\")");
  EXPECT_EQ(d.summary, "Call to unknown function");
  EXPECT_NE(d.detail.find("did you mean \"upper\"?"), std::string::npos);
  EXPECT_EQ(err("upper()").summary, "Not enough function arguments");
  d = err("upper(\"a\", \"b\")");
  EXPECT_EQ(d.summary, "Too many function arguments");
  EXPECT_EQ(d.range.start.column, 12);  // at the extra argument
  EXPECT_EQ(err("max(1...)").summary, "Invalid expanding argument value");
  d = err("any(sim_machine.node)");
  EXPECT_EQ(d.summary, "Invalid use of any()");
}

TEST_F(EvalTest, TemplateFileRendersWithTheEvaluator) {
  auto dir = std::filesystem::temp_directory_path() / "orch_eval_test_tpl";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "t.tpl") << "Hello ${name}!%{ for s in items } [${upper(s)}]%{ endfor }";
  std::ofstream(dir / "bad.tpl") << "${nope}";
  scope.base_dir = dir.string();
  EXPECT_EQ(ok("templatefile(\"t.tpl\", {name = var.name, items = [\"a\", \"b\"]})"),
            Value::string("Hello web! [A] [B]"));
  Diagnostic d = err("templatefile(\"bad.tpl\", {})");
  EXPECT_NE(d.detail.find("bad.tpl:1:3"), std::string::npos) << d.detail;
  std::filesystem::remove_all(dir);
}

TEST_F(EvalTest, TryAndCan) {
  EXPECT_EQ(ok("try(var.obj.nope, \"fallback\")"), Value::string("fallback"));
  EXPECT_EQ(ok("try(var.obj.name, \"fallback\")"), Value::string("x"));
  EXPECT_EQ(ok("can(var.list[5])"), Value::boolean(false));
  EXPECT_EQ(ok("can(var.list[1])"), Value::boolean(true));
  EXPECT_TRUE(ok("try(var.unk, \"x\")").is_unknown());
  EXPECT_TRUE(ok("can(var.unk)").is_unknown());
  Diagnostic d = err("try(var.list[9], 1 / 0)");
  EXPECT_EQ(d.summary, "No result from try");
  EXPECT_EQ(d.notes.size(), 2u);
  EXPECT_EQ(err("can(1, 2)").summary, "Too many function arguments");
}

TEST_F(EvalTest, ErrorsDoNotCascade) {
  // One bad reference inside a larger expression: exactly one error.
  EXPECT_EQ(err("length(upper(var.nope)) + 1 > 2 ? [\"a\"] : []").summary,
            "Reference to undeclared input variable");
  // An error inside a splat or a for expression is reported once, not once per element.
  EXPECT_EQ(err("[for x in var.list : x.nope]").summary, "Unsupported attribute");
}

TEST_F(EvalTest, ObjectKeys) {
  EXPECT_EQ(ok("{(var.name) = 1}").attributes().count("web"), 1u);
  EXPECT_EQ(ok("{\"${var.name}-x\" = 1}").attributes().count("web-x"), 1u);
  Diagnostic d = err("{a = 1, a = 2}");
  EXPECT_EQ(d.summary, "Duplicate object key");
  EXPECT_EQ(d.notes.size(), 1u);
  EXPECT_TRUE(ok("{(var.unk) = 1}").is_unknown());
}

TEST_F(EvalTest, EvaluateAsConverts) {
  auto* src = sources.add("t.orch", "\"5\"");
  Diagnostics pd;
  ExprPtr e = parse_expression(*src, pd);
  Value v = evaluate_as(*e, Type::number(), scope, diags, "count");
  EXPECT_EQ(v, Value::number(5));
  auto* src2 = sources.add("t2.orch", "[1]");
  ExprPtr e2 = parse_expression(*src2, pd);
  evaluate_as(*e2, Type::number(), scope, diags, "count");
  ASSERT_EQ(diags.error_count(), 1);
  EXPECT_EQ(diags.list()[0].summary, "Incorrect value type");
}

TEST_F(EvalTest, ConstantExpressions) {
  auto* src = sources.add("c.orch", "upper(var.x)");
  Diagnostics pd;
  ExprPtr e = parse_expression(*src, pd);
  evaluate_constant(*e, diags);
  ASSERT_EQ(diags.error_count(), 1);
  EXPECT_EQ(diags.list()[0].summary, "Variables not allowed");
  diags = Diagnostics();
  auto* src2 = sources.add("c2.orch", "[for x in [1, 2] : x * 2]");
  ExprPtr e2 = parse_expression(*src2, pd);
  EXPECT_EQ(evaluate_constant(*e2, diags).length(), 2u);
  EXPECT_FALSE(diags.has_errors());
}

TEST_F(EvalTest, DeepNestingIsAnErrorNotACrash) {
  // Built by hand: deeper than the parser allows, to hit the evaluator's own guard.
  ExprPtr e = make_literal(Value::number(1));
  for (int i = 0; i < 5000; ++i) {
    std::vector<ExprPtr> kids;
    kids.push_back(std::move(e));
    e = make_node(ExprKind::Parens, {}, std::move(kids));
  }
  evaluate(*e, scope, diags);
  ASSERT_EQ(diags.error_count(), 1);
  EXPECT_EQ(diags.list()[0].summary, "Expression too deeply nested");
  // Destroy iteratively-ish: unique_ptr chains of 5000 are fine for the default stack.
}

TEST(EvalTypes, ParsesTypeExpressions) {
  SourceManager sources;
  auto type_of = [&](const std::string& text, Diagnostics& d) {
    Diagnostics pd;
    auto* src = sources.add("type.orch", text);
    ExprPtr e = parse_expression(*src, pd);
    EXPECT_FALSE(pd.has_errors()) << text;
    return parse_type_expr(*e, d);
  };
  Diagnostics d;
  EXPECT_EQ(type_of("string", d), Type::string());
  EXPECT_EQ(type_of("list(number)", d), Type::list(Type::number()));
  EXPECT_EQ(type_of("map(list(string))", d), Type::map(Type::list(Type::string())));
  EXPECT_EQ(type_of("set(bool)", d), Type::set(Type::boolean()));
  EXPECT_EQ(type_of("object({a = string, b = number})", d),
            Type::object({{"a", Type::string()}, {"b", Type::number()}}));
  EXPECT_EQ(type_of("tuple([string, number])", d), Type::tuple({Type::string(), Type::number()}));
  EXPECT_EQ(type_of("any", d), Type::any());
  Type opt = type_of("object({a = string, b = optional(number)})", d);
  EXPECT_TRUE(opt.is_optional("b"));
  EXPECT_FALSE(opt.is_optional("a"));
  EXPECT_FALSE(d.has_errors());
  type_of("strng", d);
  ASSERT_EQ(d.error_count(), 1);
  EXPECT_EQ(d.list()[0].summary, "Invalid type specification");
  EXPECT_NE(d.list()[0].detail.find("did you mean \"string\"?"), std::string::npos);
  Diagnostics d2;
  type_of("\"string\"", d2);
  type_of("list(string, number)", d2);
  type_of("optional(string)", d2);
  type_of("object(string)", d2);
  EXPECT_EQ(d2.error_count(), 4);
}

TEST(EvalMeta, Rollout) {
  SourceManager sources;
  std::vector<ExprPtr> keep;
  auto expr = [&](const std::string& text) {
    Diagnostics pd;
    keep.push_back(parse_expression(*sources.add("r.orch", text), pd));
    return keep.back().get();
  };
  BasicScope scope;
  Rollout r;
  r.canary = expr("1");
  r.batch = expr("\"25%\"");
  r.max_failures = expr("2");
  r.pause = expr("\"1m30s\"");
  Diagnostics d;
  RolloutSpec s = evaluate_rollout(r, scope, d);
  EXPECT_FALSE(d.has_errors());
  EXPECT_EQ(s.canary, 1);
  EXPECT_EQ(s.batch_percent, 25);
  EXPECT_EQ(s.max_failures, 2);
  EXPECT_EQ(s.pause, std::chrono::seconds(90));
  EXPECT_EQ(s.batch_size(10), 3);
  EXPECT_EQ(s.batch_size(1), 1);
  r.batch = expr("4");
  s = evaluate_rollout(r, scope, d);
  EXPECT_EQ(s.batch, 4);
  EXPECT_EQ(s.batch_size(100), 4);
  Rollout bad;
  bad.canary = expr("-1");
  bad.batch = expr("\"150%\"");
  bad.max_failures = expr("1.5");
  bad.pause = expr("\"soon\"");
  Diagnostics d2;
  evaluate_rollout(bad, scope, d2);
  ASSERT_EQ(d2.error_count(), 4);
  EXPECT_EQ(d2.list()[0].summary, "Invalid rollout canary");
  EXPECT_EQ(d2.list()[1].summary, "Invalid rollout max_failures");
  EXPECT_EQ(d2.list()[2].summary, "Invalid rollout pause");
  EXPECT_EQ(d2.list()[3].summary, "Invalid rollout batch");
  for (const char* b : {"0", "\"0%\"", "\"x%\"", "true", "\"12.5%\""}) {
    Rollout one;
    one.batch = expr(b);
    Diagnostics d3;
    evaluate_rollout(one, scope, d3);
    EXPECT_EQ(d3.error_count(), 1) << b;
  }
  RolloutSpec none;
  EXPECT_EQ(none.batch_size(7), 7);  // no batch: everything at once
}

TEST(EvalMeta, ReadyWhen) {
  SourceManager sources;
  std::vector<ExprPtr> keep;
  auto expr = [&](const std::string& text) {
    Diagnostics pd;
    keep.push_back(parse_expression(*sources.add("g.orch", text), pd));
    return keep.back().get();
  };
  BasicScope scope;
  scope.self = Value::object({{"private_dns", Value::string("n1.sim.internal")}});
  ReadyWhen g;
  g.kind = "http";
  g.value = expr("\"http://${self.private_dns}:8080/\"");
  g.timeout = expr("\"15m\"");
  g.interval = expr("\"5s\"");
  Attribute status{"expect_status", {}, make_literal(Value::number(204)), {}};
  Attribute sim{"simulate_after", {}, make_literal(Value::string("20s")), {}};
  g.args["expect_status"] = &status;
  g.args["simulate_after"] = &sim;
  Diagnostics d;
  ReadyWhenSpec s = evaluate_ready_when(g, scope, d);
  EXPECT_FALSE(d.has_errors());
  EXPECT_EQ(s.kind, "http");
  EXPECT_EQ(s.value, Value::string("http://n1.sim.internal:8080/"));
  EXPECT_EQ(s.timeout, std::chrono::minutes(15));
  EXPECT_EQ(s.interval, std::chrono::seconds(5));
  EXPECT_EQ(s.expect_status, 204);
  EXPECT_EQ(s.simulate_after, std::chrono::seconds(20));
  ReadyWhen defaults;
  defaults.kind = "tcp";
  defaults.value = expr("\"h:22\"");
  s = evaluate_ready_when(defaults, scope, d);
  EXPECT_EQ(s.timeout, kDefaultGateTimeout);
  EXPECT_EQ(s.interval, kDefaultGateInterval);
  ReadyWhen bad = defaults;
  bad.timeout = expr("\"0s\"");
  bad.interval = expr("10");
  Attribute bad_status{"expect_status", {}, make_literal(Value::number(700)), {}};
  bad.args["expect_status"] = &bad_status;
  Diagnostics d2;
  evaluate_ready_when(bad, scope, d2);
  EXPECT_EQ(d2.error_count(), 3);
}

// A scope that answers TYPE.NAME[i] directly (as the planner's does, so that x[count.index]
// over 20,000 instances is not quadratic), counting which path the evaluator took.
class InstanceScope : public BasicScope {
 public:
  mutable int whole = 0, single = 0;
  std::optional<Value> lookup(const RefKey& key) const override {
    if (key.root == "sim_machine") ++whole;
    return BasicScope::lookup(key);
  }
  std::optional<Value> lookup_instance(const RefKey& key, const Value& index) const override {
    if (key.root != "sim_machine" || key.name != "node") return std::nullopt;
    if (index.kind() != ValueKind::Number || index.as_number().i >= 3) return std::nullopt;
    ++single;
    return Value::object({{"id", Value::string("i-" + std::to_string(index.as_number().i))}});
  }
};

TEST(EvalInstanceLookup, IndexedResourceReferencesAskTheScopeForOneInstance) {
  InstanceScope scope;
  ValueList nodes;
  for (int i = 0; i < 3; ++i)
    nodes.push_back(Value::object({{"id", Value::string("i-" + std::to_string(i))}}));
  scope.set("sim_machine", "node", Value::tuple(nodes));
  scope.set("var", "list", Value::tuple({Value::string("a"), Value::string("b")}));
  scope.set("count", "index", Value::number(2));
  SourceManager sources;
  std::vector<ExprPtr> exprs;
  auto run = [&](const std::string& text, Diagnostics& d) {
    Diagnostics parse_diags;
    exprs.push_back(parse_expression(*sources.add("t.orch", text), parse_diags));
    EXPECT_FALSE(parse_diags.has_errors()) << text;
    return evaluate(*exprs.back(), scope, d);
  };
  Diagnostics d;
  EXPECT_EQ(run("sim_machine.node[count.index].id", d).as_string(), "i-2");
  EXPECT_EQ(scope.single, 1);
  EXPECT_EQ(scope.whole, 0) << "the whole tuple was built for one instance";
  // Not answered by the scope (out of range): the tuple is indexed, with the usual error.
  run("sim_machine.node[7].id", d);
  EXPECT_EQ(scope.whole, 1);
  ASSERT_EQ(d.error_count(), 1);
  EXPECT_EQ(d.list()[0].summary, "Invalid index");
  // Unknown keys and other collections never ask.
  Diagnostics d2;
  scope.set("var", "u", Value::unknown(Type::number()));
  EXPECT_TRUE(run("sim_machine.node[var.u].id", d2).is_unknown());
  EXPECT_EQ(run("var.list[1]", d2).as_string(), "b");
  EXPECT_EQ(scope.single, 1);
  EXPECT_FALSE(d2.has_errors());
}

}  // namespace
}  // namespace orch
