// The ec2 provider (providers/ec2/ec2_provider.h) in-process against the fake endpoint: idempotent
// creates, batched refresh, eventual consistency, adoption, in-place updates, deletes, errors.
#include "providers/ec2/ec2_provider.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "planner/real_clock.h"
#include "tests/fakes/fake_ec2.h"

namespace orch {
namespace {

using fakes::FakeEc2Options;
using fakes::FakeEc2Server;

class Ec2ProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("AWS_ACCESS_KEY_ID", "AKIDFAKEEC2", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "fake/secret/key", 1);
    ::unsetenv("AWS_SESSION_TOKEN");
    ::unsetenv("AWS_PROFILE");
  }
  void TearDown() override {
    ::unsetenv("AWS_ACCESS_KEY_ID");
    ::unsetenv("AWS_SECRET_ACCESS_KEY");
  }

  void start(FakeEc2Options o = {}) {
    if (o.pending == std::chrono::milliseconds(1000)) o.pending = std::chrono::milliseconds(100);
    o.stopping = o.shutting_down = std::chrono::milliseconds(100);
    server = std::make_unique<FakeEc2Server>(o);
    provider = std::make_unique<Ec2Provider>();
    ProviderContext ctx;
    ctx.clock = &clock;
    ctx.stack = "teststack";
    ctx.state_lineage = "lineage-1";
    ValueMap cfg{{"endpoint", Value::string(server->url())},
                 {"region", Value::string("us-east-1")},
                 {"poll_interval", Value::string("50ms")},
                 {"max_requests_per_second", Value::number(int64_t{0})}};
    Diagnostics d;
    provider->configure(cfg, ctx, d);
    ASSERT_FALSE(d.has_errors());
  }

  ValueMap instance_config(const std::string& type = "t3.micro") {
    return {{"image_id", Value::string("ami-0c55b159cbfafe1f0")},
            {"instance_type", Value::string(type)},
            {"tags", Value::object({{"role", Value::string("web")}})}};
  }

  ApplyResult apply(ChangeAction action, const std::string& address, ValueMap config,
                    std::optional<ObjectState> prior = std::nullopt,
                    const std::string& token = "lineage-1/x#0") {
    PlanRequest pr{"ec2_instance", address, prior, config};
    PlanResponse resp = provider->plan(pr);
    EXPECT_FALSE(resp.diagnostics.has_errors());
    ApplyRequest req;
    req.type = "ec2_instance";
    req.address = address;
    req.action = action;
    req.prior = prior;
    req.planned = resp.planned;
    req.idempotency_token = token;
    ApplyResult out;
    provider->apply(req, [&](ApplyResult r) { out = std::move(r); });
    clock.run();
    return out;
  }

  ReadResult read(std::vector<ReadItem> items) {
    ReadResult out;
    provider->read_many("ec2_instance", std::move(items),
                        [&](ReadResult r) { out = std::move(r); });
    clock.run();
    return out;
  }

  static std::string str(const ObjectState& o, const std::string& k) {
    auto it = o.attributes.find(k);
    return it == o.attributes.end() || it->second.kind() != ValueKind::String
               ? ""
               : it->second.as_string();
  }

  RealClock clock;
  std::unique_ptr<FakeEc2Server> server;
  std::unique_ptr<Ec2Provider> provider;
};

TEST_F(Ec2ProviderTest, CreateIsIdempotentPerTokenAndTagsOwnership) {
  start();
  ApplyResult a =
      apply(ChangeAction::Create, "ec2_instance.web[0]", instance_config(), {}, "L/web#3");
  ASSERT_FALSE(a.error) << a.error->summary;
  EXPECT_EQ(str(*a.object, "state"), "running");
  EXPECT_FALSE(str(*a.object, "private_ip").empty());
  ApplyResult again =
      apply(ChangeAction::Create, "ec2_instance.web[0]", instance_config(), {}, "L/web#3");
  ASSERT_FALSE(again.error);
  EXPECT_EQ(again.object->id, a.object->id);
  EXPECT_EQ(server->ec2().stats().run_instances_created, 1);
  auto views = server->ec2().instances();
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].tags["orch:stack"], "teststack");
  EXPECT_EQ(views[0].tags["orch:address"], "ec2_instance.web[0]");
  EXPECT_EQ(views[0].client_token, ec2::client_token("L/web#3"));
  EXPECT_LE(views[0].client_token.size(), 64u);
  // A new generation is a new instance.
  ApplyResult next =
      apply(ChangeAction::Create, "ec2_instance.web[0]", instance_config(), {}, "L/web#4");
  EXPECT_NE(next.object->id, a.object->id);
}

