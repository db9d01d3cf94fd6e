// Tests for the built-in functions (stdlib/*.cc): every function, errors with the argument at
// fault, arity, unknown and sensitive propagation.
#include "stdlib/functions.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>

namespace orch {
namespace {

Value S(const char* s) {
  return Value::string(s);
}
Value N(int64_t i) {
  return Value::number(i);
}
Value D(double d) {
  return Value::number(d);
}
Value B(bool b) {
  return Value::boolean(b);
}
Value L(ValueList v) {
  return Value::tuple(std::move(v));
}
Value M(ValueMap m) {
  return Value::object(std::move(m));
}

CallResult run(const std::string& name, const std::vector<Value>& args,
               const CallContext& ctx = {}) {
  const Function* fn = Functions::builtin().find(name);
  if (!fn) return CallResult{Value(), "no such function " + name, -1};
  return call_function(*fn, args, ctx);
}

// Calls and renders the result; errors render as "error: ...".
std::string show(const std::string& name, const std::vector<Value>& args,
                 const CallContext& ctx = {}) {
  CallResult r = run(name, args, ctx);
  if (!r.ok()) return "error: " + r.error;
  return r.value.to_display();
}

std::string err(const std::string& name, const std::vector<Value>& args, int* arg = nullptr) {
  CallResult r = run(name, args);
  EXPECT_FALSE(r.ok()) << name << " returned " << r.value.to_display();
  if (arg) *arg = r.error_arg;
  return r.error;
}

TEST(FunctionsTest, TableIsSortedAndComplete) {
  auto names = Functions::builtin().names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (const char* n : {"abs",          "ceil",         "floor",
                        "log",          "min",          "max",
                        "parseint",     "pow",          "signum",
                        "chomp",        "format",       "formatlist",
                        "indent",       "join",         "lower",
                        "upper",        "replace",      "split",
                        "strrev",       "substr",       "title",
                        "trim",         "trimprefix",   "trimsuffix",
                        "trimspace",    "regex",        "regexall",
                        "startswith",   "endswith",     "strcontains",
                        "alltrue",      "anytrue",      "chunklist",
                        "coalesce",     "coalescelist", "compact",
                        "concat",       "contains",     "distinct",
                        "element",      "flatten",      "index",
                        "keys",         "length",       "lookup",
                        "matchkeys",    "merge",        "one",
                        "range",        "reverse",      "setintersection",
                        "setproduct",   "setsubtract",  "setunion",
                        "slice",        "sort",         "sum",
                        "transpose",    "values",       "zipmap",
                        "base64encode", "base64decode", "jsonencode",
                        "jsondecode",   "yamlencode",   "yamldecode",
                        "urlencode",    "csvdecode",    "file",
                        "fileexists",   "templatefile", "abspath",
                        "basename",     "dirname",      "pathexpand",
                        "tobool",       "tolist",       "tomap",
                        "tonumber",     "toset",        "tostring",
                        "type",         "cidrhost",     "cidrnetmask",
                        "cidrsubnet",   "cidrsubnets",  "md5",
                        "sha1",         "sha256",       "sha512",
                        "env"}) {
    EXPECT_NE(Functions::builtin().find(n), nullptr) << n;
  }
  EXPECT_EQ(Functions::builtin().find("uuid"), nullptr);
  EXPECT_EQ(Functions::builtin().find("try"), nullptr);
}

TEST(FunctionsTest, Arity) {
  EXPECT_EQ(err("join", {S(",")}),
            "wrong number of arguments to join(separator, lists...): expected at least 2 "
            "arguments, got 1");
  EXPECT_EQ(err("abs", {}), "wrong number of arguments to abs(num): expected 1 argument, got 0");
  EXPECT_EQ(err("lookup", {M({})}),
            "wrong number of arguments to lookup(inputMap, key, default): expected 2 to 3 "
            "arguments, got 1");
}

TEST(FunctionsTest, Numeric) {
  EXPECT_EQ(show("abs", {N(-3)}), "3");
  EXPECT_EQ(show("abs", {D(-1.5)}), "1.5");
  EXPECT_EQ(show("ceil", {D(5.1)}), "6");
  EXPECT_EQ(show("floor", {D(-5.1)}), "-6");
  EXPECT_EQ(show("log", {N(16), N(2)}), "4");
  EXPECT_EQ(show("min", {N(12), N(54), N(3)}), "3");
  EXPECT_EQ(show("max", {N(12), D(54.5), N(3)}), "54.5");
  EXPECT_EQ(show("max", {S("7"), N(3)}), "7");
  EXPECT_EQ(show("parseint", {S("100"), N(10)}), "100");
  EXPECT_EQ(show("parseint", {S("FF"), N(16)}), "255");
  EXPECT_EQ(show("parseint", {S("-1010"), N(2)}), "-10");
  EXPECT_EQ(show("parseint", {S("zZ"), N(62)}), "2231");
  EXPECT_EQ(show("pow", {N(3), N(2)}), "9");
  EXPECT_EQ(show("pow", {N(4), D(0.5)}), "2");
  EXPECT_EQ(show("pow", {N(2), N(-1)}), "0.5");
  EXPECT_EQ(show("signum", {N(-13)}), "-1");
  EXPECT_EQ(show("signum", {N(0)}), "0");
  EXPECT_EQ(show("sum", {L({N(1), D(2.5), S("3")})}), "6.5");
  int arg = 0;
  EXPECT_EQ(err("parseint", {S("12x"), N(10)}, &arg),
            "invalid value for \"number\" parameter: cannot parse \"12x\" as a base 10 integer");
  EXPECT_EQ(arg, 0);
  EXPECT_EQ(err("parseint", {S("1"), N(1)}, &arg),
            "invalid value for \"base\" parameter: must be a whole number between 2 and 62 "
            "inclusive");
  EXPECT_EQ(arg, 1);
  EXPECT_EQ(err("abs", {S("x")}, &arg),
            "invalid value for \"num\" parameter: cannot convert \"x\" to number: a decimal "
            "number is required");
  EXPECT_EQ(err("abs", {Value::null()}),
            "invalid value for \"num\" parameter: argument must not be null");
  EXPECT_EQ(err("max", {N(1), L({})}, &arg),
            "invalid value for \"numbers\" parameter: number required");
  EXPECT_EQ(arg, 1);
  EXPECT_EQ(err("sum", {L({})}), "invalid value for \"list\" parameter: cannot sum an empty list");
  EXPECT_EQ(err("sum", {L({N(1), S("a")})}),
            "invalid value for \"list\" parameter: element 1: number required");
  EXPECT_EQ(err("parseint", {S("99999999999999999999"), N(10)}),
            "invalid value for \"number\" parameter: \"99999999999999999999\" is too large for "
            "a 64-bit integer");
}

TEST(FunctionsTest, Strings) {
  EXPECT_EQ(show("chomp", {S("hello\r\n\n")}), "\"hello\"");
  EXPECT_EQ(show("indent", {N(2), S("a\nb\n")}), "\"a\\n  b\\n  \"");
  EXPECT_EQ(show("join", {S(", "), L({S("a"), N(1)}), L({S("c")})}), "\"a, 1, c\"");
  EXPECT_EQ(show("join", {S(","), L({})}), "\"\"");
  EXPECT_EQ(show("lower", {S("HELLO Ünï")}), "\"hello ünï\"");
  EXPECT_EQ(show("upper", {S("hello ünï")}), "\"HELLO ÜNÏ\"");
  EXPECT_EQ(show("split", {S(","), S("a,b,,c")}), "[\"a\", \"b\", \"\", \"c\"]");
  EXPECT_EQ(show("split", {S(","), S("")}), "[\"\"]");
  EXPECT_EQ(show("strrev", {S("héllo")}), "\"olléh\"");
  EXPECT_EQ(show("substr", {S("hello world"), N(1), N(4)}), "\"ello\"");
  EXPECT_EQ(show("substr", {S("hello world"), N(-5), N(-1)}), "\"world\"");
  EXPECT_EQ(show("substr", {S("héllo"), N(1), N(100)}), "\"éllo\"");
  EXPECT_EQ(show("substr", {S("abc"), N(10), N(1)}), "\"\"");
  EXPECT_EQ(show("title", {S("hello world-wide web")}), "\"Hello World-Wide Web\"");
  EXPECT_EQ(show("trim", {S("?!hello?!"), S("!?")}), "\"hello\"");
  EXPECT_EQ(show("trimprefix", {S("helloworld"), S("hello")}), "\"world\"");
  EXPECT_EQ(show("trimprefix", {S("helloworld"), S("cat")}), "\"helloworld\"");
  EXPECT_EQ(show("trimsuffix", {S("helloworld"), S("world")}), "\"hello\"");
  EXPECT_EQ(show("trimspace", {S(" \t\n hello \u00a0\n")}), "\"hello\"");
  EXPECT_EQ(show("startswith", {S("hello"), S("he")}), "true");
  EXPECT_EQ(show("endswith", {S("hello"), S("he")}), "false");
  EXPECT_EQ(show("strcontains", {S("hello"), S("ll")}), "true");
  EXPECT_EQ(show("replace", {S("1 + 2 + 3"), S("+"), S("-")}), "\"1 - 2 - 3\"");
  int arg = 0;
  EXPECT_EQ(err("join", {S(","), L({S("a"), L({})})}, &arg),
            "invalid value for \"lists\" parameter: element 1: string required");
  EXPECT_EQ(arg, 1);
  EXPECT_EQ(err("join", {S(","), L({S("a"), Value::null()})}),
            "invalid value for \"lists\" parameter: element 1 is null");
  EXPECT_EQ(err("indent", {N(-1), S("x")}),
            "invalid value for \"spaces\" parameter: must not be negative");
}

TEST(FunctionsTest, Regex) {
  EXPECT_EQ(show("regex", {S("[a-z]+"), S("53453453.345345aaabbbccc23454")}), "\"aaabbbccc\"");
  EXPECT_EQ(show("regex", {S("(\\d\\d\\d\\d)-(\\d\\d)-(\\d\\d)"), S("2019-02-01")}),
            "[\"2019\", \"02\", \"01\"]");
  EXPECT_EQ(show("regex", {S("^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?"),
                           S("https://terraform.io/docs/")}),
            "{ authority = \"terraform.io\", scheme = \"https\" }");
  EXPECT_EQ(show("regex", {S("(?i)HELLO"), S("say hello")}), "\"hello\"");
  EXPECT_EQ(show("regexall", {S("[a-z]+"), S("1234abcd5678efgh9")}), "[\"abcd\", \"efgh\"]");
  EXPECT_EQ(show("regexall", {S("[a-z]+"), S("1234")}), "[]");
  EXPECT_EQ(show("replace", {S("hello world"), S("/w(.*)d/"), S("W${1}D")}), "\"hello WorlD\"");
  // As in Go, "$1D" names a group "1D", which does not exist: it expands to nothing.
  EXPECT_EQ(show("replace", {S("hello world"), S("/w(.*)d/"), S("W$1D")}), "\"hello W\"");
  EXPECT_EQ(show("replace", {S("a-b"), S("/(?P<x>a)-(?P<y>b)/"), S("${y}-${x}")}), "\"b-a\"");
  int arg = 0;
  EXPECT_EQ(err("regex", {S("[a-z]+"), S("123")}, &arg),
            "invalid value for \"string\" parameter: pattern did not match any part of the "
            "given string");
  EXPECT_EQ(arg, 1);
  EXPECT_NE(err("regex", {S("(unclosed"), S("x")}, &arg).find("invalid regular expression"),
            std::string::npos);
  EXPECT_EQ(arg, 0);
  EXPECT_NE(err("replace", {S("x"), S("/(/"), S("y")}, &arg).find("invalid regular expression"),
            std::string::npos);
  EXPECT_EQ(arg, 1);
}

TEST(FunctionsTest, RegexOnLongInputsDoesNotOverflowTheStack) {
  // std::regex recurses per character; 60,000 characters crash on a default 8 MiB stack.
  std::string long_a(60000, 'a');
  Value input = Value::string(long_a);
  CallResult r = run("regex", {S("(?:a|b)*"), input});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value.as_string().size(), 60000u);
  r = run("replace", {input, S("/(a|b)+/"), S("x")});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value, S("x"));
  int arg = -1;
  EXPECT_EQ(err("regexall", {S("a"), Value::string(std::string(70000, 'a'))}, &arg),
            "invalid value for \"string\" parameter: regular expression matching is limited to "
            "strings of 65536 bytes");
  EXPECT_EQ(arg, 1);
  EXPECT_NE(err("regex", {Value::string(std::string(5000, 'a')), S("a")}, &arg)
                .find("limited to 4096 bytes"),
            std::string::npos);
  EXPECT_EQ(arg, 0);
}

