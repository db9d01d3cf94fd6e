// chef_converge (providers/chef/chef_converge*.cc) against the fake Chef Server with Push Jobs
// (tests/fakes/fake_chef_push) and a real sshd on loopback whose sessions run a stand-in
// chef-client that saves the node on the fake: success verified by ohai_time, failures within
// and over max_failures, run_timeout, a run that does not save, triggers and added nodes, log
// files, the push whitelist (refused by nodes, or known beforehand), and quorum failures.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "providers/chef/chef_converge.h"
#include "tests/chef_fixture.h"
#include "tests/fakes/fake_chef_push.h"
#include "tests/support/chef_client_stub.h"
#include "tests/support/sshd.h"

namespace orch::testing {
namespace {

namespace fs = std::filesystem;
using chef::Json;

constexpr double kOldOhaiTime = 1.6e9;  // 2020: every node converged long ago

std::vector<std::string> names(int n) {
  std::vector<std::string> out;
  for (int i = 1; i <= n; ++i) out.push_back("node" + std::to_string(i));
  return out;
}

Value node_list(const std::vector<std::string>& nodes) {
  ValueList l;
  for (const auto& n : nodes) l.push_back(Value::string(n));
  return Value::list(l, Type::string());
}

std::vector<std::string> strings_of(const Value& v) {
  std::vector<std::string> out;
  for (const auto& e : v.elements()) out.push_back(e.as_string());
  return out;
}

class ChefConvergeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    push = fakes::add_push_jobs(f.fake);
    // The provider again, now with a work directory for the logs.
    ProviderContext ctx;
    ctx.clock = &f.clock;
    ctx.stack = "test";
    ctx.state_lineage = "lineage-1";
    ctx.work_dir = work.path().string();
    ctx.event = [this](const std::string& k, const std::string& a, const std::string& m) {
      f.events.push_back({k, a, m});
    };
    f.provider = std::make_unique<ChefProvider>();
    f.provider->set_credentials_path(work.file("no-credentials"));
    f.provider->configure(f.config(), ctx, f.diags);
    ASSERT_FALSE(f.diags.has_errors());
  }

  void seed_nodes(const std::vector<std::string>& nodes, Json normal = Json::object()) {
    f.fake.with_store([&](fakes::FakeChefStore& s) {
      for (const auto& n : nodes)
        s.nodes[n] = Json{{"name", n},
                          {"chef_environment", "_default"},
                          {"json_class", "Chef::Node"},
                          {"chef_type", "node"},
                          {"run_list", Json::array()},
                          {"normal", normal},
                          {"default", Json::object()},
                          {"override", Json::object()},
                          {"automatic", {{"ohai_time", kOldOhaiTime}}}};
      ++s.generation;
    });
  }

  double ohai_time(const std::string& node) {
    auto n = f.fake.node(node);
    return n ? (*n)["automatic"].value("ohai_time", 0.0) : 0.0;
  }

