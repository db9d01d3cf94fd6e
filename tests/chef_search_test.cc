// data "chef_search" (providers/chef/chef_search.cc) and the readiness gates
// (providers/chef/chef_gates.cc) against the fake Chef Server; and the fake's own search
// (tests/fakes/fake_chef_search.cc): erchef's merged node documents and the query subset.
#include <gtest/gtest.h>

#include "tests/chef_fixture.h"

namespace orch::testing {
namespace {

using chef::Json;

void seed_nodes(fakes::FakeChef& fake, int n) {
  fake.with_store([n](fakes::FakeChefStore& s) {
    for (int i = 0; i < n; ++i) {
      std::string name = "web-" + std::to_string(i);
      s.nodes[name] = {{"name", name},
                       {"chef_environment", i % 2 ? "prod" : "dev"},
                       {"run_list", {"role[web]"}},
                       {"normal", {{"app", {{"port", 8000 + i}}}, {"tags", {"web"}}}},
                       {"default", {{"app", {{"port", 1}, {"mode", "x"}}}}},
                       {"override", Json::object()},
                       {"automatic", {{"ipaddress", "10.0.0." + std::to_string(i % 250)}}}};
    }
  });
}

TEST(ChefSearchTest, PartialSearchPagesThroughEveryRow) {
  ChefFixture f;
  seed_nodes(f.fake, 2500);
  f.fake.reset_counts();
  auto [v, e] = f.data("chef_search", {{"index", str("node")},
                                       {"query", str("chef_environment:prod AND role:web")},
                                       {"keys", Value::map({{"ip", str("ipaddress")},
                                                            {"port", str("app.port")},
                                                            {"mode", str("app.mode")}})}});
  ASSERT_FALSE(e) << e->summary;
  ASSERT_TRUE(v);
  EXPECT_EQ(v->at("total").as_number().i, 1250);
  const auto& rows = v->at("rows").elements();
  ASSERT_EQ(rows.size(), 1250u);
  EXPECT_EQ(f.fake.counts()["POST /search/:index"], 2u);  // 1000 + 250
  const auto& first = rows[0].attributes();
  EXPECT_EQ(first.at("port").as_number().i, 8001);  // normal over default
  EXPECT_EQ(first.at("mode").as_string(), "x");     // merged from default
  EXPECT_EQ(first.at("ip").as_string(), "10.0.0.1");
  EXPECT_EQ(first.size(), 3u);
}

TEST(ChefSearchTest, FullSearchMaxRowsAndErrors) {
  ChefFixture f;
  seed_nodes(f.fake, 30);
  auto [v, e] = f.data(
      "chef_search",
      {{"index", str("node")}, {"query", str("name:web-1*")}, {"max_rows", Value::number(5)}});
  ASSERT_FALSE(e) << e->summary;
  EXPECT_EQ(v->at("total").as_number().i, 11);  // web-1, web-10..19
  ASSERT_EQ(v->at("rows").elements().size(), 5u);
  EXPECT_TRUE(v->at("rows").elements()[0].attributes().count("automatic"));
  auto [v2, e2] = f.data("chef_search", {{"index", str("nosuchbag")}});
  ASSERT_TRUE(e2);
  EXPECT_FALSE(v2);
  auto [v3, e3] = f.data("chef_search", {{"index", str("node")}, {"query", str("name:(a OR")}});
  ASSERT_TRUE(e3);
  EXPECT_NE(e3->summary.find("400 Bad Request: invalid search query"), std::string::npos)
      << e3->summary;
}

TEST(ChefSearchTest, NodeGateWaitsForRegistration) {
  ChefFixture f;
  GateResult g = f.gate("chef_node", str("web-1"));
  EXPECT_FALSE(g.holds);
  EXPECT_FALSE(g.error);
  EXPECT_NE(g.message.find("not registered yet"), std::string::npos);
  f.fake.chef_client_save("web-1", Json::object(), 1);
  g = f.gate("chef_node", str("web-1"));
  EXPECT_TRUE(g.holds) << g.message;
  g = f.gate("chef_node", Value::number(3));
  EXPECT_TRUE(g.error);
}

TEST(ChefSearchTest, TagGateOnSelfOrANamedNode) {
  ChefFixture f;
  f.fake.chef_client_save("web-1", Json::object(), 1);
  ValueMap self = {{"name", str("web-1")}};
  GateResult g = f.gate("chef_tag", str("ready"), self);
  EXPECT_FALSE(g.holds);
  EXPECT_NE(g.message.find("does not have tag \"ready\" yet"), std::string::npos);
  f.fake.with_store(
      [](fakes::FakeChefStore& s) { s.nodes["web-1"]["normal"]["tags"] = {"ready"}; });
  EXPECT_TRUE(f.gate("chef_tag", str("ready"), self).holds);
  EXPECT_TRUE(f.gate("chef_tag", obj({{"node", str("web-1")}, {"tag", str("ready")}})).holds);
  EXPECT_FALSE(f.gate("chef_tag", obj({{"node", str("web-2")}, {"tag", str("ready")}})).holds);
  GateResult bad = f.gate("chef_tag", str("ready"));  // no self, no node
  EXPECT_TRUE(bad.error);
}

TEST(ChefSearchTest, AttributeGateComparesTheMergedValue) {
  ChefFixture f;
  f.fake.chef_client_save("db-1", Json{{"postgresql", {{"role", "replica"}}}}, 1);
  Value want =
      obj({{"node", str("db-1")}, {"path", str("postgresql.role")}, {"value", str("primary")}});
  GateResult g = f.gate("chef_attribute", want);
  EXPECT_FALSE(g.holds);
  EXPECT_NE(g.message.find("postgresql.role is \"replica\", waiting for \"primary\""),
            std::string::npos)
      << g.message;
  f.fake.chef_client_save("db-1", Json{{"postgresql", {{"role", "primary"}}}}, 2);
  EXPECT_TRUE(f.gate("chef_attribute", want).holds);
  // Without a value: holds once the attribute exists.
  EXPECT_TRUE(
      f.gate("chef_attribute", obj({{"node", str("db-1")}, {"path", str("ohai_time")}})).holds);
  EXPECT_FALSE(
      f.gate("chef_attribute", obj({{"node", str("db-1")}, {"path", str("nope.x")}})).holds);
}

TEST(ChefSearchTest, GateOnAnUnauthorizedClientFailsInsteadOfWaiting) {
  ChefFixture f;
  ValueMap cfg = f.config();
  cfg["client_name"] = str("intruder");
  f.configure(cfg);
  GateResult g = f.gate("chef_node", str("web-1"));
  ASSERT_TRUE(g.error);
  EXPECT_NE(g.error->summary.find("401"), std::string::npos);
}

bool matches(const std::string& q, const Json& doc) {
  std::string err;
  auto m = fakes::solr_match(q, doc, &err);
  EXPECT_TRUE(m) << q << ": " << err;
  return m.value_or(false);
}

TEST(ChefSearchTest, FakeServerQueryLanguage) {
  Json node = {{"name", "web-1"},
               {"chef_environment", "prod"},
               {"run_list", {"role[web]", "recipe[nginx::default]"}},
               {"normal", {{"tags", {"orch:stack-a", "web"}}, {"app", {{"port", 80}}}}},
               {"automatic", {{"platform", "debian"}, {"kernel", {{"release", "6.1"}}}}}};
  Json doc = fakes::index_document("node", node);
  EXPECT_EQ(doc["role"], Json({"web"}));
  EXPECT_EQ(doc["recipe"], Json({"nginx::default"}));
  EXPECT_TRUE(matches("*:*", doc));
  EXPECT_TRUE(matches("name:web-1", doc));
  EXPECT_TRUE(matches("name:web*", doc));
  EXPECT_TRUE(matches("name:w?b-1", doc));
  EXPECT_FALSE(matches("name:web", doc));
  EXPECT_TRUE(matches("tags:orch\\:stack-a", doc));
  EXPECT_FALSE(matches("tags:orch\\:stack-b", doc));
  EXPECT_TRUE(matches("name:(web-0 OR web-1 OR web-2)", doc));
  EXPECT_FALSE(matches("name:(web-0 OR web-2)", doc));
  EXPECT_TRUE(matches("role:web AND chef_environment:prod", doc));
  EXPECT_FALSE(matches("role:web AND NOT chef_environment:prod", doc));
  EXPECT_TRUE(matches("role:db OR platform:debian", doc));
  EXPECT_TRUE(matches("kernel_release:6.1", doc));
  EXPECT_TRUE(matches("kernel.release:6.1", doc));
  EXPECT_TRUE(matches("release:6.1", doc));
  EXPECT_TRUE(matches("port:80", doc));
  EXPECT_TRUE(matches("recipe:nginx\\:\\:default", doc));
  EXPECT_TRUE(matches("(role:db OR role:web) AND -platform:centos", doc));
  EXPECT_TRUE(matches("chef_environment:\"prod\"", doc));
  std::string err;
  EXPECT_FALSE(fakes::solr_match("name:(web", doc, &err));
  EXPECT_FALSE(err.empty());
}

}  // namespace
}  // namespace orch::testing
