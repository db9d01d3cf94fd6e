// Acceptance tests of the chef provider against a real Chef Infra Server, run only when
//   ORCH_ACC_CHEF_URL     the organization URL (https://chef.example.com/organizations/ORG)
//   ORCH_ACC_CHEF_CLIENT  a client (or user) allowed to create and delete nodes, roles,
//                         environments and data bags
//   ORCH_ACC_CHEF_KEY     its private key: a PEM file's path, or the PEM itself
// are set (optionally ORCH_ACC_CHEF_CA_FILE, ORCH_ACC_CHEF_SSL_VERIFY=false). Every object is
// named orch-acc-<pid>-<time>-… and deleted at the end, whatever happens. See
// docs/chef-provider.md ("Acceptance tests").
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>

#include "planner/real_clock.h"
#include "providers/chef/chef_provider.h"
#include "tests/support/temp_dir.h"

namespace orch::testing {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

class ChefAcceptanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (env("ORCH_ACC_CHEF_URL").empty() || env("ORCH_ACC_CHEF_CLIENT").empty() ||
        env("ORCH_ACC_CHEF_KEY").empty())
      GTEST_SKIP() << "set ORCH_ACC_CHEF_URL, ORCH_ACC_CHEF_CLIENT and ORCH_ACC_CHEF_KEY to run "
                      "the chef provider against a real Chef Server";
    prefix = "orch-acc-" + std::to_string(::getpid()) + "-" + std::to_string(std::time(nullptr));
    ValueMap cfg = {{"server_url", Value::string(env("ORCH_ACC_CHEF_URL"))},
                    {"client_name", Value::string(env("ORCH_ACC_CHEF_CLIENT"))}};
    const std::string key = env("ORCH_ACC_CHEF_KEY");
    if (key.find("-----BEGIN") != std::string::npos)
      cfg["key"] = Value::string(key).mark_sensitive();
    else
      cfg["key_file"] = Value::string(key);
    if (!env("ORCH_ACC_CHEF_CA_FILE").empty())
      cfg["ca_file"] = Value::string(env("ORCH_ACC_CHEF_CA_FILE"));
    if (env("ORCH_ACC_CHEF_SSL_VERIFY") == "false") cfg["ssl_verify"] = Value::boolean(false);
    ProviderContext ctx;
    ctx.clock = &clock;
    ctx.stack = prefix;
    ctx.state_lineage = prefix;
    provider.configure(cfg, ctx, diags);
    ASSERT_FALSE(diags.has_errors()) << diags.list()[0].summary;
  }

  void TearDown() override {
    // Delete what a failed test may have left, newest first.
    for (auto it = created.rbegin(); it != created.rend(); ++it)
      apply(it->first, it->second.first, ChangeAction::Delete, {}, it->second.second);
  }

  ApplyResult apply(const std::string& type, const std::string& address, ChangeAction action,
                    ValueMap config, std::optional<ObjectState> prior = std::nullopt) {
    ValueMap planned = config;
    if (action != ChangeAction::Delete) {
      PlanRequest pr{type, address, prior, config};
      PlanResponse resp = provider.plan(pr);
      EXPECT_FALSE(resp.diagnostics.has_errors());
      planned = resp.planned;
    }
    ApplyRequest req{type, address, action, prior, planned, prefix + "/" + address, {}};
    std::optional<ApplyResult> out;
    provider.apply(req, [&](ApplyResult r) { out = std::move(r); });
    clock.run();
    if (out && out->object && action == ChangeAction::Create)
      created.push_back({type, {address, out->object}});
    return out.value_or(ApplyResult{});
  }

  std::optional<ObjectState> read(const std::string& type, const std::string& address,
                                  const ObjectState& s) {
    std::optional<ReadResult> out;
    provider.read_many(type, {ReadItem{address, s.id, s.attributes}},
                       [&](ReadResult r) { out = std::move(r); });
    clock.run();
    EXPECT_TRUE(out && !out->error) << (out && out->error ? out->error->summary : "");
    if (!out || !out->objects.count(address)) return std::nullopt;
    return out->objects.at(address);
  }

  RealClock clock;
  ChefProvider provider;
  Diagnostics diags;
  std::string prefix;
  std::vector<std::pair<std::string, std::pair<std::string, std::optional<ObjectState>>>> created;
};

