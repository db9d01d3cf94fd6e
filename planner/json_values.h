// JSON text ↔ Values without an intermediate nlohmann tree, for the large documents orch reads
// and writes (state snapshots, simulated worlds, saved plans: tens of megabytes at 20,000
// nodes), where building and freeing the tree cost more than the parsing itself.
//
// Reading goes through nlohmann's SAX interface. Objects become Value objects and arrays lists
// (list element types are inferred lazily, so this costs nothing). Inside values, the
// `$`-tagged objects of value_json.h's exact state encoding are decoded into the values they
// stand for, exactly as value_from_json() would.
//
// Writing appends to a string: strings are escaped and checked to be UTF-8.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/value.h"

namespace orch {

struct JsonReadError {
  bool syntax = false;  // the text is not JSON (offset and message from the parser)
  size_t offset = 0;    // byte offset of a syntax error
  std::string path;     // content errors: where, "resources[3].attributes.tags"
  std::string message;  // "expected a JSON object", or the parser's description
};

// Where the values are in a document whose outer structure (its envelope) is plain JSON: the
// members with these names hold a map of values (`"attributes": {NAME: VALUE}`) or one value
// (`"value": VALUE`). Below such a member, tagged objects are decoded; elsewhere not.
struct JsonValueSites {
  std::vector<std::string> maps;
  std::vector<std::string> values;
  bool whole = false;  // the document itself is one value (no envelope)
  // Saved plans: values may be unknown ({"$unknown": TYPE}) or sensitive ({"$sensitive": V}).
  bool marks = false;
  // Called when a `maps` member is complete, with the envelope path to it (keys, and array
  // indexes in decimal: {"resources", "17", "attributes"}); returning true takes the map (moved
  // out; the envelope holds null there), which saves copying it out of the document again.
  std::function<bool(const std::vector<std::string>& path, ValueMap& map)> take;
};

// Parses `text` into `out`: an envelope holding values at `sites`, or (null `sites`) one value.
// False and `error` on syntax errors and malformed tagged values.
bool read_json_values(std::string_view text, const JsonValueSites* sites, Value& out,
                      JsonReadError* error);

// The member `key` of an object value, or nullptr.
const Value* json_member(const Value& object, const std::string& key);

// Appends `s` as a JSON string. False when `s` is not valid UTF-8 (nothing is appended then).
bool append_json_string(std::string& out, std::string_view s);
// Appends a number the way it reads back exactly: integers as integers, other finite doubles
// in the shortest form that round-trips, always with a '.' or exponent.
void append_json_double(std::string& out, double d);

// Appends `v` in value_json.h's exact state encoding. False and `error` ("PATH: an unknown
// value ...", with `where` in front of the path) for unknown values and invalid UTF-8.
bool append_value_json(std::string& out, const Value& v, std::string* error,
                       const std::string& where = "");
// Appends a map of values as a JSON object in that encoding (keys sorted, as stored).
bool append_value_map_json(std::string& out, const ValueMap& m, std::string* error,
                           const std::string& where = "");
// The same encoding plus unknown values and sensitive marks, for saved plans (see
// JsonValueSites::marks). False only for invalid UTF-8.
bool append_plan_value_json(std::string& out, const Value& v, std::string* error);

}  // namespace orch
