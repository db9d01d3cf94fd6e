// Tests of the simulated twin (providers/simtwin/twin_provider.h) on its own: plan-time values,
// apply on the virtual clock, hints (first-ready leaders, counters, templates), failures,
// refresh from the recorded state.
#include "providers/simtwin/twin_provider.h"

#include <gtest/gtest.h>

#include "planner/virtual_clock.h"
#include "providers/chef/chef_provider.h"
#include "providers/sim/sim_provider.h"
#include "tests/support/peer_schemas.h"

namespace orch {
namespace {

using namespace std::chrono_literals;

class TwinProviderTest : public ::testing::Test {
 protected:
  TwinProvider& twin(ProviderSchema schema, SimProfile profile = {}) {
    model = std::make_shared<TwinModel>(std::move(profile), 1);
    twins.push_back(std::make_unique<TwinProvider>(std::move(schema), model));
    ProviderContext ctx;
    ctx.clock = &clock;
    Diagnostics d;
    twins.back()->configure({{"region", Value::string("nowhere")}}, ctx, d);
    EXPECT_FALSE(d.has_errors());
    return *twins.back();
  }

  // Plans then applies; returns the object (or the error) and when it finished.
  ApplyResult run(Provider& p, const std::string& type, const std::string& address, ValueMap config,
                  ChangeAction action = ChangeAction::Create,
                  std::optional<ObjectState> prior = std::nullopt,
                  std::vector<SatisfiedDependency> satisfied_by = {}) {
    PlanRequest pr{type, address, prior, std::move(config)};
    PlanResponse planned = p.plan(pr);
    EXPECT_FALSE(planned.diagnostics.has_errors());
    ApplyRequest ar;
    ar.type = type;
    ar.address = address;
    ar.action = action;
    ar.prior = prior;
    ar.planned = planned.planned;
    ar.satisfied_by = std::move(satisfied_by);
    std::optional<ApplyResult> got;
    p.apply(ar, [&](ApplyResult r) { got = std::move(r); });
    clock.run();
    EXPECT_TRUE(got);
    return got.value_or(ApplyResult{});
  }

