// The examples applied for real, with small node counts: the `orch` binary runs each example's
// files unchanged against the fake EC2 server, the fake Chef Server with its Push Jobs (whose
// stand-in chef-client saves the node, and does what the examples' cookbooks would: tag the node
// `ready`, report riak ring membership) and a real etcd; then a second plan shows no changes,
// and each example's point is checked on the servers (the elected master, the rollout's canary,
// the balancer re-converged when a web server is added, a leaving node's tag removed).
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "planner/timeline.h"
#include "tests/fakes/fake_chef.h"
#include "tests/fakes/fake_chef_push.h"
#include "tests/fakes/fake_ec2.h"
#include "tests/support/etcd_cluster.h"
#include "tests/support/orch_process.h"
#include "tests/support/temp_dir.h"

namespace orch::testing {
namespace {

namespace fs = std::filesystem;
using fakes::Json;

const std::string kChefData = ORCH_SOURCE_DIR "/tests/testdata/chef/";
const fs::path kExamples = fs::path(ORCH_SOURCE_DIR) / "examples";

bool has_tag(const Json& node, const std::string& tag) {
  if (!node.contains("normal") || !node["normal"].contains("tags")) return false;
  const Json& tags = node["normal"]["tags"];
  if (!tags.is_array()) return false;
  for (const auto& t : tags)
    if (t == tag) return true;
  return false;
}

class ExamplesApply : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!EtcdCluster::available()) GTEST_SKIP() << "etcd is not installed (Debian: etcd-server)";
    std::string err;
    ASSERT_TRUE(etcd.start(&err)) << err;
    chef.add_client("orch-ci", read_text(kChefData + "test_client.pub"));
    push = fakes::add_push_jobs(chef);
    // The cookbooks' effects, done by the stand-in chef-client on every successful run.
    fakes::PushNode behaviour;
    behaviour.run_time = std::chrono::milliseconds(50);
    behaviour.on_save = [](const std::string&, Json& node) {
      if (!node["normal"].is_object()) node["normal"] = Json::object();
      if (!node["normal"]["tags"].is_array()) node["normal"]["tags"] = Json::array();
      if (!has_tag(node, "ready")) node["normal"]["tags"].push_back("ready");
      node["automatic"]["riak"]["ring"]["status"] = "valid";
    };
    push->set_default(behaviour);
    fakes::FakeEc2Options eo;
    eo.pending = std::chrono::milliseconds(150);
    ec2 = std::make_unique<fakes::FakeEc2Server>(eo);
  }

  // Copies examples/NAME's files into the test's directory (fresh state) and points the
  // example's server variables (those it has) at the fakes and the test's etcd.
  void use(const std::string& name) {
    for (const auto& e : fs::directory_iterator(kExamples / name))
      if (e.path().extension() == ".orch") fs::copy(e.path(), dir.path() / e.path().filename());
    const std::string declared = read_text(dir.file("variables.orch"));
    std::string vars;
    auto set = [&](const std::string& var, const std::string& hcl) {
      if (declared.find("variable \"" + var + "\"") != std::string::npos)
        vars += var + " = " + hcl + "\n";
    };
    set("chef_server_url", "\"" + chef.url() + "\"");
    set("chef_client_name", "\"orch-ci\"");
    set("chef_key_file", "\"" + kChefData + "test_client.pem\"");
    set("etcd_endpoints", etcd.endpoints_hcl());
    set("ec2_endpoint", "\"" + ec2->url() + "\"");
    set("ec2_poll_interval", "\"100ms\"");
    write_text(dir.file("servers.vars"), vars);
  }

  ProcessResult orch(std::vector<std::string> args) {
    args.push_back("-var-file=servers.vars");
    args.push_back("-no-color");
    ProcessOptions o;
    o.cwd = dir.path().string();
    o.env = {{"AWS_ACCESS_KEY_ID", "AKIDFAKEEC2"},
             {"AWS_SECRET_ACCESS_KEY", "fake/secret/key"},
             {"AWS_SESSION_TOKEN", ""},
             {"AWS_PROFILE", ""},
             {"HOME", dir.path().string()}};
    ProcessResult r = run_orch_process(args, o);
    if (std::getenv("ORCH_TEST_SHOW")) {
      std::cout << "$ orch";
      for (const auto& a : args) std::cout << " " << a;
      std::cout << "\n" << r.out << r.err;
    }
    return r;
  }

  void apply_then_no_changes(std::vector<std::string> vars) {
    std::vector<std::string> apply = {"apply", "-auto-approve"};
    apply.insert(apply.end(), vars.begin(), vars.end());
    ProcessResult a = orch(apply);
    ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
    EXPECT_NE(a.out.find("Apply complete!"), std::string::npos) << a.out;
    std::vector<std::string> plan = {"plan", "-detailed-exitcode"};
    plan.insert(plan.end(), vars.begin(), vars.end());
    ProcessResult p = orch(plan);
    EXPECT_EQ(p.exit_code, 0) << p.out << p.err;
    EXPECT_NE(p.out.find("No changes."), std::string::npos) << p.out;
  }

  // The timeline of the last real apply.
  Timeline timeline() {
    std::string file = latest_timeline(dir.file(".orch/runs"));
    std::string error;
    auto t = timeline_from_json(read_text(file), &error);
    EXPECT_TRUE(t) << file << ": " << error;
    return t ? *t : Timeline{};
  }

  std::string health_url() {
    return "http://127.0.0.1:" + std::to_string(chef.server().port()) + "/_fake/stats";
  }

  double ohai_time(const std::string& node) {
    auto n = chef.node(node);
    return n ? (*n)["automatic"].value("ohai_time", 0.0) : 0.0;
  }

  EtcdCluster etcd;
  fakes::FakeChef chef;
  std::shared_ptr<fakes::FakePushJobs> push;
  std::unique_ptr<fakes::FakeEc2Server> ec2;
  TempDir dir;
};