  // Starts the sshd whose sessions find the stand-in chef-client first on PATH.
  void start_sshd() {
    if (auto why = TestSshd::unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
    fs::create_directories(work.path() / "bin");
    fs::create_directories(work.path() / "ctl");
    ASSERT_TRUE(write_script(work.file("bin/chef-client"),
                             stand_in_chef_client(work.file("ctl"), f.fake.server().port())));
    TestSshd::Options o;
    o.path_prefix = {work.file("bin")};
    sshd = std::make_unique<TestSshd>(o);
    std::string err;
    ASSERT_TRUE(sshd->start(&err)) << err;
  }

  void control(const std::string& what, const std::string& node) {
    std::ofstream(work.file("ctl/" + what + "-" + node)) << "";
  }

  std::vector<std::string> runs() {
    std::vector<std::string> out;
    std::ifstream in(work.file("ctl/runs"));
    for (std::string line; std::getline(in, line);) out.push_back(line.substr(0, line.find(' ')));
    return out;
  }

  ValueMap ssh_converge(const std::vector<std::string>& nodes) {
    ValueMap opts;
    for (const auto& [k, v] : sshd->client_options()) opts[k] = Value::string(v);
    return {{"nodes", node_list(nodes)},
            {"via", Value::string("ssh")},
            {"ssh_options", Value::map(opts, Type::string())}};
  }

  ValueMap push_converge(const std::vector<std::string>& nodes) {
    return {{"nodes", node_list(nodes)}, {"via", Value::string("push")}};
  }

  std::string log_of(const std::string& address, const std::string& node) {
    return read_text(work.file(".orch/logs/" + address + "/" + node + ".log"));
  }

  ChefFixture f;
  TempDir work;
  std::shared_ptr<fakes::FakePushJobs> push;
  std::unique_ptr<TestSshd> sshd;
};

TEST_F(ChefConvergeTest, SchemaIsCompleteAndPlanChecksInput) {
  const Schema& s = f.provider->schema().resources.at("chef_converge");
  for (const char* a : {"nodes", "via", "command", "triggers", "quorum", "run_timeout",
                        "max_failures", "concurrency", "ssh_user", "ssh_port", "ssh_options",
                        "sudo", "id", "runs", "succeeded", "failed", "job_id", "last_run"})
    EXPECT_TRUE(s.attribute(a)) << a;
  auto error_of = [&](ValueMap cfg) {
    PlanResponse p = f.plan("chef_converge", "chef_converge.x", cfg);
    return p.diagnostics.has_errors() ? p.diagnostics.list()[0].summary : std::string();
  };
  ValueMap ok = push_converge({"a", "b"});
  EXPECT_EQ(error_of(ok), "");
  PlanResponse p = f.plan("chef_converge", "chef_converge.x", ok);
  EXPECT_EQ(p.planned.at("command").as_string(), "chef-client");
  EXPECT_EQ(p.planned.at("run_timeout").as_string(), "30m");
  EXPECT_TRUE(p.planned.at("runs").is_unknown());
  ValueMap bad = ok;
  bad["via"] = Value::string("telnet");
  EXPECT_NE(error_of(bad).find("via = \"telnet\""), std::string::npos);
  bad = ok;
  bad["quorum"] = Value::string("150%");
  EXPECT_NE(error_of(bad).find("quorum"), std::string::npos);
  bad = ok;
  bad["quorum"] = Value::string("3");
  EXPECT_NE(error_of(bad).find("quorum = 3 with 2 nodes"), std::string::npos) << error_of(bad);
  bad = ok;
  bad["run_timeout"] = Value::string("forever");
  EXPECT_NE(error_of(bad).find("run_timeout"), std::string::npos);
  bad = ok;
  bad["nodes"] = node_list({"bad name"});
  EXPECT_NE(error_of(bad).find("not a Chef node name"), std::string::npos);
}

TEST_F(ChefConvergeTest, TriggersMayHoldListsAndMaps) {
  ValueMap cfg = push_converge({"a"});
  cfg["triggers"] = obj({{"run_list", strs({"role[a]"})}, {"v", Value::number(int64_t{2})}});
  PlanResponse first = f.plan("chef_converge", "chef_converge.x", cfg);
  ASSERT_FALSE(first.diagnostics.has_errors());
  ObjectState prior{"converge-1", first.planned};
  prior.attributes["id"] = str("converge-1");
  prior.attributes["runs"] = Value::number(int64_t{1});
  prior.attributes["succeeded"] = node_list({"a"});
  prior.attributes["failed"] = node_list({});
  prior.attributes["job_id"] = str("j1");
  prior.attributes["last_run"] = str("2026-01-01T00:00:00Z");
  PlanResponse same = f.plan("chef_converge", "chef_converge.x", cfg, prior);
  EXPECT_TRUE(same.notes.empty());
  EXPECT_TRUE(same.planned.at("runs").equals(Value::number(int64_t{1})));
  ValueMap changed = cfg;
  changed["triggers"] =
      obj({{"run_list", strs({"role[a]", "role[b]"})}, {"v", Value::number(int64_t{2})}});
  PlanResponse again = f.plan("chef_converge", "chef_converge.x", changed, prior);
  ASSERT_EQ(again.notes.size(), 1u);
  EXPECT_EQ(again.notes[0], "converges 1 node (triggers changed)");
  EXPECT_TRUE(again.planned.at("runs").is_unknown());
}

TEST(ChefConvergeQuorum, CountsAndPercentages) {
  std::string err;
  EXPECT_EQ(chef::parse_quorum("100%", 7, &err), 7);
  EXPECT_EQ(chef::parse_quorum("80%", 7, &err), 6);  // 5.6 rounds up
  EXPECT_EQ(chef::parse_quorum("1%", 7, &err), 1);
  EXPECT_EQ(chef::parse_quorum("3", 7, &err), 3);
  EXPECT_FALSE(chef::parse_quorum("0", 7, &err));
  EXPECT_FALSE(chef::parse_quorum("8", 7, &err));
  EXPECT_FALSE(chef::parse_quorum("0%", 7, &err));
  EXPECT_FALSE(chef::parse_quorum("half", 7, &err));
  EXPECT_NE(err.find("half"), std::string::npos);
}

TEST(ChefConvergeVerify, OhaiTimeMustMovePastTheStart) {
  chef::NodeFacts before;
  before.found = true;
  before.ohai_time = 1000;
  EXPECT_TRUE(chef::converged_since(before, 1000.5, 5000));  // newer than before: clock-proof
  EXPECT_FALSE(chef::converged_since(before, 1000, 5000));
  EXPECT_FALSE(chef::converged_since(before, std::nullopt, 5000));
  chef::NodeFacts never;  // no ohai_time before: judged against the start, with skew allowed
  EXPECT_TRUE(chef::converged_since(never, 5000 - 10, 5000));
  EXPECT_FALSE(chef::converged_since(never, 5000 - 3600, 5000));
}

TEST_F(ChefConvergeTest, SshConvergeVerifiedByOhaiTime) {
  start_sshd();
  seed_nodes(names(3));
  ApplyResult r = f.put("chef_converge", "chef_converge.web", ssh_converge(names(3)));
  ASSERT_FALSE(r.error) << r.error->summary;
  ASSERT_TRUE(r.object);
  const ValueMap& a = r.object->attributes;
  EXPECT_EQ(a.at("runs").as_number().i, 1);
  EXPECT_EQ(strings_of(a.at("succeeded")), names(3));
  EXPECT_TRUE(strings_of(a.at("failed")).empty());
  EXPECT_EQ(a.at("job_id").as_string(), "");
  EXPECT_EQ(a.at("last_run").as_string().size(), 20u);
  std::vector<std::string> ran = runs();
  std::sort(ran.begin(), ran.end());
  EXPECT_EQ(ran, names(3));
  for (const auto& n : names(3)) EXPECT_GT(ohai_time(n), kOldOhaiTime);
  EXPECT_FALSE(fs::exists(work.file(".orch/logs/chef_converge.web/node1.log")));
}

TEST_F(ChefConvergeTest, SshFailureWithinMaxFailures) {
  start_sshd();
  seed_nodes(names(3));
  control("fail", "node2");
  ValueMap cfg = ssh_converge(names(3));
  cfg["max_failures"] = Value::number(int64_t{1});
  ApplyResult r = f.put("chef_converge", "chef_converge.web", cfg);
  ASSERT_FALSE(r.error) << r.error->summary;
  EXPECT_EQ(strings_of(r.object->attributes.at("succeeded")),
            (std::vector<std::string>{"node1", "node3"}));
  EXPECT_EQ(strings_of(r.object->attributes.at("failed")), (std::vector<std::string>{"node2"}));
  EXPECT_NE(log_of("chef_converge.web", "node2").find("FATAL: Chef::Exceptions"),
            std::string::npos);
  EXPECT_EQ(ohai_time("node2"), kOldOhaiTime);
}

TEST_F(ChefConvergeTest, SshFailureOverMaxFailuresShowsTailAndLog) {
  start_sshd();
  seed_nodes(names(3));
  control("fail", "node3");
  ApplyResult r = f.put("chef_converge", "chef_converge.web", ssh_converge(names(3)));
  ASSERT_TRUE(r.error);
  const std::string& m = r.error->summary;
  EXPECT_NE(m.find("the converge failed on 1 of 3 nodes (max_failures = 0):"), std::string::npos)
      << m;
  EXPECT_NE(m.find("node3: exit code 1 (log: .orch/logs/chef_converge.web/node3.log)"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("| FATAL: Chef::Exceptions::ResourceNotFound on node3"), std::string::npos) << m;
  const std::string log = log_of("chef_converge.web", "node3");
  EXPECT_NE(log.find("Starting Chef Infra Client (stand-in) on node3"), std::string::npos) << log;
  EXPECT_NE(log.find("Compiling cookbooks..."), std::string::npos) << log;
}

TEST_F(ChefConvergeTest, SshRunTimeout) {
  start_sshd();
  seed_nodes(names(2));
  control("hang", "node1");
  ValueMap cfg = ssh_converge(names(2));
  cfg["run_timeout"] = Value::string("3s");
  auto t0 = std::chrono::steady_clock::now();
  ApplyResult r = f.put("chef_converge", "chef_converge.web", cfg);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->summary.find("node1: timed out after 3s"), std::string::npos)
      << r.error->summary;
  EXPECT_NE(r.error->summary.find("| converging node1..."), std::string::npos) << r.error->summary;
  EXPECT_GT(ohai_time("node2"), kOldOhaiTime);
}

TEST_F(ChefConvergeTest, ExitZeroWithoutSavingIsNotAConverge) {
  start_sshd();
  seed_nodes(names(2));
  control("nosave", "node2");
  ApplyResult r = f.put("chef_converge", "chef_converge.web", ssh_converge(names(2)));
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->summary.find("node2: the run exited 0 but the node was not saved: ohai_time "
                                  "1600000000.000 is not past its value before the run"),
            std::string::npos)
      << r.error->summary;
}

