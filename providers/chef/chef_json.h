// Chef's JSON and orch's values: conversions both ways, and attribute paths inside JSON objects
// (how chef_node owns only the paths it declares).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/type.h"
#include "compiler/value.h"

namespace orch::chef {

using Json = nlohmann::json;

// Plain JSON of a known value (maps and objects → objects; lists, sets, tuples → arrays).
// Unknown values become null: callers check is_wholly_known() first.
Json to_json(const Value& v);
// A value of type `t` from JSON: list/set/map types give lists/sets/maps of their element type;
// `any` gives objects and tuples (what configuration literals evaluate to), so a value read
// back from the server equals the one configured.
Value from_json(const Json& j, const Type& t = Type::any());
// `v` the way it comes back from the server: from_json(to_json(v), t), keeping a sensitive
// mark (on the whole value). Unknown values stay unknown.
Value normalize(const Value& v, const Type& t);

// An attribute path: {"cloudera", "master"}.
using JsonPath = std::vector<std::string>;
std::string path_string(const JsonPath& p);  // "cloudera.master"

// The leaf paths of a JSON object: nested objects are followed; anything else (arrays, scalars,
// empty objects) is a leaf.
std::vector<JsonPath> leaf_paths(const Json& object);
// The value at `path`, or nullptr.
const Json* get_path(const Json& root, const JsonPath& path);
// Sets `path` to `value`, creating objects on the way (replacing non-objects in between).
void set_path(Json& root, const JsonPath& path, Json value);
// Removes `path`; then removes the objects on the way that it left empty. False when absent.
bool erase_path(Json& root, const JsonPath& path);

}  // namespace orch::chef