TEST(FunctionsTest, Format) {
  EXPECT_EQ(show("format", {S("Hello, %s!"), S("Ander")}), "\"Hello, Ander!\"");
  EXPECT_EQ(show("format", {S("There are %d lights"), N(4)}), "\"There are 4 lights\"");
  EXPECT_EQ(show("format", {S("%.2f|%5d|%-5s|%05d|%+d"), D(3.14159), N(42), S("ab"), N(-7), N(3)}),
            "\"3.14|   42|ab   |-0007|+3\"");
  EXPECT_EQ(show("format", {S("%q %t %%"), S("a\"b"), B(true)}), "\"\\\"a\\\\\\\"b\\\" true %\"");
  EXPECT_EQ(show("format", {S("%v %v %#v"), N(1), S("x"), S("x")}), "\"1 x \\\"x\\\"\"");
  EXPECT_EQ(show("format", {S("%v"), L({N(1), S("a")})}), "\"[1,\\\"a\\\"]\"");
  EXPECT_EQ(show("format", {S("%x %X %o %b %#x"), N(255), N(255), N(8), N(5), N(255)}),
            "\"ff FF 10 101 0xff\"");
  EXPECT_EQ(show("format", {S("%[2]s %[1]s"), S("a"), S("b")}), "\"b a\"");
  EXPECT_EQ(show("format", {S("%e"), D(1234.5)}), "\"1.234500e+03\"");
  EXPECT_EQ(show("formatlist", {S("Hello, %s!"), L({S("Valentina"), S("Ander")})}),
            "[\"Hello, Valentina!\", \"Hello, Ander!\"]");
  EXPECT_EQ(show("formatlist", {S("%s, %s"), S("Salutations"), L({S("a"), S("b")})}),
            "[\"Salutations, a\", \"Salutations, b\"]");
  EXPECT_EQ(err("format", {S("%s %s"), S("a")}),
            "not enough arguments for \"%s\" at 3: need index 2 but have 1 total");
  EXPECT_EQ(err("format", {S("%z"), S("a")}),
            "invalid value for \"format\" parameter: unsupported format verb \"%z\" at 0");
  EXPECT_EQ(err("format", {S("%d"), D(1.5)}),
            "unsupported value for \"%d\" at 0: an integer is required");
  EXPECT_EQ(err("format", {S("%s"), S("a"), S("b")}),
            "too many arguments; argument 2 is not used by the format");
  EXPECT_EQ(err("formatlist", {S("%s %s"), L({S("a")}), L({S("b"), S("c")})}),
            "invalid value for \"args\" parameter: argument 2 has length 2, which is "
            "inconsistent with 1");
}

