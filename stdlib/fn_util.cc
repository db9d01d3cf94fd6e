// Helpers shared by the built-in function families.
#include "stdlib/fn_util.h"

#include <fmt/format.h>

#include "compiler/convert.h"

namespace orch::fn {

Function make(std::string name, int min_args, int max_args, std::string signature,
              ResultType result, Body body, bool handles_unknown) {
  Function f;
  f.name = std::move(name);
  f.min_args = min_args;
  f.max_args = max_args;
  f.signature = std::move(signature);
  f.handles_unknown = handles_unknown;
  f.result_type = result;
  f.impl = [body = std::move(body), result](const Args& args,
                                            const CallContext& ctx) -> CallResult {
    try {
      return CallResult{body(args, ctx), "", -1};
    } catch (const ArgError& e) {
      return CallResult{Value(), e.message, e.arg};
    } catch (const UnknownResult&) {
      return CallResult{Value::unknown(result ? result(args) : Type::any()), "", -1};
    }
  };
  return f;
}

ResultType returns(Type t) {
  return [t](const Args&) { return t; };
}

void fail(int arg, std::string_view param, std::string_view message) {
  throw ArgError{arg, fmt::format("invalid value for \"{}\" parameter: {}", param, message)};
}

void fail_call(std::string message) {
  throw ArgError{-1, std::move(message)};
}

Value arg_as(const Args& args, int i, std::string_view param, const Type& t) {
  const Value& v = args.at(static_cast<size_t>(i));
  if (v.is_null()) fail(i, param, "argument must not be null");
  std::string why;
  auto c = convert(v, t, &why);
  if (!c) fail(i, param, why);
  if (c->is_unknown()) throw UnknownResult{};
  return c->unmarked();
}

std::string str(const Args& args, int i, std::string_view param) {
  return arg_as(args, i, param, Type::string()).as_string();
}

Number num(const Args& args, int i, std::string_view param) {
  return arg_as(args, i, param, Type::number()).as_number();
}

int64_t whole(const Args& args, int i, std::string_view param) {
  Number n = num(args, i, param);
  if (!n.is_int) fail(i, param, "a whole number is required");
  return n.i;
}

bool boolean(const Args& args, int i, std::string_view param) {
  return arg_as(args, i, param, Type::boolean()).as_bool();
}

ValueList seq(const Args& args, int i, std::string_view param) {
  const Value& v = args.at(static_cast<size_t>(i));
  if (v.is_null()) fail(i, param, "argument must not be null");
  if (v.is_unknown()) throw UnknownResult{};
  if (!v.is_sequence()) fail(i, param, "list, set or tuple required");
  return v.elements();
}

ValueMap mapping(const Args& args, int i, std::string_view param) {
  const Value& v = args.at(static_cast<size_t>(i));
  if (v.is_null()) fail(i, param, "argument must not be null");
  if (v.is_unknown()) throw UnknownResult{};
  if (!v.is_mapping()) fail(i, param, "map or object required");
  return v.attributes();
}

std::vector<std::string> strings(const Args& args, int i, std::string_view param) {
  std::vector<std::string> out;
  ValueList elems = seq(args, i, param);
  for (size_t k = 0; k < elems.size(); ++k) {
    const Value& e = elems[k];
    if (e.is_unknown()) throw UnknownResult{};
    if (e.is_null()) fail(i, param, fmt::format("element {} is null", k));
    auto s = primitive_to_string(e);
    if (!s) fail(i, param, fmt::format("element {}: string required", k));
    out.push_back(*s);
  }
  return out;
}

void require_known(const Value& v) {
  if (!v.is_wholly_known()) throw UnknownResult{};
}

namespace {
Type unified_element(const ValueList& elems) {
  std::vector<Type> types;
  for (const auto& e : elems) types.push_back(e.type());
  bool ok = true;
  Type t = unify(types, &ok);
  return ok ? t : Type::any();
}

// Converts the elements to their unified type so a list never mixes "1" and 1.
ValueList uniform(ValueList elems, const Type& t) {
  if (t.is_any()) return elems;
  for (auto& e : elems) {
    if (auto c = convert(e, t)) e = *c;
  }
  return elems;
}
}  // namespace

Value make_list(ValueList elems) {
  Type t = unified_element(elems);
  return Value::list(uniform(std::move(elems), t), t);
}

Value make_set(ValueList elems) {
  Type t = unified_element(elems);
  return Value::set(uniform(std::move(elems), t), t);
}

std::vector<std::string> utf8_chars(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
    if (i + n > s.size()) n = 1;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) {
        n = 1;
        break;
      }
    }
    out.emplace_back(s.substr(i, n));
    i += n;
  }
  return out;
}

std::vector<char32_t> utf8_decode(std::string_view s) {
  std::vector<char32_t> out;
  for (const auto& ch : utf8_chars(s)) {
    auto b0 = static_cast<unsigned char>(ch[0]);
    char32_t c = 0;
    if (ch.size() == 1) {
      c = b0;
    } else {
      c = b0 & (0xFF >> (ch.size() + 1));
      for (size_t k = 1; k < ch.size(); ++k)
        c = (c << 6) | (static_cast<unsigned char>(ch[k]) & 0x3F);
    }
    out.push_back(c);
  }
  return out;
}

std::string utf8_encode(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
  return out;
}

bool utf8_valid(std::string_view s) {
  for (const auto& ch : utf8_chars(s)) {
    if (ch.size() == 1 && static_cast<unsigned char>(ch[0]) >= 0x80) return false;
  }
  return true;
}

}  // namespace orch::fn
