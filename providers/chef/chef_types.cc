// Registration of the chef provider's types: add a type with a file defining its factory and
// one line below (its declaration beside it).
#include "providers/chef/chef_types.h"

namespace orch::chef {

std::unique_ptr<ChefResourceType> make_chef_node();
std::unique_ptr<ChefResourceType> make_chef_role();
std::unique_ptr<ChefResourceType> make_chef_environment();
std::unique_ptr<ChefResourceType> make_chef_data_bag();
std::unique_ptr<ChefResourceType> make_chef_data_bag_item();
std::unique_ptr<ChefResourceType> make_chef_client();
std::unique_ptr<ChefResourceType> make_chef_converge();
std::unique_ptr<ChefDataSourceType> make_chef_search();
std::unique_ptr<ChefGateKind> make_chef_node_gate();
std::unique_ptr<ChefGateKind> make_chef_tag_gate();
std::unique_ptr<ChefGateKind> make_chef_attribute_gate();

ChefTypes chef_types() {
  ChefTypes t;
  t.resources.push_back(make_chef_node());
  t.resources.push_back(make_chef_role());
  t.resources.push_back(make_chef_environment());
  t.resources.push_back(make_chef_data_bag());
  t.resources.push_back(make_chef_data_bag_item());
  t.resources.push_back(make_chef_client());
  t.resources.push_back(make_chef_converge());
  t.data_sources.push_back(make_chef_search());
  t.gates.push_back(make_chef_node_gate());
  t.gates.push_back(make_chef_tag_gate());
  t.gates.push_back(make_chef_attribute_gate());
  return t;
}

AttributeSchema sensitive(AttributeSchema a) {
  a.sensitive = true;
  return a;
}

}  // namespace orch::chef
