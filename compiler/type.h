// Type constraints of the language: string, number, bool, list/set/map(T), object({...}),
// tuple([...]), any.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace orch {

class Value;

enum class TypeKind { Any, Bool, Number, String, List, Set, Map, Object, Tuple };

struct Type {
  TypeKind kind = TypeKind::Any;
  std::shared_ptr<const Type> elem;                          // List, Set, Map
  std::shared_ptr<const std::map<std::string, Type>> attrs;  // Object
  std::shared_ptr<const std::vector<Type>> elems;            // Tuple
  // Object attributes declared `optional(T)` in a type constraint: conversion fills them with
  // null when absent. Null pointer means none.
  std::shared_ptr<const std::set<std::string>> optional_attrs;
  // Defaults of optional attributes, `optional(T, DEFAULT)`: conversion uses them when the
  // attribute is absent or null. Already converted to the attribute's type.
  std::shared_ptr<const std::map<std::string, Value>> optional_defaults;

  static Type any() { return Type{}; }
  static Type boolean() { return Type{TypeKind::Bool, {}, {}, {}, {}, {}}; }
  static Type number() { return Type{TypeKind::Number, {}, {}, {}, {}, {}}; }
  static Type string() { return Type{TypeKind::String, {}, {}, {}, {}, {}}; }
  static Type list(Type e);
  static Type set(Type e);
  static Type map(Type e);
  static Type object(std::map<std::string, Type> attrs);
  static Type object(std::map<std::string, Type> attrs, std::set<std::string> optional);
  static Type object(std::map<std::string, Type> attrs, std::set<std::string> optional,
                     std::map<std::string, Value> defaults);
  static Type tuple(std::vector<Type> elems);

  bool is_any() const { return kind == TypeKind::Any; }
  bool is_primitive() const;
  bool is_collection() const;   // list, set, map
  const Type& element() const;  // List/Set/Map element type; Any otherwise
  const std::map<std::string, Type>& attributes() const;         // Object; empty otherwise
  const std::vector<Type>& elements() const;                     // Tuple; empty otherwise
  bool is_optional(const std::string& attr) const;               // Object attribute optional(T)
  const Value* optional_default(const std::string& attr) const;  // null when it has none
  // True when the type has no Any anywhere inside it.
  bool is_concrete() const;
  // HCL spelling: "list(string)", "object({name=string})", "any".
  std::string str() const;
  bool operator==(const Type& o) const;
  bool operator!=(const Type& o) const { return !(*this == o); }
};

}  // namespace orch
