// Type conversion and unification of values, following HCL/cty's rules.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/type.h"
#include "compiler/value.h"

namespace orch {

// Converts `v` to type `t`. Returns nullopt and sets *why (if given) to a reason such as
// "element 2: string required" or `cannot convert "abc" to number: a decimal number is required`.
// Rules: number<->string, bool<->string ("true"/"false"), tuple/list/set -> list/set/tuple,
// object/map -> map/object, null converts to any type (as a typed null), unknown stays unknown
// with the target type, sensitive marks are kept. Converting to `any` leaves the value as is.
// Object targets fill absent attributes declared optional with typed nulls and drop extras.
std::optional<Value> convert(const Value& v, const Type& t, std::string* why = nullptr);

// The most specific type all `types` convert to (cty's unify): equal types stay; primitives mix
// to string; lists/sets/maps unify elementwise; tuples of equal length unify elementwise, else
// into a list; objects with the same attributes stay objects, else become a map. `any` members
// are ignored. Sets *ok (if given) to false and returns `any` when there is no such type.
Type unify(const std::vector<Type>& types, bool* ok = nullptr);

// Parses a decimal number the way HCL does: optional sign, digits, fraction, exponent.
// No surrounding spaces, no hex, no "inf"/"nan".
std::optional<Number> parse_number(std::string_view s);

// The string form of a primitive value (what string templates interpolate): strings as they
// are, numbers via format_number, bools as "true"/"false". nullopt for other kinds.
std::optional<std::string> primitive_to_string(const Value& v);

}  // namespace orch
