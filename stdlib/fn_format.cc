// String formatting: format and formatlist, with Terraform's verbs (%v %#v %s %q %t %d %b %o
// %x %X %e %E %f %g %G %%), flags (+ - # 0 space), width, precision and %[n] argument indexes.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "compiler/convert.h"
#include "compiler/quote.h"
#include "stdlib/fn_util.h"

namespace orch::fn {

namespace {

struct Spec {
  bool plus = false, minus = false, sharp = false, zero = false, space = false;
  int width = -1;
  int precision = -1;
  char verb = 0;
};

// Pads to the width, counting code points as Go does.
std::string pad(std::string s, const Spec& sp, bool numeric) {
  auto len = static_cast<int>(utf8_chars(s).size());
  if (sp.width <= len) return s;
  size_t n = static_cast<size_t>(sp.width - len);
  if (sp.minus) return s + std::string(n, ' ');
  if (sp.zero && numeric) {
    size_t sign = (!s.empty() && (s[0] == '-' || s[0] == '+' || s[0] == ' ')) ? 1 : 0;
    return s.substr(0, sign) + std::string(n, '0') + s.substr(sign);
  }
  return std::string(n, ' ') + s;
}

[[noreturn]] void bad_value(const std::string& verb, size_t pos, const std::string& why) {
  fail_call(fmt::format("unsupported value for \"{}\" at {}: {}", verb, pos, why));
}

std::string integer_text(const Value& v, const Spec& sp, const std::string& verb, size_t pos) {
  auto c = convert(v, Type::number());
  if (!c) bad_value(verb, pos, "number required");
  Number n = c->unmarked().as_number();
  if (!n.is_int) bad_value(verb, pos, "an integer is required");
  unsigned __int128 mag = n.i < 0 ? static_cast<unsigned __int128>(-(n.i + 1)) + 1
                                  : static_cast<unsigned __int128>(n.i);
  unsigned base = sp.verb == 'b'                       ? 2
                  : sp.verb == 'o'                     ? 8
                  : (sp.verb == 'x' || sp.verb == 'X') ? 16
                                                       : 10;
  const char* digits = sp.verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string body;
  do {
    body.insert(body.begin(), digits[static_cast<unsigned>(mag % base)]);
    mag /= base;
  } while (mag > 0);
  if (sp.precision >= 0 && static_cast<int>(body.size()) < sp.precision) {
    body.insert(0, static_cast<size_t>(sp.precision) - body.size(), '0');
  }
  if (sp.sharp) {
    if (base == 16) body.insert(0, sp.verb == 'X' ? "0X" : "0x");
    if (base == 8 && body[0] != '0') body.insert(0, "0");
    if (base == 2) body.insert(0, "0b");
  }
  std::string sign = n.i < 0 ? "-" : sp.plus ? "+" : sp.space ? " " : "";
  return pad(sign + body, sp, true);
}

std::string float_text(const Value& v, const Spec& sp, const std::string& verb, size_t pos) {
  auto c = convert(v, Type::number());
  if (!c) bad_value(verb, pos, "number required");
  double d = c->unmarked().as_number().as_double();
  std::string f = "%";
  if (sp.plus) f += '+';
  if (sp.space) f += ' ';
  if (sp.sharp) f += '#';
  if (sp.precision >= 0) f += "." + std::to_string(sp.precision);
  f += sp.verb;
  char buf[512];
  std::snprintf(buf, sizeof buf, f.c_str(), d);
  return pad(buf, sp, true);
}

std::string format_one(const Value& raw, const Spec& sp, const std::string& verb, size_t pos) {
  if (raw.is_null()) bad_value(verb, pos, "null value cannot be formatted");
  Value v = raw.unmarked();
  switch (sp.verb) {
    case 'v':
      if (sp.sharp) return pad(json_encode(v), sp, false);
      if (auto s = primitive_to_string(v)) return pad(*s, sp, false);
      return pad(json_encode(v), sp, false);
    case 's':
    case 'q': {
      auto c = convert(v, Type::string());
      if (!c) bad_value(verb, pos, "string required");
      std::string s = c->unmarked().as_string();
      if (sp.precision >= 0) {
        auto chars = utf8_chars(s);
        if (static_cast<int>(chars.size()) > sp.precision) {
          s.clear();
          for (int i = 0; i < sp.precision; ++i) s += chars[static_cast<size_t>(i)];
        }
      }
      return pad(sp.verb == 'q' ? quote_json_string(s) : s, sp, false);
    }
    case 't': {
      auto c = convert(v, Type::boolean());
      if (!c) bad_value(verb, pos, "bool required");
      return pad(c->unmarked().as_bool() ? "true" : "false", sp, false);
    }
    case 'd':
    case 'b':
    case 'o':
    case 'x':
    case 'X':
      return integer_text(v, sp, verb, pos);
    case 'e':
    case 'E':
    case 'f':
    case 'g':
    case 'G':
      return float_text(v, sp, verb, pos);
    default:
      fail_call(fmt::format("unsupported format verb \"{}\" at {}", verb, pos));
  }
}

// Formats `spec` with `args`; throws ArgError (arg 0 for spec problems).
std::string format_text(const std::string& spec, const ValueList& args) {
  std::string out;
  size_t next = 0;
  std::vector<bool> used(args.size(), false);
  for (size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] != '%') {
      out += spec[i];
      continue;
    }
    size_t start = i++;
    if (i < spec.size() && spec[i] == '%') {
      out += '%';
      continue;
    }
    Spec sp;
    for (; i < spec.size(); ++i) {
      char c = spec[i];
      if (c == '+')
        sp.plus = true;
      else if (c == '-')
        sp.minus = true;
      else if (c == '#')
        sp.sharp = true;
      else if (c == '0')
        sp.zero = true;
      else if (c == ' ')
        sp.space = true;
      else
        break;
    }
    if (i < spec.size() && spec[i] == '[') {
      size_t close = spec.find(']', i);
      std::string idx = close == std::string::npos ? "" : spec.substr(i + 1, close - i - 1);
      if (idx.empty() || !std::all_of(idx.begin(), idx.end(), ::isdigit) || idx.size() > 6) {
        fail(0, "format", fmt::format("invalid argument index at {}", start));
      }
      next = std::stoul(idx) - 1;
      i = close + 1;
    }
    auto read_int = [&]() {
      int n = 0;
      while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i]))) {
        n = std::min(n * 10 + (spec[i++] - '0'), 100000);
      }
      return n;
    };
    if (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i]))) sp.width = read_int();
    if (i < spec.size() && spec[i] == '.') {
      ++i;
      sp.precision = read_int();
    }
    if (i >= spec.size()) fail(0, "format", fmt::format("unterminated format verb at {}", start));
    sp.verb = spec[i];
    std::string verb = spec.substr(start, i - start + 1);
    if (std::string_view("vsqtdboxXeEfgG").find(sp.verb) == std::string_view::npos) {
      fail(0, "format", fmt::format("unsupported format verb \"{}\" at {}", verb, start));
    }
    if (next >= args.size()) {
      fail_call(
          fmt::format("not enough arguments for \"{}\" at {}: need index {} but have {} total",
                      verb, start, next + 1, args.size()));
    }
    used[next] = true;
    out += format_one(args[next], sp, verb, start);
    ++next;
  }
  for (size_t k = 0; k < used.size(); ++k) {
    if (!used[k]) {
      throw ArgError{
          static_cast<int>(k + 1),
          fmt::format("too many arguments; argument {} is not used by the format", k + 1)};
    }
  }
  return out;
}

