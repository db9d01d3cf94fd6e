// Tests for compiler/convert.h: conversions, unification and number parsing.
#include "compiler/convert.h"

#include <gtest/gtest.h>

#include "compiler/eval.h"
#include "compiler/parse.h"

namespace orch {
namespace {

Value S(const char* s) {
  return Value::string(s);
}
Value N(int64_t i) {
  return Value::number(i);
}

std::string fail_reason(const Value& v, const Type& t) {
  std::string why;
  auto r = convert(v, t, &why);
  EXPECT_FALSE(r.has_value()) << r->to_display();
  return why;
}

TEST(ConvertTest, Primitives) {
  EXPECT_EQ(*convert(S("1.5"), Type::number()), Value::number(1.5));
  EXPECT_EQ(*convert(S("-12"), Type::number()), N(-12));
  EXPECT_EQ(*convert(N(3), Type::string()), S("3"));
  EXPECT_EQ(*convert(Value::number(0.5), Type::string()), S("0.5"));
  EXPECT_EQ(*convert(S("true"), Type::boolean()), Value::boolean(true));
  EXPECT_EQ(*convert(Value::boolean(false), Type::string()), S("false"));
  EXPECT_EQ(fail_reason(S("abc"), Type::number()),
            "cannot convert \"abc\" to number: a decimal number is required");
  EXPECT_EQ(fail_reason(S("yes"), Type::boolean()),
            "cannot convert \"yes\" to bool: only \"true\" or \"false\" are allowed");
  EXPECT_EQ(fail_reason(Value::boolean(true), Type::number()), "number required");
  EXPECT_EQ(fail_reason(Value::list({}), Type::string()), "string required");
}

TEST(ConvertTest, NullUnknownAndSensitive) {
  auto n = convert(Value::null(), Type::list(Type::string()));
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->is_null());
  EXPECT_EQ(n->type(), Type::list(Type::string()));
  auto u = convert(Value::unknown(), Type::number());
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->is_unknown());
  EXPECT_EQ(u->type(), Type::number());
  EXPECT_EQ(fail_reason(Value::unknown(Type::list(Type::string())), Type::number()),
            "number required");
  auto s = convert(N(5).mark_sensitive(), Type::string());
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->is_sensitive());
  EXPECT_EQ(s->unmarked(), S("5"));
  auto nested =
      convert(Value::tuple({S("a"), S("b").mark_sensitive()}), Type::list(Type::string()));
  ASSERT_TRUE(nested);
  EXPECT_TRUE(nested->elements()[1].is_sensitive());
}

TEST(ConvertTest, Sequences) {
  auto l = convert(Value::tuple({S("a"), N(1)}), Type::list(Type::string()));
  ASSERT_TRUE(l);
  EXPECT_EQ(l->kind(), ValueKind::List);
  EXPECT_EQ(*l, Value::list({S("a"), S("1")}));
  auto inferred = convert(Value::tuple({S("a"), N(1)}), Type::list(Type::any()));
  ASSERT_TRUE(inferred);
  EXPECT_EQ(inferred->type(), Type::list(Type::string()));
  auto set = convert(Value::list({S("b"), S("a"), S("b")}), Type::set(Type::string()));
  ASSERT_TRUE(set);
  EXPECT_EQ(set->to_display(), "toset([\"a\", \"b\"])");
  auto back = convert(*set, Type::list(Type::string()));
  EXPECT_EQ(back->to_display(), "[\"a\", \"b\"]");
  EXPECT_EQ(fail_reason(Value::tuple({S("a"), Value::list({})}), Type::list(Type::string())),
            "element 1: string required");
  EXPECT_EQ(fail_reason(Value::tuple({S("a"), Value::list({})}), Type::list(Type::any())),
            "all elements must have the same type");
  auto tup = convert(Value::list({S("1"), S("x")}), Type::tuple({Type::number(), Type::string()}));
  ASSERT_TRUE(tup);
  EXPECT_EQ(*tup, Value::tuple({N(1), S("x")}));
  EXPECT_EQ(fail_reason(Value::list({S("1")}), Type::tuple({Type::number(), Type::string()})),
            "tuple required with 2 elements, got 1");
  EXPECT_EQ(fail_reason(S("x"), Type::list(Type::string())), "list required");
}

TEST(ConvertTest, Mappings) {
  Value obj = Value::object({{"a", N(1)}, {"b", S("2")}});
  auto m = convert(obj, Type::map(Type::number()));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind(), ValueKind::Map);
  EXPECT_EQ(m->attributes().at("b"), N(2));
  auto inferred = convert(obj, Type::map(Type::any()));
  ASSERT_TRUE(inferred);
  EXPECT_EQ(inferred->type(), Type::map(Type::string()));
  EXPECT_EQ(fail_reason(Value::object({{"a", N(1)}, {"b", S("x")}}), Type::map(Type::number())),
            "attribute \"b\": cannot convert \"x\" to number: a decimal number is required");

  Type target = Type::object({{"name", Type::string()}, {"size", Type::number()}}, {"size"});
  auto o = convert(Value::map({{"name", S("web")}, {"extra", S("dropped")}}), target);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->kind(), ValueKind::Object);
  EXPECT_EQ(o->attributes().size(), 2u);
  EXPECT_TRUE(o->attributes().at("size").is_null());
  EXPECT_EQ(o->attributes().at("size").type(), Type::number());
  EXPECT_EQ(fail_reason(Value::object({{"size", N(1)}}), target), "attribute \"name\" is required");
  EXPECT_EQ(fail_reason(Value::object({{"name", Value::list({})}}), target),
            "attribute \"name\": string required");
}

