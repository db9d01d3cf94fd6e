// Type constraint expressions (`list(string)`, `object({a = number})`) → Type.
#include <fmt/format.h>

#include <set>

#include "compiler/convert.h"
#include "compiler/eval.h"
#include "compiler/suggest.h"

namespace orch {

namespace {

const std::vector<std::string>& type_names() {
  static const std::vector<std::string> names = {"any",    "bool", "list",   "map",  "number",
                                                 "object", "set",  "string", "tuple"};
  return names;
}

Type invalid(const Expr& e, Diagnostics& diags, const std::string& detail) {
  diags.error(e.range, "Invalid type specification", detail);
  return Type::any();
}

Type parse(const Expr& e, Diagnostics& diags, bool in_object);

Type parse_object(const Expr& call, Diagnostics& diags) {
  if (call.children.size() != 1 || !call.children[0] ||
      call.children[0]->kind != ExprKind::Object) {
    return invalid(call, diags,
                   "The object type constructor requires one argument specifying the attribute "
                   "types as an object: object({name = string}).");
  }
  std::map<std::string, Type> attrs;
  std::set<std::string> optional;
  std::map<std::string, Value> defaults;
  for (const auto& item : call.children[0]->items) {
    if (!item.key || !item.value) continue;
    std::string name;
    if (item.key->kind == ExprKind::Literal && item.key->literal.kind() == ValueKind::String) {
      name = item.key->literal.as_string();
    } else if (item.key->kind == ExprKind::Variable) {
      name = item.key->name;
    } else if (item.key->kind == ExprKind::Template && item.key->children.size() == 1 &&
               item.key->children[0]->kind == ExprKind::Literal &&
               item.key->children[0]->literal.kind() == ValueKind::String) {
      name = item.key->children[0]->literal.as_string();
    } else {
      invalid(*item.key, diags, "Object type attribute names must be plain names or strings.");
      continue;
    }
    const Expr& v = *item.value;
    if (v.kind == ExprKind::Call && v.name == "optional") {
      if (v.children.empty() || v.children.size() > 2 || !v.children[0]) {
        invalid(v, diags, "optional() takes a type and an optional default: optional(string).");
        continue;
      }
      attrs[name] = parse(*v.children[0], diags, false);
      optional.insert(name);
      if (v.children.size() == 2 && v.children[1]) {
        // The default is a constant: literals and functions, no references.
        const Expr& d = *v.children[1];
        BasicScope constants;
        Diagnostics dd;
        Value dv = evaluate(d, constants, dd);
        std::string why;
        std::optional<Value> c = dd.has_errors() ? std::nullopt : convert(dv, attrs[name], &why);
        if (!c || !c->is_wholly_known()) {
          invalid(d, diags,
                  dd.has_errors()
                      ? "The default of an optional attribute must be a constant value (no "
                        "references): " +
                            dd.list()[0].summary + "."
                      : fmt::format("The default does not convert to {}: {}.", attrs[name].str(),
                                    why.empty() ? "unknown value" : why));
        } else {
          defaults.emplace(name, std::move(*c));
        }
      }
      continue;
    }
    if (attrs.count(name)) {
      invalid(*item.key, diags, fmt::format("The attribute \"{}\" is given twice.", name));
      continue;
    }
    attrs[name] = parse(v, diags, true);
  }
  if (optional.empty()) return Type::object(std::move(attrs));
  return Type::object(std::move(attrs), std::move(optional), std::move(defaults));
}

Type parse(const Expr& e, Diagnostics& diags, bool in_object) {
  if (e.kind == ExprKind::Parens && !e.children.empty() && e.children[0]) {
    return parse(*e.children[0], diags, in_object);
  }
  if (e.kind == ExprKind::Variable) {
    if (e.name == "string") return Type::string();
    if (e.name == "number") return Type::number();
    if (e.name == "bool") return Type::boolean();
    if (e.name == "any") return Type::any();
    if (e.name == "list") return Type::list(Type::any());
    if (e.name == "map") return Type::map(Type::any());
    if (e.name == "set") return Type::set(Type::any());
    if (e.name == "object" || e.name == "tuple") {
      return invalid(
          e, diags,
          fmt::format("The {} type constructor needs its {} in parentheses: {}.", e.name,
                      e.name == "object" ? "attributes" : "element types",
                      e.name == "object" ? "object({name = string})" : "tuple([string, number])"));
    }
    std::string hint = did_you_mean(e.name, type_names());
    return invalid(e, diags,
                   fmt::format("\"{}\" is not a type{}", e.name,
                               hint.empty() ? "; the types are string, number, bool, any, "
                                              "list(T), set(T), map(T), object({...}) and "
                                              "tuple([...])."
                                            : hint));
  }
  if (e.kind == ExprKind::Call) {
    if (e.name == "list" || e.name == "set" || e.name == "map") {
      if (e.children.size() != 1 || !e.children[0]) {
        return invalid(e, diags,
                       fmt::format("The {} type constructor takes exactly one element type: "
                                   "{}(string).",
                                   e.name, e.name));
      }
      Type elem = parse(*e.children[0], diags, false);
      if (e.name == "list") return Type::list(elem);
      if (e.name == "set") return Type::set(elem);
      return Type::map(elem);
    }
    if (e.name == "object") return parse_object(e, diags);
    if (e.name == "tuple") {
      if (e.children.size() != 1 || !e.children[0] || e.children[0]->kind != ExprKind::Tuple) {
        return invalid(e, diags,
                       "The tuple type constructor requires one argument specifying the element "
                       "types as a list: tuple([string, number]).");
      }
      std::vector<Type> elems;
      for (const auto& c : e.children[0]->children) {
        if (c) elems.push_back(parse(*c, diags, false));
      }
      return Type::tuple(std::move(elems));
    }
    if (e.name == "optional") {
      return invalid(e, diags,
                     in_object ? "optional() must wrap an attribute type directly."
                               : "optional() is only allowed for attributes of object types.");
    }
    std::string hint = did_you_mean(e.name, type_names());
    return invalid(e, diags,
                   fmt::format("\"{}\" is not a type constructor{}", e.name,
                               hint.empty() ? "; use list(T), set(T), map(T), object({...}) "
                                              "or tuple([...])."
                                            : hint));
  }
  if (e.kind == ExprKind::Literal && e.literal.kind() == ValueKind::String) {
    return invalid(
        e, diags,
        fmt::format("A type is written without quotes: type = {}.", e.literal.as_string()));
  }
  return invalid(e, diags,
                 "A type is a keyword (string, number, bool, any) or a type constructor "
                 "(list(T), set(T), map(T), object({...}), tuple([...])).");
}

}  // namespace

Type parse_type_expr(const Expr& expr, Diagnostics& diags) {
  return parse(expr, diags, false);
}

}  // namespace orch