TEST_F(Ec2ProviderTest, ParameterMismatchKeepsTheInstanceAnEarlierAttemptCreated) {
  start();
  ApplyResult a =
      apply(ChangeAction::Create, "ec2_instance.a", instance_config("t3.micro"), {}, "T");
  ApplyResult b =
      apply(ChangeAction::Create, "ec2_instance.a", instance_config("t3.large"), {}, "T");
  ASSERT_FALSE(b.error) << b.error->summary;
  EXPECT_EQ(b.object->id, a.object->id);
  EXPECT_EQ(str(*b.object, "instance_type"), "t3.micro");  // the next plan shows the difference
  EXPECT_EQ(server->ec2().stats().run_instances_created, 1);
}

TEST_F(Ec2ProviderTest, RefreshIsOnePagedScanPlusLookupsForWhatItMissed) {
  start();
  server->ec2().seed_instances(2500, "teststack", "ec2_instance.n");
  auto views = server->ec2().instances();
  std::vector<ReadItem> items;
  for (auto& v : views) items.push_back({v.tags["orch:address"], v.id, {}});
  ReadResult r = read(items);
  ASSERT_FALSE(r.error) << r.error->summary;
  EXPECT_EQ(r.objects.size(), 2500u);
  EXPECT_EQ(r.requests, 3);  // 1000 per page
  // An id the scan does not see is looked up by id (one more call), and absent means gone.
  items.push_back({"ec2_instance.gone",
                   "i-0000000000badbad",
                   {{"launch_time", Value::string("2020-01-01T00:00:00.000Z")}}});
  ReadResult r2 = read(items);
  EXPECT_EQ(r2.objects.size(), 2500u);
  EXPECT_EQ(r2.requests, 4);
  EXPECT_EQ(r2.objects.count("ec2_instance.gone"), 0u);
}

TEST_F(Ec2ProviderTest, AJustCreatedInstanceNotYetVisibleIsNotGone) {
  FakeEc2Options o;
  o.visibility = std::chrono::milliseconds(1200);
  start(o);
  ApplyResult a = apply(ChangeAction::Create, "ec2_instance.fresh", instance_config(), {}, "F");
  ASSERT_FALSE(a.error) << a.error->summary;  // the waiter polled through the invisible window
  // Another, created outside the provider's waiter, read at once.
  ec2::ApiResult run;
  provider->client()->call(
      "RunInstances",
      {{"ImageId", "ami-1"}, {"InstanceType", "t3.micro"}, {"MinCount", "1"}, {"MaxCount", "1"}},
      [&](ec2::ApiResult r) { run = std::move(r); });
  clock.run();
  std::string id = ec2::parse_instances(run.root()).at(0).id;
  ReadResult r =
      read({{"ec2_instance.other",
             id,
             {{"launch_time", Value::string(ec2::parse_instances(run.root())[0].launch_time)}}}});
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.objects.count("ec2_instance.other"), 1u);
}

TEST_F(Ec2ProviderTest, UnclaimedInstancesOfTheStackAreOfferedForAdoption) {
  start();
  server->ec2().seed_instances(3, "teststack", "ec2_instance.n");
  server->ec2().seed_instances(2, "otherstack", "ec2_instance.n");
  auto views = server->ec2().instances();
  std::string claimed;
  for (auto& v : views)
    if (v.tags["orch:stack"] == "teststack" && v.tags["orch:address"] == "ec2_instance.n[0]")
      claimed = v.id;
  read({{"ec2_instance.n[0]", claimed, {}}});
  OwnedResult owned;
  provider->list_owned("ec2_instance", [&](OwnedResult r) { owned = std::move(r); });
  clock.run();
  ASSERT_EQ(owned.objects.size(), 2u);
  EXPECT_EQ(owned.objects.count("ec2_instance.n[1]"), 1u);
  EXPECT_EQ(owned.objects.count("ec2_instance.n[2]"), 1u);
  // A Creating entry (no id) is found by its address mark.
  ReadResult r = read({{"ec2_instance.n[2]", "", {}}});
  EXPECT_EQ(r.objects.count("ec2_instance.n[2]"), 1u);
}