TEST_F(ChefConvergeTest, TriggersAndAddedNodes) {
  start_sshd();
  seed_nodes(names(3));
  ValueMap cfg = ssh_converge(names(2));
  cfg["triggers"] = Value::map({{"run_list", Value::string("role[web]")}}, Type::string());
  ApplyResult first = f.put("chef_converge", "chef_converge.web", cfg);
  ASSERT_FALSE(first.error) << first.error->summary;
  EXPECT_EQ(runs().size(), 2u);

  // Unchanged: no run, the plan keeps every attribute (no change).
  PlanResponse same = f.plan("chef_converge", "chef_converge.web", cfg, first.object);
  EXPECT_TRUE(same.planned.at("runs").equals(first.object->attributes.at("runs")));
  EXPECT_TRUE(same.notes.empty());

  // A node added: only it converges.
  ValueMap grown = cfg;
  grown["nodes"] = node_list(names(3));
  PlanResponse p = f.plan("chef_converge", "chef_converge.web", grown, first.object);
  ASSERT_EQ(p.notes.size(), 1u);
  EXPECT_EQ(p.notes[0], "converges 1 node (1 new node)");
  ApplyResult second = f.put("chef_converge", "chef_converge.web", grown, first.object);
  ASSERT_FALSE(second.error) << second.error->summary;
  EXPECT_EQ(runs().size(), 3u);
  EXPECT_EQ(runs().back(), "node3");
  EXPECT_EQ(strings_of(second.object->attributes.at("succeeded")), names(3));

  // The trigger changes: every node converges again.
  ValueMap triggered = grown;
  triggered["triggers"] = Value::map({{"run_list", Value::string("role[db]")}}, Type::string());
  ApplyResult third = f.put("chef_converge", "chef_converge.web", triggered, second.object);
  ASSERT_FALSE(third.error) << third.error->summary;
  EXPECT_EQ(runs().size(), 6u);
  EXPECT_EQ(third.object->attributes.at("runs").as_number().i, 3);
}

