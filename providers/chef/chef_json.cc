// Chef JSON ↔ values and attribute paths (see chef_json.h).
#include "providers/chef/chef_json.h"

#include <cmath>

#include "compiler/convert.h"

namespace orch::chef {

Json to_json(const Value& v) {
  switch (v.kind()) {
    case ValueKind::Null:
    case ValueKind::Unknown:
      return nullptr;
    case ValueKind::Bool:
      return v.as_bool();
    case ValueKind::Number: {
      const Number& n = v.as_number();
      if (n.is_int) return n.i;
      return n.d;
    }
    case ValueKind::String:
      return v.as_string();
    case ValueKind::List:
    case ValueKind::Set:
    case ValueKind::Tuple: {
      Json a = Json::array();
      for (const auto& e : v.elements()) a.push_back(to_json(e));
      return a;
    }
    case ValueKind::Map:
    case ValueKind::Object: {
      Json o = Json::object();
      for (const auto& [k, e] : v.attributes()) o[k] = to_json(e);
      return o;
    }
  }
  return nullptr;
}

namespace {

Value dynamic(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
    case Json::value_t::discarded:
      return Value::null();
    case Json::value_t::boolean:
      return Value::boolean(j.get<bool>());
    case Json::value_t::number_integer:
      return Value::number(j.get<int64_t>());
    case Json::value_t::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      if (u <= static_cast<uint64_t>(INT64_MAX)) return Value::number(static_cast<int64_t>(u));
      return Value::number(static_cast<double>(u));
    }
    case Json::value_t::number_float:
      return Value::number(j.get<double>());
    case Json::value_t::string:
      return Value::string(j.get<std::string>());
    case Json::value_t::array: {
      ValueList l;
      for (const auto& e : j) l.push_back(dynamic(e));
      return Value::tuple(std::move(l));
    }
    case Json::value_t::object: {
      ValueMap m;
      for (const auto& [k, e] : j.items()) m[k] = dynamic(e);
      return Value::object(std::move(m));
    }
    case Json::value_t::binary:
      return Value::null();
  }
  return Value::null();
}

}  // namespace

Value from_json(const Json& j, const Type& t) {
  if (t.is_any()) return dynamic(j);
  if (j.is_null()) return Value::null(t);
  switch (t.kind) {
    case TypeKind::List:
    case TypeKind::Set: {
      ValueList l;
      if (j.is_array())
        for (const auto& e : j) l.push_back(from_json(e, t.element()));
      return t.kind == TypeKind::List ? Value::list(std::move(l), t.element())
                                      : Value::set(std::move(l), t.element());
    }
    case TypeKind::Map: {
      ValueMap m;
      if (j.is_object())
        for (const auto& [k, e] : j.items()) m[k] = from_json(e, t.element());
      return Value::map(std::move(m), t.element());
    }
    default: {
      Value v = dynamic(j);
      auto c = convert(v, t);
      return c ? *c : v;
    }
  }
}

Value normalize(const Value& v, const Type& t) {
  if (!v.is_wholly_known()) {
    if (v.is_unknown()) return Value::unknown(t);
    return v;
  }
  if (v.is_null()) return Value::null(t);
  Value out = from_json(to_json(v.unmarked()), t);
  return v.contains_sensitive() ? out.mark_sensitive() : out;
}

std::string path_string(const JsonPath& p) {
  std::string out;
  for (const auto& s : p) out += (out.empty() ? "" : ".") + s;
  return out;
}

namespace {

void collect(const Json& j, JsonPath& prefix, std::vector<JsonPath>& out) {
  for (const auto& [k, v] : j.items()) {
    prefix.push_back(k);
    if (v.is_object() && !v.empty())
      collect(v, prefix, out);
    else
      out.push_back(prefix);
    prefix.pop_back();
  }
}

}  // namespace

std::vector<JsonPath> leaf_paths(const Json& object) {
  std::vector<JsonPath> out;
  if (!object.is_object()) return out;
  JsonPath prefix;
  collect(object, prefix, out);
  return out;
}

const Json* get_path(const Json& root, const JsonPath& path) {
  const Json* cur = &root;
  for (const auto& k : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(k);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

void set_path(Json& root, const JsonPath& path, Json value) {
  if (path.empty()) {
    root = std::move(value);
    return;
  }
  Json* cur = &root;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    if (!cur->is_object()) *cur = Json::object();
    cur = &(*cur)[path[i]];
  }
  if (!cur->is_object()) *cur = Json::object();
  (*cur)[path.back()] = std::move(value);
}

bool erase_path(Json& root, const JsonPath& path) {
  if (path.empty() || !root.is_object()) return false;
  std::vector<Json*> chain{&root};
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    Json* cur = chain.back();
    auto it = cur->find(path[i]);
    if (it == cur->end() || !it->is_object()) return false;
    chain.push_back(&*it);
  }
  if (chain.back()->erase(path.back()) == 0) return false;
  // Prune the objects this removal emptied, deepest first (never the root).
  for (size_t i = chain.size() - 1; i > 0; --i) {
    if (!chain[i]->empty()) break;
    chain[i - 1]->erase(path[i - 1]);
  }
  return true;
}

}  // namespace orch::chef
