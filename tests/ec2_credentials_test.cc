// Credentials and region found the way AWS tools find them (providers/ec2/credentials.h).
#include "providers/ec2/credentials.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace orch::ec2 {
namespace {

using orch::testing::TempDir;
using orch::testing::write_text;

struct Env {
  std::map<std::string, std::string> vars;
  CredentialQuery query(std::string profile = "") {
    CredentialQuery q;
    q.profile = std::move(profile);
    q.getenv = [this](const std::string& k) -> std::optional<std::string> {
      auto it = vars.find(k);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
    return q;
  }
};

TEST(Ec2Credentials, ParsesProfilesAndSkipsNestedSettings) {
  IniFile f = parse_ini(
      "# comment\n[default]\naws_access_key_id = AK1\naws_secret_access_key=S1\n"
      "[profile ci]\nregion = eu-west-1\ns3 =\n  max_concurrent_requests = 20\n"
      "aws_session_token = T\n");
  EXPECT_EQ(f["default"]["aws_access_key_id"], "AK1");
  EXPECT_EQ(f["default"]["aws_secret_access_key"], "S1");
  EXPECT_EQ(f["profile ci"]["region"], "eu-west-1");
  EXPECT_EQ(f["profile ci"].count("max_concurrent_requests"), 0u);
  EXPECT_EQ(f["profile ci"]["aws_session_token"], "T");
}

TEST(Ec2Credentials, EnvironmentFirstWithSessionToken) {
  Env e;
  e.vars = {{"HOME", "/nonexistent"},
            {"AWS_ACCESS_KEY_ID", "AKENV"},
            {"AWS_SECRET_ACCESS_KEY", "SENV"},
            {"AWS_SESSION_TOKEN", "TOK"},
            {"AWS_DEFAULT_REGION", "ap-south-1"}};
  ResolvedAws r = resolve_aws(e.query());
  ASSERT_TRUE(r.credentials);
  EXPECT_EQ(r.credentials->access_key, "AKENV");
  EXPECT_EQ(r.credentials->session_token, "TOK");
  EXPECT_EQ(r.credentials->source, "environment");
  EXPECT_EQ(r.region, "ap-south-1");
}

TEST(Ec2Credentials, ProfilesFromSharedFilesAndAwsProfile) {
  TempDir d;
  write_text(d.file("creds"),
             "[default]\naws_access_key_id=AKD\naws_secret_access_key=SD\n"
             "[ops]\naws_access_key_id=AKO\naws_secret_access_key=SO\n");
  write_text(d.file("config"),
             "[default]\nregion=us-west-2\n[profile ops]\nregion=eu-central-1\n"
             "[profile cfgonly]\naws_access_key_id=AKC\naws_secret_access_key=SC\n");
  Env e;
  e.vars = {{"HOME", d.path().string()},
            {"AWS_SHARED_CREDENTIALS_FILE", d.file("creds")},
            {"AWS_CONFIG_FILE", d.file("config")}};
  ResolvedAws def = resolve_aws(e.query());
  ASSERT_TRUE(def.credentials);
  EXPECT_EQ(def.credentials->access_key, "AKD");
  EXPECT_EQ(def.region, "us-west-2");

  e.vars["AWS_PROFILE"] = "ops";
  ResolvedAws ops = resolve_aws(e.query());
  ASSERT_TRUE(ops.credentials);
  EXPECT_EQ(ops.credentials->access_key, "AKO");
  EXPECT_EQ(ops.region, "eu-central-1");
  EXPECT_NE(ops.credentials->source.find("profile \"ops\""), std::string::npos);

  // Keys in the config file count too.
  ResolvedAws cfg = resolve_aws(e.query("cfgonly"));
  ASSERT_TRUE(cfg.credentials);
  EXPECT_EQ(cfg.credentials->access_key, "AKC");
}

TEST(Ec2Credentials, ExplicitProfileWinsOverEnvironmentKeys) {
  TempDir d;
  write_text(d.file("creds"), "[ops]\naws_access_key_id=AKO\naws_secret_access_key=SO\n");
  Env e;
  e.vars = {{"HOME", d.path().string()},
            {"AWS_SHARED_CREDENTIALS_FILE", d.file("creds")},
            {"AWS_ACCESS_KEY_ID", "AKENV"},
            {"AWS_SECRET_ACCESS_KEY", "SENV"}};
  EXPECT_EQ(resolve_aws(e.query()).credentials->access_key, "AKENV");
  EXPECT_EQ(resolve_aws(e.query("ops")).credentials->access_key, "AKO");
}

TEST(Ec2Credentials, NothingFoundSaysWhereItLooked) {
  Env e;
  e.vars = {{"HOME", "/nonexistent"}, {"AWS_PROFILE", "missing"}};
  ResolvedAws r = resolve_aws(e.query());
  EXPECT_FALSE(r.credentials);
  EXPECT_NE(r.error.find("profile \"missing\""), std::string::npos);
  EXPECT_NE(r.error.find("/nonexistent/.aws/credentials"), std::string::npos);
  EXPECT_NE(r.error.find("no such profile"), std::string::npos);
}

TEST(Ec2Credentials, HalfAKeyPairIsAnError) {
  TempDir d;
  write_text(d.file("creds"), "[default]\naws_access_key_id=AKD\n");
  Env e;
  e.vars = {{"HOME", d.path().string()}, {"AWS_SHARED_CREDENTIALS_FILE", d.file("creds")}};
  ResolvedAws r = resolve_aws(e.query());
  EXPECT_FALSE(r.credentials);
  EXPECT_NE(r.error.find("only one of"), std::string::npos);
}

}  // namespace
}  // namespace orch::ec2