TEST(FunctionsTest, Collections) {
  EXPECT_EQ(show("alltrue", {L({B(true), S("true")})}), "true");
  EXPECT_EQ(show("alltrue", {L({})}), "true");
  EXPECT_EQ(show("anytrue", {L({B(false), B(true)})}), "true");
  EXPECT_EQ(show("anytrue", {L({})}), "false");
  EXPECT_EQ(show("chunklist", {L({S("a"), S("b"), S("c")}), N(2)}),
            "[\n  [\"a\", \"b\"],\n  [\"c\"],\n]");
  EXPECT_EQ(show("coalesce", {Value::null(), S(""), S("b")}), "\"b\"");
  EXPECT_EQ(show("coalesce", {N(1), S("2")}), "\"1\"");
  EXPECT_EQ(show("coalescelist", {L({}), L({S("c")})}), "[\"c\"]");
  EXPECT_EQ(show("compact", {L({S("a"), S(""), Value::null(), S("c")})}), "[\"a\", \"c\"]");
  EXPECT_EQ(show("concat", {L({S("a")}), L({S("b"), S("c")})}), "[\"a\", \"b\", \"c\"]");
  EXPECT_EQ(show("contains", {L({S("a"), S("b")}), S("b")}), "true");
  EXPECT_EQ(show("contains", {L({N(1)}), S("1")}), "false");
  EXPECT_EQ(show("distinct", {L({S("a"), S("b"), S("a")})}), "[\"a\", \"b\"]");
  EXPECT_EQ(show("element", {L({S("a"), S("b")}), N(3)}), "\"b\"");
  EXPECT_EQ(show("flatten", {L({L({S("a"), L({S("b")})}), L({}), S("c")})}),
            "[\"a\", \"b\", \"c\"]");
  EXPECT_EQ(show("index", {L({S("a"), S("b")}), S("b")}), "1");
  EXPECT_EQ(show("keys", {M({{"b", N(1)}, {"a", N(2)}})}), "[\"a\", \"b\"]");
  EXPECT_EQ(show("length", {S("héllo")}), "5");
  EXPECT_EQ(show("length", {M({{"a", N(1)}})}), "1");
  EXPECT_EQ(show("lookup", {M({{"a", S("x")}}), S("a")}), "\"x\"");
  EXPECT_EQ(show("lookup", {M({{"a", S("x")}}), S("b"), S("d")}), "\"d\"");
  EXPECT_EQ(show("matchkeys",
                 {L({S("i-1"), S("i-2"), S("i-3")}), L({S("a"), S("b"), S("a")}), L({S("a")})}),
            "[\"i-1\", \"i-3\"]");
  EXPECT_EQ(show("merge", {M({{"a", N(1)}, {"b", N(2)}}), M({{"b", N(3)}}), Value::null()}),
            "{ a = 1, b = 3 }");
  EXPECT_EQ(show("one", {L({})}), "null");
  EXPECT_EQ(show("one", {L({S("x")})}), "\"x\"");
  EXPECT_EQ(show("range", {N(3)}), "[0, 1, 2]");
  EXPECT_EQ(show("range", {N(1), N(4)}), "[1, 2, 3]");
  EXPECT_EQ(show("range", {N(4), N(1)}), "[4, 3, 2]");
  EXPECT_EQ(show("range", {N(0), N(1), D(0.25)}), "[0, 0.25, 0.5, 0.75]");
  EXPECT_EQ(show("reverse", {L({N(1), N(2)})}), "[2, 1]");
  EXPECT_EQ(show("slice", {L({S("a"), S("b"), S("c"), S("d")}), N(1), N(3)}), "[\"b\", \"c\"]");
  EXPECT_EQ(show("sort", {L({S("e"), S("d"), S("a"), N(10), N(9)})}),
            "[\"10\", \"9\", \"a\", \"d\", \"e\"]");
  EXPECT_EQ(show("transpose", {M({{"a", L({S("1"), S("2")})}, {"b", L({S("2"), S("3")})}})}),
            "{\n  \"1\" = [\"a\"]\n  \"2\" = [\"a\", \"b\"]\n  \"3\" = [\"b\"]\n}");
  EXPECT_EQ(show("values", {M({{"b", N(1)}, {"a", N(2)}})}), "[2, 1]");
  EXPECT_EQ(show("zipmap", {L({S("a"), S("b")}), L({N(1), N(2)})}), "{ a = 1, b = 2 }");

  int arg = 0;
  EXPECT_EQ(err("chunklist", {L({}), N(-1)}, &arg),
            "invalid value for \"size\" parameter: the size argument must be positive");
  EXPECT_EQ(arg, 1);
  EXPECT_EQ(err("coalesce", {Value::null(), S("")}), "no non-null, non-empty-string arguments");
  EXPECT_EQ(err("coalesce", {N(1), L({})}), "all arguments must have the same type");
  EXPECT_EQ(err("element", {L({}), N(0)}),
            "invalid value for \"list\" parameter: cannot use element function with an empty list");
  EXPECT_EQ(
      err("element", {L({N(1)}), N(-1)}),
      "invalid value for \"index\" parameter: cannot use element function with a negative index");
  EXPECT_EQ(err("index", {L({S("a")}), S("z")}, &arg),
            "invalid value for \"value\" parameter: item not found");
  EXPECT_EQ(arg, 1);
  EXPECT_EQ(err("keys", {S("x")}),
            "invalid value for \"inputMap\" parameter: map or object required");
  EXPECT_EQ(err("length", {N(1)}),
            "invalid value for \"value\" parameter: argument must be a string, a collection type, "
            "or a structural type");
  EXPECT_EQ(err("lookup", {M({{"a", S("x")}}), S("b")}), "lookup failed to find key \"b\"");
  EXPECT_EQ(err("matchkeys", {L({S("a")}), L({}), L({})}),
            "length of keys and values should be equal");
  EXPECT_EQ(err("merge", {M({}), S("x")}, &arg),
            "invalid value for \"maps\" parameter: map or object required");
  EXPECT_EQ(arg, 1);
  EXPECT_EQ(err("one", {L({N(1), N(2)})}),
            "invalid value for \"list\" parameter: must be a list, set, or tuple value with either "
            "zero or one elements");
  EXPECT_EQ(err("range", {N(0), N(5), N(0)}),
            "invalid value for \"params\" parameter: step must not be zero");
  EXPECT_NE(err("range", {N(5000)}).find("more than 1024 values"), std::string::npos);
  EXPECT_EQ(
      err("slice", {L({N(1)}), N(0), N(2)}),
      "invalid value for \"end_index\" parameter: must not be greater than the length of the list");
  EXPECT_EQ(err("slice", {L({N(1)}), N(1), N(0)}),
            "invalid value for \"start_index\" parameter: must not be greater than end_index");
  EXPECT_EQ(err("sort", {L({S("a"), L({})})}),
            "invalid value for \"list\" parameter: element 1: string required");
  EXPECT_EQ(err("zipmap", {L({S("a")}), L({})}),
            "number of keys (1) does not match number of values (0)");
}

