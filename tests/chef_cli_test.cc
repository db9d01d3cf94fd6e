// The chef provider end to end through the orch binary against build/fake_chef: plan → apply →
// no changes → drift repaired → destroy; knife credentials when the provider block is absent;
// 200 nodes under 20% injected 5xx/429 and lost replies (no duplicate, no lost write, retries
// in -json events); and no key material in any output, state, plan or error.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "providers/http/client.h"
#include "tests/chef_process.h"
#include "tests/support/run_orch.h"

namespace orch::testing {
namespace {

using Json = nlohmann::json;
const std::string kKey = ORCH_SOURCE_DIR "/tests/testdata/chef/test_client.pem";

Json control(const FakeChefProcess& chef, const std::string& method, const std::string& what,
             const Json& body = nullptr) {
  http::Request r;
  r.method = method;
  r.url = chef.base() + "/_fake/chef/" + what;
  if (!body.is_null()) r.body = body.dump();
  http::Response res = http::perform(r);
  EXPECT_TRUE(res.ok()) << res.describe() << " " << res.body;
  return Json::parse(res.body, nullptr, false);
}

std::string provider_block(const FakeChefProcess& chef) {
  return "provider \"chef\" {\n  server_url  = \"" + chef.url() +
         "\"\n  client_name = \"orch-ci\"\n  key_file    = \"" + kKey + "\"\n}\n";
}

const char* kCluster = R"(
resource "chef_environment" "prod" {
  name              = "prod"
  cookbook_versions = { nginx = "= 2.7.6" }
}

resource "chef_role" "web" {
  name               = "web"
  run_list           = ["nginx"]
  default_attributes = { nginx = { workers = 4 } }
}

resource "chef_node" "web" {
  count            = 3
  name             = "web-${count.index}"
  chef_environment = chef_environment.prod.name
  run_list         = ["role[${chef_role.web.name}]"]
  normal           = { app = { port = 8080, index = count.index } }
  tags             = ["web"]
}

resource "chef_data_bag" "app" {
  name = "app"
}

resource "chef_data_bag_item" "db" {
  data_bag  = chef_data_bag.app.name
  item_id   = "db"
  content   = { password = "hunter2-not-shown" }
  sensitive = true
}

data "chef_search" "web" {
  index = "node"
  query = "role:web AND chef_environment:prod"
  keys  = { name = "name", port = "app.port" }
}

output "web_nodes" {
  value = [for r in data.chef_search.web.rows : r.name]
}
)";

TEST(ChefCliTest, PlanApplyNoChangesDriftAndDestroy) {
  FakeChefProcess chef;
  ASSERT_TRUE(chef.ok());
  TempDir dir;
  write_text(dir.file("main.orch"), provider_block(chef) + kCluster);
  RunResult plan = run_orch(dir.path(), "plan -no-color");
  ASSERT_EQ(plan.code, 0) << plan.err << plan.out;
  EXPECT_NE(plan.out.find("Plan: 7 to add, 0 to change, 0 to destroy."), std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("content   = (sensitive value)"), std::string::npos) << plan.out;
  EXPECT_EQ(plan.out.find("hunter2"), std::string::npos);

  RunResult apply = run_orch(dir.path(), "apply -auto-approve -no-color");
  ASSERT_EQ(apply.code, 0) << apply.err << apply.out;
  EXPECT_NE(apply.out.find("Resources: 7 added, 0 changed, 0 destroyed."), std::string::npos);
  Json dump = control(chef, "GET", "dump");
  EXPECT_EQ(dump["nodes"].size(), 3u);
  EXPECT_EQ(dump["nodes"]["web-2"]["chef_environment"], "prod");
  EXPECT_EQ(dump["nodes"]["web-2"]["normal"]["app"]["index"], 2);
  EXPECT_EQ(dump["roles"]["web"]["run_list"], Json({"recipe[nginx]"}));
  EXPECT_EQ(dump["data"]["app"]["db"]["password"], "hunter2-not-shown");

  RunResult again = run_orch(dir.path(), "plan -detailed-exitcode -no-color");
  EXPECT_EQ(again.code, 2) << again.out << again.err;  // only the search output changes
  EXPECT_NE(again.out.find("web_nodes"), std::string::npos);
  RunResult apply2 = run_orch(dir.path(), "apply -auto-approve -no-color");
  ASSERT_EQ(apply2.code, 0) << apply2.err;
  RunResult quiet = run_orch(dir.path(), "plan -detailed-exitcode -no-color");
  EXPECT_EQ(quiet.code, 0) << quiet.out << quiet.err;
  EXPECT_NE(quiet.out.find("No changes"), std::string::npos) << quiet.out;

  // Someone edits an owned attribute and adds their own: only orch's shows as drift.
  Json node = dump["nodes"]["web-1"];
  node["normal"]["app"]["port"] = 9999;
  node["normal"]["theirs"] = "kept";
  control(chef, "PUT", "node", node);
  RunResult drift = run_orch(dir.path(), "plan -no-color");
  ASSERT_EQ(drift.code, 0) << drift.err;
  EXPECT_NE(drift.out.find("chef_node.web[1] has changed outside orch"), std::string::npos)
      << drift.out;
  EXPECT_NE(drift.out.find("Plan: 0 to add, 1 to change, 0 to destroy."), std::string::npos)
      << drift.out;
  EXPECT_EQ(drift.out.find("theirs"), std::string::npos) << drift.out;
  ASSERT_EQ(run_orch(dir.path(), "apply -auto-approve -no-color").code, 0);
  dump = control(chef, "GET", "dump");
  EXPECT_EQ(dump["nodes"]["web-1"]["normal"]["app"]["port"], 8080);
  EXPECT_EQ(dump["nodes"]["web-1"]["normal"]["theirs"], "kept");

  RunResult destroy = run_orch(dir.path(), "destroy -auto-approve -no-color");
  ASSERT_EQ(destroy.code, 0) << destroy.err << destroy.out;
  dump = control(chef, "GET", "dump");
  EXPECT_TRUE(dump["nodes"].empty()) << dump["nodes"].dump();
  EXPECT_TRUE(dump["roles"].empty());
  EXPECT_TRUE(dump["data"].empty());
  EXPECT_EQ(dump["environments"].size(), 1u);  // _default
}

TEST(ChefCliTest, KnifeCredentialsAreUsedWithoutAProviderBlock) {
  FakeChefProcess chef;
  ASSERT_TRUE(chef.ok());
  TempDir home;
  std::filesystem::create_directories(home.path() / ".chef");
  std::filesystem::copy_file(kKey, home.path() / ".chef" / "ci.pem");
  write_text(home.file(".chef/credentials"),
             "[default]\nclient_name = \"nobody\"\nclient_key = \"nobody.pem\"\n"
             "chef_server_url = \"https://chef.invalid/organizations/x\"\n\n"
             "[ci]\nclient_name = \"orch-ci\"\nclient_key = \"ci.pem\"\nchef_server_url = \"" +
                 chef.url() + "\"\n");
  TempDir dir;
  write_text(dir.file("main.orch"), "resource \"chef_role\" \"r\" {\n  name = \"r\"\n}\n");
  const std::string env = "HOME='" + home.path().string() + "' CHEF_PROFILE=ci ";
  std::string cmd = "cd '" + dir.path().string() + "' && " + env +
                    "'" ORCH_BINARY "' apply -auto-approve -no-color >'" + dir.file("out") +
                    "' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_text(dir.file("out"));
  EXPECT_TRUE(control(chef, "GET", "dump")["roles"].contains("r"));
  // The default profile points elsewhere: the error names the profile's key file.
  write_text(dir.file("main.orch"), "resource \"chef_role\" \"r2\" {\n  name = \"r2\"\n}\n");
  cmd = "cd '" + dir.path().string() + "' && HOME='" + home.path().string() +
        "' '" ORCH_BINARY "' plan -no-color >'" + dir.file("out") + "' 2>&1";
  EXPECT_NE(std::system(cmd.c_str()), 0);
  std::string out = read_text(dir.file("out"));
  EXPECT_NE(out.find(".chef/nobody.pem"), std::string::npos) << out;
}

TEST(ChefCliTest, AnotherProvidersMachineWaitsForItsChefNode) {
  // No chef resource and no provider block: the gate alone brings in the chef provider, which
  // reads knife's credentials.
  FakeChefProcess chef;
  ASSERT_TRUE(chef.ok());
  TempDir home;
  std::filesystem::create_directories(home.path() / ".chef");
  write_text(home.file(".chef/credentials"),
             "[default]\nclient_name = \"orch-ci\"\nclient_key = \"" + kKey +
                 "\"\nchef_server_url = \"" + chef.url() + "\"\n");
  TempDir dir;
  write_text(dir.file("main.orch"), R"(
resource "sim_machine" "m" {
  name      = "m1"
  boot_time = "10ms"
  ready_when {
    chef_node = "${self.name}.example.com"
    timeout   = "20s"
    interval  = "100ms"
  }
}
)");
  // The machine "registers" with the Chef Server a moment after orch created it.
  std::thread registrar([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    control(chef, "POST", "save", Json{{"node", "m1.example.com"}, {"ohai_time", 1}});
  });
  std::string cmd = "cd '" + dir.path().string() + "' && HOME='" + home.path().string() + "' '" +
                    ORCH_BINARY "' apply -auto-approve -no-color >'" + dir.file("out") + "' 2>&1";
  int rc = std::system(cmd.c_str());
  registrar.join();
  std::string out = read_text(dir.file("out"));
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("sim_machine.m: Creation complete"), std::string::npos) << out;
}

