// Type constraints: constructors, predicates, HCL spelling and structural equality.
#include "compiler/type.h"

#include "compiler/value.h"

namespace orch {

namespace {

Type collection(TypeKind kind, Type e) {
  Type t;
  t.kind = kind;
  t.elem = std::make_shared<const Type>(std::move(e));
  return t;
}

const Type& any_type() {
  static const Type kAny;
  return kAny;
}

}  // namespace

Type Type::list(Type e) {
  return collection(TypeKind::List, std::move(e));
}
Type Type::set(Type e) {
  return collection(TypeKind::Set, std::move(e));
}
Type Type::map(Type e) {
  return collection(TypeKind::Map, std::move(e));
}

Type Type::object(std::map<std::string, Type> attrs) {
  Type t;
  t.kind = TypeKind::Object;
  t.attrs = std::make_shared<const std::map<std::string, Type>>(std::move(attrs));
  return t;
}

Type Type::object(std::map<std::string, Type> attrs, std::set<std::string> optional) {
  Type t = object(std::move(attrs));
  if (!optional.empty()) {
    t.optional_attrs = std::make_shared<const std::set<std::string>>(std::move(optional));
  }
  return t;
}

Type Type::object(std::map<std::string, Type> attrs, std::set<std::string> optional,
                  std::map<std::string, Value> defaults) {
  Type t = object(std::move(attrs), std::move(optional));
  if (!defaults.empty()) {
    t.optional_defaults = std::make_shared<const std::map<std::string, Value>>(std::move(defaults));
  }
  return t;
}

const Value* Type::optional_default(const std::string& attr) const {
  if (!optional_defaults) return nullptr;
  auto it = optional_defaults->find(attr);
  return it == optional_defaults->end() ? nullptr : &it->second;
}

Type Type::tuple(std::vector<Type> elems) {
  Type t;
  t.kind = TypeKind::Tuple;
  t.elems = std::make_shared<const std::vector<Type>>(std::move(elems));
  return t;
}

bool Type::is_primitive() const {
  return kind == TypeKind::Bool || kind == TypeKind::Number || kind == TypeKind::String;
}

bool Type::is_collection() const {
  return kind == TypeKind::List || kind == TypeKind::Set || kind == TypeKind::Map;
}

const Type& Type::element() const {
  if (is_collection() && elem) return *elem;
  return any_type();
}

bool Type::is_optional(const std::string& attr) const {
  return optional_attrs && optional_attrs->count(attr) > 0;
}

const std::map<std::string, Type>& Type::attributes() const {
  static const std::map<std::string, Type> kEmpty;
  return attrs ? *attrs : kEmpty;
}

const std::vector<Type>& Type::elements() const {
  static const std::vector<Type> kEmpty;
  return elems ? *elems : kEmpty;
}

bool Type::is_concrete() const {
  switch (kind) {
    case TypeKind::Any:
      return false;
    case TypeKind::Bool:
    case TypeKind::Number:
    case TypeKind::String:
      return true;
    case TypeKind::List:
    case TypeKind::Set:
    case TypeKind::Map:
      return element().is_concrete();
    case TypeKind::Object:
      for (const auto& [name, t] : attributes()) {
        if (!t.is_concrete()) return false;
      }
      return true;
    case TypeKind::Tuple:
      for (const auto& t : elements()) {
        if (!t.is_concrete()) return false;
      }
      return true;
  }
  return false;
}

std::string Type::str() const {
  switch (kind) {
    case TypeKind::Any:
      return "any";
    case TypeKind::Bool:
      return "bool";
    case TypeKind::Number:
      return "number";
    case TypeKind::String:
      return "string";
    case TypeKind::List:
      return "list(" + element().str() + ")";
    case TypeKind::Set:
      return "set(" + element().str() + ")";
    case TypeKind::Map:
      return "map(" + element().str() + ")";
    case TypeKind::Object: {
      std::string out = "object({";
      bool first = true;
      for (const auto& [name, t] : attributes()) {
        if (!first) out += ",";
        first = false;
        out += name + "=";
        if (const Value* d = optional_default(name)) {
          out += "optional(" + t.str() + ", " + d->to_display() + ")";
        } else {
          out += is_optional(name) ? "optional(" + t.str() + ")" : t.str();
        }
      }
      return out + "})";
    }
    case TypeKind::Tuple: {
      std::string out = "tuple([";
      bool first = true;
      for (const auto& t : elements()) {
        if (!first) out += ",";
        first = false;
        out += t.str();
      }
      return out + "])";
    }
  }
  return "any";
}

bool Type::operator==(const Type& o) const {
  if (kind != o.kind) return false;
  switch (kind) {
    case TypeKind::Any:
    case TypeKind::Bool:
    case TypeKind::Number:
    case TypeKind::String:
      return true;
    case TypeKind::List:
    case TypeKind::Set:
    case TypeKind::Map:
      return element() == o.element();
    case TypeKind::Object: {
      if (attributes() != o.attributes()) return false;
      static const std::set<std::string> kNone;
      const auto& a = optional_attrs ? *optional_attrs : kNone;
      const auto& b = o.optional_attrs ? *o.optional_attrs : kNone;
      return a == b;
    }
    case TypeKind::Tuple:
      return elements() == o.elements();
  }
  return false;
}

}  // namespace orch
