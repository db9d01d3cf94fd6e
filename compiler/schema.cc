// Schema lookups and the registry of provider schemas.
#include "compiler/schema.h"

#include <algorithm>

namespace orch {

const AttributeSchema* Schema::attribute(std::string_view name) const {
  for (const auto& a : attributes) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

const BlockSchema* Schema::block(std::string_view type) const {
  for (const auto& b : blocks) {
    if (b.type_name == type) return &b;
  }
  return nullptr;
}

std::vector<std::string> Schema::names() const {
  std::vector<std::string> out;
  for (const auto& a : attributes) out.push_back(a.name);
  for (const auto& b : blocks) out.push_back(b.type_name);
  std::sort(out.begin(), out.end());
  return out;
}

void SchemaRegistry::add(ProviderSchema schema) {
  std::string name = schema.name;
  providers_.insert_or_assign(std::move(name), std::move(schema));
}

const ProviderSchema* SchemaRegistry::provider(std::string_view name) const {
  auto it = providers_.find(name);
  return it == providers_.end() ? nullptr : &it->second;
}

const Schema* SchemaRegistry::resource(std::string_view type) const {
  const ProviderSchema* p = provider(provider_of(type));
  if (!p) return nullptr;
  auto it = p->resources.find(std::string(type));
  return it == p->resources.end() ? nullptr : &it->second;
}

const Schema* SchemaRegistry::data_source(std::string_view type) const {
  const ProviderSchema* p = provider(provider_of(type));
  if (!p) return nullptr;
  auto it = p->data_sources.find(std::string(type));
  return it == p->data_sources.end() ? nullptr : &it->second;
}

const GateSchema* SchemaRegistry::gate(std::string_view kind) const {
  // Providers are visited in name order so that a kind offered twice resolves deterministically.
  for (const auto& [name, p] : providers_) {
    for (const auto& g : p.gates) {
      if (g.kind == kind) return &g;
    }
  }
  return nullptr;
}

std::string SchemaRegistry::gate_provider(std::string_view kind) const {
  for (const auto& [name, p] : providers_)
    for (const auto& g : p.gates)
      if (g.kind == kind) return name;
  return {};
}

std::vector<std::string> SchemaRegistry::resource_types() const {
  std::vector<std::string> out;
  for (const auto& [name, p] : providers_) {
    for (const auto& [type, s] : p.resources) out.push_back(type);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> SchemaRegistry::data_source_types() const {
  std::vector<std::string> out;
  for (const auto& [name, p] : providers_) {
    for (const auto& [type, s] : p.data_sources) out.push_back(type);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> SchemaRegistry::gate_kinds() const {
  std::vector<std::string> out;
  for (const auto& [name, p] : providers_) {
    for (const auto& g : p.gates) out.push_back(g.kind);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string SchemaRegistry::provider_of(std::string_view type) {
  size_t underscore = type.find('_');
  return std::string(underscore == std::string_view::npos ? type : type.substr(0, underscore));
}

}  // namespace orch
