// Builders of attribute schemas for providers' schema tables.
#include "providers/schema_attributes.h"

namespace orch {

namespace {

AttributeSchema attribute(std::string name, Type type, std::string description) {
  AttributeSchema a;
  a.name = std::move(name);
  a.type = std::move(type);
  a.description = std::move(description);
  return a;
}

}  // namespace

AttributeSchema required_attr(std::string name, Type type, std::string description,
                              bool force_new) {
  AttributeSchema a = attribute(std::move(name), std::move(type), std::move(description));
  a.required = true;
  a.force_new = force_new;
  return a;
}

AttributeSchema optional_attr(std::string name, Type type, std::optional<Value> default_value,
                              std::string description, bool force_new) {
  AttributeSchema a = attribute(std::move(name), std::move(type), std::move(description));
  a.optional = true;
  a.force_new = force_new;
  a.default_value = std::move(default_value);
  return a;
}

AttributeSchema computed_attr(std::string name, Type type, std::string description) {
  AttributeSchema a = attribute(std::move(name), std::move(type), std::move(description));
  a.computed = true;
  return a;
}

}  // namespace orch
