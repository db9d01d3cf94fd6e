// Unary and binary operators, and the primitive conversions they use.
#include <fmt/format.h>

#include <climits>
#include <cmath>

#include "compiler/convert.h"
#include "compiler/eval_internal.h"

namespace orch::detail {

bool any_sensitive(std::initializer_list<const Value*> values) {
  for (const Value* v : values) {
    if (v->is_sensitive() || v->contains_sensitive()) return true;
  }
  return false;
}

bool to_number(const Value& v, Number* out) {
  if (v.kind() == ValueKind::Number) {
    *out = v.as_number();
    return true;
  }
  if (v.kind() != ValueKind::String) return false;
  auto n = parse_number(v.as_string());
  if (!n) return false;
  *out = *n;
  return true;
}

bool to_bool(const Value& v, bool* out) {
  if (v.kind() == ValueKind::Bool) {
    *out = v.as_bool();
    return true;
  }
  if (v.kind() == ValueKind::String) {
    if (v.as_string() == "true") return *out = true, true;
    if (v.as_string() == "false") return *out = false, true;
  }
  return false;
}

bool to_string(const Value& v, std::string* out) {
  switch (v.kind()) {
    case ValueKind::String:
      *out = v.as_string();
      return true;
    case ValueKind::Number:
      *out = format_number(v.as_number());
      return true;
    case ValueKind::Bool:
      *out = v.as_bool() ? "true" : "false";
      return true;
    default:
      return false;
  }
}

std::string describe_type(const Value& v) {
  if (v.is_null()) return "null";
  if (v.is_unknown()) return "an unknown value";
  switch (v.kind()) {
    case ValueKind::Bool:
      return "a bool";
    case ValueKind::Number:
      return "a number";
    case ValueKind::String:
      return "a string";
    case ValueKind::List:
      return "a list";
    case ValueKind::Set:
      return "a set";
    case ValueKind::Map:
      return "a map";
    case ValueKind::Object:
      return "an object";
    case ValueKind::Tuple:
      return "a tuple";
    default:
      return "a value";
  }
}

namespace {

Value mark(Value v, bool sensitive) {
  return sensitive ? v.mark_sensitive() : v;
}

enum class OpClass { Arithmetic, Comparison, Equality, Logical, Unsupported };

OpClass classify(std::string_view op) {
  if (op == "+" || op == "-" || op == "*" || op == "/" || op == "%") return OpClass::Arithmetic;
  if (op == "<" || op == "<=" || op == ">" || op == ">=") return OpClass::Comparison;
  if (op == "==" || op == "!=") return OpClass::Equality;
  if (op == "&&" || op == "||") return OpClass::Logical;
  return OpClass::Unsupported;
}

// Integer arithmetic when exact, doubles otherwise. Returns false for division by zero.
bool arithmetic(std::string_view op, const Number& a, const Number& b, Number* out) {
  if (a.is_int && b.is_int) {
    int64_t r = 0;
    if (op == "+" && !__builtin_add_overflow(a.i, b.i, &r)) return *out = Number::of(r), true;
    if (op == "-" && !__builtin_sub_overflow(a.i, b.i, &r)) return *out = Number::of(r), true;
    if (op == "*" && !__builtin_mul_overflow(a.i, b.i, &r)) return *out = Number::of(r), true;
    if (op == "/" || op == "%") {
      if (b.i == 0) return false;
      if (b.i == -1 && a.i == INT64_MIN) {
        *out = op == "/" ? Number::of(-static_cast<double>(a.i)) : Number::of(int64_t{0});
        return true;
      }
      if (op == "%") return *out = Number::of(a.i % b.i), true;
      if (a.i % b.i == 0) return *out = Number::of(a.i / b.i), true;
    }
  }
  double x = a.as_double(), y = b.as_double();
  if (op == "+")
    *out = Number::of(x + y);
  else if (op == "-")
    *out = Number::of(x - y);
  else if (op == "*")
    *out = Number::of(x * y);
  else if (op == "/") {
    if (y == 0) return false;
    *out = Number::of(x / y);
  } else {
    if (y == 0) return false;
    *out = Number::of(std::fmod(x, y));
  }
  return true;
}

bool compare(std::string_view op, const Number& a, const Number& b) {
  if (a.is_int && b.is_int) {
    if (op == "<") return a.i < b.i;
    if (op == "<=") return a.i <= b.i;
    if (op == ">") return a.i > b.i;
    return a.i >= b.i;
  }
  double x = a.as_double(), y = b.as_double();
  if (op == "<") return x < y;
  if (op == "<=") return x <= y;
  if (op == ">") return x > y;
  return x >= y;
}

}  // namespace

Value Evaluator::unary(const Expr& e) {
  if (e.children.empty() || !e.children[0]) return error_value();
  const Expr& operand_expr = *e.children[0];
  Value v = eval(operand_expr);
  const bool sensitive = any_sensitive({&v});
  if (e.name == "!") {
    if (v.is_unknown()) return mark(Value::unknown(Type::boolean()), sensitive);
    bool b = false;
    if (v.is_null() || !to_bool(v, &b)) {
      return report(operand_expr.range, "Invalid operand",
                    fmt::format("Unsuitable value for unary operand: a bool is required, but "
                                "this is {}.",
                                describe_type(v)));
    }
    return mark(Value::boolean(!b), sensitive);
  }
  if (e.name == "-") {
    if (v.is_unknown()) return mark(Value::unknown(Type::number()), sensitive);
    Number n;
    if (v.is_null() || !to_number(v, &n)) {
      return report(operand_expr.range, "Invalid operand",
                    fmt::format("Unsuitable value for unary operand: a number is required, but "
                                "this is {}.",
                                describe_type(v)));
    }
    if (n.is_int && n.i != INT64_MIN) return mark(Value::number(Number::of(-n.i)), sensitive);
    return mark(Value::number(Number::of(-n.as_double())), sensitive);
  }
  return report(e.range, "Unsupported operator",
                fmt::format("The unary operator \"{}\" is not supported.", e.name));
}

Value Evaluator::binary(const Expr& e) {
  if (e.children.size() < 2 || !e.children[0] || !e.children[1]) return error_value();
  const Expr& lhs_expr = *e.children[0];
  const Expr& rhs_expr = *e.children[1];
  const std::string& op = e.name;
  const OpClass cls = classify(op);
  if (cls == OpClass::Unsupported) {
    eval(lhs_expr);
    eval(rhs_expr);
    return report(e.range, "Unsupported operator",
                  fmt::format("The operator \"{}\" is not supported; the binary operators are "
                              "* / % + - < <= > >= == != && ||.",
                              op));
  }
  Value a = eval(lhs_expr);
  Value b = eval(rhs_expr);
  const bool sensitive = any_sensitive({&a, &b});

  if (cls == OpClass::Equality) {
    if (!a.is_wholly_known() || !b.is_wholly_known()) {
      return mark(Value::unknown(Type::boolean()), sensitive);
    }
    bool eq = a.equals(b);
    return mark(Value::boolean(op == "==" ? eq : !eq), sensitive);
  }

  if (cls == OpClass::Logical) {
    bool x = false, y = false;
    bool ok = true;
    if (!a.is_unknown() && (a.is_null() || !to_bool(a, &x))) {
      report(lhs_expr.range, "Invalid operand",
             fmt::format("Unsuitable value for left operand of \"{}\": a bool is required, but "
                         "this is {}.",
                         op, describe_type(a)));
      ok = false;
    }
    if (!b.is_unknown() && (b.is_null() || !to_bool(b, &y))) {
      report(rhs_expr.range, "Invalid operand",
             fmt::format("Unsuitable value for right operand of \"{}\": a bool is required, but "
                         "this is {}.",
                         op, describe_type(b)));
      ok = false;
    }
    if (!ok) return error_value();
    // A known operand that decides the result on its own wins over an unknown one.
    const bool decisive = op == "||";
    if ((!a.is_unknown() && x == decisive) || (!b.is_unknown() && y == decisive)) {
      return mark(Value::boolean(decisive), sensitive);
    }
    if (a.is_unknown() || b.is_unknown()) return mark(Value::unknown(Type::boolean()), sensitive);
    return mark(Value::boolean(op == "&&" ? (x && y) : (x || y)), sensitive);
  }

  // Arithmetic and comparison: numbers (strings holding numbers convert).
  Number x, y;
  bool ok = true;
  auto operand = [&](const Value& v, const Expr& at, const char* side, Number* n) {
    if (v.is_unknown()) return;
    if (v.is_null() || !to_number(v, n)) {
      report(at.range, "Invalid operand",
             fmt::format("Unsuitable value for {} operand of \"{}\": a number is required, but "
                         "this is {}{}.",
                         side, op, describe_type(v),
                         v.kind() == ValueKind::String && !v.is_sensitive()
                             ? fmt::format(" (\"{}\") that is not a number", v.as_string())
                             : std::string()));
      ok = false;
    }
  };
  operand(a, lhs_expr, "left", &x);
  operand(b, rhs_expr, "right", &y);
  if (!ok) return error_value();
  const Type result_type = cls == OpClass::Arithmetic ? Type::number() : Type::boolean();
  if (a.is_unknown() || b.is_unknown()) return mark(Value::unknown(result_type), sensitive);
  if (cls == OpClass::Comparison) return mark(Value::boolean(compare(op, x, y)), sensitive);
  Number r;
  if (!arithmetic(op, x, y, &r)) {
    return report(rhs_expr.range, op == "/" ? "Division by zero" : "Modulo by zero",
                  fmt::format("The right operand of \"{}\" is zero.", op));
  }
  if (!r.is_int && !std::isfinite(r.d)) {
    return report(e.range, "Number out of range",
                  "The result of this arithmetic is too large to represent.");
  }
  return mark(Value::number(r), sensitive);
}

}  // namespace orch::detail
