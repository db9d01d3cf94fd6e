// Builders of attribute schemas for providers' schema tables: required, optional, computed.
#pragma once

#include <optional>
#include <string>

#include "compiler/schema.h"

namespace orch {

AttributeSchema required_attr(std::string name, Type type, std::string description,
                              bool force_new = false);
AttributeSchema optional_attr(std::string name, Type type, std::optional<Value> default_value,
                              std::string description, bool force_new = false);
AttributeSchema computed_attr(std::string name, Type type, std::string description);

}  // namespace orch