TEST(ChefCliTest, TwoHundredNodesConvergeUnderInjectedFaults) {
  FakeChefProcess chef(
      {"--faults", "error_rate=0.2,errors=500/503/429,seed=7", "--lost-replies", "0.05"});
  ASSERT_TRUE(chef.ok());
  TempDir dir;
  write_text(dir.file("main.orch"), provider_block(chef) + R"(
resource "chef_node" "n" {
  count  = 200
  name   = "n-${count.index}"
  normal = { slot = count.index }
  tags   = ["fleet"]
}
)");
  RunResult apply = run_orch(dir.path(), "apply -auto-approve -json");
  ASSERT_EQ(apply.code, 0) << apply.err << apply.out.substr(0, 4000);
  int retries = 0, done = 0;
  std::istringstream lines(apply.out);
  for (std::string line; std::getline(lines, line);) {
    Json e = Json::parse(line, nullptr, false);
    if (!e.is_object()) continue;
    if (e["type"] == "apply_retry") {
      ++retries;
      EXPECT_TRUE(e.contains("address"));
      EXPECT_NE(e["message"].get<std::string>().find("Chef Server"), std::string::npos);
    }
    if (e["type"] == "apply_done") ++done;
  }
  EXPECT_GT(retries, 20) << "20% of ~400 requests fail";
  EXPECT_EQ(done, 200);
  Json dump = control(chef, "GET", "dump");
  ASSERT_EQ(dump["nodes"].size(), 200u) << "no duplicate, none missing";
  for (int i = 0; i < 200; ++i) {
    const Json& n = dump["nodes"]["n-" + std::to_string(i)];
    EXPECT_EQ(n["normal"]["slot"], i) << i;
    EXPECT_EQ(n["normal"]["orch"].size(), 1u) << i;
    EXPECT_EQ(n["normal"]["tags"], Json({"fleet", "orch:" + dir.path().filename().string()})) << i;
  }
  // The state agrees with the server: nothing to do (the refresh retries through faults too).
  RunResult plan = run_orch(dir.path(), "plan -detailed-exitcode -no-color");
  EXPECT_EQ(plan.code, 0) << plan.out << plan.err;
}

