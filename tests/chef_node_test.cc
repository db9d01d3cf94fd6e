// chef_node (providers/chef/chef_node.cc, chef_node_merge.cc, chef_node_refresh.cc) against the
// fake Chef Server: create/read/update/delete, owned paths only (chef-client's data survives
// every write and is invisible to diffs), marks and their cleanup, adoption rules on 409, drift,
// batched refresh, and the race with a chef-client save.
#include <gtest/gtest.h>

#include "tests/chef_fixture.h"

namespace orch::testing {
namespace {

using chef::Json;

ValueMap web(const std::string& name) {
  return {{"name", str(name)},
          {"run_list", strs({"role[web]", "nginx"})},
          {"normal", obj({{"app", obj({{"port", Value::number(80)}, {"tier", str("front")}})}})},
          {"tags", strs({"web"})}};
}

// The configurable attributes of an object (what a diff compares with the configuration).
ValueMap declared(const ValueMap& attrs) {
  ValueMap out = attrs;
  out.erase("automatic");
  out.erase("adopted");
  return out;
}

TEST(ChefNodeTest, CreateWritesDeclaredFieldsAndMarks) {
  ChefFixture f;
  ASSERT_FALSE(f.diags.has_errors());
  ApplyResult r = f.put("chef_node", "chef_node.web[0]", web("web-1"));
  ASSERT_FALSE(r.error) << r.error->summary;
  ASSERT_TRUE(r.object);
  EXPECT_EQ(r.object->id, "web-1");
  auto node = f.fake.node("web-1");
  ASSERT_TRUE(node);
  EXPECT_EQ((*node)["run_list"], Json({"role[web]", "recipe[nginx]"}));
  EXPECT_EQ((*node)["chef_environment"], "_default");
  EXPECT_EQ((*node)["normal"]["app"]["port"], 80);
  EXPECT_EQ((*node)["normal"]["orch"]["test"]["address"], "chef_node.web[0]");
  EXPECT_EQ((*node)["normal"]["tags"], Json({"web", "orch:test"}));
  EXPECT_FALSE(r.object->attributes.at("adopted").as_bool());
  // Read back: exactly what was declared.
  auto back = f.read_one("chef_node", "chef_node.web[0]", *r.object);
  ASSERT_TRUE(back);
  PlanResponse p = f.plan("chef_node", "chef_node.web[0]", web("web-1"));
  EXPECT_TRUE(obj(declared(back->attributes)).equals(obj(declared(p.planned))))
      << obj(declared(back->attributes)).to_display() << "\n"
      << obj(declared(p.planned)).to_display();
}

TEST(ChefNodeTest, UpdateKeepsChefClientDataAndRemovesOnlyOrchsStalePaths) {
  ChefFixture f;
  ApplyResult r = f.put("chef_node", "chef_node.web[0]", web("web-1"));
  ASSERT_FALSE(r.error);
  // chef-client runs: ohai data, a normal attribute of a cookbook, a tag added by knife.
  f.fake.chef_client_save(
      "web-1",
      Json{{"fqdn", "web-1.example.com"}, {"ipaddress", "10.0.0.5"}, {"platform", "debian"}},
      1700000000);
  f.fake.with_store([](fakes::FakeChefStore& s) {
    s.nodes["web-1"]["normal"]["cookbook"] = {{"setting", true}};
    s.nodes["web-1"]["normal"]["app"]["owned_by_cookbook"] = 1;
    s.nodes["web-1"]["normal"]["tags"].push_back("knife-tag");
  });
  // Nothing orch owns changed: no drift.
  auto back = f.read_one("chef_node", "chef_node.web[0]", *r.object);
  ASSERT_TRUE(back);
  EXPECT_TRUE(obj(declared(back->attributes)).equals(obj(declared(r.object->attributes))));
  EXPECT_EQ(back->attributes.at("automatic").attributes().at("ipaddress").as_string(), "10.0.0.5");
  // Now drop app.tier and the "web" tag, add db.host.
  ValueMap next = web("web-1");
  next["normal"] =
      obj({{"app", obj({{"port", Value::number(8080)}})}, {"db", obj({{"host", str("db-1")}})}});
  next["tags"] = strs({"web2"});
  ApplyResult u = f.put("chef_node", "chef_node.web[0]", next, back);
  ASSERT_FALSE(u.error) << u.error->summary;
  auto node = *f.fake.node("web-1");
  EXPECT_EQ(node["normal"]["app"]["port"], 8080);
  EXPECT_FALSE(node["normal"]["app"].contains("tier"));
  EXPECT_EQ(node["normal"]["app"]["owned_by_cookbook"], 1);
  EXPECT_EQ(node["normal"]["cookbook"]["setting"], true);
  EXPECT_EQ(node["normal"]["db"]["host"], "db-1");
  EXPECT_EQ(node["normal"]["tags"], Json({"orch:test", "knife-tag", "web2"}));
  EXPECT_EQ(node["automatic"]["fqdn"], "web-1.example.com");
}

TEST(ChefNodeTest, DriftOnOwnedPathsIsReported) {
  ChefFixture f;
  ApplyResult r = f.put("chef_node", "chef_node.web[0]", web("web-1"));
  ASSERT_FALSE(r.error);
  f.fake.with_store([](fakes::FakeChefStore& s) {
    s.nodes["web-1"]["normal"]["app"]["port"] = 81;
    s.nodes["web-1"]["run_list"] = Json::array({"recipe[other]"});
    auto& tags = s.nodes["web-1"]["normal"]["tags"];
    tags.erase(std::remove(tags.begin(), tags.end(), Json("web")), tags.end());
  });
  auto back = f.read_one("chef_node", "chef_node.web[0]", *r.object);
  ASSERT_TRUE(back);
  const ValueMap& a = back->attributes;
  EXPECT_EQ(a.at("normal").attributes().at("app").attributes().at("port").as_number().i, 81);
  EXPECT_EQ(a.at("run_list").elements().size(), 1u);
  EXPECT_EQ(a.at("tags").elements().size(), 0u);
  // Deleted outside orch: gone from the result.
  f.fake.with_store([](fakes::FakeChefStore& s) { s.nodes.erase("web-1"); });
  EXPECT_FALSE(f.read_one("chef_node", "chef_node.web[0]", *r.object));
}

TEST(ChefNodeTest, UnsetFieldsAreNotManaged) {
  ChefFixture f;
  f.fake.chef_client_save("db-1", Json{{"fqdn", "db-1"}}, 1);
  f.fake.with_store([](fakes::FakeChefStore& s) {
    s.nodes["db-1"]["run_list"] = Json::array({"role[db]"});
    s.nodes["db-1"]["chef_environment"] = "prod";
  });
  ApplyResult r = f.put("chef_node", "chef_node.db",
                        {{"name", str("db-1")}, {"normal", obj({{"x", Value::number(1)}})}});
  ASSERT_FALSE(r.error) << r.error->summary;
  auto node = *f.fake.node("db-1");
  EXPECT_EQ(node["run_list"], Json({"role[db]"}));
  EXPECT_EQ(node["chef_environment"], "prod");
  EXPECT_TRUE(r.object->attributes.at("run_list").is_null());
  EXPECT_TRUE(r.object->attributes.at("adopted").as_bool());
}

TEST(ChefNodeTest, CreateAdoptsARegisteredNodeAndDestroyReleasesIt) {
  ChefFixture f;
  f.fake.chef_client_save("web-1", Json{{"fqdn", "web-1"}}, 5);
  f.fake.with_store([](fakes::FakeChefStore& s) {
    s.nodes["web-1"]["normal"]["tags"] = Json::array({"bootstrap"});
    s.nodes["web-1"]["normal"]["keep"] = "me";
  });
  ApplyResult r = f.put("chef_node", "chef_node.web[0]", web("web-1"));
  ASSERT_FALSE(r.error) << r.error->summary;
  EXPECT_TRUE(r.object->attributes.at("adopted").as_bool());
  EXPECT_EQ((*f.fake.node("web-1"))["normal"]["keep"], "me");
  ApplyResult d = f.apply("chef_node", "chef_node.web[0]", ChangeAction::Delete, {}, r.object);
  ASSERT_FALSE(d.error) << d.error->summary;
  auto node = f.fake.node("web-1");
  ASSERT_TRUE(node) << "an adopted node is released, not deleted";
  EXPECT_EQ((*node)["normal"]["keep"], "me");
  EXPECT_FALSE((*node)["normal"].contains("app"));
  EXPECT_FALSE((*node)["normal"].contains("orch"));
  EXPECT_EQ((*node)["normal"]["tags"], Json({"bootstrap"}));
  EXPECT_EQ((*node)["automatic"]["fqdn"], "web-1");
}

TEST(ChefNodeTest, CreatedNodeIsDeletedOnDestroy) {
  ChefFixture f;
  ApplyResult r = f.put("chef_node", "chef_node.web[0]", web("web-1"));
  ASSERT_FALSE(r.error);
  ApplyResult d = f.apply("chef_node", "chef_node.web[0]", ChangeAction::Delete, {}, r.object);
  ASSERT_FALSE(d.error);
  EXPECT_FALSE(f.fake.node("web-1"));
  // Deleting again (a retry) is not an error.
  EXPECT_FALSE(f.apply("chef_node", "chef_node.web[0]", ChangeAction::Delete, {}, r.object).error);
}

TEST(ChefNodeTest, NodeMarkedByAnotherOwnerIsNotAdopted) {
  ChefFixture f;
  f.fake.chef_client_save("web-1", Json::object(), 1);
  f.fake.with_store([](fakes::FakeChefStore& s) {
    s.nodes["web-1"]["normal"]["orch"]["prod"] = {{"address", "chef_node.web[3]"}};
  });
  ApplyResult r = f.put("chef_node", "chef_node.web[0]", web("web-1"));
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->summary.find("belongs to stack \"prod\" (chef_node.web[3])"),
            std::string::npos)
      << r.error->summary;
  EXPECT_FALSE((*f.fake.node("web-1"))["normal"].contains("app"));
  // The same stack but another resource is another owner too; so is another stack's tag.
  f.fake.with_store([](fakes::FakeChefStore& s) {
    s.nodes["web-1"]["normal"]["orch"] = {{"test", {{"address", "chef_node.other"}}}};
  });
  r = f.put("chef_node", "chef_node.web[0]", web("web-1"));
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->summary.find("chef_node.other of this stack"), std::string::npos);
  f.fake.with_store([](fakes::FakeChefStore& s) {
    s.nodes["web-1"]["normal"].erase("orch");
    s.nodes["web-1"]["normal"]["tags"] = Json::array({"orch:staging"});
  });
  r = f.put("chef_node", "chef_node.web[0]", web("web-1"));
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->summary.find("stack \"staging\""), std::string::npos);
}

