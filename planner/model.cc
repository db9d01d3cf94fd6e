// The evaluation model: scopes over modules, lazy locals/outputs/blocks, reference resolution.
#include "planner/model.h"

#include <filesystem>

#include "compiler/vars.h"

namespace orch {
namespace {

class ModelScope : public EvalScope {
 public:
  ModelScope(Model& m, Model::Module& mod, Model::Repetition rep)
      : m_(m), mod_(mod), rep_(std::move(rep)) {}

  std::optional<Value> lookup(const RefKey& key) const override {
    std::string name(key.name);
    if (key.root == "var") {
      const ValueMap& vars = m_.module_variables(mod_);
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    }
    if (key.root == "local") {
      if (!mod_.config->local(name)) return std::nullopt;
      return m_.local_value(mod_, name);
    }
    if (key.root == "module") {
      auto it = mod_.children.find(name);
      if (it == mod_.children.end()) return std::nullopt;
      ValueMap outs;
      for (const auto& [oname, o] : it->second->config->outputs)
        outs[oname] = m_.output_value(*it->second, oname);
      return Value::object(std::move(outs));
    }
    if (key.root == "count") {
      if (rep_.count_index && name == "index") return *rep_.count_index;
      return std::nullopt;
    }
    if (key.root == "each") {
      if (rep_.each_key && name == "key") return *rep_.each_key;
      if (rep_.each_value && name == "value") return *rep_.each_value;
      return std::nullopt;
    }
    if (key.root == "self") {
      if (rep_.self) return *rep_.self;
      return std::nullopt;
    }
    if (key.root == "path") {
      if (name == "module") return Value::string(mod_.config->dir);
      if (name == "root") return Value::string(mod_.config->root_dir);
      if (name == "cwd") return Value::string(std::filesystem::current_path().string());
      return std::nullopt;
    }
    std::string prefix = mod_.config->address_prefix();
    std::string address = key.root == "data" ? prefix + "data." + std::string(key.type) + "." + name
                                             : prefix + std::string(key.root) + "." + name;
    Model::Block* b = m_.block(address);
    if (!b) return std::nullopt;
    return m_.block_value(*b);
  }

  std::optional<Value> lookup_instance(const RefKey& key, const Value& index) const override {
    if (key.root == "var" || key.root == "local" || key.root == "module" || key.root == "count" ||
        key.root == "each" || key.root == "self" || key.root == "path")
      return std::nullopt;
    std::string prefix = mod_.config->address_prefix();
    std::string address =
        key.root == "data" ? prefix + "data." + std::string(key.type) + "." + std::string(key.name)
                           : prefix + std::string(key.root) + "." + std::string(key.name);
    Model::Block* b = m_.block(address);
    if (!b) return std::nullopt;
    return m_.instance_value(*b, index);
  }

  std::vector<std::string> candidates(const RefKey& key) const override {
    std::vector<std::string> out;
    if (key.root == "var")
      for (const auto& [n, v] : mod_.config->variables) out.push_back(n);
    if (key.root == "local")
      for (const auto& [n, v] : mod_.config->locals) out.push_back(n);
    if (key.root == "module")
      for (const auto& [n, v] : mod_.config->modules) out.push_back(n);
    return out;
  }

  CallContext call_context() const override {
    CallContext c;
    c.base_dir = mod_.config->dir;
    return c;
  }