Value format_fn(const Args& a, const CallContext&) {
  std::string spec = str(a, 0, "format");
  return Value::string(format_text(spec, ValueList(a.begin() + 1, a.end())));
}

Value formatlist_fn(const Args& a, const CallContext&) {
  std::string spec = str(a, 0, "format");
  // Lists are iterated together; other arguments repeat on every line.
  size_t n = 0;
  bool any_list = false;
  for (size_t i = 1; i < a.size(); ++i) {
    if (!a[i].is_sequence()) continue;
    if (any_list && a[i].length() != n) {
      fail(static_cast<int>(i), "args",
           fmt::format("argument {} has length {}, which is inconsistent with {}", i, a[i].length(),
                       n));
    }
    any_list = true;
    n = a[i].length();
  }
  if (!any_list) n = 1;
  ValueList out;
  for (size_t k = 0; k < n; ++k) {
    ValueList row;
    for (size_t i = 1; i < a.size(); ++i) {
      row.push_back(a[i].is_sequence() ? a[i].elements()[k] : a[i]);
    }
    out.push_back(Value::string(format_text(spec, row)));
  }
  return Value::list(std::move(out), Type::string());
}

}  // namespace

void add_format(Functions& f) {
  f.add(make("format", 1, -1, "format(format, args...)", returns(Type::string()), format_fn));
  f.add(make("formatlist", 1, -1, "formatlist(format, args...)",
             returns(Type::list(Type::string())), formatlist_fn));
}

}  // namespace orch::fn
