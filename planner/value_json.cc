// Exact JSON encoding of values and types (see value_json.h for the format).
#include "planner/value_json.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "planner/state.h"

namespace orch {

using nlohmann::json;

bool fail_at(std::string* error, const std::string& where, const AttributePath& path,
             const std::string& message) {
  if (error) {
    std::string p = path_str(path);
    std::string at = where.empty() ? p : (p.empty() ? where : where + "." + p);
    *error = at.empty() ? message : at + ": " + message;
  }
  return false;
}

Type implied_element(const ValueList& elems) {
  if (elems.empty()) return Type::any();
  Type first = elems[0].type();
  for (size_t i = 1; i < elems.size(); ++i) {
    if (elems[i].type() != first) return Type::any();
  }
  return first;
}

Type implied_element(const ValueMap& elems) {
  if (elems.empty()) return Type::any();
  Type first = elems.begin()->second.type();
  for (const auto& [k, e] : elems) {
    if (e.type() != first) return Type::any();
  }
  return first;
}

namespace {

bool has_dollar_key(const ValueMap& m) {
  for (const auto& [k, v] : m) {
    if (!k.empty() && k[0] == '$') return true;
  }
  return false;
}

bool encode(const Value& v, json& out, std::string* error, const std::string& where,
            AttributePath& path);

bool encode_seq(const ValueList& elems, json& out, std::string* error, const std::string& where,
                AttributePath& path) {
  out = json::array();
  for (size_t i = 0; i < elems.size(); ++i) {
    path.emplace_back(static_cast<int64_t>(i));
    json e;
    if (!encode(elems[i], e, error, where, path)) return false;
    out.push_back(std::move(e));
    path.pop_back();
  }
  return true;
}

bool encode_map(const ValueMap& m, json& out, std::string* error, const std::string& where,
                AttributePath& path) {
  out = json::object();
  for (const auto& [k, e] : m) {
    path.emplace_back(k);
    json je;
    if (!encode(e, je, error, where, path)) return false;
    out[k] = std::move(je);
    path.pop_back();
  }
  return true;
}

bool encode(const Value& v, json& out, std::string* error, const std::string& where,
            AttributePath& path) {
  switch (v.kind()) {
    case ValueKind::Unknown:
      return fail_at(error, where, path,
                     "an unknown value (known only after apply) cannot be stored in state");
    case ValueKind::Null: {
      Type t = v.type();
      out = t.is_any() ? json(nullptr) : json{{"$null", type_to_json(t)}};
      return true;
    }
    case ValueKind::Bool:
      out = v.as_bool();
      return true;
    case ValueKind::Number: {
      const Number& n = v.as_number();
      if (n.is_int) {
        out = n.i;
      } else if (std::isfinite(n.d)) {
        out = n.d;
      } else {
        out = json{{"$number", format_number(n)}};
      }
      return true;
    }
    case ValueKind::String:
      out = v.as_string();
      return true;
    case ValueKind::Tuple: {
      json elems;
      if (!encode_seq(v.elements(), elems, error, where, path)) return false;
      out = json{{"$tuple", std::move(elems)}};
      return true;
    }
    case ValueKind::Object: {
      json attrs;
      if (!encode_map(v.attributes(), attrs, error, where, path)) return false;
      if (has_dollar_key(v.attributes())) {
        out = json{{"$object", std::move(attrs)}};
      } else {
        out = std::move(attrs);
      }
      return true;
    }
    case ValueKind::List:
    case ValueKind::Set: {
      json elems;
      if (!encode_seq(v.elements(), elems, error, where, path)) return false;
      Type elem = v.type().element();
      bool annotate = elem != implied_element(v.elements());
      if (v.kind() == ValueKind::List && !annotate) {
        out = std::move(elems);
        return true;
      }
      out = json::object();
      out[v.kind() == ValueKind::List ? "$list" : "$set"] = std::move(elems);
      if (annotate) out["$elem"] = type_to_json(elem);
      return true;
    }
    case ValueKind::Map: {
      json elems;
      if (!encode_map(v.attributes(), elems, error, where, path)) return false;
      out = json{{"$map", std::move(elems)}};
      Type elem = v.type().element();
      if (elem != implied_element(v.attributes())) out["$elem"] = type_to_json(elem);
      return true;
    }
  }
  return fail_at(error, where, path, "value of an unsupported kind");
}

bool decode(const json& j, Value& out, std::string* error, const std::string& where,
            AttributePath& path);

bool decode_seq(const json& j, ValueList& out, std::string* error, const std::string& where,
                AttributePath& path) {
  if (!j.is_array()) return fail_at(error, where, path, "expected a JSON array");
  out.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    path.emplace_back(static_cast<int64_t>(i));
    Value e;
    if (!decode(j[i], e, error, where, path)) return false;
    out.push_back(std::move(e));
    path.pop_back();
  }
  return true;
}

bool decode_map(const json& j, ValueMap& out, std::string* error, const std::string& where,
                AttributePath& path) {
  if (!j.is_object()) return fail_at(error, where, path, "expected a JSON object");
  for (const auto& [k, je] : j.items()) {
    path.emplace_back(k);
    Value e;
    if (!decode(je, e, error, where, path)) return false;
    out.emplace(k, std::move(e));
    path.pop_back();
  }
  return true;
}

bool decode_tagged(const json& j, Value& out, std::string* error, const std::string& where,
                   AttributePath& path) {
  Type elem = Type::any();
  bool has_elem = j.contains("$elem");
  if (has_elem) {
    std::string type_error;
    if (!type_from_json(j["$elem"], elem, &type_error)) {
      return fail_at(error, where, path, "bad $elem type: " + type_error);
    }
  }
  size_t expected_keys = has_elem ? 2 : 1;
  std::string tag;
  for (const auto& [k, v] : j.items()) {
    if (k != "$elem") tag = k;
  }
  if (j.size() != expected_keys || tag.empty()) {
    return fail_at(error, where, path, "malformed tagged value (expected one $-key)");
  }
  const json& body = j[tag];
  if (has_elem && tag != "$list" && tag != "$set" && tag != "$map") {
    return fail_at(error, where, path, "$elem is only allowed with $list, $set and $map");
  }
  if (tag == "$list" || tag == "$set" || tag == "$tuple") {
    ValueList elems;
    if (!decode_seq(body, elems, error, where, path)) return false;
    if (tag == "$list") out = Value::list(std::move(elems), elem);
    if (tag == "$set") out = Value::set(std::move(elems), elem);
    if (tag == "$tuple") out = Value::tuple(std::move(elems));
    return true;
  }
  if (tag == "$map" || tag == "$object") {
    ValueMap attrs;
    if (!decode_map(body, attrs, error, where, path)) return false;
    out = tag == "$map" ? Value::map(std::move(attrs), elem) : Value::object(std::move(attrs));
    return true;
  }
  if (tag == "$null") {
    Type t;
    std::string type_error;
    if (!type_from_json(body, t, &type_error)) {
      return fail_at(error, where, path, "bad $null type: " + type_error);
    }
    out = Value::null(t);
    return true;
  }
  if (tag == "$number") {
    std::string s = body.is_string() ? body.get<std::string>() : "";
    double d = 0;
    if (s == "NaN") {
      d = std::numeric_limits<double>::quiet_NaN();
    } else if (s == "Infinity") {
      d = std::numeric_limits<double>::infinity();
    } else if (s == "-Infinity") {
      d = -std::numeric_limits<double>::infinity();
    } else {
      return fail_at(error, where, path, "$number must be \"NaN\", \"Infinity\" or \"-Infinity\"");
    }
    out = Value::number(Number{false, 0, d});
    return true;
  }
  return fail_at(error, where, path, fmt::format("unknown tag `{}`", tag));
}

bool decode(const json& j, Value& out, std::string* error, const std::string& where,
            AttributePath& path) {
  switch (j.type()) {
    case json::value_t::null:
      out = Value::null();
      return true;
    case json::value_t::boolean:
      out = Value::boolean(j.get<bool>());
      return true;
    case json::value_t::number_integer:
      out = Value::number(Number::of(j.get<int64_t>()));
      return true;
    case json::value_t::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        out = Value::number(Number::of(static_cast<int64_t>(u)));
      } else {
        out = Value::number(Number{false, 0, static_cast<double>(u)});
      }
      return true;
    }
    case json::value_t::number_float:
      out = Value::number(Number{false, 0, j.get<double>()});
      return true;
    case json::value_t::string:
      out = Value::string(j.get<std::string>());
      return true;
    case json::value_t::array: {
      ValueList elems;
      if (!decode_seq(j, elems, error, where, path)) return false;
      out = Value::list(std::move(elems));
      return true;
    }
    case json::value_t::object: {
      for (const auto& [k, v] : j.items()) {
        if (!k.empty() && k[0] == '$') return decode_tagged(j, out, error, where, path);
      }
      ValueMap attrs;
      if (!decode_map(j, attrs, error, where, path)) return false;
      out = Value::object(std::move(attrs));
      return true;
    }
    default:
      return fail_at(error, where, path, "unsupported JSON value");
  }
}

}  // namespace