TEST(FunctionsTest, Sets) {
  EXPECT_EQ(
      show("setintersection", {L({S("a"), S("b")}), L({S("b"), S("c")}), L({S("b"), S("d")})}),
      "toset([\"b\"])");
  EXPECT_EQ(show("setunion", {L({S("b")}), L({S("a"), S("b")})}), "toset([\"a\", \"b\"])");
  EXPECT_EQ(show("setsubtract", {L({S("a"), S("b"), S("c")}), L({S("a"), S("c")})}),
            "toset([\"b\"])");
  EXPECT_EQ(show("setproduct", {L({S("a"), S("b")}), L({N(1), N(2)})}),
            "[\n  [\"a\", 1],\n  [\"a\", 2],\n  [\"b\", 1],\n  [\"b\", 2],\n]");
  EXPECT_EQ(show("setproduct", {Value::set({S("x")}), Value::set({S("y")})}),
            "toset([\n  [\"x\", \"y\"],\n])");
  EXPECT_EQ(err("setunion", {S("x")}),
            "invalid value for \"first_set\" parameter: list, set or tuple required");
}

TEST(FunctionsTest, Encoding) {
  EXPECT_EQ(show("base64encode", {S("Hello World")}), "\"SGVsbG8gV29ybGQ=\"");
  EXPECT_EQ(show("base64decode", {S("SGVsbG8gV29ybGQ=")}), "\"Hello World\"");
  EXPECT_EQ(show("base64decode", {S("YQ==")}), "\"a\"");
  EXPECT_EQ(err("base64decode", {S("abc")}),
            "invalid value for \"str\" parameter: failed to decode base64 data");
  EXPECT_EQ(err("base64decode", {S("/w==")}),
            "invalid value for \"str\" parameter: the result of decoding the provided string is "
            "not valid UTF-8");
  EXPECT_EQ(show("jsonencode",
                 {M({{"hello", S("<world>")}, {"n", L({N(1), D(0.5), B(true), Value::null()})}})}),
            "\"{\\\"hello\\\":\\\"\\\\u003cworld\\\\u003e\\\",\\\"n\\\":[1,0.5,true,null]}\"");
  EXPECT_EQ(show("jsondecode", {S("{\"hello\": \"world\", \"n\": [1, 2.5, null, false]}")}),
            "{\n  hello = \"world\"\n  n     = [1, 2.5, null, false]\n}");
  EXPECT_EQ(show("jsondecode", {S("true")}), "true");
  EXPECT_NE(err("jsondecode", {S("{bad")}).find("invalid JSON"), std::string::npos);
  EXPECT_NE(err("jsondecode", {S(std::string(100000, '[').c_str())}).find("nested too deeply"),
            std::string::npos);
  EXPECT_EQ(show("yamlencode", {M({{"a", S("b")}, {"c", L({N(1), B(true)})}})}),
            "\"\\\"a\\\": \\\"b\\\"\\n\\\"c\\\":\\n  - 1\\n  - true\\n\"");
  EXPECT_EQ(show("yamlencode", {L({})}), "\"[]\\n\"");
  EXPECT_EQ(show("yamldecode", {S("hello: world\nn: [1, 2.5, ~, yes, true, \"3\"]\n")}),
            "{\n  hello = \"world\"\n  n     = [1, 2.5, null, \"yes\", true, \"3\"]\n}");
  EXPECT_NE(err("yamldecode", {S("a: [")}).find("on line"), std::string::npos);
  EXPECT_NE(err("yamldecode", {S("a: 1\n---\nb: 2\n")}).find("multiple YAML documents"),
            std::string::npos);
  EXPECT_EQ(show("urlencode", {S("Hello World!/~ é")}), "\"Hello+World%21%2F~+%C3%A9\"");
  EXPECT_EQ(show("csvdecode", {S("a,b\n1,\"x,\"\"y\"\"\"\n3,4\n")}),
            "[\n  { a = \"1\", b = \"x,\\\"y\\\"\" },\n  { a = \"3\", b = \"4\" },\n]");
  EXPECT_EQ(err("csvdecode", {S("a,b\n1\n")}),
            "invalid value for \"str\" parameter: record 1: wrong number of fields (expected 2, "
            "got 1)");
}

