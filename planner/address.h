// Resource addresses (`module.db.aws_x.name["k"]`): parse, print, compare in natural order.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace orch {

// The key of one instance of a counted (`[3]`) or for_each (`["key"]`) resource or module.
struct InstanceKey {
  enum class Kind { None, Int, String };
  Kind kind = Kind::None;
  int64_t index = 0;  // Kind::Int
  std::string key;    // Kind::String

  static InstanceKey none() { return {}; }
  static InstanceKey of(int64_t i) { return {Kind::Int, i, {}}; }
  static InstanceKey of(std::string k) { return {Kind::String, 0, std::move(k)}; }

  bool empty() const { return kind == Kind::None; }
  // "" for None, "[3]", "[\"key\"]" (string keys quoted and escaped like HCL strings).
  std::string str() const;

  bool operator==(const InstanceKey& o) const = default;
  // None < Int < String; ints numerically; strings in natural order ("n2" < "n10").
  std::strong_ordering operator<=>(const InstanceKey& o) const;
};

// One `module.NAME[KEY]` step of a module path.
struct ModuleStep {
  std::string name;
  InstanceKey key;

  bool operator==(const ModuleStep& o) const = default;
  std::strong_ordering operator<=>(const ModuleStep& o) const;
};

enum class ResourceMode { Managed, Data };

// A resource or resource instance address, or (with an empty `type`) a bare module path such as
// `module.db` that commands use to select everything inside a module.
struct ResourceAddress {
  std::vector<ModuleStep> module;  // outermost first; empty: the root module
  ResourceMode mode = ResourceMode::Managed;
  std::string type;  // empty: a module path only (see is_module_only)
  std::string name;
  InstanceKey key;  // None: the resource as a whole (or an instance of an uncounted resource)

  bool is_module_only() const { return type.empty(); }
  bool has_key() const { return !key.empty(); }

  // `module.a["x"].data.type.name[0]`, the canonical spelling; parse(str()) == *this.
  std::string str() const;
  // `module.a["x"]` (empty for the root module).
  std::string module_str() const;
  // The same address without the instance key: the resource as a whole.
  ResourceAddress resource() const;
  // The same address with another instance key.
  ResourceAddress with_key(InstanceKey k) const;

  // True when `other` is selected by this address used as a pattern:
  //   module path    → everything in that module instance (and its children; an unkeyed module
  //                    step also matches every instance of that module);
  //   resource       → every instance of the resource;
  //   instance       → exactly that instance.
  bool selects(const ResourceAddress& other) const;

  bool operator==(const ResourceAddress& o) const = default;
  // Deterministic natural order: module path, then mode (managed first), type, name, key.
  std::strong_ordering operator<=>(const ResourceAddress& o) const;
};

// Where and why an address did not parse. `offset` is 0-based in the text; column = offset + 1.
struct AddressError {
  size_t offset = 0;
  std::string message;

  // `invalid address "a.b[": column 5: expected an index ...`
  std::string str(std::string_view text) const;
};

struct ParsedAddress {
  std::optional<ResourceAddress> address;
  std::optional<AddressError> error;
  bool ok() const { return address.has_value(); }
};

// Parses a resource or instance address. Module-only paths (`module.db`) are accepted only
// when `allow_module_only` is set (selection patterns, `state mv` of whole modules).
ParsedAddress parse_address(std::string_view text, bool allow_module_only = false);

// Natural string order: runs of digits compare numerically ("node2" < "node10"); ties (e.g.
// "a01" vs "a1") fall back to byte order, so the order is total and deterministic.
std::strong_ordering natural_compare(std::string_view a, std::string_view b);

// Quotes a string the way addresses print keys: "a\"b".
std::string quote_key(std::string_view s);

}  // namespace orch