bool value_to_json(const Value& v, json& out, std::string* error, const std::string& where) {
  AttributePath path;
  return encode(v, out, error, where, path);
}

bool value_from_json(const json& j, Value& out, std::string* error, const std::string& where) {
  AttributePath path;
  return decode(j, out, error, where, path);
}

bool value_map_to_json(const ValueMap& m, json& out, std::string* error, const std::string& where) {
  AttributePath path;
  return encode_map(m, out, error, where, path);
}

bool value_map_from_json(const json& j, ValueMap& out, std::string* error,
                         const std::string& where) {
  AttributePath path;
  return decode_map(j, out, error, where, path);
}

json type_to_json(const Type& t) {
  switch (t.kind) {
    case TypeKind::Any:
      return "any";
    case TypeKind::Bool:
      return "bool";
    case TypeKind::Number:
      return "number";
    case TypeKind::String:
      return "string";
    case TypeKind::List:
      return json::array({"list", type_to_json(t.element())});
    case TypeKind::Set:
      return json::array({"set", type_to_json(t.element())});
    case TypeKind::Map:
      return json::array({"map", type_to_json(t.element())});
    case TypeKind::Tuple: {
      json elems = json::array();
      for (const auto& e : t.elements()) elems.push_back(type_to_json(e));
      return json::array({"tuple", std::move(elems)});
    }
    case TypeKind::Object: {
      json attrs = json::object();
      json optional = json::array();
      for (const auto& [k, a] : t.attributes()) {
        attrs[k] = type_to_json(a);
        if (t.is_optional(k)) optional.push_back(k);
      }
      json out = json::array({"object", std::move(attrs)});
      if (!optional.empty()) out.push_back(std::move(optional));
      return out;
    }
  }
  return "any";
}

