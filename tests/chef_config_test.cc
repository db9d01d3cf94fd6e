// The chef provider's settings (providers/chef/chef_config.cc, chef_credentials.cc): the block's
// attributes, knife's credentials file and profile choice (profile, $CHEF_PROFILE, context
// file, "default"), inline and relative keys, and diagnostics that name the setting and never
// quote a key.
#include "providers/chef/chef_config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "providers/chef/chef_credentials.h"
#include "tests/chef_fixture.h"

namespace orch::chef {
namespace {

using testing::kChefData;
using testing::read_text;
using testing::str;
using testing::TempDir;
using testing::write_text;

struct EnvVar {
  EnvVar(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~EnvVar() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  const char* name_;
  std::optional<std::string> old_;
};

std::string all_text(const Diagnostics& d) {
  std::string out;
  for (const auto& x : d.list()) out += x.summary + "\n" + x.detail + "\n";
  return out;
}

TEST(ChefConfigTest, BlockSettings) {
  Diagnostics d;
  auto s = resolve_settings({{"server_url", str("https://chef.example.com/organizations/ops/")},
                             {"client_name", str("ci")},
                             {"key_file", str(kChefData + "test_client.pem")},
                             {"ssl_verify", Value::boolean(false)},
                             {"api_version", str("2")},
                             {"sign_version", str("1.0")},
                             {"concurrency", Value::number(8)},
                             {"timeout", str("5s")}},
                            d, "/nonexistent/credentials");
  ASSERT_TRUE(s) << all_text(d);
  EXPECT_EQ(s->server_url, "https://chef.example.com/organizations/ops");
  EXPECT_FALSE(s->ssl_verify);
  EXPECT_EQ(s->api_version, "2");
  EXPECT_EQ(s->sign_version, SignVersion::V1_0);
  EXPECT_EQ(s->concurrency, 8);
  EXPECT_EQ(s->timeout, std::chrono::seconds(5));
  EXPECT_EQ(s->identity(), "client \"ci\" with key file " + kChefData + "test_client.pem");
  EXPECT_TRUE(s->profile.empty());
}

TEST(ChefConfigTest, MissingAndInvalidSettingsAreDiagnosed) {
  Diagnostics d;
  EXPECT_FALSE(resolve_settings({}, d, "/nonexistent/credentials"));
  EXPECT_NE(all_text(d).find("missing server_url, client_name, key_file (or key)"),
            std::string::npos)
      << all_text(d);
  EXPECT_NE(all_text(d).find("~/.chef/credentials"), std::string::npos);

  Diagnostics d2;
  const std::string pem = read_text(kChefData + "test_client.pem");
  EXPECT_FALSE(resolve_settings({{"server_url", str("chef.example.com")},
                                 {"client_name", str("ci")},
                                 {"key", str(pem.substr(0, 300)).mark_sensitive()},
                                 {"api_version", str("7")},
                                 {"sign_version", str("1.1")},
                                 {"timeout", str("soon")}},
                                d2, "/nonexistent/credentials"));
  const std::string text = all_text(d2);
  EXPECT_NE(text.find("is not an http(s) URL"), std::string::npos);
  EXPECT_NE(text.find("cannot use the provider's \"key\" attribute"), std::string::npos) << text;
  EXPECT_NE(text.find("api_version \"7\""), std::string::npos);
  EXPECT_NE(text.find("sign_version \"1.1\""), std::string::npos);
  EXPECT_NE(text.find("timeout \"soon\""), std::string::npos);
  EXPECT_EQ(text.find(pem.substr(40, 30)), std::string::npos) << "no key text in messages";

  Diagnostics d3;
  EXPECT_FALSE(resolve_settings({{"server_url", str("https://x/organizations/o")},
                                 {"client_name", str("ci")},
                                 {"key", str(pem)},
                                 {"key_file", str("/x.pem")}},
                                d3));
  EXPECT_NE(all_text(d3).find("either \"key_file\" or \"key\""), std::string::npos);

  Diagnostics d4;
  EXPECT_FALSE(resolve_settings({{"server_url", str("https://x/organizations/o")},
                                 {"client_name", str("ci")},
                                 {"key_file", str(kChefData + "test_client.pub")}},
                                d4));
  EXPECT_NE(all_text(d4).find("holds a public key"), std::string::npos) << all_text(d4);

  Diagnostics d5;
  EXPECT_FALSE(resolve_settings({{"server_url", Value::unknown(Type::string())},
                                 {"client_name", str("ci")},
                                 {"key_file", str(kChefData + "test_client.pem")}},
                                d5));
  EXPECT_NE(all_text(d5).find("must be known before apply"), std::string::npos);
}

TEST(ChefConfigTest, KnifeCredentialsProfiles) {
  TempDir home;
  std::filesystem::create_directories(home.path() / ".chef" / "keys");
  std::filesystem::copy_file(kChefData + "test_client.pem", home.path() / ".chef/keys/ci.pem");
  const std::string pem = read_text(kChefData + "test_client.pem");
  const std::string cred = home.file(".chef/credentials");
  write_text(cred,
             "[default]\n"
             "node_name = \"barney\"\n"
             "client_key = \"keys/ci.pem\"\n"
             "chef_server_url = \"https://chef.example.com/organizations/bedrock\"\n"
             "\n[dev]\n"
             "client_name = \"dev-ci\"\n"
             "client_key = \"\"\"\n" +
                 pem +
                 "\"\"\"\n"
                 "chef_server_url = \"https://dev.example.com/organizations/test\"\n"
                 "\n[dev.knife]\nssh_user = \"ubuntu\"\n");
  EnvVar no_profile("CHEF_PROFILE", nullptr);
  {
    Diagnostics d;
    auto s = resolve_settings({}, d, cred);
    ASSERT_TRUE(s) << all_text(d);
    EXPECT_EQ(s->profile, "default");
    EXPECT_EQ(s->client_name, "barney");
    EXPECT_EQ(s->key_file, home.file(".chef/keys/ci.pem"));
    EXPECT_EQ(s->server_url, "https://chef.example.com/organizations/bedrock");
  }
  {
    EnvVar p("CHEF_PROFILE", "dev");
    Diagnostics d;
    auto s = resolve_settings({}, d, cred);
    ASSERT_TRUE(s) << all_text(d);
    EXPECT_EQ(s->client_name, "dev-ci");
    EXPECT_TRUE(s->key_file.empty());
    EXPECT_EQ(s->key_source, "the inline client_key of credentials profile \"dev\"");
    EXPECT_TRUE(s->key && s->key->is_private());
    // The block's own settings win over the profile's.
    Diagnostics d2;
    auto s2 = resolve_settings({{"client_name", str("override")}}, d2, cred);
    ASSERT_TRUE(s2);
    EXPECT_EQ(s2->client_name, "override");
    EXPECT_EQ(s2->server_url, "https://dev.example.com/organizations/test");
  }
  {
    write_text(home.file(".chef/context"), "dev\n");
    Diagnostics d;
    auto s = resolve_settings({}, d, cred);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->profile, "dev");
    Diagnostics d2;
    auto s2 = resolve_settings({{"profile", str("default")}}, d2, cred);
    ASSERT_TRUE(s2);
    EXPECT_EQ(s2->profile, "default");
    std::filesystem::remove(home.file(".chef/context"));
  }
  {
    Diagnostics d;
    EXPECT_FALSE(resolve_settings({{"profile", str("prod")}}, d, cred));
    EXPECT_NE(all_text(d).find("no profile \"prod\""), std::string::npos) << all_text(d);
  }
}

TEST(ChefConfigTest, InvalidCredentialsFileNamesTheLineNotItsText) {
  TempDir home;
  const std::string cred = home.file("credentials");
  write_text(cred, "[default]\nclient_key = \"\"\"\nMIIEsecretsecretsecret\n\nclient_name = = x\n");
  std::string err;
  EXPECT_FALSE(load_credentials(cred, &err));
  EXPECT_NE(err.find("invalid TOML"), std::string::npos) << err;
  EXPECT_EQ(err.find("MIIEsecret"), std::string::npos) << err;
  Diagnostics d;
  EXPECT_FALSE(resolve_settings({}, d, cred));
  EXPECT_EQ(all_text(d).find("MIIEsecret"), std::string::npos);
  // An absent file is not an error by itself.
  EXPECT_FALSE(load_credentials(home.file("none"), &err));
  EXPECT_TRUE(err.empty());
}

TEST(ChefConfigTest, ProviderConfiguredWithoutARealLoopFailsOperationsClearly) {
  ChefProvider p;
  Diagnostics d;
  ProviderContext ctx;  // no clock (a simulated run would give a virtual one)
  p.configure({{"server_url", str("https://x/organizations/o")},
               {"client_name", str("ci")},
               {"key_file", str(kChefData + "test_client.pem")}},
              ctx, d);
  EXPECT_FALSE(d.has_errors());
  std::optional<ApplyResult> r;
  p.apply(ApplyRequest{"chef_role", "chef_role.x", ChangeAction::Create, {}, {}, "t", {}},
          [&](ApplyResult a) { r = a; });
  ASSERT_TRUE(r && r->error);
  EXPECT_NE(r->error->summary.find("cannot run on a simulated clock"), std::string::npos);
  EXPECT_EQ(p.limits().max_concurrency, kDefaultConcurrency);
}

TEST(ChefConfigTest, SchemaIsCompleteForEveryType) {
  ProviderSchema s = chef_schema();
  for (const char* t : {"chef_node", "chef_role", "chef_environment", "chef_data_bag",
                        "chef_data_bag_item", "chef_client"})
    EXPECT_TRUE(s.resources.count(t)) << t;
  EXPECT_TRUE(s.data_sources.count("chef_search"));
  std::set<std::string> gates;
  for (const auto& g : s.gates) gates.insert(g.kind);
  EXPECT_EQ(gates, (std::set<std::string>{"chef_attribute", "chef_node", "chef_tag"}));
  const Schema& node = s.resources.at("chef_node");
  EXPECT_TRUE(node.attribute("name")->force_new);
  EXPECT_TRUE(node.attribute("automatic")->computed);
  EXPECT_TRUE(s.config.attribute("key")->sensitive);
  for (const auto& [name, r] : s.resources) {
    EXPECT_FALSE(r.description.empty()) << name;
    for (const auto& a : r.attributes) EXPECT_FALSE(a.description.empty()) << name << "." << a.name;
  }
}

}  // namespace
}  // namespace orch::chef
