// Runtime values: construction, accessors, type inference, equality, ordering, display.
#include "compiler/value.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "compiler/quote.h"

namespace orch {

namespace {

const ValueList& empty_list() {
  static const ValueList kEmpty;
  return kEmpty;
}

const ValueMap& empty_map() {
  static const ValueMap kEmpty;
  return kEmpty;
}

// Rank of each kind in the total order used by Value::less.
int kind_rank(ValueKind k) {
  return static_cast<int>(k);
}

// The common type of several types when they all agree; `any` otherwise.
Type common_type(const std::vector<Type>& types) {
  if (types.empty()) return Type::any();
  for (size_t i = 1; i < types.size(); ++i) {
    if (types[i] != types[0]) return Type::any();
  }
  return types[0];
}

bool is_identifier(const std::string& s) {
  if (s.empty()) return false;
  auto c0 = static_cast<unsigned char>(s[0]);
  if (!(std::isalpha(c0) || c0 == '_')) return false;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (!(std::isalnum(c) || c == '_' || c == '-')) return false;
  }
  return true;
}

// Compares an exact integer with a double without losing precision.
int compare_int_double(int64_t i, double d) {
  if (std::isnan(d)) return -1;  // NaN sorts after every number
  long double li = static_cast<long double>(i);
  long double ld = static_cast<long double>(d);
  return li < ld ? -1 : (li > ld ? 1 : 0);
}

int compare_numbers(const Number& a, const Number& b) {
  if (a.is_int && b.is_int) return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
  if (a.is_int) return compare_int_double(a.i, b.d);
  if (b.is_int) return -compare_int_double(b.i, a.d);
  if (std::isnan(a.d) || std::isnan(b.d)) {
    return std::isnan(a.d) == std::isnan(b.d) ? 0 : (std::isnan(a.d) ? 1 : -1);
  }
  return a.d < b.d ? -1 : (a.d > b.d ? 1 : 0);
}

// Three-way structural comparison; marks are ignored.
int compare(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return kind_rank(a.kind()) < kind_rank(b.kind()) ? -1 : 1;
  switch (a.kind()) {
    case ValueKind::Null:
      return 0;
    case ValueKind::Unknown: {
      std::string ta = a.type().str(), tb = b.type().str();
      return ta.compare(tb) < 0 ? -1 : (ta == tb ? 0 : 1);
    }
    case ValueKind::Bool:
      return a.as_bool() == b.as_bool() ? 0 : (a.as_bool() ? 1 : -1);
    case ValueKind::Number:
      return compare_numbers(a.as_number(), b.as_number());
    case ValueKind::String: {
      int c = a.as_string().compare(b.as_string());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case ValueKind::List:
    case ValueKind::Set:
    case ValueKind::Tuple: {
      const auto& x = a.elements();
      const auto& y = b.elements();
      if (&x == &y) return 0;  // shared: a copy of the same value
      for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
        if (int c = compare(x[i], y[i])) return c;
      }
      return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
    }
    case ValueKind::Map:
    case ValueKind::Object: {
      const auto& x = a.attributes();
      const auto& y = b.attributes();
      if (&x == &y) return 0;  // shared: a copy of the same value
      auto i = x.begin();
      auto j = y.begin();
      for (; i != x.end() && j != y.end(); ++i, ++j) {
        if (int c = i->first.compare(j->first)) return c < 0 ? -1 : 1;
        if (int c = compare(i->second, j->second)) return c;
      }
      if (i == x.end() && j == y.end()) return 0;
      return i == x.end() ? -1 : 1;
    }
  }
  return 0;
}

bool is_scalar(const Value& v) {
  return v.is_sensitive() || !(v.is_sequence() || v.is_mapping()) || v.length() == 0;
}

std::string display(const Value& v, int indent);

std::string display_key(const std::string& k) {
  return is_identifier(k) ? k : quote_hcl_string(k);
}

// Short collections of scalars stay on one line; anything nested gets one item per line.
constexpr size_t kInlineWidth = 80;

std::string display_sequence(const Value& v, int indent) {
  const auto& elems = v.elements();
  std::string open = v.kind() == ValueKind::Set ? "toset([" : "[";
  std::string close = v.kind() == ValueKind::Set ? "])" : "]";
  if (elems.empty()) return open + close;
  bool all_scalar = std::all_of(elems.begin(), elems.end(), is_scalar);
  if (all_scalar) {
    std::string line = open;
    for (size_t i = 0; i < elems.size(); ++i) {
      if (i) line += ", ";
      line += display(elems[i], indent);
    }
    line += close;
    if (line.size() + static_cast<size_t>(indent) <= kInlineWidth) return line;
  }
  std::string pad(static_cast<size_t>(indent + 2), ' ');
  std::string out = open + "\n";
  for (const auto& e : elems) out += pad + display(e, indent + 2) + ",\n";
  return out + std::string(static_cast<size_t>(indent), ' ') + close;
}

std::string display_mapping(const Value& v, int indent) {
  const auto& attrs = v.attributes();
  if (attrs.empty()) return "{}";
  bool all_scalar = true;
  for (const auto& [k, e] : attrs) all_scalar = all_scalar && is_scalar(e);
  if (all_scalar) {
    std::string line = "{ ";
    bool first = true;
    for (const auto& [k, e] : attrs) {
      if (!first) line += ", ";
      first = false;
      line += display_key(k) + " = " + display(e, indent);
    }
    line += " }";
    if (line.size() + static_cast<size_t>(indent) <= kInlineWidth) return line;
  }
  size_t width = 0;
  for (const auto& [k, e] : attrs) width = std::max(width, display_key(k).size());
  std::string pad(static_cast<size_t>(indent + 2), ' ');
  std::string out = "{\n";
  for (const auto& [k, e] : attrs) {
    std::string key = display_key(k);
    key.resize(width, ' ');
    out += pad + key + " = " + display(e, indent + 2) + "\n";
  }
  return out + std::string(static_cast<size_t>(indent), ' ') + "}";
}

std::string display(const Value& v, int indent) {
  if (v.is_sensitive()) return "(sensitive value)";
  switch (v.kind()) {
    case ValueKind::Null:
      return "null";
    case ValueKind::Unknown:
      return "(known after apply)";
    case ValueKind::Bool:
      return v.as_bool() ? "true" : "false";
    case ValueKind::Number:
      return format_number(v.as_number());
    case ValueKind::String:
      return quote_hcl_string(v.as_string());
    case ValueKind::List:
    case ValueKind::Set:
    case ValueKind::Tuple:
      return display_sequence(v, indent);
    case ValueKind::Map:
    case ValueKind::Object:
      return display_mapping(v, indent);
  }
  return "null";
}

}  // namespace