TEST_F(ChefConvergeTest, SudoGoesThroughSudoN) {
  start_sshd();
  seed_nodes(names(1));
  ASSERT_TRUE(write_script(work.file("bin/sudo"), "#!/bin/sh\necho \"$*\" > " +
                                                      work.file("ctl/sudo") +
                                                      "\n[ \"$1\" = -n ] || exit 99\nshift\n"
                                                      "exec \"$@\"\n"));
  ValueMap cfg = ssh_converge(names(1));
  cfg["sudo"] = Value::boolean(true);
  ApplyResult r = f.put("chef_converge", "chef_converge.web", cfg);
  ASSERT_FALSE(r.error) << r.error->summary;
  EXPECT_EQ(read_text(work.file("ctl/sudo")), "-n env ORCH_NODE=node1 /bin/sh -c chef-client\n");
}

TEST_F(ChefConvergeTest, PushConvergeVerifiedByOhaiTime) {
  seed_nodes(names(3));
  ValueMap cfg = push_converge(names(3));
  cfg["run_timeout"] = Value::string("5m");
  ApplyResult r = f.put("chef_converge", "chef_converge.web", cfg);
  ASSERT_FALSE(r.error) << r.error->summary;
  const ValueMap& a = r.object->attributes;
  EXPECT_EQ(strings_of(a.at("succeeded")), names(3));
  EXPECT_FALSE(a.at("job_id").as_string().empty());
  for (const auto& n : names(3)) EXPECT_GT(ohai_time(n), kOldOhaiTime);
  Json body = Json::parse(push->last_job_body());
  EXPECT_EQ(body["command"], "chef-client");
  EXPECT_EQ(body["nodes"], Json({"node1", "node2", "node3"}));
  EXPECT_EQ(body["quorum"], 3);
  EXPECT_EQ(body["run_timeout"], 300);
  EXPECT_EQ(push->jobs_started(), 1u);
}

