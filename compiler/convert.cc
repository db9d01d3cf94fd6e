// Type conversion and unification of values, following HCL/cty's rules.
#include "compiler/convert.h"

#include <charconv>
#include <set>

#include <fmt/format.h>

namespace orch {

namespace {

std::string kind_name(const Type& t) {
  switch (t.kind) {
    case TypeKind::List:
      return "list";
    case TypeKind::Set:
      return "set";
    case TypeKind::Map:
      return "map";
    case TypeKind::Object:
      return "object";
    case TypeKind::Tuple:
      return "tuple";
    default:
      return t.str();
  }
}

// Whether a value of type `from` can (possibly) convert to `to`; used for unknown values,
// whose contents we cannot inspect.
bool convertible(const Type& from, const Type& to) {
  if (from.is_any() || to.is_any() || from == to) return true;
  if (to.is_primitive()) {
    if (!from.is_primitive()) return false;
    return from.kind == TypeKind::String || to.kind == TypeKind::String;
  }
  switch (to.kind) {
    case TypeKind::List:
    case TypeKind::Set:
      if (from.kind == TypeKind::List || from.kind == TypeKind::Set) {
        return convertible(from.element(), to.element());
      }
      if (from.kind == TypeKind::Tuple) {
        for (const auto& e : from.elements()) {
          if (!convertible(e, to.element())) return false;
        }
        return true;
      }
      return false;
    case TypeKind::Map:
      if (from.kind == TypeKind::Map) return convertible(from.element(), to.element());
      if (from.kind == TypeKind::Object) {
        for (const auto& [k, a] : from.attributes()) {
          if (!convertible(a, to.element())) return false;
        }
        return true;
      }
      return false;
    case TypeKind::Object:
      if (from.kind == TypeKind::Map) return true;
      if (from.kind != TypeKind::Object) return false;
      for (const auto& [k, a] : to.attributes()) {
        auto it = from.attributes().find(k);
        if (it == from.attributes().end()) {
          if (!to.is_optional(k)) return false;
        } else if (!convertible(it->second, a)) {
          return false;
        }
      }
      return true;
    case TypeKind::Tuple:
      if (from.kind == TypeKind::Tuple) {
        if (from.elements().size() != to.elements().size()) return false;
        for (size_t i = 0; i < to.elements().size(); ++i) {
          if (!convertible(from.elements()[i], to.elements()[i])) return false;
        }
        return true;
      }
      return from.kind == TypeKind::List || from.kind == TypeKind::Set;
    default:
      return false;
  }
}

std::optional<Value> conv(const Value& v, const Type& t, std::string& why);

// Converts every element to `elem`, unifying the elements' own types when `elem` is any.
std::optional<ValueList> conv_elements(const ValueList& in, Type elem, Type* chosen,
                                       std::string& why) {
  if (elem.is_any()) {
    std::vector<Type> types;
    for (const auto& e : in) types.push_back(e.type());
    bool ok = true;
    elem = unify(types, &ok);
    if (!ok) {
      why = "all elements must have the same type";
      return std::nullopt;
    }
  }
  ValueList out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    auto c = conv(in[i], elem, why);
    if (!c) {
      why = fmt::format("element {}: {}", i, why);
      return std::nullopt;
    }
    out.push_back(std::move(*c));
  }
  *chosen = elem;
  return out;
}

std::optional<Value> conv_primitive(const Value& v, const Type& t, std::string& why) {
  switch (t.kind) {
    case TypeKind::String:
      if (auto s = primitive_to_string(v)) return Value::string(*s);
      why = "string required";
      return std::nullopt;
    case TypeKind::Number:
      if (v.kind() == ValueKind::Number) return v;
      if (v.kind() == ValueKind::String) {
        if (auto n = parse_number(v.as_string())) return Value::number(*n);
        why = fmt::format("cannot convert {} to number: a decimal number is required",
                          v.to_display());
        return std::nullopt;
      }
      why = "number required";
      return std::nullopt;
    case TypeKind::Bool:
      if (v.kind() == ValueKind::Bool) return v;
      if (v.kind() == ValueKind::String) {
        if (v.as_string() == "true") return Value::boolean(true);
        if (v.as_string() == "false") return Value::boolean(false);
        why = fmt::format("cannot convert {} to bool: only \"true\" or \"false\" are allowed",
                          v.to_display());
        return std::nullopt;
      }
      why = "bool required";
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

std::optional<Value> conv_object(const Value& v, const Type& t, std::string& why) {
  if (!v.is_mapping()) {
    why = "object required";
    return std::nullopt;
  }
  ValueMap out;
  for (const auto& [name, at] : t.attributes()) {
    auto it = v.attributes().find(name);
    bool absent = it == v.attributes().end();
    if (absent || (it->second.is_null() && !it->second.is_unknown())) {
      if (const Value* d = t.optional_default(name)) {
        out.emplace(name, it != v.attributes().end() && it->second.is_sensitive()
                              ? d->mark_sensitive()
                              : *d);
        continue;
      }
    }
    if (absent) {
      if (t.is_optional(name)) {
        out.emplace(name, Value::null(at));
        continue;
      }
      why = fmt::format("attribute \"{}\" is required", name);
      return std::nullopt;
    }
    auto c = conv(it->second, at, why);
    if (!c) {
      why = fmt::format("attribute \"{}\": {}", name, why);
      return std::nullopt;
    }
    out.emplace(name, std::move(*c));
  }
  return Value::object(std::move(out));
}

std::optional<Value> conv_tuple(const Value& v, const Type& t, std::string& why) {
  const auto& types = t.elements();
  if (!v.is_sequence()) {
    why = "tuple required";
    return std::nullopt;
  }
  if (v.length() != types.size()) {
    why = fmt::format("tuple required with {} elements, got {}", types.size(), v.length());
    return std::nullopt;
  }
  ValueList out;
  for (size_t i = 0; i < types.size(); ++i) {
    auto c = conv(v.elements()[i], types[i], why);
    if (!c) {
      why = fmt::format("element {}: {}", i, why);
      return std::nullopt;
    }
    out.push_back(std::move(*c));
  }
  return Value::tuple(std::move(out));
}

std::optional<Value> conv(const Value& v, const Type& t, std::string& why) {
  if (v.is_sensitive()) {
    auto c = conv(v.unmarked(), t, why);
    if (c) return c->mark_sensitive();
    // The reason may quote the value: say only what was expected.
    why = fmt::format("sensitive value cannot be converted to {}", t.str());
    return std::nullopt;
  }
  if (t.is_any()) return v;
  if (v.is_null()) return Value::null(t);
  if (v.is_unknown()) {
    if (!convertible(v.type(), t)) {
      why = fmt::format("{} required", kind_name(t));
      return std::nullopt;
    }
    return Value::unknown(t);
  }
  if (t.is_primitive()) return conv_primitive(v, t, why);
  switch (t.kind) {
    case TypeKind::List:
    case TypeKind::Set: {
      if (!v.is_sequence()) {
        why = kind_name(t) + " required";
        return std::nullopt;
      }
      Type elem;
      auto elems = conv_elements(v.elements(), t.element(), &elem, why);
      if (!elems) return std::nullopt;
      return t.kind == TypeKind::List ? Value::list(std::move(*elems), elem)
                                      : Value::set(std::move(*elems), elem);
    }
    case TypeKind::Map: {
      if (!v.is_mapping()) {
        why = "map required";
        return std::nullopt;
      }
      Type elem = t.element();
      if (elem.is_any()) {
        std::vector<Type> types;
        for (const auto& [k, e] : v.attributes()) types.push_back(e.type());
        bool ok = true;
        elem = unify(types, &ok);
        if (!ok) {
          why = "all map elements must have the same type";
          return std::nullopt;
        }
      }
      ValueMap out;
      for (const auto& [k, e] : v.attributes()) {
        auto c = conv(e, elem, why);
        if (!c) {
          why = fmt::format("attribute \"{}\": {}", k, why);
          return std::nullopt;
        }
        out.emplace(k, std::move(*c));
      }
      return Value::map(std::move(out), elem);
    }
    case TypeKind::Object:
      return conv_object(v, t, why);
    case TypeKind::Tuple:
      return conv_tuple(v, t, why);
    default:
      return std::nullopt;
  }
}

bool all_kind(const std::vector<Type>& ts, TypeKind k) {
  for (const auto& t : ts) {
    if (t.kind != k) return false;
  }
  return true;
}

}  // namespace

std::optional<Value> convert(const Value& v, const Type& t, std::string* why) {
  std::string reason;
  auto r = conv(v, t, reason);
  if (!r && why) *why = reason;
  return r;
}

Type unify(const std::vector<Type>& in, bool* ok) {
  if (ok) *ok = true;
  std::vector<Type> ts;
  for (const auto& t : in) {
    if (!t.is_any()) ts.push_back(t);
  }
  if (ts.empty()) return Type::any();
  bool same = true;
  for (const auto& t : ts) same = same && t == ts[0];
  if (same) return ts[0];

  auto fail = [&]() {
    if (ok) *ok = false;
    return Type::any();
  };
  auto unify_all = [&](const std::vector<Type>& parts, bool* sub_ok) {
    return unify(parts, sub_ok);
  };

  bool all_primitive = true;
  bool any_string = false;
  for (const auto& t : ts) {
    all_primitive = all_primitive && t.is_primitive();
    any_string = any_string || t.kind == TypeKind::String;
  }
  if (all_primitive) return any_string ? Type::string() : fail();

  bool sub_ok = true;
  if (all_kind(ts, TypeKind::Tuple)) {
    size_t n = ts[0].elements().size();
    bool same_len = true;
    for (const auto& t : ts) same_len = same_len && t.elements().size() == n;
    if (same_len) {
      std::vector<Type> elems;
      for (size_t i = 0; i < n; ++i) {
        std::vector<Type> column;
        for (const auto& t : ts) column.push_back(t.elements()[i]);
        elems.push_back(unify_all(column, &sub_ok));
        if (!sub_ok) return fail();
      }
      return Type::tuple(std::move(elems));
    }
  }
  if (all_kind(ts, TypeKind::Object)) {
    bool same_keys = true;
    for (const auto& t : ts) {
      if (t.attributes().size() != ts[0].attributes().size()) same_keys = false;
      for (const auto& [k, a] : t.attributes()) {
        same_keys = same_keys && ts[0].attributes().count(k) > 0;
      }
    }
    if (same_keys) {
      std::map<std::string, Type> attrs;
      for (const auto& [k, a] : ts[0].attributes()) {
        std::vector<Type> column;
        for (const auto& t : ts) column.push_back(t.attributes().at(k));
        attrs.emplace(k, unify_all(column, &sub_ok));
        if (!sub_ok) return fail();
      }
      return Type::object(std::move(attrs));
    }
  }

  // Sequences unify to a list (or a set when every member is a set); mappings to a map.
  bool sequences = true, mappings = true, sets = true;
  std::vector<Type> members;
  for (const auto& t : ts) {
    switch (t.kind) {
      case TypeKind::List:
      case TypeKind::Set:
        mappings = false;
        sets = sets && t.kind == TypeKind::Set;
        members.push_back(t.element());
        break;
      case TypeKind::Tuple:
        mappings = false;
        sets = false;
        for (const auto& e : t.elements()) members.push_back(e);
        break;
      case TypeKind::Map:
        sequences = false;
        members.push_back(t.element());
        break;
      case TypeKind::Object:
        sequences = false;
        for (const auto& [k, a] : t.attributes()) members.push_back(a);
        break;
      default:
        return fail();
    }
  }
  if (!sequences && !mappings) return fail();
  Type elem = unify_all(members, &sub_ok);
  if (!sub_ok) return fail();
  if (mappings) return Type::map(elem);
  return sets ? Type::set(elem) : Type::list(elem);
}

std::optional<Number> parse_number(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t digits = 0, frac = 0;
  bool integral = true;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    integral = false;
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++frac;
  }
  if (digits + frac == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    integral = false;
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t exp = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp;
    if (exp == 0) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  std::string_view body = s[0] == '+' ? s.substr(1) : s;
  if (integral) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
    if (ec == std::errc() && p == body.data() + body.size()) return Number::of(v);
  }
  double d = 0;
  auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), d);
  if (ec != std::errc() || p != body.data() + body.size()) return std::nullopt;
  return Number::of(d);
}

std::optional<std::string> primitive_to_string(const Value& v) {
  switch (v.kind()) {
    case ValueKind::String:
      return v.as_string();
    case ValueKind::Number:
      return format_number(v.as_number());
    case ValueKind::Bool:
      return std::string(v.as_bool() ? "true" : "false");
    default:
      return std::nullopt;
  }
}

}  // namespace orch