Number Number::of(double v) {
  // 2^63 is exactly representable; int64 holds [-2^63, 2^63).
  constexpr double kLimit = 9223372036854775808.0;
  if (std::isfinite(v) && v == std::trunc(v) && v >= -kLimit && v < kLimit) {
    return Number{true, static_cast<int64_t>(v), 0};
  }
  return Number{false, 0, v};
}

std::string format_number(const Number& n) {
  if (n.is_int) return std::to_string(n.i);
  if (std::isnan(n.d)) return "NaN";
  if (std::isinf(n.d)) return n.d > 0 ? "Infinity" : "-Infinity";
  // fmt's default is the shortest representation that round-trips: 0.5, 1e+21, 0.1.
  return fmt::format("{}", n.d);
}

Value Value::null(Type t) {
  Value v;
  if (!t.is_any()) v.type_ = std::make_shared<const Type>(std::move(t));
  return v;
}

Value Value::boolean(bool b) {
  Value v;
  v.kind_ = ValueKind::Bool;
  v.data_ = b;
  return v;
}

Value Value::number(Number n) {
  Value v;
  v.kind_ = ValueKind::Number;
  if (!n.is_int) n = Number::of(n.d);
  v.data_ = n;
  return v;
}

Value Value::string(std::string s) {
  Value v;
  v.kind_ = ValueKind::String;
  v.data_ = std::move(s);
  return v;
}

Value Value::list(ValueList elems, Type elem) {
  Value v;
  v.kind_ = ValueKind::List;
  if (!elem.is_any()) v.type_ = std::make_shared<const Type>(Type::list(std::move(elem)));
  v.data_ = std::make_shared<const ValueList>(std::move(elems));
  return v;
}

Value Value::set(ValueList elems, Type elem) {
  std::sort(elems.begin(), elems.end(), [](const Value& a, const Value& b) { return a.less(b); });
  elems.erase(std::unique(elems.begin(), elems.end(),
                          [](const Value& a, const Value& b) { return a.equals(b); }),
              elems.end());
  Value v;
  v.kind_ = ValueKind::Set;
  if (!elem.is_any()) v.type_ = std::make_shared<const Type>(Type::set(std::move(elem)));
  v.data_ = std::make_shared<const ValueList>(std::move(elems));
  return v;
}