TEST_F(ChefAcceptanceTest, NodeLifecycleKeepsWhatOrchDoesNotOwn) {
  const std::string name = prefix + "-node";
  ValueMap cfg = {
      {"name", Value::string(name)},
      {"run_list", Value::tuple({Value::string("recipe[orch_acc]")})},
      {"normal", Value::object({{"orch_acc", Value::object({{"port", Value::number(80)}})}})},
      {"tags", Value::tuple({Value::string("acc")})}};
  ApplyResult r = apply("chef_node", "chef_node.acc", ChangeAction::Create, cfg);
  ASSERT_FALSE(r.error) << r.error->summary << "\n" << r.error->detail;
  auto back = read("chef_node", "chef_node.acc", *r.object);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->attributes.at("normal").equals(r.object->attributes.at("normal")));
  cfg["normal"] = Value::object({{"orch_acc", Value::object({{"port", Value::number(81)}})}});
  ApplyResult u = apply("chef_node", "chef_node.acc", ChangeAction::Update, cfg, back);
  ASSERT_FALSE(u.error) << u.error->summary;
  back = read("chef_node", "chef_node.acc", *u.object);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->attributes.at("normal")
                .attributes()
                .at("orch_acc")
                .attributes()
                .at("port")
                .as_number()
                .i,
            81);
}

TEST_F(ChefAcceptanceTest, RoleEnvironmentDataBagAndSearch) {
  ApplyResult role = apply("chef_role", "chef_role.acc", ChangeAction::Create,
                           {{"name", Value::string(prefix + "-role")},
                            {"run_list", Value::tuple({Value::string("recipe[orch_acc]")})}});
  ASSERT_FALSE(role.error) << role.error->summary;
  ApplyResult envr = apply("chef_environment", "chef_environment.acc", ChangeAction::Create,
                           {{"name", Value::string(prefix + "-env")}});
  ASSERT_FALSE(envr.error) << envr.error->summary;
  ApplyResult bag = apply("chef_data_bag", "chef_data_bag.acc", ChangeAction::Create,
                          {{"name", Value::string(prefix + "-bag")}});
  ASSERT_FALSE(bag.error) << bag.error->summary;
  ApplyResult item = apply("chef_data_bag_item", "chef_data_bag_item.acc", ChangeAction::Create,
                           {{"data_bag", Value::string(prefix + "-bag")},
                            {"item_id", Value::string("one")},
                            {"content", Value::object({{"k", Value::string("v")}})}});
  ASSERT_FALSE(item.error) << item.error->summary;
  EXPECT_TRUE(read("chef_role", "chef_role.acc", *role.object));
  EXPECT_TRUE(read("chef_environment", "chef_environment.acc", *envr.object));
  EXPECT_TRUE(read("chef_data_bag", "chef_data_bag.acc", *bag.object));
  // The search index lags writes by a second or so; refresh confirms with a GET meanwhile.
  EXPECT_TRUE(read("chef_data_bag_item", "chef_data_bag_item.acc", *item.object));
  std::optional<ValueMap> rows;
  provider.read_data("chef_search",
                     {{"index", Value::string("role")},
                      {"query", Value::string("name:" + prefix + "-role")},
                      {"keys", Value::map({{"name", Value::string("name")}})}},
                     [&](std::optional<ValueMap> v, std::optional<ProviderError> e) {
                       EXPECT_FALSE(e) << e->summary;
                       rows = v;
                     });
  clock.run();
  ASSERT_TRUE(rows);
}

}  // namespace
}  // namespace orch::testing