TEST_F(Ec2ProviderTest, TypeChangeStopsModifiesAndStartsInPlace) {
  start();
  ApplyResult a = apply(ChangeAction::Create, "ec2_instance.w", instance_config("t3.micro"));
  ASSERT_FALSE(a.error);
  PlanResponse plan =
      provider->plan({"ec2_instance", "ec2_instance.w", a.object, instance_config("t3.large")});
  EXPECT_TRUE(plan.force_new_paths.empty());
  ASSERT_EQ(plan.notes.size(), 1u);
  EXPECT_NE(plan.notes[0].find("stop, modify, start"), std::string::npos);
  EXPECT_TRUE(plan.planned.at("public_ip").is_unknown());

  ValueMap cfg = instance_config("t3.large");
  cfg["tags"] = Value::object({{"role", Value::string("db")}, {"tier", Value::string("2")}});
  ApplyResult u = apply(ChangeAction::Update, "ec2_instance.w", cfg, a.object);
  ASSERT_FALSE(u.error) << u.error->summary;
  EXPECT_EQ(u.object->id, a.object->id);
  EXPECT_EQ(str(*u.object, "instance_type"), "t3.large");
  EXPECT_EQ(str(*u.object, "state"), "running");
  auto stats = server->ec2().stats();
  EXPECT_EQ(stats.calls["StopInstances"], 1);
  EXPECT_EQ(stats.calls["StartInstances"], 1);
  EXPECT_EQ(stats.calls["CreateTags"], 1);
  EXPECT_EQ(server->ec2().instances()[0].tags["tier"], "2");
}

TEST_F(Ec2ProviderTest, ForceNewAttributesReplace) {
  start();
  ApplyResult a = apply(ChangeAction::Create, "ec2_instance.w", instance_config());
  ValueMap cfg = instance_config();
  cfg["image_id"] = Value::string("ami-0fffffffffffffff0");
  PlanResponse plan = provider->plan({"ec2_instance", "ec2_instance.w", a.object, cfg});
  EXPECT_EQ(plan.force_new_paths, std::vector<std::string>{"image_id"});
  EXPECT_TRUE(plan.planned.at("id").is_unknown());
  ValueMap tagged = instance_config();
  tagged["tags"] = Value::object({{"orch:stack", Value::string("x")}});
  EXPECT_TRUE(provider->plan({"ec2_instance", "ec2_instance.w", std::nullopt, tagged})
                  .diagnostics.has_errors());
}

TEST_F(Ec2ProviderTest, DeleteWaitsForTerminatedAndToleratesGone) {
  start();
  ApplyResult a = apply(ChangeAction::Create, "ec2_instance.d", instance_config());
  ApplyResult d = apply(ChangeAction::Delete, "ec2_instance.d", {}, a.object);
  EXPECT_FALSE(d.error);
  EXPECT_TRUE(server->ec2().instances().empty());
  EXPECT_EQ(server->ec2().instances(true).at(0).state, "terminated");
  ApplyResult again = apply(ChangeAction::Delete, "ec2_instance.d", {}, a.object);
  EXPECT_FALSE(again.error);
}

TEST_F(Ec2ProviderTest, ApiErrorsNameTheResource) {
  start();
  ValueMap cfg = instance_config();
  cfg["image_id"] = Value::string("ami-00000000");
  ApplyResult a = apply(ChangeAction::Create, "ec2_instance.broken[2]", cfg);
  ASSERT_TRUE(a.error);
  EXPECT_NE(a.error->summary.find("ec2_instance.broken[2]"), std::string::npos);
  EXPECT_NE(a.error->summary.find("InvalidAMIID.NotFound"), std::string::npos);
  EXPECT_FALSE(a.error->retryable);
}