TEST(ChefNodeTest, RetriedCreateWhoseReplyWasLostIsNotADuplicateOrAnAdoption) {
  ChefFixture f;
  f.fake.set_lost_reply_rate(1.0);
  // Every write commits and then answers 500: the POST is retried, meets 409 on its own node,
  // recognises its mark and goes on; the PUT's replies are lost too, so the step fails after
  // its attempts, with the node on the server exactly once.
  ApplyResult r = f.put("chef_node", "chef_node.web[0]", web("web-1"));
  ASSERT_TRUE(r.error);
  EXPECT_TRUE(r.error->retryable);
  EXPECT_EQ(f.fake.node_count(), 1u);
  f.fake.set_lost_reply_rate(0);
  r = f.put("chef_node", "chef_node.web[0]", web("web-1"));
  ASSERT_FALSE(r.error) << r.error->summary;
  EXPECT_FALSE(r.object->attributes.at("adopted").as_bool()) << "its own mark: not adopted";
  int retries = 0;
  for (const auto& e : f.events) retries += e.kind == "retry";
  EXPECT_GT(retries, 0);
}

TEST(ChefNodeTest, ChefClientSaveRacingTheWriteIsDetectedAndWrittenAgain) {
  ChefFixture f;
  ApplyResult r = f.put("chef_node", "chef_node.web[0]", web("web-1"));
  ASSERT_FALSE(r.error);
  // A chef-client run that loaded the node before orch's PUT saves its copy right after it.
  f.fake.race_node("web-1", 1);
  ValueMap next = web("web-1");
  next["normal"] = obj({{"app", obj({{"port", Value::number(9000)}})}});
  ApplyResult u = f.put("chef_node", "chef_node.web[0]", next, r.object);
  ASSERT_FALSE(u.error) << u.error->summary;
  EXPECT_EQ((*f.fake.node("web-1"))["normal"]["app"]["port"], 9000);
  EXPECT_EQ(f.fake.counts()["race save"], 1u);
  bool logged = false;
  for (const auto& e : f.events)
    logged = logged ||
             (e.kind == "log" && e.message.find("saved by another writer") != std::string::npos);
  EXPECT_TRUE(logged);
}