TEST(FunctionsTest, Conversion) {
  EXPECT_EQ(show("tobool", {S("true")}), "true");
  EXPECT_EQ(show("tobool", {Value::null()}), "null");
  EXPECT_EQ(show("tonumber", {S("1.5")}), "1.5");
  EXPECT_EQ(show("tostring", {N(3)}), "\"3\"");
  EXPECT_EQ(show("tolist", {L({S("a"), N(1)})}), "[\"a\", \"1\"]");
  EXPECT_EQ(show("toset", {L({S("b"), S("a"), S("b")})}), "toset([\"a\", \"b\"])");
  EXPECT_EQ(show("tomap", {M({{"a", N(1)}, {"b", S("x")}})}), "{ a = \"1\", b = \"x\" }");
  EXPECT_EQ(show("type", {L({S("a"), N(1)})}), "\"tuple([string,number])\"");
  EXPECT_EQ(show("type", {Value::unknown(Type::number())}), "\"number\"");
  int arg = -5;
  EXPECT_EQ(err("tonumber", {S("abc")}, &arg),
            "invalid value for \"v\" parameter: cannot convert \"abc\" to number: a decimal "
            "number is required");
  EXPECT_EQ(arg, 0);
  EXPECT_EQ(err("tobool", {S("yes")}),
            "invalid value for \"v\" parameter: cannot convert \"yes\" to bool: only \"true\" or "
            "\"false\" are allowed");
  EXPECT_EQ(err("tolist", {S("x")}), "invalid value for \"v\" parameter: list required");
  EXPECT_EQ(err("tostring", {L({})}), "invalid value for \"v\" parameter: string required");
}