// Every base64 line of the key, and its header's neighbourhood, must appear nowhere.
void expect_no_key_material(const std::string& where, const std::string& text) {
  std::istringstream pem(read_text(kKey));
  for (std::string line; std::getline(pem, line);) {
    if (line.empty() || line.rfind("-----", 0) == 0) continue;
    ASSERT_EQ(text.find(line.substr(0, 24)), std::string::npos) << where << " holds key material";
  }
  EXPECT_EQ(text.find("PRIVATE KEY"), std::string::npos) << where;
}

TEST(ChefCliTest, NoKeyMaterialInAnyOutputStatePlanOrError) {
  FakeChefProcess chef;
  ASSERT_TRUE(chef.ok());
  TempDir dir;
  // The key reaches the provider three ways: a key file, the sensitive `key` attribute read with
  // file(), and (below) a knife credentials profile with the key inline.
  write_text(dir.file("main.orch"), "provider \"chef\" {\n  server_url  = \"" + chef.url() +
                                        "\"\n  client_name = \"orch-ci\"\n  key         = file(\"" +
                                        kKey + "\")\n}\n" + kCluster);
  std::string all;
  auto run = [&](const std::string& args) {
    RunResult r = run_orch(dir.path(), args);
    all += r.out + r.err;
    return r;
  };
  EXPECT_EQ(run("validate").code, 0);
  EXPECT_EQ(run("plan -no-color -out plan.bin").code, 0);
  EXPECT_EQ(run("show -no-color plan.bin").code, 0);
  EXPECT_EQ(run("show -json plan.bin").code, 0);
  EXPECT_EQ(run("apply -json plan.bin").code, 0);
  EXPECT_EQ(run("state list").code, 0);
  EXPECT_EQ(run("state show chef_data_bag_item.db").code, 0);
  EXPECT_EQ(run("plan -json").code, 0);
  EXPECT_EQ(run("graph").code, 0);
  EXPECT_EQ(run("output -json").code, 0);
  // Errors: an unknown client (401), a broken server URL, a key that is not a key.
  write_text(dir.file("main.orch"),
             "provider \"chef\" {\n  server_url  = \"" + chef.url() +
                 "\"\n  client_name = \"intruder\"\n  key         = file(\"" + kKey + "\")\n}\n" +
                 kCluster);
  EXPECT_NE(run("plan -no-color").code, 0);
  write_text(dir.file("main.orch"),
             "provider \"chef\" {\n  server_url  = \"http://127.0.0.1:1/organizations/x\"\n"
             "  client_name = \"orch-ci\"\n  key         = file(\"" +
                 kKey +
                 "\")\n  timeout = "
                 "\"2s\"\n  max_attempts = 1\n}\n" +
                 kCluster);
  EXPECT_NE(run("plan -no-color").code, 0);
  std::string pem = read_text(kKey);
  write_text(dir.file("broken.pem"), pem.substr(0, pem.size() / 2));
  write_text(dir.file("main.orch"),
             "provider \"chef\" {\n  server_url  = \"" + chef.url() +
                 "\"\n  client_name = \"orch-ci\"\n  key = file(\"broken.pem\")\n}\n" + kCluster);
  RunResult broken = run("plan -no-color");
  EXPECT_NE(broken.code, 0);
  EXPECT_NE(broken.err.find("not a PEM RSA key"), std::string::npos) << broken.err;
  std::filesystem::remove(dir.file("broken.pem"));
  // Knife credentials with the key inline.
  TempDir home;
  std::filesystem::create_directories(home.path() / ".chef");
  write_text(home.file(".chef/credentials"),
             "[default]\nclient_name = \"orch-ci\"\n"
             "chef_server_url = \"" +
                 chef.url() + "\"\nclient_key = \"\"\"\n" + pem + "\"\"\"\n");
  write_text(dir.file("main.orch"), kCluster);
  std::string cmd = "cd '" + dir.path().string() + "' && HOME='" + home.path().string() + "' '" +
                    ORCH_BINARY "' apply -auto-approve -no-color >'" + dir.file("cred.out") +
                    "' 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << read_text(dir.file("cred.out"));
  all += read_text(dir.file("cred.out"));
  cmd = "cd '" + dir.path().string() + "' && HOME='" + home.path().string() + "' '" +
        ORCH_BINARY "' destroy -auto-approve -no-color >>'" + dir.file("cred.out") + "' 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << read_text(dir.file("cred.out"));
  all += read_text(dir.file("cred.out"));

  expect_no_key_material("command output", all);
  // Every file orch wrote: state, backups, journals, locks, logs, the saved plan.
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (!e.is_regular_file() || e.path().filename() == "main.orch") continue;
    ++files;
    expect_no_key_material(e.path().string(), read_text(e.path().string()));
  }
  EXPECT_GE(files, 2);
}

}  // namespace
}  // namespace orch::testing