  VirtualClock clock;
  std::shared_ptr<TwinModel> model;
  std::vector<std::unique_ptr<TwinProvider>> twins;
};

TEST_F(TwinProviderTest, CreatesWithSynthesizedComputedAttributes) {
  TwinProvider& ec2 = twin(testing::ec2_like_schema());
  ValueMap cfg = {{"image_id", Value::string("ami-1")},
                  {"instance_type", Value::string("m5.large")}};
  PlanResponse planned = ec2.plan(PlanRequest{"ec2_instance", "ec2_instance.node[0]", {}, cfg});
  EXPECT_TRUE(planned.planned.at("id").is_unknown());
  EXPECT_TRUE(planned.planned.at("private_dns").is_unknown());
  EXPECT_EQ(planned.planned.at("image_id").as_string(), "ami-1");

  ApplyResult r = run(ec2, "ec2_instance", "ec2_instance.node[0]", cfg);
  ASSERT_TRUE(r.object) << (r.error ? r.error->summary : "");
  const ValueMap& a = r.object->attributes;
  EXPECT_EQ(r.object->id.substr(0, 2), "i-");
  EXPECT_EQ(a.at("id").as_string(), r.object->id);
  EXPECT_EQ(a.at("private_dns").as_string(), "node-0.ec2.internal");
  EXPECT_EQ(a.at("private_ip").as_string().substr(0, 3), "10.");
  EXPECT_EQ(a.at("state").as_string(), "ready");
  for (const auto& [k, v] : a) EXPECT_TRUE(v.is_wholly_known()) << k;
  // lognormal(80s, 0.25) from the schema's hint.
  EXPECT_GT(clock.now(), 30s);
  EXPECT_LT(clock.now(), 200s);
}

TEST_F(TwinProviderTest, PlanKeepsComputedValuesAndNamesForceNew) {
  TwinProvider& ec2 = twin(testing::ec2_like_schema());
  ValueMap cfg = {{"image_id", Value::string("ami-1")},
                  {"instance_type", Value::string("m5.large")}};
  ApplyResult created = run(ec2, "ec2_instance", "ec2_instance.n", cfg);
  ASSERT_TRUE(created.object);
  // Unchanged: exactly the recorded object, so a plan shows nothing to do.
  PlanResponse same = ec2.plan(PlanRequest{"ec2_instance", "ec2_instance.n", created.object, cfg});
  for (const auto& [k, v] : same.planned) {
    ASSERT_TRUE(created.object->attributes.count(k)) << k;
    EXPECT_TRUE(v.equals(created.object->attributes.at(k))) << k;
  }
  EXPECT_TRUE(same.force_new_paths.empty());
  // In place: computed values kept.
  cfg["instance_type"] = Value::string("m5.xlarge");
  PlanResponse update =
      ec2.plan(PlanRequest{"ec2_instance", "ec2_instance.n", created.object, cfg});
  EXPECT_TRUE(update.force_new_paths.empty());
  EXPECT_EQ(update.planned.at("id").as_string(), created.object->id);
  // Force-new: named, computed values unknown again.
  cfg["image_id"] = Value::string("ami-2");
  PlanResponse replace =
      ec2.plan(PlanRequest{"ec2_instance", "ec2_instance.n", created.object, cfg});
  EXPECT_EQ(replace.force_new_paths, std::vector<std::string>{"image_id"});
  EXPECT_TRUE(replace.planned.at("id").is_unknown());
}

TEST_F(TwinProviderTest, ElectionLeaderIsTheFirstReadyCandidate) {
  TwinProvider& etcd = twin(testing::etcd_like_schema());
  ValueMap cfg = {
      {"name", Value::string("cdh/master")},
      {"candidates", Value::list({Value::string("a.internal"), Value::string("b.internal"),
                                  Value::string("c.internal")})}};
  SatisfiedDependency first{"ec2_instance.node[2]", {{"private_dns", Value::string("c.internal")}}};
  ApplyResult r = run(etcd, "etcd_election", "etcd_election.master", cfg, ChangeAction::Create,
                      std::nullopt, {first});
  ASSERT_TRUE(r.object);
  EXPECT_EQ(r.object->attributes.at("leader").as_string(), "c.internal");
  EXPECT_EQ(r.object->attributes.at("epoch").as_number().i, 1);

  // Still a candidate: the leader stays, known at plan time, epoch unchanged.
  cfg["candidates"] = Value::list({Value::string("c.internal"), Value::string("d.internal")});
  PlanResponse p = etcd.plan(PlanRequest{"etcd_election", "etcd_election.master", r.object, cfg});
  EXPECT_EQ(p.planned.at("leader").as_string(), "c.internal");
  EXPECT_EQ(p.planned.at("epoch").as_number().i, 1);

  // The leader left: a new election (unknown at plan time), epoch + 1.
  cfg["candidates"] = Value::list({Value::string("a.internal"), Value::string("d.internal")});
  p = etcd.plan(PlanRequest{"etcd_election", "etcd_election.master", r.object, cfg});
  EXPECT_TRUE(p.planned.at("leader").is_unknown());
  EXPECT_TRUE(p.planned.at("epoch").is_unknown());
  ApplyResult again =
      run(etcd, "etcd_election", "etcd_election.master", cfg, ChangeAction::Update, r.object,
          {SatisfiedDependency{"x", {{"dns", Value::string("d.internal")}}}});
  ASSERT_TRUE(again.object);
  EXPECT_EQ(again.object->attributes.at("leader").as_string(), "d.internal");
  EXPECT_EQ(again.object->attributes.at("epoch").as_number().i, 2);
  EXPECT_EQ(again.object->id, r.object->id);
}

TEST_F(TwinProviderTest, WithoutAnyOfTheFirstCandidateLeads) {
  TwinProvider& etcd = twin(testing::etcd_like_schema());
  ValueMap cfg = {{"name", Value::string("e")},
                  {"candidates", Value::list({Value::string("x"), Value::string("y")})}};
  ApplyResult r = run(etcd, "etcd_election", "etcd_election.e", cfg);
  ASSERT_TRUE(r.object);
  EXPECT_EQ(r.object->attributes.at("leader").as_string(), "x");
}

TEST_F(TwinProviderTest, ElectionsWithoutHintsAreRecognisedByName) {
  ProviderSchema schema = testing::etcd_like_schema();
  schema.resources["etcd_election"].simulation = {};
  TwinProvider& etcd = twin(schema);
  ValueMap cfg = {{"name", Value::string("e")},
                  {"candidates", Value::list({Value::string("x"), Value::string("y")})}};
  ApplyResult r = run(etcd, "etcd_election", "etcd_election.e", cfg, ChangeAction::Create,
                      std::nullopt, {SatisfiedDependency{"m.n[1]", {{"dns", Value::string("y")}}}});
  ASSERT_TRUE(r.object);
  EXPECT_EQ(r.object->attributes.at("leader").as_string(), "y");
}

TEST_F(TwinProviderTest, CountersCountRuns) {
  TwinProvider& chef = twin(testing::chef_like_schema());
  ValueMap cfg = {{"nodes", Value::list({Value::string("n1")})},
                  {"triggers", Value::map({{"v", Value::string("1")}})}};
  ApplyResult r = run(chef, "chef_converge", "chef_converge.all", cfg);
  ASSERT_TRUE(r.object);
  EXPECT_EQ(r.object->attributes.at("runs").as_number().i, 1);
  PlanResponse same = chef.plan(PlanRequest{"chef_converge", "chef_converge.all", r.object, cfg});
  EXPECT_EQ(same.planned.at("runs").as_number().i, 1);
  cfg["triggers"] = Value::map({{"v", Value::string("2")}});
  PlanResponse changed =
      chef.plan(PlanRequest{"chef_converge", "chef_converge.all", r.object, cfg});
  EXPECT_TRUE(changed.planned.at("runs").is_unknown());
  ApplyResult again =
      run(chef, "chef_converge", "chef_converge.all", cfg, ChangeAction::Update, r.object);
  ASSERT_TRUE(again.object);
  EXPECT_EQ(again.object->attributes.at("runs").as_number().i, 2);
  // chef_converge has no latency hint: a guess of minutes ("converge").
  EXPECT_GT(clock.now(), 1min);
}

TEST_F(TwinProviderTest, SimHintsReproduceTheSimProvider) {
  TwinProvider& sim = twin(sim_schema());
  ValueMap cfg = {{"name", Value::string("node-0")}, {"boot_time", Value::string("42s")}};
  PlanResponse p = sim.plan(PlanRequest{"sim_machine", "sim_machine.node[0]", {}, cfg});
  EXPECT_EQ(p.planned.at("private_dns").as_string(), "node-0.sim.internal");  // a template
  EXPECT_EQ(p.planned.at("size").as_string(), "small");                       // a default
  ApplyResult r = run(sim, "sim_machine", "sim_machine.node[0]", cfg);
  ASSERT_TRUE(r.object);
  EXPECT_EQ(clock.now(), 42s);  // boot_time, the schema's duration attribute
  EXPECT_EQ(r.object->id.substr(0, 2), "m-");
  EXPECT_EQ(r.object->attributes.at("private_dns").as_string(), "node-0.sim.internal");
}

TEST_F(TwinProviderTest, FailuresFromTheProfile) {
  SimProfile profile;
  profile.resources["ec2_instance"].fail_rate = 1.0;
  TwinProvider& ec2 = twin(testing::ec2_like_schema(), profile);
  ApplyResult r = run(ec2, "ec2_instance", "ec2_instance.n",
                      {{"image_id", Value::string("a")}, {"instance_type", Value::string("t")}});
  ASSERT_TRUE(r.error);
  EXPECT_FALSE(r.object);
  EXPECT_FALSE(r.error->retryable);
  EXPECT_NE(r.error->summary.find("simulated failure of create"), std::string::npos);
  EXPECT_NE(r.error->detail.find("fail_rate = 1 with seed 1"), std::string::npos);

  SimProfile flaky;
  flaky.resources["ec2_instance"].transient_rate = 1.0;
  TwinProvider& ec2b = twin(testing::ec2_like_schema(), flaky);
  r = run(ec2b, "ec2_instance", "ec2_instance.n",
          {{"image_id", Value::string("a")}, {"instance_type", Value::string("t")}});
  ASSERT_TRUE(r.error);
  EXPECT_TRUE(r.error->retryable);
}

TEST_F(TwinProviderTest, RefreshReturnsWhatTheStateRecorded) {
  TwinProvider& ec2 = twin(testing::ec2_like_schema());
  std::optional<ReadResult> got;
  ec2.read_many("ec2_instance",
                {ReadItem{"ec2_instance.a", "i-1", {{"id", Value::string("i-1")}}},
                 ReadItem{"ec2_instance.b", "i-2", {{"id", Value::string("i-2")}}}},
                [&](ReadResult r) { got = std::move(r); });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->requests, 1);
  ASSERT_EQ(got->objects.size(), 2u);
  EXPECT_EQ(got->objects.at("ec2_instance.b").id, "i-2");
}

TEST_F(TwinProviderTest, DataSourcesAreSynthesized) {
  TwinProvider& chef = twin(testing::chef_like_schema());
  std::optional<ValueMap> got;
  chef.read_data("chef_search",
                 {{"index", Value::string("node")}, {"query", Value::string("role:web")}},
                 [&](std::optional<ValueMap> v, std::optional<ProviderError> e) {
                   EXPECT_FALSE(e);
                   got = std::move(v);
                 });
  clock.run();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->at("query").as_string(), "role:web");
  EXPECT_EQ(got->at("rows").kind(), ValueKind::List);
  EXPECT_TRUE(got->at("rows").is_wholly_known());
}

