// The compiled-in providers (see registry.h). Add a provider here: its name and factory.
#include "providers/registry.h"

#include <algorithm>
#include <utility>

#include "providers/chef/chef_provider.h"
#include "providers/ec2/ec2_provider.h"
#include "providers/etcd/etcd_provider.h"
#include "providers/local/local_provider.h"
#include "providers/sim/sim_provider.h"
#include "providers/ssh/ssh_provider.h"

namespace orch {

namespace {

struct Entry {
  const char* name;
  std::unique_ptr<Provider> (*make)();
};

// Sorted by name.
constexpr Entry kProviders[] = {
    {"chef", [] { return std::unique_ptr<Provider>(std::make_unique<ChefProvider>()); }},
    {"ec2", [] { return std::unique_ptr<Provider>(std::make_unique<Ec2Provider>()); }},
    {"etcd", [] { return std::unique_ptr<Provider>(std::make_unique<etcd::EtcdProvider>()); }},
    {"local", [] { return std::unique_ptr<Provider>(std::make_unique<LocalProvider>()); }},
    {"sim", [] { return std::unique_ptr<Provider>(std::make_unique<SimProvider>()); }},
    {"ssh", [] { return std::unique_ptr<Provider>(std::make_unique<SshProvider>()); }},
};

}  // namespace

std::vector<std::string> builtin_provider_names() {
  std::vector<std::string> names;
  for (const auto& e : kProviders) names.emplace_back(e.name);
  return names;
}

SchemaRegistry builtin_schemas() {
  SchemaRegistry registry;
  for (const auto& e : kProviders) registry.add(e.make()->schema());
  return registry;
}

std::unique_ptr<Provider> make_provider(std::string_view name) {
  for (const auto& e : kProviders)
    if (name == e.name) return e.make();
  return nullptr;
}

}  // namespace orch