TEST(FunctionsTest, Network) {
  EXPECT_EQ(show("cidrhost", {S("10.12.112.0/20"), N(16)}), "\"10.12.112.16\"");
  EXPECT_EQ(show("cidrhost", {S("10.12.112.0/20"), N(268)}), "\"10.12.113.12\"");
  EXPECT_EQ(show("cidrhost", {S("10.12.112.0/20"), N(-1)}), "\"10.12.127.255\"");
  EXPECT_EQ(show("cidrhost", {S("fd00:fd12:3456:7890:00a2::/72"), N(34)}),
            "\"fd00:fd12:3456:7890::22\"");
  EXPECT_EQ(show("cidrnetmask", {S("172.16.0.0/12")}), "\"255.240.0.0\"");
  EXPECT_EQ(show("cidrsubnet", {S("172.16.0.0/12"), N(4), N(2)}), "\"172.18.0.0/16\"");
  EXPECT_EQ(show("cidrsubnet", {S("10.1.2.0/24"), N(4), N(15)}), "\"10.1.2.240/28\"");
  EXPECT_EQ(show("cidrsubnet", {S("fd00:fd12:3456:7890::/56"), N(16), N(162)}),
            "\"fd00:fd12:3456:7800:a200::/72\"");
  EXPECT_EQ(show("cidrsubnets", {S("10.1.0.0/16"), N(4), N(4), N(8), N(4)}),
            "[\"10.1.0.0/20\", \"10.1.16.0/20\", \"10.1.32.0/24\", \"10.1.48.0/20\"]");
  int arg = 0;
  EXPECT_EQ(err("cidrhost", {S("10.0.0.0/30"), N(4)}, &arg),
            "invalid value for \"hostnum\" parameter: prefix of 30 bits cannot accommodate a "
            "host numbered 4");
  EXPECT_EQ(arg, 1);
  EXPECT_EQ(err("cidrsubnet", {S("10.0.0.0/30"), N(4), N(0)}),
            "invalid value for \"newbits\" parameter: insufficient address space to extend "
            "prefix of 30 by 4");
  EXPECT_EQ(err("cidrsubnet", {S("10.0.0.0/16"), N(2), N(4)}),
            "invalid value for \"netnum\" parameter: prefix extension of 2 does not accommodate "
            "a subnet numbered 4");
  EXPECT_EQ(err("cidrnetmask", {S("10.0.0.0")}),
            "invalid value for \"prefix\" parameter: invalid CIDR expression: \"10.0.0.0\"");
  EXPECT_EQ(err("cidrnetmask", {S("::/8")}),
            "invalid value for \"prefix\" parameter: only IPv4 networks have a netmask");
  EXPECT_NE(err("cidrsubnets", {S("10.0.0.0/30"), N(1), N(1), N(1)}).find("not enough remaining"),
            std::string::npos);
}