TEST(ChefNodeTest, PersistentRaceIsAClearErrorNotASilentLoss) {
  ChefFixture f;
  ApplyResult r = f.put("chef_node", "chef_node.web[0]", web("web-1"));
  ASSERT_FALSE(r.error);
  f.fake.race_node("web-1", 100);
  ValueMap next = web("web-1");
  next["normal"] = obj({{"app", obj({{"port", Value::number(9000)}})}});
  ApplyResult u = f.put("chef_node", "chef_node.web[0]", next, r.object);
  ASSERT_TRUE(u.error);
  EXPECT_NE(u.error->summary.find("overwritten by another writer 3 times"), std::string::npos)
      << u.error->summary;
  EXPECT_NE(u.error->summary.find("normal.app.port is 80, orch wrote 9000"), std::string::npos)
      << u.error->summary;
  EXPECT_FALSE(u.error->retryable);
  // The next refresh shows the value orch could not keep.
  auto back = f.read_one("chef_node", "chef_node.web[0]", *r.object);
  EXPECT_EQ(
      back->attributes.at("normal").attributes().at("app").attributes().at("port").as_number().i,
      80);
}

TEST(ChefNodeTest, RefreshOfManyNodesIsOnePagedSearchWithoutPerNodeGets) {
  ChefFixture f;
  std::vector<ReadItem> items;
  for (int i = 0; i < 60; ++i) {
    std::string name = "n" + std::to_string(i);
    std::string addr = "chef_node.n[" + std::to_string(i) + "]";
    ApplyResult r = f.put("chef_node", addr, web(name));
    ASSERT_FALSE(r.error);
    items.push_back(ReadItem{addr, r.object->id, r.object->attributes});
  }
  // Someone else's nodes are not read.
  for (int i = 0; i < 30; ++i) f.fake.chef_client_save("other" + std::to_string(i), {}, 1);
  f.fake.reset_counts();
  ReadResult res = f.read("chef_node", items);
  ASSERT_FALSE(res.error);
  EXPECT_EQ(res.objects.size(), 60u);
  auto counts = f.fake.counts();
  EXPECT_EQ(counts["POST /search/:index"], 1u);
  EXPECT_EQ(counts["GET /nodes/:name"], 0u);
  EXPECT_EQ(res.requests, 1);
  for (const auto& item : items)
    EXPECT_TRUE(obj(declared(res.objects.at(item.address).attributes))
                    .equals(obj(declared(item.attributes))))
        << item.address;
}