TEST_F(ChefConvergeTest, NoNodesIsNothingToConverge) {
  // A list that filtered down to nothing (`[for n in x : n if ...]`): done at once, both ways.
  ValueMap by_ssh = {{"nodes", node_list({})}, {"via", Value::string("ssh")}};
  for (const ValueMap& cfg : {push_converge({}), by_ssh}) {
    ApplyResult r = f.put("chef_converge", "chef_converge.none", cfg);
    ASSERT_FALSE(r.error) << r.error->summary;
    const ValueMap& a = r.object->attributes;
    EXPECT_TRUE(strings_of(a.at("succeeded")).empty());
    EXPECT_TRUE(strings_of(a.at("failed")).empty());
    EXPECT_EQ(a.at("job_id").as_string(), "");
  }
  EXPECT_EQ(push->jobs_started(), 0u);
}

TEST_F(ChefConvergeTest, PushWhitelistRefusalIsReportedClearly) {
  seed_nodes(names(2));
  ValueMap cfg = push_converge(names(2));
  cfg["command"] = Value::string("chef-client -o recipe[hotfix]");
  ApplyResult r = f.put("chef_converge", "chef_converge.web", cfg);
  ASSERT_TRUE(r.error);
  const std::string& m = r.error->summary;
  EXPECT_NE(m.find("did not run: its quorum was 2 of 2 nodes and 2 did not accept it:"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("node1: the node refused the job (push state nacked): the command is not in "
                   "its push-jobs whitelist"),
            std::string::npos)
      << m;
  EXPECT_EQ(ohai_time("node1"), kOldOhaiTime);
}

TEST_F(ChefConvergeTest, PushWhitelistOnTheNodeIsRespectedBeforeStarting) {
  seed_nodes(names(2), Json{{"push_jobs", {{"whitelist", {{"chef-client", "chef-client"}}}}}});
  ValueMap cfg = push_converge(names(2));
  cfg["command"] = Value::string("rm -rf /var/cache/chef");
  ApplyResult r = f.put("chef_converge", "chef_converge.web", cfg);
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->summary.find("no push job started: the command \"rm -rf /var/cache/chef\" "
                                  "is not in the push-jobs whitelist of 2 of 2 nodes"),
            std::string::npos)
      << r.error->summary;
  EXPECT_NE(r.error->summary.find("node1: not started: \"rm -rf /var/cache/chef\" is not in its "
                                  "push-jobs whitelist (push_jobs.whitelist allows: chef-client)"),
            std::string::npos)
      << r.error->summary;
  EXPECT_EQ(push->jobs_started(), 0u);  // nothing was sent to the nodes
}