TEST_F(Ec2ProviderTest, UserDataIsSentAndKeptOnlyAsADigest) {
  start();
  ValueMap cfg = instance_config();
  cfg["user_data"] = Value::string("#!/bin/sh\necho secret-123").mark_sensitive();
  cfg["root_volume_size"] = Value::number(int64_t{30});
  ApplyResult a = apply(ChangeAction::Create, "ec2_instance.u", cfg);
  ASSERT_FALSE(a.error) << a.error->summary;
  EXPECT_EQ(str(*a.object, "user_data").rfind("sha256:", 0), 0u);
  EXPECT_EQ(str(*a.object, "user_data").find("secret"), std::string::npos);
  auto v = server->ec2().instances().at(0);
  EXPECT_EQ(v.user_data, ec2::base64("#!/bin/sh\necho secret-123"));
  EXPECT_EQ(v.root_volume_size, 30);
  // The same text plans nothing; other text restarts the instance.
  PlanResponse same = provider->plan({"ec2_instance", "ec2_instance.u", a.object, cfg});
  EXPECT_TRUE(same.planned.at("user_data").equals(a.object->attributes.at("user_data")));
  EXPECT_TRUE(same.notes.empty());
  cfg["user_data"] = Value::string("#!/bin/sh\necho other").mark_sensitive();
  PlanResponse other = provider->plan({"ec2_instance", "ec2_instance.u", a.object, cfg});
  ASSERT_EQ(other.notes.size(), 1u);
  EXPECT_NE(other.notes[0].find("user_data"), std::string::npos);
}

TEST_F(Ec2ProviderTest, SecurityGroupRulesChangeInPlace) {
  start();
  auto rule = [](int port, std::vector<std::string> cidrs) {
    ValueList c;
    for (auto& s : cidrs) c.push_back(Value::string(s));
    return Value::object({{"protocol", Value::string("tcp")},
                          {"from_port", Value::number(int64_t{port})},
                          {"to_port", Value::number(int64_t{port})},
                          {"cidr_blocks", Value::tuple(c)}});
  };
  ValueMap cfg{{"name", Value::string("web")},
               {"ingress", Value::list({rule(22, {"10.0.0.0/8"}), rule(443, {"0.0.0.0/0"})})},
               {"egress", Value::list({Value::object(
                              {{"protocol", Value::string("all")},
                               {"cidr_blocks", Value::tuple({Value::string("0.0.0.0/0")})}})})}};
  auto run = [&](ChangeAction action, ValueMap c, std::optional<ObjectState> prior) {
    PlanResponse p = provider->plan({"ec2_security_group", "ec2_security_group.web", prior, c});
    EXPECT_FALSE(p.diagnostics.has_errors());
    ApplyRequest req{
        "ec2_security_group", "ec2_security_group.web", action, prior, p.planned, "sg", {}};
    ApplyResult out;
    provider->apply(req, [&](ApplyResult r) { out = std::move(r); });
    clock.run();
    return std::pair{p, out};
  };
  auto [p1, created] = run(ChangeAction::Create, cfg, std::nullopt);
  ASSERT_FALSE(created.error) << created.error->summary;
  // What was planned is what is read back: no perpetual diff.
  EXPECT_TRUE(created.object->attributes.at("ingress").equals(p1.planned.at("ingress")));
  EXPECT_TRUE(created.object->attributes.at("egress").equals(p1.planned.at("egress")));
  cfg["ingress"] = Value::list({rule(22, {"10.0.0.0/8", "192.168.0.0/16"})});
  cfg.erase("egress");
  auto [p2, updated] = run(ChangeAction::Update, cfg, created.object);
  ASSERT_FALSE(updated.error) << updated.error->summary;
  EXPECT_TRUE(p2.force_new_paths.empty());
  EXPECT_EQ(updated.object->id, created.object->id);
  EXPECT_TRUE(updated.object->attributes.at("ingress").equals(p2.planned.at("ingress")));
  EXPECT_EQ(updated.object->attributes.at("egress").length(), 0u);
  auto stats = server->ec2().stats();
  EXPECT_EQ(stats.calls["RevokeSecurityGroupIngress"], 1);     // 443
  EXPECT_EQ(stats.calls["RevokeSecurityGroupEgress"], 1);      // allow-all
  EXPECT_EQ(stats.calls["AuthorizeSecurityGroupIngress"], 3);  // 22, 443, then 192.168/16
}

}  // namespace
}  // namespace orch