TEST(ChefNodeTest, RefreshPagesAndConfirmsOnlyWhatSearchCannotShow) {
  ChefFixture f;
  std::vector<ReadItem> items;
  for (int i = 0; i < 5; ++i) {
    std::string addr = "chef_node.n[" + std::to_string(i) + "]";
    ApplyResult r = f.put("chef_node", addr, web("n" + std::to_string(i)));
    items.push_back(ReadItem{addr, r.object->id, r.object->attributes});
  }
  f.fake.with_store([](fakes::FakeChefStore& s) {
    // An override shadows the normal value orch owns: search shows the merged one.
    s.nodes["n1"]["override"]["app"]["port"] = 443;
    // A node whose tag was removed, and one deleted.
    s.nodes["n2"]["normal"]["tags"] = Json::array({"web"});
    s.nodes.erase("n3");
  });
  f.fake.reset_counts();
  ReadResult res = f.read("chef_node", items);
  ASSERT_FALSE(res.error);
  auto counts = f.fake.counts();
  EXPECT_EQ(counts["POST /search/:index"], 1u);
  EXPECT_EQ(counts["GET /nodes/:name"], 3u);  // n1 (shadowed), n2 (untagged), n3 (gone)
  EXPECT_EQ(res.objects.size(), 4u);
  EXPECT_FALSE(res.objects.count("chef_node.n[3]"));
  // n1's normal value is exact, not the merged override.
  EXPECT_EQ(res.objects.at("chef_node.n[1]")
                .attributes.at("normal")
                .attributes()
                .at("app")
                .attributes()
                .at("port")
                .as_number()
                .i,
            80);
}

TEST(ChefNodeTest, PlanValidatesAndNormalises) {
  ChefFixture f;
  PlanResponse p = f.plan("chef_node", "chef_node.x", {{"name", str("bad name")}});
  EXPECT_TRUE(p.diagnostics.has_errors());
  p = f.plan("chef_node", "chef_node.x",
             {{"name", str("x")}, {"normal", obj({{"orch", Value::number(1)}})}});
  EXPECT_TRUE(p.diagnostics.has_errors());
  p = f.plan("chef_node", "chef_node.x", {{"name", str("x")}, {"tags", strs({"orch:mine"})}});
  EXPECT_TRUE(p.diagnostics.has_errors());
  p = f.plan("chef_node", "chef_node.x", {{"name", str("x")}, {"run_list", strs({"a", "a"})}});
  ASSERT_FALSE(p.diagnostics.has_errors());
  EXPECT_EQ(p.planned.at("run_list").elements().size(), 1u);
  EXPECT_EQ(p.planned.at("run_list").elements()[0].as_string(), "recipe[a]");
  EXPECT_TRUE(p.planned.at("automatic").is_unknown());
  // Removing a managed field says what happens.
  ObjectState prior{"x", p.planned};
  prior.attributes["automatic"] = Value::null();
  PlanResponse q = f.plan("chef_node", "chef_node.x", {{"name", str("x")}}, prior);
  ASSERT_EQ(q.notes.size(), 1u);
  EXPECT_NE(q.notes[0].find("run_list is no longer managed"), std::string::npos);
}

}  // namespace
}  // namespace orch::testing