TEST(FunctionsTest, Crypto) {
  EXPECT_EQ(show("md5", {S("hello world")}), "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");
  EXPECT_EQ(show("sha1", {S("hello world")}), "\"2aae6c35c94fcfb415dbe95f408b9ce91ee846ed\"");
  EXPECT_EQ(show("sha256", {S("hello world")}),
            "\"b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9\"");
  EXPECT_EQ(
      show("sha512", {S("")}),
      "\"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318"
      "d2877eec2f63b931bd47417a81a538327af927da3e\"");
  EXPECT_EQ(show("base64sha256", {S("hello world")}),
            "\"uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=\"");
}

class FilesystemFunctionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("orch_fn_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "hello.txt") << "Hello ${name}";
    std::ofstream(dir_ / "bad.bin") << std::string("\xff\xfe", 2);
    ctx_.base_dir = dir_.string();
    ctx_.getenv = [](const char* n) -> const char* {
      std::string name = n;
      if (name == "HOME") return "/home/tester";
      if (name == "ORCH_TEST_VAR") return "from-env";
      return nullptr;
    };
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  CallContext ctx_;
};

TEST_F(FilesystemFunctionsTest, Files) {
  EXPECT_EQ(show("file", {S("hello.txt")}, ctx_), "\"Hello $${name}\"");
  EXPECT_EQ(show("fileexists", {S("hello.txt")}, ctx_), "true");
  EXPECT_EQ(show("fileexists", {S("nope.txt")}, ctx_), "false");
  EXPECT_EQ(show("file", {S("nope.txt")}, ctx_),
            "error: invalid value for \"path\" parameter: no file exists at \"nope.txt\"");
  EXPECT_EQ(show("file", {S("bad.bin")}, ctx_),
            "error: invalid value for \"path\" parameter: contents of \"bad.bin\" are not valid "
            "UTF-8");
  EXPECT_EQ(show("fileexists", {S(".")}, ctx_),
            "error: invalid value for \"path\" parameter: \".\" is not a regular file");
}

TEST_F(FilesystemFunctionsTest, Templatefile) {
  EXPECT_EQ(show("templatefile", {S("hello.txt"), M({{"name", S("x")}})}, ctx_),
            "error: templatefile is not available in this context");
  ctx_.render_template = [](const std::string& name, const std::string& text, const ValueMap& vars,
                            std::string* error) -> Value {
    if (!vars.count("name")) {
      *error = name + ": vars.name is missing";
      return Value();
    }
    std::string out = text;
    out.replace(out.find("${name}"), 7, vars.at("name").as_string());
    return Value::string(out);
  };
  EXPECT_EQ(show("templatefile", {S("hello.txt"), M({{"name", S("world")}})}, ctx_),
            "\"Hello world\"");
  EXPECT_EQ(show("templatefile", {S("hello.txt"), M({})}, ctx_),
            "error: hello.txt: vars.name is missing");
}

TEST_F(FilesystemFunctionsTest, Paths) {
  EXPECT_EQ(show("basename", {S("foo/bar/baz.txt")}), "\"baz.txt\"");
  EXPECT_EQ(show("basename", {S("foo/bar/")}), "\"bar\"");
  EXPECT_EQ(show("basename", {S("")}), "\".\"");
  EXPECT_EQ(show("dirname", {S("foo/bar/baz.txt")}), "\"foo/bar\"");
  EXPECT_EQ(show("dirname", {S("baz.txt")}), "\".\"");
  EXPECT_EQ(show("dirname", {S("/baz.txt")}), "\"/\"");
  EXPECT_EQ(show("abspath", {S("/a/./b/../c")}), "\"/a/c\"");
  std::string cwd = std::filesystem::current_path().string();
  EXPECT_EQ(show("abspath", {S("x/y")}), Value::string(cwd + "/x/y").to_display());
  EXPECT_EQ(show("pathexpand", {S("~/.ssh/id_rsa")}, ctx_), "\"/home/tester/.ssh/id_rsa\"");
  EXPECT_EQ(show("pathexpand", {S("/etc/x")}, ctx_), "\"/etc/x\"");
  EXPECT_EQ(show("env", {S("ORCH_TEST_VAR")}, ctx_), "\"from-env\"");
  EXPECT_EQ(show("env", {S("ORCH_MISSING"), S("dflt")}, ctx_), "\"dflt\"");
  EXPECT_EQ(show("env", {S("ORCH_MISSING")}, ctx_),
            "error: invalid value for \"name\" parameter: environment variable \"ORCH_MISSING\" "
            "is not set and no default was given");
}

