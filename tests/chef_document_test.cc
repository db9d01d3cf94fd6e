// Roles, environments, data bags and data bag items (providers/chef/chef_document.cc and the
// type files) against the fake Chef Server: create/read/update/delete, drift, batched refresh
// through search, adoption rules on 409, sensitive item content.
#include <gtest/gtest.h>

#include "tests/chef_fixture.h"

namespace orch::testing {
namespace {

using chef::Json;

ValueMap role(const std::string& name) {
  return {{"name", str(name)},
          {"run_list", strs({"nginx", "role[base]"})},
          {"env_run_lists", obj({{"prod", strs({"nginx::prod"})}})},
          {"default_attributes", obj({{"nginx", obj({{"workers", Value::number(4)}})}})}};
}

TEST(ChefDocumentTest, RoleLifecycleAndDrift) {
  ChefFixture f;
  ApplyResult r = f.put("chef_role", "chef_role.web", role("web"));
  ASSERT_FALSE(r.error) << r.error->summary;
  Json stored;
  f.fake.with_store([&](fakes::FakeChefStore& s) { stored = s.roles["web"]; });
  EXPECT_EQ(stored["run_list"], Json({"recipe[nginx]", "role[base]"}));
  EXPECT_EQ(stored["env_run_lists"]["prod"], Json({"recipe[nginx::prod]"}));
  auto back = f.read_one("chef_role", "chef_role.web", *r.object);
  ASSERT_TRUE(back);
  EXPECT_TRUE(obj(back->attributes).equals(obj(r.object->attributes)))
      << obj(back->attributes).to_display() << "\n"
      << obj(r.object->attributes).to_display();
  // Drift: someone edits the role.
  f.fake.with_store([](fakes::FakeChefStore& s) { s.roles["web"]["description"] = "edited"; });
  back = f.read_one("chef_role", "chef_role.web", *r.object);
  EXPECT_EQ(back->attributes.at("description").as_string(), "edited");
  // Update restores it.
  ApplyResult u = f.put("chef_role", "chef_role.web", role("web"), back);
  ASSERT_FALSE(u.error);
  f.fake.with_store([&](fakes::FakeChefStore& s) { stored = s.roles["web"]; });
  EXPECT_EQ(stored["description"], "");
  // Deleted outside orch: an update creates it again.
  f.fake.with_store([](fakes::FakeChefStore& s) { s.roles.erase("web"); });
  EXPECT_FALSE(f.read_one("chef_role", "chef_role.web", *r.object));
  u = f.put("chef_role", "chef_role.web", role("web"), r.object);
  ASSERT_FALSE(u.error) << u.error->summary;
  f.fake.with_store([&](fakes::FakeChefStore& s) { EXPECT_TRUE(s.roles.count("web")); });
  ASSERT_FALSE(f.apply("chef_role", "chef_role.web", ChangeAction::Delete, {}, r.object).error);
  f.fake.with_store([&](fakes::FakeChefStore& s) { EXPECT_FALSE(s.roles.count("web")); });
}

TEST(ChefDocumentTest, ExistingRoleIsAdoptedOnlyWhenIdenticalOrAsked) {
  ChefFixture f;
  f.fake.with_store([](fakes::FakeChefStore& s) {
    s.roles["web"] = {{"name", "web"},
                      {"description", "hand made"},
                      {"run_list", Json::array()},
                      {"env_run_lists", Json::object()},
                      {"default_attributes", Json::object()},
                      {"override_attributes", Json::object()}};
  });
  ApplyResult r = f.put("chef_role", "chef_role.web", role("web"));
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->summary.find("the role \"web\" already exists"), std::string::npos);
  EXPECT_NE(r.error->detail.find("adopt = true"), std::string::npos);
  ValueMap adopt = role("web");
  adopt["adopt"] = Value::boolean(true);
  r = f.put("chef_role", "chef_role.web", adopt);
  ASSERT_FALSE(r.error) << r.error->summary;
  Json stored;
  f.fake.with_store([&](fakes::FakeChefStore& s) { stored = s.roles["web"]; });
  EXPECT_EQ(stored["description"], "");
  // A retried create meeting its own earlier success: same content, no error, no adopt needed.
  r = f.put("chef_role", "chef_role.web", adopt);
  ASSERT_FALSE(r.error);
  r = f.put("chef_role", "chef_role.web2", role("web"));
  ASSERT_FALSE(r.error) << "identical content is taken over: " << r.error->summary;
}

TEST(ChefDocumentTest, RolesAndEnvironmentsRefreshInOneSearchEach) {
  ChefFixture f;
  std::vector<ReadItem> roles, envs;
  for (int i = 0; i < 25; ++i) {
    std::string n = "r" + std::to_string(i);
    ApplyResult r = f.put("chef_role", "chef_role.r[" + std::to_string(i) + "]", role(n));
    ASSERT_FALSE(r.error);
    roles.push_back({"chef_role.r[" + std::to_string(i) + "]", r.object->id, r.object->attributes});
    ApplyResult e = f.put("chef_environment", "chef_environment.e[" + std::to_string(i) + "]",
                          {{"name", str("e" + std::to_string(i))},
                           {"cookbook_versions", obj({{"nginx", str("~> 2.7")}})}});
    ASSERT_FALSE(e.error) << e.error->summary;
    envs.push_back(
        {"chef_environment.e[" + std::to_string(i) + "]", e.object->id, e.object->attributes});
  }
  f.fake.reset_counts();
  ReadResult rr = f.read("chef_role", roles);
  ReadResult er = f.read("chef_environment", envs);
  ASSERT_FALSE(rr.error);
  ASSERT_FALSE(er.error);
  EXPECT_EQ(rr.objects.size(), 25u);
  EXPECT_EQ(er.objects.size(), 25u);
  auto counts = f.fake.counts();
  EXPECT_EQ(counts["POST /search/:index"], 2u);
  EXPECT_EQ(counts["GET /roles/:name"] + counts["GET /environments/:name"], 0u);
  for (const auto& e : envs)
    EXPECT_TRUE(obj(er.objects.at(e.address).attributes).equals(obj(e.attributes)));
}

TEST(ChefDocumentTest, DefaultEnvironmentCannotBeManaged) {
  ChefFixture f;
  PlanResponse p = f.plan("chef_environment", "chef_environment.d", {{"name", str("_default")}});
  ASSERT_TRUE(p.diagnostics.has_errors());
  EXPECT_NE(p.diagnostics.list()[0].summary.find("cannot be managed"), std::string::npos);
}

TEST(ChefDocumentTest, DataBagAndSensitiveItem) {
  ChefFixture f;
  ApplyResult bag = f.put("chef_data_bag", "chef_data_bag.app", {{"name", str("app")}});
  ASSERT_FALSE(bag.error) << bag.error->summary;
  ValueMap item = {{"data_bag", str("app")},
                   {"item_id", str("db")},
                   {"content", obj({{"password", str("s3cret")}, {"port", Value::number(5432)}})},
                   {"sensitive", Value::boolean(true)}};
  PlanResponse p = f.plan("chef_data_bag_item", "chef_data_bag_item.db", item);
  EXPECT_TRUE(p.planned.at("content").is_sensitive());
  EXPECT_EQ(p.planned.at("content").to_display().find("s3cret"), std::string::npos);
  ApplyResult r =
      f.apply("chef_data_bag_item", "chef_data_bag_item.db", ChangeAction::Create, p.planned);
  ASSERT_FALSE(r.error) << r.error->summary;
  EXPECT_EQ(r.object->id, "app/db");
  EXPECT_TRUE(r.object->attributes.at("content").is_sensitive());
  Json stored;
  f.fake.with_store([&](fakes::FakeChefStore& s) { stored = s.data["app"]["db"]; });
  EXPECT_EQ(stored, Json({{"id", "db"}, {"password", "s3cret"}, {"port", 5432}}));
  f.fake.reset_counts();
  auto back = f.read_one("chef_data_bag_item", "chef_data_bag_item.db", *r.object);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->attributes.at("content").is_sensitive());
  EXPECT_TRUE(obj(back->attributes).equals(obj(r.object->attributes)));
  EXPECT_EQ(f.fake.counts()["GET /search/:index"], 1u);
  // A content id that contradicts item_id is refused before any request.
  ValueMap wrong = item;
  wrong["content"] = obj({{"id", str("other")}});
  ApplyResult w = f.put("chef_data_bag_item", "chef_data_bag_item.db", wrong, back);
  ASSERT_TRUE(w.error);
  EXPECT_NE(w.error->summary.find("differs from item_id"), std::string::npos);
  // The bag holds an item orch did not create: a second bag resource of that name is refused.
  ApplyResult again = f.put("chef_data_bag", "chef_data_bag.copy", {{"name", str("app")}});
  ASSERT_TRUE(again.error);
  EXPECT_NE(again.error->summary.find("holds 1 items"), std::string::npos);
  // Bags refresh with one GET /data; deleting the bag removes its items with it.
  f.fake.reset_counts();
  EXPECT_TRUE(f.read_one("chef_data_bag", "chef_data_bag.app", *bag.object));
  EXPECT_EQ(f.fake.counts()["GET /data"], 1u);
  ASSERT_FALSE(
      f.apply("chef_data_bag", "chef_data_bag.app", ChangeAction::Delete, {}, bag.object).error);
  EXPECT_FALSE(f.read_one("chef_data_bag_item", "chef_data_bag_item.db", *r.object));
  EXPECT_FALSE(f.read_one("chef_data_bag", "chef_data_bag.app", *bag.object));
}

TEST(ChefDocumentTest, EmptyBagOfTheSameNameIsTakenOver) {
  ChefFixture f;
  f.fake.with_store([](fakes::FakeChefStore& s) { s.data["app"]; });
  ApplyResult r = f.put("chef_data_bag", "chef_data_bag.app", {{"name", str("app")}});
  EXPECT_FALSE(r.error);
}

}  // namespace
}  // namespace orch::testing