TEST(ConvertTest, AnyLeavesValuesAlone) {
  Value t = Value::tuple({S("a"), N(1)});
  EXPECT_EQ(convert(t, Type::any())->kind(), ValueKind::Tuple);
}

TEST(ConvertTest, Unify) {
  bool ok = false;
  EXPECT_EQ(unify({Type::string(), Type::string()}, &ok), Type::string());
  EXPECT_TRUE(ok);
  EXPECT_EQ(unify({Type::string(), Type::number()}, &ok), Type::string());
  EXPECT_TRUE(unify({}, &ok).is_any());
  EXPECT_TRUE(ok);
  EXPECT_EQ(unify({Type::any(), Type::number()}, &ok), Type::number());
  unify({Type::number(), Type::boolean()}, &ok);
  EXPECT_FALSE(ok);
  EXPECT_EQ(unify({Type::list(Type::string()), Type::tuple({Type::number()})}, &ok),
            Type::list(Type::string()));
  EXPECT_EQ(unify({Type::tuple({Type::number()}), Type::tuple({Type::string()})}, &ok),
            Type::tuple({Type::string()}));
  EXPECT_EQ(unify({Type::tuple({Type::number()}), Type::tuple({})}, &ok),
            Type::list(Type::number()));
  Type a = Type::object({{"x", Type::number()}});
  Type b = Type::object({{"y", Type::string()}});
  EXPECT_EQ(unify({a, a}, &ok), a);
  EXPECT_EQ(unify({a, b}, &ok), Type::map(Type::string()));
  EXPECT_TRUE(ok);
  unify({Type::list(Type::string()), Type::map(Type::string())}, &ok);
  EXPECT_FALSE(ok);
  unify({Type::string(), Type::list(Type::string())}, &ok);
  EXPECT_FALSE(ok);
}

TEST(ConvertTest, ParseNumber) {
  EXPECT_EQ(parse_number("42")->i, 42);
  EXPECT_TRUE(parse_number("42")->is_int);
  EXPECT_EQ(parse_number("-1.5")->d, -1.5);
  EXPECT_EQ(parse_number("1e3")->i, 1000);
  EXPECT_EQ(parse_number("+7")->i, 7);
  EXPECT_EQ(parse_number(".5")->d, 0.5);
  EXPECT_FALSE(parse_number(""));
  EXPECT_FALSE(parse_number("-"));
  EXPECT_FALSE(parse_number(" 1"));
  EXPECT_FALSE(parse_number("1e"));
  EXPECT_FALSE(parse_number("0x10"));
  EXPECT_FALSE(parse_number("inf"));
  EXPECT_FALSE(parse_number("1.2.3"));
  EXPECT_EQ(format_number(*parse_number("99999999999999999999")), "1e+20");
}

}  // namespace
}  // namespace orch

namespace orch {
namespace {

// A type constraint written in the language, as `variable` blocks declare them.
Type constraint(const std::string& text) {
  SourceFile src("t.orch", text);
  Diagnostics d;
  ExprPtr e = parse_expression(src, d);
  Type t = parse_type_expr(*e, d);
  EXPECT_TRUE(d.empty()) << text << ": " << (d.empty() ? "" : d.list()[0].detail);
  return t;
}

TEST(ConvertTest, OptionalAttributesGetTheirDefaults) {
  Type t = constraint(
      "object({ size = number, kind = optional(string, \"ssd\"), note = optional(string),"
      " backup = optional(object({ keep = optional(number, 7) }), {}) })");
  EXPECT_EQ(t.str(),
            "object({backup=optional(object({keep=optional(number, 7)}), { keep = 7 }),"
            "kind=optional(string, \"ssd\"),note=optional(string),size=number})");
  auto v = convert(Value::object({{"size", Value::number(10)}}), t);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->to_display(),
            "{\n  backup = { keep = 7 }\n  kind   = \"ssd\"\n  note   = null\n  size   = 10\n}");
  // An explicit null gets the default too; a given value wins.
  auto w = convert(Value::object({{"size", Value::number(1)},
                                  {"kind", Value::null()},
                                  {"backup", Value::object({{"keep", Value::number(2)}})}}),
                   t);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->attributes().at("kind").as_string(), "ssd");
  EXPECT_EQ(w->attributes().at("backup").attributes().at("keep").as_number().i, 2);
}

TEST(ConvertTest, OptionalDefaultsMustBeConstantsOfTheType) {
  for (const char* bad : {"object({ a = optional(number, \"x\") })",
                          "object({ a = optional(string, var.x) })", "list(optional(string))"}) {
    SourceFile src("t.orch", bad);
    Diagnostics d;
    ExprPtr e = parse_expression(src, d);
    parse_type_expr(*e, d);
    ASSERT_FALSE(d.empty()) << bad;
    EXPECT_EQ(d.list()[0].summary, "Invalid type specification") << bad;
  }
}

}  // namespace
}  // namespace orch