TEST_F(TwinProviderTest, SearchRowsHaveThePartialSearchKeys) {
  // chef_search's element_keys hint: a row is an object with the `keys` of the search, so that
  // configurations reading row.name / row.ip are rehearsed unchanged.
  TwinProvider& chef = twin(chef_schema());
  auto read = [&](ValueMap config) {
    std::optional<ValueMap> got;
    chef.read_data("chef_search", std::move(config),
                   [&](std::optional<ValueMap> v, std::optional<ProviderError>) { got = v; });
    clock.run();
    return got;
  };
  auto rows = read(
      {{"index", Value::string("node")},
       {"keys", Value::map({{"name", Value::string("name")}, {"ip", Value::string("ipaddress")}},
                           Type::string())}});
  ASSERT_TRUE(rows);
  const Value& r = rows->at("rows");
  ASSERT_EQ(r.length(), 1u);
  const Value& row = r.elements()[0];
  ASSERT_TRUE(row.is_mapping());
  EXPECT_EQ(row.attributes().size(), 2u);
  EXPECT_EQ(row.attributes().at("ip").kind(), ValueKind::String);
  EXPECT_TRUE(row.attributes().count("name"));
  // Without keys (whole objects), rows stay synthesized from their type.
  auto whole = read({{"index", Value::string("node")}});
  ASSERT_TRUE(whole);
  EXPECT_TRUE(whole->at("rows").is_wholly_known());
}

TEST_F(TwinProviderTest, KeepsTheRealProvidersLimitsUnlessTheProfileSays) {
  auto calls = std::make_shared<testing::TrapCalls>();
  auto m = std::make_shared<TwinModel>();
  auto t = make_twin(testing::make_trap_provider(testing::ec2_like_schema(), calls), m);
  EXPECT_EQ(t->limits().max_concurrency, 8);
  SimProfile p;
  p.providers["ec2"].max_concurrency = 3;
  auto t2 = make_twin(testing::make_trap_provider(testing::ec2_like_schema(), calls),
                      std::make_shared<TwinModel>(p));
  EXPECT_EQ(t2->limits().max_concurrency, 3);
  EXPECT_EQ(calls->total(), 0);
}

}  // namespace
}  // namespace orch
