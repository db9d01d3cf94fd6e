// Tests for compiler/value.h: construction, numbers, sets, types, equality, order, display.
#include "compiler/value.h"

#include <gtest/gtest.h>

namespace orch {
namespace {

Value S(const char* s) {
  return Value::string(s);
}
Value N(int64_t i) {
  return Value::number(i);
}

TEST(ValueTest, NumbersStayExactAndPrintPlainly) {
  EXPECT_EQ(format_number(Number::of(int64_t{3})), "3");
  EXPECT_EQ(format_number(Number::of(int64_t{-2})), "-2");
  EXPECT_EQ(format_number(Number::of(0.5)), "0.5");
  EXPECT_EQ(format_number(Number::of(1e21)), "1e+21");
  EXPECT_EQ(format_number(Number::of(3.0)), "3");
  EXPECT_EQ(format_number(Number::of(0.1)), "0.1");
  EXPECT_EQ(format_number(Number::of(int64_t{9007199254740993})), "9007199254740993");
  EXPECT_TRUE(Number::of(4.0).is_int);
  EXPECT_FALSE(Number::of(4.5).is_int);
  EXPECT_FALSE(Number::of(9.3e18).is_int);  // beyond int64
  EXPECT_EQ(Value::number(2.0).as_number().i, 2);
  EXPECT_EQ(Value::number(Number{false, 0, 7.0}).as_number().is_int, true);
}

TEST(ValueTest, Accessors) {
  Value l = Value::list({S("a"), S("b")});
  EXPECT_EQ(l.kind(), ValueKind::List);
  EXPECT_EQ(l.length(), 2u);
  EXPECT_EQ(l.elements()[1].as_string(), "b");
  EXPECT_TRUE(l.is_sequence());
  Value m = Value::map({{"k", N(1)}});
  EXPECT_TRUE(m.is_mapping());
  EXPECT_EQ(m.attributes().at("k").as_number().i, 1);
  // Wrong-kind accessors are neutral, never crash.
  EXPECT_EQ(N(1).as_string(), "");
  EXPECT_TRUE(S("x").elements().empty());
  EXPECT_EQ(S("x").length(), 0u);
  EXPECT_FALSE(Value().as_bool());
  EXPECT_TRUE(Value().is_null());
}

TEST(ValueTest, SetsSortAndDeduplicate) {
  Value s = Value::set({S("b"), S("a"), S("b"), S("c")});
  ASSERT_EQ(s.length(), 3u);
  EXPECT_EQ(s.elements()[0].as_string(), "a");
  EXPECT_EQ(s.elements()[2].as_string(), "c");
  Value n = Value::set({N(10), N(2), Value::number(2.0), Value::number(1.5)});
  ASSERT_EQ(n.length(), 3u);
  EXPECT_EQ(n.to_display(), "toset([1.5, 2, 10])");
}

TEST(ValueTest, TypeInference) {
  EXPECT_EQ(S("x").type(), Type::string());
  EXPECT_EQ(N(1).type(), Type::number());
  EXPECT_EQ(Value::boolean(true).type(), Type::boolean());
  EXPECT_EQ(Value::list({S("a")}).type(), Type::list(Type::string()));
  EXPECT_EQ(Value::list({}).type(), Type::list(Type::any()));
  EXPECT_EQ(Value::list({}, Type::number()).type(), Type::list(Type::number()));
  EXPECT_EQ(Value::set({N(1)}).type(), Type::set(Type::number()));
  EXPECT_EQ(Value::map({{"a", N(1)}}).type(), Type::map(Type::number()));
  EXPECT_EQ(Value::tuple({S("a"), N(1)}).type(), Type::tuple({Type::string(), Type::number()}));
  EXPECT_EQ(Value::object({{"a", S("x")}, {"b", Value::list({N(1)})}}).type(),
            Type::object({{"a", Type::string()}, {"b", Type::list(Type::number())}}));
  EXPECT_EQ(Value::null(Type::string()).type(), Type::string());
  EXPECT_EQ(Value::unknown(Type::list(Type::string())).type(), Type::list(Type::string()));
  EXPECT_TRUE(Value::unknown().type().is_any());
}

TEST(ValueTest, EqualityIsStructural) {
  EXPECT_EQ(N(2), Value::number(2.0));
  EXPECT_NE(N(2), S("2"));
  EXPECT_EQ(Value::list({S("a"), N(1)}), Value::list({S("a"), N(1)}));
  EXPECT_NE(Value::list({S("a")}), Value::tuple({S("a")}));
  EXPECT_NE(Value::list({S("a")}), Value::list({S("a"), S("b")}));
  EXPECT_EQ(Value::object({{"a", N(1)}}), Value::object({{"a", N(1)}}));
  EXPECT_NE(Value::object({{"a", N(1)}}), Value::object({{"a", N(2)}}));
  EXPECT_NE(Value::object({{"a", N(1)}}), Value::object({{"b", N(1)}}));
  EXPECT_EQ(Value::null(), Value::null(Type::string()));
  EXPECT_EQ(S("s").mark_sensitive(), S("s"));  // marks don't change the value
}

TEST(ValueTest, OrderIsTotal) {
  EXPECT_TRUE(N(1).less(N(2)));
  EXPECT_TRUE(Value::number(1.5).less(N(2)));
  EXPECT_FALSE(N(2).less(Value::number(1.5)));
  EXPECT_TRUE(N(9007199254740992).less(N(9007199254740993)));
  EXPECT_TRUE(S("a").less(S("b")));
  EXPECT_FALSE(S("a").less(S("a")));
  EXPECT_TRUE(Value::list({N(1)}).less(Value::list({N(1), N(0)})));
  // Different kinds are ordered by kind, never equal.
  EXPECT_TRUE(N(5).less(S("a")) != S("a").less(N(5)));
}

TEST(ValueTest, KnownnessAndSensitivity) {
  Value v = Value::object({{"a", Value::list({N(1), Value::unknown(Type::number())})}});
  EXPECT_FALSE(v.is_wholly_known());
  EXPECT_TRUE(Value::list({N(1)}).is_wholly_known());
  EXPECT_FALSE(v.contains_sensitive());
  Value s = Value::map({{"pw", S("hunter2").mark_sensitive()}});
  EXPECT_FALSE(s.is_sensitive());
  EXPECT_TRUE(s.contains_sensitive());
  EXPECT_TRUE(S("x").mark_sensitive().is_sensitive());
  EXPECT_FALSE(S("x").mark_sensitive().unmarked().is_sensitive());
}

TEST(ValueTest, DisplayScalars) {
  EXPECT_EQ(Value().to_display(), "null");
  EXPECT_EQ(Value::boolean(true).to_display(), "true");
  EXPECT_EQ(N(-3).to_display(), "-3");
  EXPECT_EQ(S("a \"b\"\n${x}").to_display(), "\"a \\\"b\\\"\\n$${x}\"");
  EXPECT_EQ(Value::unknown(Type::string()).to_display(), "(known after apply)");
  EXPECT_EQ(S("hunter2").mark_sensitive().to_display(), "(sensitive value)");
}

TEST(ValueTest, DisplayCollectionsInline) {
  EXPECT_EQ(Value::list({S("a"), S("b")}).to_display(), "[\"a\", \"b\"]");
  EXPECT_EQ(Value::tuple({}).to_display(), "[]");
  EXPECT_EQ(Value::set({}).to_display(), "toset([])");
  EXPECT_EQ(Value::object({}).to_display(), "{}");
  EXPECT_EQ(Value::object({{"a", N(1)}, {"b c", S("x")}}).to_display(),
            "{ a = 1, \"b c\" = \"x\" }");
  EXPECT_EQ(Value::map({{"pw", S("hunter2").mark_sensitive()}}).to_display(),
            "{ pw = (sensitive value) }");
}

TEST(ValueTest, DisplayNestedIsMultiLine) {
  Value v = Value::object({{"name", S("web")},
                           {"ports", Value::list({N(80), N(443)})},
                           {"tags", Value::map({{"env", S("prod")}})}});
  EXPECT_EQ(v.to_display(),
            "{\n"
            "  name  = \"web\"\n"
            "  ports = [80, 443]\n"
            "  tags  = { env = \"prod\" }\n"
            "}");
  Value l = Value::list({Value::object({{"a", N(1)}}), Value::object({{"a", N(2)}})});
  EXPECT_EQ(l.to_display(), "[\n  { a = 1 },\n  { a = 2 },\n]");
  Value deep = Value::object({{"o", Value::object({{"l", Value::list({Value::list({N(1)})})}})}});
  EXPECT_EQ(deep.to_display(),
            "{\n"
            "  o = {\n"
            "    l = [\n"
            "      [1],\n"
            "    ]\n"
            "  }\n"
            "}");
}

TEST(ValueTest, DisplayWrapsLongLists) {
  ValueList many;
  for (int i = 0; i < 30; ++i) many.push_back(S("item"));
  std::string out = Value::list(many).to_display();
  EXPECT_EQ(out.substr(0, 10), "[\n  \"item\"");
  EXPECT_EQ(out.back(), ']');
}

}  // namespace
}  // namespace orch