Value Value::map(ValueMap elems, Type elem) {
  Value v;
  v.kind_ = ValueKind::Map;
  if (!elem.is_any()) v.type_ = std::make_shared<const Type>(Type::map(std::move(elem)));
  v.data_ = std::make_shared<const ValueMap>(std::move(elems));
  return v;
}

Value Value::tuple(ValueList elems) {
  Value v;
  v.kind_ = ValueKind::Tuple;
  v.data_ = std::make_shared<const ValueList>(std::move(elems));
  return v;
}

Value Value::object(ValueMap attrs) {
  Value v;
  v.kind_ = ValueKind::Object;
  v.data_ = std::make_shared<const ValueMap>(std::move(attrs));
  return v;
}

Value Value::unknown(Type t) {
  Value v;
  v.kind_ = ValueKind::Unknown;
  if (!t.is_any()) v.type_ = std::make_shared<const Type>(std::move(t));
  return v;
}

bool Value::is_wholly_known() const {
  if (is_unknown()) return false;
  if (is_sequence()) {
    for (const auto& e : elements()) {
      if (!e.is_wholly_known()) return false;
    }
  } else if (is_mapping()) {
    for (const auto& [k, e] : attributes()) {
      if (!e.is_wholly_known()) return false;
    }
  }
  return true;
}

bool Value::contains_sensitive() const {
  if (sensitive_) return true;
  if (is_sequence()) {
    for (const auto& e : elements()) {
      if (e.contains_sensitive()) return true;
    }
  } else if (is_mapping()) {
    for (const auto& [k, e] : attributes()) {
      if (e.contains_sensitive()) return true;
    }
  }
  return false;
}

Value Value::mark_sensitive(bool s) const {
  Value v = *this;
  v.sensitive_ = s;
  return v;
}

// Accessors on the wrong kind return neutral values rather than throwing: callers check kind()
// first, and a neutral value is safer than a crash on bad input that slipped through.
bool Value::as_bool() const {
  const bool* b = std::get_if<bool>(&data_);
  return b ? *b : false;
}

const Number& Value::as_number() const {
  static const Number kZero;
  const Number* n = std::get_if<Number>(&data_);
  return n ? *n : kZero;
}

const std::string& Value::as_string() const {
  static const std::string kEmpty;
  const std::string* s = std::get_if<std::string>(&data_);
  return s ? *s : kEmpty;
}

const ValueList& Value::elements() const {
  const Seq* s = std::get_if<Seq>(&data_);
  return s && *s ? **s : empty_list();
}

const ValueMap& Value::attributes() const {
  const Attrs* a = std::get_if<Attrs>(&data_);
  return a && *a ? **a : empty_map();
}

size_t Value::length() const {
  if (is_sequence()) return elements().size();
  if (is_mapping()) return attributes().size();
  return 0;
}

bool Value::is_sequence() const {
  return kind_ == ValueKind::List || kind_ == ValueKind::Set || kind_ == ValueKind::Tuple;
}

bool Value::is_mapping() const {
  return kind_ == ValueKind::Map || kind_ == ValueKind::Object;
}

Type Value::type() const {
  if (type_) return *type_;
  switch (kind_) {
    case ValueKind::Null:
    case ValueKind::Unknown:
      return Type::any();
    case ValueKind::Bool:
      return Type::boolean();
    case ValueKind::Number:
      return Type::number();
    case ValueKind::String:
      return Type::string();
    case ValueKind::List:
    case ValueKind::Set: {
      std::vector<Type> types;
      for (const auto& e : elements()) types.push_back(e.type());
      Type elem = common_type(types);
      return kind_ == ValueKind::List ? Type::list(elem) : Type::set(elem);
    }
    case ValueKind::Map: {
      std::vector<Type> types;
      for (const auto& [k, e] : attributes()) types.push_back(e.type());
      return Type::map(common_type(types));
    }
    case ValueKind::Tuple: {
      std::vector<Type> types;
      for (const auto& e : elements()) types.push_back(e.type());
      return Type::tuple(std::move(types));
    }
    case ValueKind::Object: {
      std::map<std::string, Type> attrs;
      for (const auto& [k, e] : attributes()) attrs.emplace(k, e.type());
      return Type::object(std::move(attrs));
    }
  }
  return Type::any();
}

bool Value::equals(const Value& o) const {
  return compare(*this, o) == 0;
}

bool Value::less(const Value& o) const {
  return compare(*this, o) < 0;
}

std::string Value::to_display() const {
  return display(*this, 0);
}

}  // namespace orch
