// Test schemas shaped like the ec2, chef and etcd providers, and the trap provider.
#include "tests/support/peer_schemas.h"

#include "providers/sim/sim_provider.h"

namespace orch::testing {

namespace {

AttributeSchema attr(std::string name, Type type, bool required, bool computed = false,
                     bool force_new = false) {
  AttributeSchema a;
  a.name = std::move(name);
  a.type = std::move(type);
  a.required = required;
  a.optional = !required && !computed;
  a.computed = computed;
  a.force_new = force_new;
  return a;
}

AttributeSchema computed(std::string name, Type type) {
  return attr(std::move(name), std::move(type), false, true);
}

class TrapProvider final : public Provider {
 public:
  TrapProvider(ProviderSchema s, std::shared_ptr<TrapCalls> c)
      : schema_(std::move(s)), calls_(std::move(c)) {}
  const ProviderSchema& schema() const override { return schema_; }
  void configure(const ValueMap&, const ProviderContext&, Diagnostics& diags) override {
    ++calls_->configure;
    diags.error({}, "trap: " + schema_.name + " was configured for real");
  }
  void read_many(const std::string&, std::vector<ReadItem>,
                 std::function<void(ReadResult)> done) override {
    ++calls_->read;
    ReadResult r;
    r.error = ProviderError{"trap: real read", "", false, std::nullopt};
    done(r);
  }
  void read_data(
      const std::string&, const ValueMap&,
      std::function<void(std::optional<ValueMap>, std::optional<ProviderError>)> done) override {
    ++calls_->read;
    done(std::nullopt, ProviderError{"trap: real read", "", false, std::nullopt});
  }
  PlanResponse plan(const PlanRequest&) override {
    ++calls_->plan;
    PlanResponse r;
    r.diagnostics.error({}, "trap: real plan");
    return r;
  }
  void apply(const ApplyRequest&, std::function<void(ApplyResult)> done) override {
    ++calls_->apply;
    done({std::nullopt, ProviderError{"trap: real apply", "", false, std::nullopt}});
  }
  void check_gate(const GateRequest&, std::function<void(GateResult)> done) override {
    ++calls_->gate;
    GateResult r;
    r.error = ProviderError{"trap: real gate", "", false, std::nullopt};
    done(r);
  }
  ProviderLimits limits() const override { return {8, 0, {}}; }

 private:
  ProviderSchema schema_;
  std::shared_ptr<TrapCalls> calls_;
};

}  // namespace

ProviderSchema ec2_like_schema() {
  const Type str = Type::string();
  ProviderSchema p;
  p.name = "ec2";
  p.config.attributes = {attr("region", str, false), attr("endpoint", str, false),
                         attr("profile", str, false)};
  Schema inst;
  inst.attributes = {
      attr("image_id", str, true, false, true),
      attr("instance_type", str, true),
      attr("subnet_id", str, false, false, true),
      attr("security_group_ids", Type::list(str), false),
      attr("key_name", str, false, false, true),
      attr("tags", Type::map(str), false),
      attr("root_volume_size", Type::number(), false, false, true),
      computed("id", str),
      computed("private_ip", str),
      computed("private_dns", str),
      computed("public_ip", str),
      computed("state", str),
  };
  inst.simulation.id_prefix = "i-";
  inst.simulation.latency = {{"create", "lognormal(80s, 0.25)"}, {"delete", "45s"}};
  p.resources["ec2_instance"] = inst;
  return p;
}

ProviderSchema chef_like_schema() {
  const Type str = Type::string();
  ProviderSchema p;
  p.name = "chef";
  p.config.attributes = {attr("server_url", str, false), attr("client_name", str, false),
                         attr("key_path", str, false)};
  Schema node;
  node.attributes = {
      attr("name", str, true, false, true),     attr("chef_environment", str, false),
      attr("run_list", Type::list(str), false), attr("normal", Type::any(), false),
      attr("tags", Type::list(str), false),     computed("id", str),
  };
  p.resources["chef_node"] = node;
  Schema converge;
  converge.attributes = {
      attr("nodes", Type::list(str), true),
      attr("via", str, false),
      attr("command", str, false),
      attr("triggers", Type::map(str), false),
      computed("id", str),
      computed("runs", Type::number()),
  };
  converge.simulation.counters = {{"runs", ""}};
  p.resources["chef_converge"] = converge;
  Schema search;
  search.attributes = {attr("index", str, true), attr("query", str, true),
                       computed("rows", Type::list(Type::map(str)))};
  p.data_sources["chef_search"] = search;
  p.gates = {GateSchema{"chef_node", str, "the node is registered"},
             GateSchema{"chef_tag", str, "the node has the tag"}};
  return p;
}

ProviderSchema etcd_like_schema() {
  const Type str = Type::string();
  ProviderSchema p;
  p.name = "etcd";
  p.config.attributes = {attr("endpoints", Type::list(str), false)};
  Schema key;
  key.attributes = {attr("key", str, true, false, true), attr("value", str, true),
                    computed("revision", Type::number())};
  p.resources["etcd_key"] = key;
  Schema election;
  election.attributes = {attr("name", str, true, false, true),
                         attr("candidates", Type::list(str), true), computed("leader", str),
                         computed("epoch", Type::number())};
  election.simulation.first_ready = {{"leader", "candidates"}};
  election.simulation.counters = {{"epoch", "leader"}};
  p.resources["etcd_election"] = election;
  return p;
}

std::unique_ptr<Provider> make_trap_provider(ProviderSchema schema,
                                             std::shared_ptr<TrapCalls> calls) {
  return std::make_unique<TrapProvider>(std::move(schema), std::move(calls));
}

SchemaRegistry peer_schemas() {
  SchemaRegistry r;
  r.add(ec2_like_schema());
  r.add(chef_like_schema());
  r.add(etcd_like_schema());
  r.add(sim_schema());
  return r;
}

}  // namespace orch::testing
