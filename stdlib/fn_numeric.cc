// Numeric functions: abs ceil floor log min max parseint pow signum sum.
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "stdlib/fn_util.h"

namespace orch::fn {

namespace {

Value number_of(double d) {
  return Value::number(Number::of(d));
}

Value abs_fn(const Args& a, const CallContext&) {
  Number n = num(a, 0, "num");
  if (n.is_int) {
    if (n.i == std::numeric_limits<int64_t>::min()) return number_of(-n.as_double());
    return Value::number(n.i < 0 ? -n.i : n.i);
  }
  return number_of(std::fabs(n.d));
}

Value ceil_fn(const Args& a, const CallContext&) {
  Number n = num(a, 0, "num");
  return n.is_int ? Value::number(n) : number_of(std::ceil(n.d));
}

Value floor_fn(const Args& a, const CallContext&) {
  Number n = num(a, 0, "num");
  return n.is_int ? Value::number(n) : number_of(std::floor(n.d));
}

Value log_fn(const Args& a, const CallContext&) {
  double x = num(a, 0, "num").as_double();
  double base = num(a, 1, "base").as_double();
  return number_of(std::log(x) / std::log(base));
}

bool num_less(const Number& x, const Number& y) {
  return Value::number(x).less(Value::number(y));
}

Value extreme(const Args& a, bool want_max) {
  Number best = num(a, 0, "numbers");
  for (size_t i = 1; i < a.size(); ++i) {
    Number n = num(a, static_cast<int>(i), "numbers");
    if (want_max ? num_less(best, n) : num_less(n, best)) best = n;
  }
  return Value::number(best);
}

// Digit value of c in bases up to 62: 0-9, then a-z, then A-Z (case-insensitive up to 36),
// as Go's big.Int.SetString does.
int digit_value(char c, int base) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return base <= 36 ? c - 'A' + 10 : c - 'A' + 36;
  return 99;
}

Value parseint_fn(const Args& a, const CallContext&) {
  std::string s = str(a, 0, "number");
  int64_t base = whole(a, 1, "base");
  if (base < 2 || base > 62) fail(1, "base", "must be a whole number between 2 and 62 inclusive");
  auto bad = [&]() {
    fail(0, "number", fmt::format("cannot parse \"{}\" as a base {} integer", s, base));
  };
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  if (i == s.size()) bad();
  // Accumulate as a negative number so that INT64_MIN parses.
  int64_t acc = 0;
  for (; i < s.size(); ++i) {
    int d = digit_value(s[i], static_cast<int>(base));
    if (d >= base) bad();
    if (acc < (std::numeric_limits<int64_t>::min() + d) / base) {
      fail(0, "number", fmt::format("\"{}\" is too large for a 64-bit integer", s));
    }
    acc = acc * base - d;
  }
  if (!neg) {
    if (acc == std::numeric_limits<int64_t>::min()) {
      fail(0, "number", fmt::format("\"{}\" is too large for a 64-bit integer", s));
    }
    acc = -acc;
  }
  return Value::number(acc);
}

Value pow_fn(const Args& a, const CallContext&) {
  Number x = num(a, 0, "num");
  Number y = num(a, 1, "power");
  // Exact integer powers while they fit.
  if (x.is_int && y.is_int && y.i >= 0 && y.i < 64) {
    __int128 r = 1;
    bool fits = true;
    for (int64_t k = 0; k < y.i && fits; ++k) {
      r *= x.i;
      fits = r <= std::numeric_limits<int64_t>::max() && r >= std::numeric_limits<int64_t>::min();
    }
    if (fits) return Value::number(static_cast<int64_t>(r));
  }
  return number_of(std::pow(x.as_double(), y.as_double()));
}

Value signum_fn(const Args& a, const CallContext&) {
  double d = num(a, 0, "num").as_double();
  return Value::number(d > 0 ? 1 : (d < 0 ? -1 : 0));
}

Value sum_fn(const Args& a, const CallContext&) {
  ValueList elems = seq(a, 0, "list");
  if (elems.empty()) fail(0, "list", "cannot sum an empty list");
  bool exact = true;
  __int128 isum = 0;
  double dsum = 0;
  for (size_t i = 0; i < elems.size(); ++i) {
    Args one{elems[i]};
    if (elems[i].is_null()) fail(0, "list", fmt::format("element {} is null", i));
    Number n;
    try {
      n = num(one, 0, "list");
    } catch (const ArgError&) {
      fail(0, "list", fmt::format("element {}: number required", i));
    }
    dsum += n.as_double();
    if (n.is_int && exact) {
      isum += n.i;
      exact = isum <= std::numeric_limits<int64_t>::max() &&
              isum >= std::numeric_limits<int64_t>::min();
    } else {
      exact = false;
    }
  }
  return exact ? Value::number(static_cast<int64_t>(isum)) : number_of(dsum);
}

}  // namespace

void add_numeric(Functions& f) {
  Type n = Type::number();
  f.add(make("abs", 1, 1, "abs(num)", returns(n), abs_fn));
  f.add(make("ceil", 1, 1, "ceil(num)", returns(n), ceil_fn));
  f.add(make("floor", 1, 1, "floor(num)", returns(n), floor_fn));
  f.add(make("log", 2, 2, "log(num, base)", returns(n), log_fn));
  f.add(make("max", 1, -1, "max(numbers...)", returns(n),
             [](const Args& a, const CallContext&) { return extreme(a, true); }));
  f.add(make("min", 1, -1, "min(numbers...)", returns(n),
             [](const Args& a, const CallContext&) { return extreme(a, false); }));
  f.add(make("parseint", 2, 2, "parseint(number, base)", returns(n), parseint_fn));
  f.add(make("pow", 2, 2, "pow(num, power)", returns(n), pow_fn));
  f.add(make("signum", 1, 1, "signum(num)", returns(n), signum_fn));
  f.add(make("sum", 1, 1, "sum(list)", returns(n), sum_fn));
}

}  // namespace orch::fn
