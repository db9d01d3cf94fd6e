// Exact JSON encoding of known values and types, for state files and journals.
//
// Plain JSON where it is unambiguous: null, true, 3 (int), 0.5 (double), "s", [..] (list),
// {..} (object). Everything else is a tagged object whose keys start with `$`:
//   {"$map": {..}}, {"$set": [..]}, {"$tuple": [..]}, {"$object": {..}} (an object that has a
//   key starting with `$`), {"$null": TYPE} (typed null), {"$number":
//   "NaN"|"Infinity"|"-Infinity"}, and "$elem": TYPE beside $list/$set/$map when the declared
//   element type is not the one the elements imply (e.g. an empty list(string)).
// Types: "any" "bool" "number" "string", ["list", T], ["set", T], ["map", T], ["tuple", [T..]],
//   ["object", {name: T}] or ["object", {name: T}, ["optional", "attrs"]].
// Sensitive marks are not encoded here (state stores them as paths); unknown values are refused.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "compiler/type.h"
#include "compiler/value.h"
#include "planner/state.h"

namespace orch {

// Encodes `v`; false and `error` (naming the path below `where`) for unknown values.
bool value_to_json(const Value& v, nlohmann::json& out, std::string* error,
                   const std::string& where = "");
bool value_from_json(const nlohmann::json& j, Value& out, std::string* error,
                     const std::string& where = "");

bool value_map_to_json(const ValueMap& m, nlohmann::json& out, std::string* error,
                       const std::string& where = "");
bool value_map_from_json(const nlohmann::json& j, ValueMap& out, std::string* error,
                         const std::string& where = "");

// The element type a collection's elements imply on their own (what Value infers): the
// encodings write a declared element type only when it differs.
Type implied_element(const ValueList& elems);
Type implied_element(const ValueMap& elems);

// Sets `error` to "WHERE.PATH: MESSAGE" (either part left out when empty); returns false.
bool fail_at(std::string* error, const std::string& where, const AttributePath& path,
             const std::string& message);

nlohmann::json type_to_json(const Type& t);
bool type_from_json(const nlohmann::json& j, Type& out, std::string* error,
                    const std::string& where = "");

}  // namespace orch
