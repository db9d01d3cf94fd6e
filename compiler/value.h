// Runtime values of the language: null, bool, number, string, collections, structural values,
// unknown values (known only after apply), and sensitive marks. Immutable and cheap to copy.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "compiler/type.h"

namespace orch {

enum class ValueKind { Null, Bool, Number, String, List, Set, Map, Object, Tuple, Unknown };

class Value;
using ValueList = std::vector<Value>;
using ValueMap = std::map<std::string, Value>;

// A number: 64-bit integers stay exact; anything else is a double.
struct Number {
  bool is_int = true;
  int64_t i = 0;
  double d = 0;

  double as_double() const { return is_int ? static_cast<double>(i) : d; }
  // Normalises doubles holding integral values in int64 range back to integers.
  static Number of(double v);
  static Number of(int64_t v) { return Number{true, v, 0}; }
};

class Value {
 public:
  Value() = default;  // null of type any

  static Value null(Type t = Type::any());
  static Value boolean(bool b);
  static Value number(Number n);
  static Value number(int64_t i) { return number(Number::of(i)); }
  static Value number(int i) { return number(Number::of(static_cast<int64_t>(i))); }
  static Value number(double d) { return number(Number::of(d)); }
  static Value string(std::string s);
  // Collections take their element type; `any` means "infer from the elements".
  static Value list(ValueList elems, Type elem = Type::any());
  static Value set(ValueList elems, Type elem = Type::any());  // sorts, removes duplicates
  static Value map(ValueMap elems, Type elem = Type::any());
  static Value tuple(ValueList elems);
  static Value object(ValueMap attrs);
  static Value unknown(Type t = Type::any());

  ValueKind kind() const { return kind_; }
  bool is_null() const { return kind_ == ValueKind::Null; }
  bool is_unknown() const { return kind_ == ValueKind::Unknown; }
  // True when neither this value nor anything inside it is unknown.
  bool is_wholly_known() const;
  bool is_sensitive() const { return sensitive_; }
  // True when this value or anything inside it is sensitive.
  bool contains_sensitive() const;
  Value mark_sensitive(bool s = true) const;
  // A copy with the sensitive mark removed at the top level.
  Value unmarked() const { return mark_sensitive(false); }

  bool as_bool() const;
  const Number& as_number() const;
  const std::string& as_string() const;
  const ValueList& elements() const;    // List, Set, Tuple
  const ValueMap& attributes() const;   // Map, Object
  size_t length() const;                // elements or attributes
  bool is_sequence() const;             // List, Set, Tuple
  bool is_mapping() const;              // Map, Object

  // The value's type; for unknown and null values, the type they were created with.
  Type type() const;

  // Deep equality on known values (kind, type-insensitive numbers compare numerically).
  bool equals(const Value& o) const;
  bool operator==(const Value& o) const { return equals(o); }
  // Strict total order used to sort sets and produce deterministic output.
  bool less(const Value& o) const;

  // HCL-like rendering for people: "foo", 3, ["a", "b"], { a = 1 }, (known after apply),
  // (sensitive value). Never reveals a sensitive value.
  std::string to_display() const;

 private:
  using Seq = std::shared_ptr<const ValueList>;
  using Attrs = std::shared_ptr<const ValueMap>;

  ValueKind kind_ = ValueKind::Null;
  bool sensitive_ = false;
  std::shared_ptr<const Type> type_;  // set for Null/Unknown/List/Set/Map with a declared type
  std::variant<std::monostate, bool, Number, std::string, Seq, Attrs> data_;
};

// Formats a number the way people write it: 3, -2, 0.5, 1e+21 (no trailing ".0" noise).
std::string format_number(const Number& n);

}  // namespace orch