TEST_F(ExamplesApply, Cloudera) {
  use("cloudera");
  apply_then_no_changes({"-var", "workers=2", "-var", "manager_health_url=" + health_url()});
  EXPECT_EQ(ec2->ec2().instances().size(), 3u);
  for (const char* n : {"cdh-0.cdh.internal", "cdh-1.cdh.internal", "cdh-2.cdh.internal"}) {
    auto node = chef.node(n);
    ASSERT_TRUE(node) << n;
    EXPECT_EQ((*node)["run_list"], Json::array({"role[cdh]"})) << n;
    EXPECT_GT(ohai_time(n), 1.6e9) << n << " was converged";
  }
  Timeline t = timeline();
  const TimelineStep* master = t.find("chef_converge.master");
  ASSERT_NE(master, nullptr);
  for (const auto& s : t.steps) {
    if (s.block == "chef_converge.agent") {
      EXPECT_GE(s.started, master->finished) << s.address;
    }
  }
  // 1 master job + canary + 1 wave of 1 + 1 wave of 1.
  EXPECT_EQ(push->jobs_started(), 4u);
}

TEST_F(ExamplesApply, Riak) {
  use("riak");
  apply_then_no_changes({"-var", "nodes=3"});
  for (const char* n : {"riak-0", "riak-1", "riak-2"}) EXPECT_GT(ohai_time(n), 1.6e9) << n;
  Timeline t = timeline();
  const TimelineStep* seed = t.find("chef_converge.seed");
  ASSERT_NE(seed, nullptr);
  for (const auto& s : t.steps)
    if (s.block == "chef_converge.join") {
      EXPECT_GE(s.started, seed->finished) << s.address;
      EXPECT_TRUE(s.waited_for.empty()) << s.address << " waited for " << s.waited_for;
    }
}

