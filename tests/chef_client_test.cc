// chef_client (providers/chef/chef_client.cc): a client with a given public key; a generated key
// pair whose private half goes to key_file (0600) and never into attributes; the new client
// can sign requests; 409 and destroy.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "tests/chef_fixture.h"

namespace orch::testing {
namespace {

TEST(ChefClientTest, GeneratedKeyGoesToKeyFileOnly) {
  ChefFixture f;
  const std::string key_file = f.home.file("web-1.pem");
  ApplyResult r = f.put("chef_client", "chef_client.web",
                        {{"name", str("web-1")}, {"key_file", str(key_file)}});
  ASSERT_FALSE(r.error) << r.error->summary;
  std::string pem = read_text(key_file);
  EXPECT_NE(pem.find("PRIVATE KEY"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  for (const auto& [name, v] : r.object->attributes)
    EXPECT_EQ(v.to_display().find("PRIVATE"), std::string::npos) << name;
  EXPECT_NE(r.object->attributes.at("public_key").as_string().find("PUBLIC KEY"),
            std::string::npos);
  // The new client can talk to the server with that key.
  ValueMap cfg = f.config();
  cfg["client_name"] = str("web-1");
  cfg["key_file"] = str(key_file);
  f.configure(cfg);
  ASSERT_FALSE(f.diags.has_errors());
  ApplyResult role = f.put("chef_role", "chef_role.x", {{"name", str("x")}});
  EXPECT_FALSE(role.error) << role.error->summary;
  // Refresh finds it; destroy removes it and its key file.
  f.configure(f.config());
  auto back = f.read_one("chef_client", "chef_client.web", *r.object);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->attributes.at("public_key").as_string(),
            r.object->attributes.at("public_key").as_string());
  ASSERT_FALSE(f.apply("chef_client", "chef_client.web", ChangeAction::Delete, {}, r.object).error);
  EXPECT_FALSE(std::filesystem::exists(key_file));
  EXPECT_FALSE(f.read_one("chef_client", "chef_client.web", *r.object));
}

TEST(ChefClientTest, GivenPublicKeyAndConflicts) {
  ChefFixture f;
  const std::string pub = read_text(kChefData + "test_client.pub");
  ApplyResult r =
      f.put("chef_client", "chef_client.tool", {{"name", str("tool")}, {"public_key", str(pub)}});
  ASSERT_FALSE(r.error) << r.error->summary;
  ApplyResult dup = f.put("chef_client", "chef_client.tool2",
                          {{"name", str("tool")}, {"key_file", str(f.home.file("t.pem"))}});
  ASSERT_TRUE(dup.error);
  EXPECT_NE(dup.error->summary.find("already exists"), std::string::npos);
  EXPECT_NE(dup.error->detail.find("knife client delete tool"), std::string::npos);
  PlanResponse p = f.plan("chef_client", "chef_client.x", {{"name", str("x")}});
  EXPECT_TRUE(p.diagnostics.has_errors());
}

}  // namespace
}  // namespace orch::testing