 private:
  Model& m_;
  Model::Module& mod_;
  Model::Repetition rep_;
};

}  // namespace

Model::Model(const Config& root, ValueMap root_variables, Diagnostics& diags) : diags_(diags) {
  root_ = std::make_unique<Module>();
  root_->config = &root;
  root_->variables = std::move(root_variables);
  build(*root_);
}

void Model::build(Module& m) {
  for (const auto& [addr, r] : m.config->resources) {
    Block b;
    b.address = m.config->address_prefix() + addr;
    b.resource = &r;
    b.module = &m;
    blocks_.emplace(b.address, std::move(b));
  }
  for (const auto& [name, call] : m.config->modules) {
    if (!call.child) continue;
    if (call.count || call.for_each) {
      diags_.error(call.range, "Module repetition is not supported yet",
                   "count and for_each on module blocks are not supported by this version of "
                   "orch; repeat the resources inside the module instead.");
      continue;
    }
    auto child = std::make_unique<Module>();
    child->path = m.config->address_prefix() + "module." + name;
    child->config = call.child.get();
    child->parent = &m;
    child->call = &call;
    build(*child);
    m.children.emplace(name, std::move(child));
  }
}

Model::Block* Model::block(const std::string& address) {
  auto it = blocks_.find(address);
  return it == blocks_.end() ? nullptr : &it->second;
}

void Model::for_each_module(const std::function<void(Module&)>& fn) {
  std::function<void(Module&)> walk = [&](Module& m) {
    fn(m);
    for (auto& [n, c] : m.children) walk(*c);
  };
  walk(*root_);
}

void Model::set_expansion(Block& b, Expansion expansion) {
  b.expansion = std::move(expansion);
  b.visit = 2;
  ++block_gen_[b.address];
  ++generation_;
}

void Model::set_value(const std::string& instance, const std::string& block, Value v) {
  values_[instance] = std::move(v);
  ++block_gen_[block];
  ++generation_;
}

void Model::erase_value(const std::string& instance, const std::string& block) {
  values_.erase(instance);
  ++block_gen_[block];
  ++generation_;
}

const Value* Model::value(const std::string& instance) const {
  auto it = values_.find(instance);
  return it == values_.end() ? nullptr : &it->second;
}

Value Model::block_value(Block& b) {
  if (b.visit == 1) return Value::unknown();  // a cycle: the graph reports it
  if (b.visit == 0) {
    b.visit = 1;
    if (plan_block) plan_block(b);
    b.visit = 2;
  }
  uint64_t gen = block_gen_[b.address];
  if (b.cached_gen == gen) return b.cached;
  auto val = [&](const ExpandedInstance& i) {
    const Value* v = value(i.address);
    return v ? *v : Value::unknown();
  };
  Value out;
  if (b.expansion.unknown) {
    out = Value::unknown();
  } else if (b.expansion.counted) {
    ValueList items;
    items.reserve(b.expansion.instances.size());
    for (const auto& i : b.expansion.instances)
      if (value(i.address)) items.push_back(val(i));
    out = Value::tuple(std::move(items));
  } else if (b.expansion.keyed) {
    ValueMap items;
    for (const auto& i : b.expansion.instances)
      if (value(i.address)) items[i.addr.key.key] = val(i);
    out = Value::object(std::move(items));
  } else if (!b.expansion.instances.empty()) {
    out = val(b.expansion.instances[0]);
  } else {
    out = Value::unknown();
  }
  b.cached = out;
  b.cached_gen = gen;
  return out;
}

std::optional<Value> Model::instance_value(Block& b, const Value& index) {
  if (b.visit == 0) {
    b.visit = 1;
    if (plan_block) plan_block(b);
    b.visit = 2;
  }
  if (b.visit != 2 || b.expansion.unknown) return std::nullopt;
  InstanceKey key;
  if (b.expansion.counted && index.kind() == ValueKind::Number && index.as_number().is_int)
    key = InstanceKey::of(index.as_number().i);
  else if (b.expansion.keyed && index.kind() == ValueKind::String)
    key = InstanceKey::of(index.as_string());
  else
    return std::nullopt;
  const Value* v = value(b.address + key.str());
  if (!v) return std::nullopt;
  return *v;
}

Value Model::local_value(Module& m, const std::string& name) {
  auto cached = m.locals.find(name);
  auto gen_it = local_gen_.find({&m, name});
  if (cached != m.locals.end() && gen_it != local_gen_.end() && gen_it->second == generation_)
    return cached->second;
  int& visit = m.local_visit[name];
  if (visit == 1) return Value::unknown();  // cycle among locals: the checker reports it
  const Local* l = m.config->local(name);
  if (!l || !l->value) return Value();
  visit = 1;
  auto s = scope(m);
  // Errors are reported once: re-evaluations after values change go to a scratch list.
  Diagnostics scratch;
  Value v = evaluate(*l->value, *s, local_gen_.count({&m, name}) ? scratch : diags_);
  visit = 2;
  m.locals[name] = v;
  local_gen_[{&m, name}] = generation_;
  return v;
}

Value Model::output_value(Module& m, const std::string& name) {
  const Output* o = m.config->output(name);
  if (!o || !o->value) return Value();
  auto s = scope(m);
  Diagnostics scratch;
  Value v = evaluate(*o->value, *s, scratch);
  if (o->sensitive) v = v.mark_sensitive();
  return v;
}

const ValueMap& Model::module_variables(Module& m) {
  if (variables_ready(m)) return m.variables;
  vars_done_[&m] = true;  // set first: a variable referring to itself reads an empty map
  ValueMap inputs;
  auto s = scope(*m.parent);
  for (const auto& [name, attr] : m.call->inputs)
    if (attr && attr->value) inputs[name] = evaluate(*attr->value, *s, diags_);
  m.variables = resolve_module_variables(*m.config, inputs, m.call->range, diags_);
  return m.variables;
}

std::unique_ptr<EvalScope> Model::scope(Module& m, Repetition rep) {
  return std::make_unique<ModelScope>(*this, m, std::move(rep));
}

static Value evaluate_nested(Model& model, const Body& body, const EvalScope& scope,
                             Diagnostics& diags) {
  ValueMap obj;
  for (const auto& a : body.attributes)
    if (a.value) obj[a.name] = evaluate(*a.value, scope, diags);
  std::map<std::string, ValueList> nested;
  for (const auto& b : body.blocks)
    nested[b.type].push_back(evaluate_nested(model, b.body, scope, diags));
  for (auto& [t, list] : nested) obj[t] = Value::list(std::move(list));
  return Value::object(std::move(obj));
}

ValueMap Model::evaluate_body(const Resource& r, const EvalScope& scope, Diagnostics& diags) {
  ValueMap config;
  for (const Attribute* a : r.attributes)
    if (a && a->value) config[a->name] = evaluate(*a->value, scope, diags);
  std::map<std::string, ValueList> nested;
  for (const orch::Block* b : r.blocks)
    if (b) nested[b->type].push_back(evaluate_nested(*this, b->body, scope, diags));
  for (auto& [t, list] : nested) config[t] = Value::list(std::move(list));
  if (r.triggers) config["triggers"] = evaluate(*r.triggers, scope, diags);
  return config;
}

void Model::module_blocks(Module& m, std::set<std::string>& out) {
  for (const auto& [addr, r] : m.config->resources) out.insert(m.config->address_prefix() + addr);
  for (auto& [n, c] : m.children) module_blocks(*c, out);
}

void Model::add_refs(Module& m, const std::vector<Reference>& refs, const EvalScope* inst_scope,
                     InstanceNeeds& out, int depth) {
  if (depth > 64) return;
  std::string prefix = m.config->address_prefix();
  for (const auto& ref : refs) {
    switch (ref.kind) {
      case RefKind::Resource:
      case RefKind::DataSource: {
        std::string block = prefix + ref.address();
        if (!blocks_.count(block)) break;
        if (ref.index && !ref.splat && inst_scope) {
          Diagnostics scratch;
          Value k = evaluate(*ref.index, *inst_scope, scratch).unmarked();
          if (!scratch.has_errors() && k.kind() == ValueKind::Number && k.as_number().is_int) {
            out.instances.insert(block + InstanceKey::of(k.as_number().i).str());
            break;
          }
          if (!scratch.has_errors() && k.kind() == ValueKind::String) {
            out.instances.insert(block + InstanceKey::of(k.as_string()).str());
            break;
          }
        }
        out.blocks.insert(block);
        break;
      }
      case RefKind::Local: {
        auto key = std::make_pair(static_cast<const Module*>(&m), ref.name);
        auto it = local_refs_.find(key);
        if (it == local_refs_.end()) {
          std::vector<Reference> lr;
          if (const Local* l = m.config->local(ref.name); l && l->value)
            collect_references(*l->value, lr);
          it = local_refs_.emplace(key, std::move(lr)).first;
        }
        add_refs(m, it->second, nullptr, out, depth + 1);
        break;
      }
      case RefKind::Module: {
        auto it = m.children.find(ref.name);
        if (it != m.children.end()) module_blocks(*it->second, out.blocks);
        break;
      }
      case RefKind::Variable: {
        if (!m.parent || !m.call) break;
        auto it = m.call->inputs.find(ref.name);
        if (it == m.call->inputs.end() || !it->second || !it->second->value) break;
        std::vector<Reference> vr;
        collect_references(*it->second->value, vr);
        add_refs(*m.parent, vr, nullptr, out, depth + 1);
        break;
      }
      default:
        break;
    }
  }
}

InstanceNeeds Model::expansion_needs(Block& b) {
  ExpandedInstance none;  // no count.index / each.key: indexed references need the whole block
  none.addr = block_address(*b.resource, b.module->path);
  none.address = b.address;
  InstanceNeeds out = needs(b, none);
  std::vector<Reference> refs;
  if (b.resource->count) collect_references(*b.resource->count, refs);
  if (b.resource->for_each) collect_references(*b.resource->for_each, refs);
  InstanceNeeds meta;
  add_refs(*b.module, refs, nullptr, meta, 0);
  out.blocks.insert(meta.blocks.begin(), meta.blocks.end());
  for (const auto& i : meta.instances) out.instances.insert(i);
  out.blocks.erase(b.address);
  // An any(x) dependency stays one: the expansion also needs x's values, but any(x) is the
  // declared order, as for instances.
  for (const auto& blk : out.any) out.blocks.erase(blk);
  return out;
}

InstanceNeeds Model::needs(Block& b, const ExpandedInstance& inst) {
  InstanceNeeds out;
  const Resource& r = *b.resource;
  std::vector<Reference> refs;
  for (const Attribute* a : r.attributes)
    if (a && a->value) collect_references(*a->value, refs);
  for (const orch::Block* nb : r.blocks)
    if (nb) collect_references(nb->body, refs);
  if (r.triggers) collect_references(*r.triggers, refs);
  if (r.lock) collect_references(*r.lock, refs);  // a step waits for its lock resource
  if (r.ready_when) {
    if (r.ready_when->value) collect_references(*r.ready_when->value, refs);
    for (const auto& [n, a] : r.ready_when->args)
      if (a && a->value) collect_references(*a->value, refs);
  }
  Repetition rep{inst.count_index, inst.each_key, inst.each_value, std::nullopt};
  auto s = scope(*b.module, rep);
  add_refs(*b.module, refs, s.get(), out, 0);

  std::string prefix = b.module->config->address_prefix();
  for (const auto& d : r.depends_on) {
    if (d.address.rfind("module.", 0) == 0) {
      std::string name = d.address.substr(7);
      auto it = b.module->children.find(name);
      if (it != b.module->children.end()) module_blocks(*it->second, out.blocks);
      continue;
    }
    std::string block = prefix + d.address;
    if (!blocks_.count(block)) continue;
    (d.any_of ? out.any : out.blocks).insert(block);
  }
  out.blocks.erase(b.address);
  // `depends_on = [any(x)]` is the declared ordering for x: references to x's values do not add
  // an all-of dependency (the election reads its candidates, but starts after the first one).
  for (const auto& blk : out.any) {
    out.blocks.erase(blk);
    for (auto it = out.instances.begin(); it != out.instances.end();)
      it = it->rfind(blk + "[", 0) == 0 ? out.instances.erase(it) : std::next(it);
  }
  return out;
}

}  // namespace orch