bool type_from_json(const json& j, Type& out, std::string* error, const std::string& where) {
  auto bad = [&](const std::string& m) {
    if (error) *error = where.empty() ? m : where + ": " + m;
    return false;
  };
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == "any")
      out = Type::any();
    else if (s == "bool")
      out = Type::boolean();
    else if (s == "number")
      out = Type::number();
    else if (s == "string")
      out = Type::string();
    else
      return bad(fmt::format("unknown type `{}`", s));
    return true;
  }
  if (!j.is_array() || j.size() < 2 || !j[0].is_string()) {
    return bad("a type is a name or [kind, ...]");
  }
  std::string kind = j[0].get<std::string>();
  if (kind == "list" || kind == "set" || kind == "map") {
    Type elem;
    if (j.size() != 2 || !type_from_json(j[1], elem, error, where)) {
      return j.size() != 2 ? bad(kind + " takes one element type") : false;
    }
    out = kind == "list" ? Type::list(elem) : kind == "set" ? Type::set(elem) : Type::map(elem);
    return true;
  }
  if (kind == "tuple") {
    if (j.size() != 2 || !j[1].is_array()) return bad("tuple takes a list of element types");
    std::vector<Type> elems;
    for (const auto& e : j[1]) {
      Type t;
      if (!type_from_json(e, t, error, where)) return false;
      elems.push_back(std::move(t));
    }
    out = Type::tuple(std::move(elems));
    return true;
  }
  if (kind == "object") {
    if (j.size() > 3 || !j[1].is_object()) return bad("object takes a map of attribute types");
    std::map<std::string, Type> attrs;
    for (const auto& [k, e] : j[1].items()) {
      Type t;
      if (!type_from_json(e, t, error, where)) return false;
      attrs.emplace(k, std::move(t));
    }
    std::set<std::string> optional;
    if (j.size() == 3) {
      if (!j[2].is_array()) return bad("object's optional attributes are a list of names");
      for (const auto& o : j[2]) {
        if (!o.is_string()) return bad("object's optional attributes are a list of names");
        optional.insert(o.get<std::string>());
      }
    }
    out = optional.empty() ? Type::object(std::move(attrs))
                           : Type::object(std::move(attrs), std::move(optional));
    return true;
  }
  return bad(fmt::format("unknown type kind `{}`", kind));
}

}  // namespace orch