TEST_F(ExamplesApply, WebLbReconvergesTheBalancerWhenTheSetChanges) {
  use("web-lb");
  const std::string health = "web_health_url=" + health_url() + "?ip=%s";
  apply_then_no_changes({"-var", "web_servers=2", "-var", health});
  const double lb_first = ohai_time("shop-lb");
  EXPECT_GT(lb_first, 1.6e9);
  const size_t jobs = push->jobs_started();

  ProcessResult plan = orch({"plan", "-var", "web_servers=3", "-var", health});
  ASSERT_EQ(plan.exit_code, 0) << plan.out << plan.err;
  EXPECT_NE(plan.out.find("data.chef_search.web will be read during apply"), std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("chef_converge.lb will be updated in-place"), std::string::npos)
      << plan.out;
  apply_then_no_changes({"-var", "web_servers=3", "-var", health});
  EXPECT_EQ(push->jobs_started(), jobs + 2) << "the new web server, then the balancer";
  const double lb_second = ohai_time("shop-lb");
  EXPECT_GT(lb_second, lb_first);

  // A server removed: its node is gone before the search is read, and the balancer follows.
  apply_then_no_changes({"-var", "web_servers=2", "-var", health});
  EXPECT_FALSE(chef.node("shop-web-2"));
  EXPECT_EQ(push->jobs_started(), jobs + 3) << "the balancer only";
  EXPECT_GT(ohai_time("shop-lb"), lb_second);
}

TEST_F(ExamplesApply, RollingConfig) {
  use("rolling-config");
  std::string nodes = "nodes=[";
  for (int i = 0; i < 6; ++i) {
    std::string n = "app-00" + std::to_string(i);
    chef.chef_client_save(n, Json{{"fqdn", n}}, 1.6e9);
    nodes += std::string(i ? "," : "") + "\"" + n + "\"";
  }
  nodes += "]";
  const std::string health = "health_url=" + health_url() + "?node=%s";
  apply_then_no_changes({"-var", nodes, "-var", health, "-var", "batch=2"});
  EXPECT_EQ(push->jobs_started(), 6u);

  // A configuration change rolls again: the canary, then waves of 2.
  const std::string changed = "app_config={pool_size=\"64\"}";
  ProcessResult plan =
      orch({"plan", "-var", nodes, "-var", health, "-var", "batch=2", "-var", changed});
  // The item and the 6 converges it triggers.
  EXPECT_NE(plan.out.find("Plan: 0 to add, 7 to change, 0 to destroy."), std::string::npos)
      << plan.out;
  apply_then_no_changes({"-var", nodes, "-var", health, "-var", "batch=2", "-var", changed});
  EXPECT_EQ(push->jobs_started(), 12u);
  Timeline t = timeline();
  std::map<int, int> per_batch;
  for (const auto& s : t.steps)
    if (s.block == "chef_converge.app") ++per_batch[s.batch];
  EXPECT_EQ(per_batch, (std::map<int, int>{{0, 1}, {1, 2}, {2, 2}, {3, 1}}));
}

TEST_F(ExamplesApply, ReadinessTagsCleansTheMemberTagWhenANodeLeaves) {
  use("readiness-tags");
  for (const char* n : {"app-1", "app-2", "app-3", "front-1"})
    chef.chef_client_save(n, Json{{"fqdn", n}}, 1.6e9);
  const std::string three = "app_nodes=[\"app-1\",\"app-2\",\"app-3\"]";
  const std::string fronts = "frontend_nodes=[\"front-1\"]";
  apply_then_no_changes({"-var", three, "-var", fronts});
  for (const char* n : {"app-1", "app-2", "app-3"}) {
    auto node = chef.node(n);
    ASSERT_TRUE(node);
    EXPECT_TRUE(has_tag(*node, "app-member")) << node->dump();
    EXPECT_TRUE(has_tag(*node, "ready")) << node->dump();
  }
  const double front_first = ohai_time("front-1");

  const std::string two = "app_nodes=[\"app-1\",\"app-2\"]";
  apply_then_no_changes({"-var", two, "-var", fronts});
  auto gone = chef.node("app-3");
  ASSERT_TRUE(gone) << "an adopted node stays: it belongs to its machine";
  EXPECT_FALSE(has_tag(*gone, "app-member")) << gone->dump();
  for (const auto& t : (*gone)["normal"]["tags"])
    EXPECT_NE(t.get<std::string>().rfind("orch:", 0), 0u) << gone->dump();
  EXPECT_FALSE((*gone)["normal"].contains("orch") && !(*gone)["normal"]["orch"].empty())
      << gone->dump();
  EXPECT_TRUE(has_tag(*chef.node("app-1"), "app-member"));
  EXPECT_GT(ohai_time("front-1"), front_first) << "the frontends follow the set";
}

}  // namespace
}  // namespace orch::testing