TEST(FunctionsTest, UnknownArgumentsGiveTypedUnknowns) {
  CallResult r = run("upper", {Value::unknown(Type::string())});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value.is_unknown());
  EXPECT_EQ(r.value.type(), Type::string());
  r = run("split", {S(","), Value::unknown()});
  EXPECT_EQ(r.value.type(), Type::list(Type::string()));
  r = run("join", {S(","), L({S("a"), Value::unknown(Type::string())})});
  EXPECT_TRUE(r.value.is_unknown());
  // Functions that see past unknowns.
  EXPECT_EQ(show("length", {L({Value::unknown(), Value::unknown()})}), "2");
  EXPECT_EQ(show("length", {Value::unknown()}), "(known after apply)");
  EXPECT_EQ(show("concat", {L({S("a")}), L({Value::unknown(Type::string())})}),
            "[\"a\", (known after apply)]");
  EXPECT_EQ(show("keys", {M({{"a", Value::unknown()}})}), "[\"a\"]");
  EXPECT_EQ(show("coalesce", {S("a"), Value::unknown()}), "\"a\"");
  EXPECT_EQ(show("coalesce", {Value::null(), Value::unknown()}), "(known after apply)");
  EXPECT_EQ(show("lookup", {M({{"a", S("x")}, {"b", Value::unknown()}}), S("a")}), "\"x\"");
  EXPECT_EQ(show("element", {L({S("a"), S("b")}), Value::unknown(Type::number())}),
            "(known after apply)");
  r = run("tonumber", {Value::unknown()});
  EXPECT_EQ(r.value.type(), Type::number());
  EXPECT_EQ(show("jsonencode", {M({{"a", Value::unknown()}})}), "(known after apply)");
  // Errors in known arguments are still reported when another is unknown? No: the result is
  // simply unknown (Terraform behaves the same for functions without unknown handling).
  EXPECT_TRUE(run("abs", {Value::unknown()}).value.is_unknown());
}

// Every function with every combination of awkward arguments: each call must return a value
// or an error, never crash or hang.
TEST(FunctionsTest, AwkwardArgumentsNeverCrash) {
  const std::vector<Value> pool = {Value::null(),
                                   Value::unknown(),
                                   S(""),
                                   S("a,b"),
                                   S("10.0.0.0/8"),
                                   N(-1),
                                   N(std::numeric_limits<int64_t>::max()),
                                   N(3),
                                   D(1e300),
                                   D(-0.5),
                                   B(true),
                                   L({}),
                                   L({S("a"), N(1)}),
                                   M({{"a", L({S("x")})}}),
                                   Value::set({N(1)}),
                                   S("%s").mark_sensitive()};
  size_t calls = 0, errors = 0;
  for (const auto& name : Functions::builtin().names()) {
    const Function* fn = Functions::builtin().find(name);
    int max = fn->max_args < 0 ? fn->min_args + 1 : fn->max_args;
    for (int n = fn->min_args; n <= std::min(max, 3); ++n) {
      std::vector<size_t> idx(static_cast<size_t>(n), 0);
      while (true) {
        std::vector<Value> args;
        for (size_t i : idx) args.push_back(pool[i]);
        CallResult r = call_function(*fn, args, {});
        ++calls;
        if (!r.ok()) {
          ++errors;
          EXPECT_FALSE(r.error.empty());
          EXPECT_LT(r.error_arg, n) << name;
        }
        size_t k = 0;
        while (k < idx.size() && ++idx[k] == pool.size()) idx[k++] = 0;
        if (k == idx.size()) break;
      }
    }
  }
  EXPECT_GT(calls, 40000u);
  EXPECT_GT(errors, 0u);
}

TEST(FunctionsTest, SensitiveArgumentsGiveSensitiveResults) {
  Value secret = S("hunter2").mark_sensitive();
  CallResult r = run("upper", {secret});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value.is_sensitive());
  EXPECT_EQ(r.value.unmarked(), S("HUNTER2"));
  EXPECT_EQ(r.value.to_display(), "(sensitive value)");
  r = run("join", {S(","), L({S("a"), secret})});
  EXPECT_TRUE(r.value.is_sensitive());
  r = run("length", {M({{"pw", secret}})});
  EXPECT_TRUE(r.value.is_sensitive());
  EXPECT_TRUE(run("tostring", {N(5).mark_sensitive()}).value.is_sensitive());
  // Error messages never quote a secret.
  r = run("tonumber", {secret});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.find("hunter2"), std::string::npos) << r.error;
  r = run("lookup", {M({{"a", S("x")}}), secret});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error, "lookup failed to find key \"(sensitive value)\"");
  r = run("regex", {S("[0-9]{3}"), secret});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace orch
