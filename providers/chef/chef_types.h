// The chef provider's resource types, data sources and gates (registered in chef_types.cc), and
// the schema helpers their files use.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "providers/chef/chef_resource.h"
#include "providers/schema_attributes.h"

namespace orch::chef {

struct ChefTypes {
  std::vector<std::unique_ptr<ChefResourceType>> resources;
  std::vector<std::unique_ptr<ChefDataSourceType>> data_sources;
  std::vector<std::unique_ptr<ChefGateKind>> gates;
};

// Every compiled-in type, in registration order.
ChefTypes chef_types();

// Schema attribute builders: required_attr, optional_attr, computed_attr (shared), and:
AttributeSchema sensitive(AttributeSchema a);

}  // namespace orch::chef