TEST_F(ChefConvergeTest, PushWhitelistRefusalWithinMaxFailuresRunsTheOthers) {
  seed_nodes({"node1", "node2"});
  // node3's object says its push client allows only chef-client.
  f.fake.with_store([](fakes::FakeChefStore& s) {
    s.nodes["node3"] = s.nodes["node1"];
    s.nodes["node3"]["name"] = "node3";
    s.nodes["node3"]["normal"] = {{"push_jobs", {{"whitelist", {{"chef-client", "chef-client"}}}}}};
    ++s.generation;
  });
  fakes::PushNode wide;
  wide.whitelist = {"chef-client", "chef-client -o recipe[hotfix]"};
  push->set_default(wide);
  ValueMap cfg = push_converge(names(3));
  cfg["command"] = Value::string("chef-client -o recipe[hotfix]");
  cfg["max_failures"] = Value::number(int64_t{1});
  ApplyResult r = f.put("chef_converge", "chef_converge.web", cfg);
  ASSERT_FALSE(r.error) << r.error->summary;
  EXPECT_EQ(strings_of(r.object->attributes.at("succeeded")),
            (std::vector<std::string>{"node1", "node2"}));
  EXPECT_EQ(strings_of(r.object->attributes.at("failed")), (std::vector<std::string>{"node3"}));
  Json body = Json::parse(push->last_job_body());
  EXPECT_EQ(body["nodes"], Json({"node1", "node2"}));  // node3 was never sent the job
  EXPECT_EQ(body["quorum"], 2);
  EXPECT_NE(log_of("chef_converge.web", "node3").find("not in its push-jobs whitelist"),
            std::string::npos);
}

TEST_F(ChefConvergeTest, PushQuorumFailure) {
  seed_nodes(names(3));
  fakes::PushNode down;
  down.available = false;
  push->set_node("node3", down);
  ApplyResult r = f.put("chef_converge", "chef_converge.web", push_converge(names(3)));
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->summary.find("its quorum was 3 of 3 nodes and 1 did not accept it:"),
            std::string::npos)
      << r.error->summary;
  EXPECT_NE(r.error->summary.find("node3: the node's push client was not connected"),
            std::string::npos)
      << r.error->summary;
  EXPECT_EQ(ohai_time("node1"), kOldOhaiTime);  // nothing ran

  // With one failure allowed, the quorum is two nodes: the others converge.
  ValueMap cfg = push_converge(names(3));
  cfg["max_failures"] = Value::number(int64_t{1});
  ApplyResult ok = f.put("chef_converge", "chef_converge.web", cfg);
  ASSERT_FALSE(ok.error) << ok.error->summary;
  EXPECT_EQ(strings_of(ok.object->attributes.at("failed")), (std::vector<std::string>{"node3"}));
  EXPECT_EQ(Json::parse(push->last_job_body())["quorum"], 2);
  EXPECT_GT(ohai_time("node1"), kOldOhaiTime);
  EXPECT_NE(log_of("chef_converge.web", "node3").find("knife job output"), std::string::npos);
}

TEST_F(ChefConvergeTest, PushNodeFailureAndCrash) {
  seed_nodes(names(3));
  fakes::PushNode failing;
  failing.exit_code = 1;
  push->set_node("node1", failing);
  fakes::PushNode crashing;
  crashing.crash = true;
  push->set_node("node2", crashing);
  ApplyResult r = f.put("chef_converge", "chef_converge.web", push_converge(names(3)));
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->summary.find("the converge failed on 2 of 3 nodes"), std::string::npos)
      << r.error->summary;
  EXPECT_NE(r.error->summary.find("node1: the command failed on the node (push state failed)"),
            std::string::npos);
  EXPECT_NE(r.error->summary.find("node2: the node went down while running"), std::string::npos);
}

TEST_F(ChefConvergeTest, PushRunThatDoesNotSaveFailsVerification) {
  seed_nodes(names(1));
  fakes::PushNode lazy;
  lazy.saves = false;
  push->set_node("node1", lazy);
  ApplyResult r = f.put("chef_converge", "chef_converge.web", push_converge(names(1)));
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->summary.find("the run exited 0 but the node was not saved"), std::string::npos)
      << r.error->summary;
}

}  // namespace
}  // namespace orch::testing
