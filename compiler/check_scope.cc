// The scope `orch validate` evaluates expressions in: known variables, locals evaluated on
// demand, and unknown values shaped by provider schemas for resources, data sources and modules.
#include <filesystem>

#include "compiler/check_internal.h"

namespace orch::detail {

Type instance_type(const Schema& schema) {
  std::map<std::string, Type> attrs;
  for (const auto& a : schema.attributes) attrs[a.name] = a.type;
  for (const auto& b : schema.blocks) {
    Type body = instance_type(b.body);
    switch (b.nesting) {
      case BlockNesting::Single:
        attrs[b.type_name] = body;
        break;
      case BlockNesting::List:
        attrs[b.type_name] = Type::list(body);
        break;
      case BlockNesting::Set:
        attrs[b.type_name] = Type::set(body);
        break;
    }
  }
  return Type::object(std::move(attrs));
}

ModuleScope::ModuleScope(const Config& config, const SchemaRegistry& schemas, ValueMap variables,
                         Diagnostics& diags)
    : config_(config), schemas_(schemas), variables_(std::move(variables)), diags_(diags) {}

void ModuleScope::evaluate_locals() const {
  for (const auto& [name, _] : config_.locals) local_value(name);
}

Value ModuleScope::local_value(const std::string& name) const {
  auto it = locals_.find(name);
  if (it != locals_.end()) return it->second;
  const Local* l = config_.local(name);
  if (!l || !l->value) return Value::unknown();
  if (!evaluating_.insert(name).second) return Value::unknown();  // a cycle: reported elsewhere
  Value v = evaluate(*l->value, *this, diags_);
  evaluating_.erase(name);
  locals_.emplace(name, v);
  return v;
}

Value ModuleScope::resource_value(const Resource& r) const {
  const std::string address = r.address();
  auto it = resources_.find(address);
  if (it != resources_.end()) return it->second;
  const Schema* schema = r.is_data() ? schemas_.data_source(r.type) : schemas_.resource(r.type);
  Value v;
  if (!schema) {
    v = Value::unknown();  // the missing schema is reported once, at the block
  } else if (r.count) {
    v = Value::unknown(Type::list(instance_type(*schema)));
  } else if (r.for_each) {
    v = Value::unknown(Type::map(instance_type(*schema)));
  } else {
    v = unknown_instance(*schema);
  }
  resources_.emplace(address, v);
  return v;
}

std::optional<Value> ModuleScope::lookup(const RefKey& key) const {
  const std::string name(key.name);
  if (key.root == "var") {
    auto it = variables_.find(name);
    if (it != variables_.end()) return it->second;
    return std::nullopt;
  }
  if (key.root == "local") {
    if (!config_.local(name)) return std::nullopt;
    return local_value(name);
  }
  if (key.root == "path") {
    if (key.name == "module") return Value::string(config_.dir);
    if (key.name == "root") return Value::string(config_.root_dir);
    if (key.name == "cwd") {
      std::error_code ec;
      return Value::string(std::filesystem::current_path(ec).string());
    }
    return std::nullopt;
  }
  if (key.root == "module") {
    const ModuleCall* m = config_.module(name);
    if (!m) return std::nullopt;
    std::map<std::string, Type> outs;
    if (m->child) {
      for (const auto& [out, _] : m->child->outputs) outs[out] = Type::any();
    } else {
      return Value::unknown();  // the child failed to load: don't guess its outputs
    }
    Type t = Type::object(std::move(outs));
    if (m->count) return Value::unknown(Type::list(t));
    if (m->for_each) return Value::unknown(Type::map(t));
    return Value::unknown(t);
  }
  if (key.root == "count" || key.root == "each" || key.root == "self") return std::nullopt;
  if (key.root == "data") {
    const Resource* r = config_.resource("data." + std::string(key.type) + "." + name);
    if (!r) return std::nullopt;
    return resource_value(*r);
  }
  const Resource* r = config_.resource(std::string(key.root) + "." + name);
  if (!r) return std::nullopt;
  return resource_value(*r);
}

std::vector<std::string> ModuleScope::candidates(const RefKey& key) const {
  std::vector<std::string> out;
  if (key.root == "var") {
    for (const auto& [n, _] : config_.variables) out.push_back(n);
  } else if (key.root == "local") {
    for (const auto& [n, _] : config_.locals) out.push_back(n);
  } else if (key.root == "module") {
    for (const auto& [n, _] : config_.modules) out.push_back(n);
  } else if (key.root == "path") {
    out = {"cwd", "module", "root"};
  } else {
    const bool data = key.root == "data";
    const std::string type(data ? key.type : key.root);
    for (const auto& [_, r] : config_.resources) {
      if (r.is_data() == data && r.type == type) out.push_back(r.name);
    }
  }
  return out;
}

CallContext ModuleScope::call_context() const {
  CallContext ctx;
  ctx.base_dir = config_.dir;
  return ctx;
}

std::optional<Value> ContextScope::lookup(const RefKey& key) const {
  if (key.root == "count") {
    if (flags_.count && key.name == "index") return Value::unknown(Type::number());
    return std::nullopt;
  }
  if (key.root == "each") {
    if (!flags_.each) return std::nullopt;
    if (key.name == "key") return Value::unknown(Type::string());
    if (key.name == "value") return Value::unknown();
    return std::nullopt;
  }
  if (key.root == "self") {
    if (!flags_.self) return std::nullopt;
    if (key.name.empty()) return *flags_.self;
    return std::nullopt;
  }
  return module_.lookup(key);
}

}  // namespace orch::detail
