// Tests of the ssh provider and the remote runner against a real sshd on loopback
// (tests/support/sshd): runs on many host names that all reach it, exit codes, max_failures,
// time limits, log files of failed runs, ssh's own failures, sudo, re-runs, and the ssh gate.
#include "providers/ssh/ssh_provider.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "planner/real_clock.h"
#include "providers/registry.h"
#include "tests/support/sshd.h"
#include "tests/support/temp_dir.h"

namespace orch {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::TestSshd;

Value strs(const std::vector<std::string>& v) {
  ValueList l;
  for (const auto& s : v) l.push_back(Value::string(s));
  return Value::list(l, Type::string());
}

std::vector<std::string> hosts(int n, const std::string& prefix = "node") {
  std::vector<std::string> out;
  for (int i = 1; i <= n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

class SshProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = TestSshd::unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
    fs::create_directories(bin.path() / "bin");
    TestSshd::Options o;
    o.path_prefix = {(bin.path() / "bin").string()};
    sshd = std::make_unique<TestSshd>(o);
    std::string err;
    ASSERT_TRUE(sshd->start(&err)) << err;
  }

  void configure(ValueMap extra = {}) {
    ctx.clock = &clock;
    ctx.work_dir = work.path().string();
    ValueMap options;
    for (const auto& [k, v] : sshd->client_options()) options[k] = Value::string(v);
    ValueMap config = std::move(extra);
    if (!config.count("options")) config["options"] = Value::map(options, Type::string());
    Diagnostics diags;
    provider.configure(config, ctx, diags);
    ASSERT_FALSE(diags.has_errors());
  }

  ValueMap command_config(const std::vector<std::string>& hs, const std::string& command) {
    return {{"hosts", strs(hs)}, {"command", Value::string(command)}};
  }

  // Plans `config` over `prior` and applies it for real; the result of the apply.
  ApplyResult apply(ValueMap config, std::optional<ObjectState> prior = {},
                    PlanResponse* plan_out = nullptr) {
    PlanRequest pr{"ssh_command", "ssh_command.test", prior, std::move(config)};
    PlanResponse plan = provider.plan(pr);
    EXPECT_FALSE(plan.diagnostics.has_errors());
    if (plan_out) *plan_out = plan;
    ApplyRequest req;
    req.type = "ssh_command";
    req.address = "ssh_command.test";
    req.action = prior ? ChangeAction::Update : ChangeAction::Create;
    req.prior = prior;
    req.planned = plan.planned;
    req.idempotency_token = "lineage/ssh_command.test";
    ApplyResult out;
    bool called = false;
    provider.apply(req, [&](ApplyResult r) {
      out = std::move(r);
      called = true;
    });
    clock.run();
    EXPECT_TRUE(called);
    return out;
  }

  std::string log_dir() const { return (work.path() / ".orch/logs/ssh_command.test").string(); }

  TempDir bin, work;
  std::unique_ptr<TestSshd> sshd;
  RealClock clock;
  ProviderContext ctx;
  SshProvider provider;
};

TEST(SshProviderSchema, RegisteredWithCompleteSchema) {
  auto p = make_provider("ssh");
  ASSERT_TRUE(p);
  const Schema& s = p->schema().resources.at("ssh_command");
  for (const char* name : {"hosts", "command", "sudo", "triggers", "max_failures", "timeout", "id",
                           "runs", "exit_codes"})
    EXPECT_TRUE(s.attribute(name)) << name;
  EXPECT_TRUE(s.attribute("hosts")->required);
  EXPECT_TRUE(s.attribute("exit_codes")->computed);
  for (const char* name :
       {"user", "port", "identity_file", "options", "max_sessions", "connect_timeout"})
    EXPECT_TRUE(p->schema().config.attribute(name)) << name;
  ASSERT_EQ(p->schema().gates.size(), 1u);
  EXPECT_EQ(p->schema().gates[0].kind, "ssh");
}

TEST_F(SshProviderTest, RunsOnEveryHostNameThroughOneServer) {
  configure();
  const std::string marks = work.file("ran");
  ApplyResult r = apply(command_config(hosts(5), "echo \"$ORCH_HOST $(id -un)\" >> " + marks));
  ASSERT_FALSE(r.error) << r.error->summary;
  ASSERT_TRUE(r.object);
  const ValueMap& a = r.object->attributes;
  EXPECT_EQ(a.at("runs").as_number().i, 1);
  ASSERT_EQ(a.at("exit_codes").length(), 5u);
  for (const auto& [host, code] : a.at("exit_codes").attributes()) EXPECT_EQ(code.as_number().i, 0);
  auto ran = lines_of(marks);
  std::set<std::string> got(ran.begin(), ran.end());
  std::set<std::string> want;
  for (const auto& h : hosts(5)) want.insert(h + " " + sshd->user());
  EXPECT_EQ(got, want);
  EXPECT_FALSE(r.object->id.empty());
  // Nothing failed: no logs left behind.
  EXPECT_FALSE(fs::exists(log_dir()) && !fs::is_empty(log_dir()));
}

TEST_F(SshProviderTest, FailureWithinMaxFailuresIsDoneAndRecorded) {
  configure();
  ValueMap cfg = command_config(hosts(4),
                                "if [ \"$ORCH_HOST\" = node3 ]; then echo broken on "
                                "$ORCH_HOST; exit 7; fi; echo fine");
  cfg["max_failures"] = Value::number(int64_t{1});
  ApplyResult r = apply(cfg);
  ASSERT_FALSE(r.error) << r.error->summary;
  const auto& codes = r.object->attributes.at("exit_codes").attributes();
  EXPECT_EQ(codes.at("node3").as_number().i, 7);
  EXPECT_EQ(codes.at("node1").as_number().i, 0);
  // The failed run's log is kept, the others are not.
  EXPECT_TRUE(fs::exists(log_dir() + "/node3.log"));
  EXPECT_FALSE(fs::exists(log_dir() + "/node1.log"));
  EXPECT_NE(testing::read_text(log_dir() + "/node3.log").find("broken on node3"),
            std::string::npos);
  EXPECT_EQ(fs::status(log_dir() + "/node3.log").permissions() & fs::perms::others_read,
            fs::perms::none);
}

TEST_F(SshProviderTest, FailuresOverMaxFailuresFailTheStepWithTailsAndLogs) {
  configure();
  ValueMap cfg = command_config(
      {"node1", "node2", "node3"},
      "if [ \"$ORCH_HOST\" != node1 ]; then i=0; while [ $i -lt 50 ]; do echo progress $i; "
      "i=$((i+1)); done; echo FATAL: it broke on $ORCH_HOST >&2; exit 3; fi");
  ApplyResult r = apply(cfg);
  ASSERT_TRUE(r.error);
  const std::string& msg = r.error->summary;
  EXPECT_NE(msg.find("the command failed on 2 of 3 hosts (max_failures = 0):"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("node2: exit code 3 (log: .orch/logs/ssh_command.test/node2.log)"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("    | FATAL: it broke on node2"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("progress 10\n"), std::string::npos) << "only the tail is shown";
  // The full output is in the log.
  const std::string log = testing::read_text(log_dir() + "/node2.log");
  EXPECT_NE(log.find("progress 0\n"), std::string::npos);
  EXPECT_NE(log.find("progress 49\n"), std::string::npos);
  EXPECT_NE(log.find("# orch: exit code 3"), std::string::npos);
}

TEST_F(SshProviderTest, TimeLimitEndsTheRun) {
  configure();
  ValueMap cfg = command_config({"node1", "node2"},
                                "if [ \"$ORCH_HOST\" = node2 ]; then while :; do echo waiting; "
                                "sleep 0.1; done; fi");
  cfg["timeout"] = Value::string("3s");
  cfg["max_failures"] = Value::number(int64_t{1});
  auto t0 = std::chrono::steady_clock::now();
  ApplyResult r = apply(cfg);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
  ASSERT_FALSE(r.error) << r.error->summary;
  EXPECT_EQ(r.object->attributes.at("exit_codes").attributes().at("node2").as_number().i, -1);
  const std::string log = testing::read_text(log_dir() + "/node2.log");
  EXPECT_NE(log.find("timed out after 3s"), std::string::npos) << log;
}

TEST_F(SshProviderTest, SshOwnFailureIsExit255WithItsMessage) {
  ValueMap options;
  for (const auto& [k, v] : sshd->client_options()) options[k] = Value::string(v);
  options["HostKeyAlias"] = Value::string("some-other-host");  // not in known_hosts
  configure({{"options", Value::map(options, Type::string())}});
  ApplyResult r = apply(command_config({"node1"}, "true"));
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->summary.find("node1: exit code 255"), std::string::npos) << r.error->summary;
  EXPECT_NE(r.error->summary.find("Host key verification failed"), std::string::npos)
      << r.error->summary;
}

TEST_F(SshProviderTest, StopsStartingHostsOnceTooManyFailed) {
  configure({{"max_sessions", Value::number(int64_t{1})}});
  ValueMap cfg = command_config(hosts(6), "echo run >> " + work.file("count") + "; exit 1");
  cfg["max_failures"] = Value::number(int64_t{1});
  ApplyResult r = apply(cfg);
  ASSERT_TRUE(r.error);
  // One session at a time: the third failure never happens.
  EXPECT_EQ(lines_of(work.file("count")).size(), 2u);
  EXPECT_NE(r.error->summary.find("4 hosts not started after too many failures"), std::string::npos)
      << r.error->summary;
}

TEST_F(SshProviderTest, SudoRunsThroughSudoNonInteractively) {
  // A stand-in sudo on the sessions' PATH: records its arguments, then runs the command.
  ASSERT_TRUE(testing::write_script((bin.path() / "bin/sudo").string(),
                                    "#!/bin/sh\necho \"$*\" >> " + work.file("sudo-args") +
                                        "\n[ \"$1\" = -n ] || exit 99\nshift\nexec \"$@\"\n"));
  configure();
  ValueMap cfg = command_config({"node1"}, "echo \"as root: $ORCH_HOST\" > " + work.file("out"));
  cfg["sudo"] = Value::boolean(true);
  ApplyResult r = apply(cfg);
  ASSERT_FALSE(r.error) << r.error->summary;
  EXPECT_EQ(testing::read_text(work.file("out")), "as root: node1\n");
  EXPECT_NE(testing::read_text(work.file("sudo-args")).find("-n env ORCH_HOST=node1 /bin/sh -c"),
            std::string::npos);
}

TEST_F(SshProviderTest, ReRunsOnTriggersAndAddedHostsOnly) {
  configure();
  const std::string marks = work.file("ran");
  ValueMap cfg = command_config(hosts(2), "echo $ORCH_HOST >> " + marks);
  cfg["triggers"] = Value::map({{"v", Value::string("1")}}, Type::string());
  ApplyResult first = apply(cfg);
  ASSERT_TRUE(first.object);
  EXPECT_EQ(lines_of(marks).size(), 2u);

  // Unchanged: the plan keeps everything as it was (no change), and nothing runs.
  PlanResponse same =
      provider.plan(PlanRequest{"ssh_command", "ssh_command.test", first.object, cfg});
  EXPECT_TRUE(same.planned.at("runs").equals(first.object->attributes.at("runs")));
  EXPECT_TRUE(same.notes.empty());

  // Hosts added: only the new one runs.
  ValueMap grown = cfg;
  grown["hosts"] = strs(hosts(3));
  PlanResponse plan;
  ApplyResult second = apply(grown, first.object, &plan);
  ASSERT_TRUE(second.object);
  ASSERT_EQ(plan.notes.size(), 1u);
  EXPECT_EQ(plan.notes[0], "runs on 1 host (1 new host)");
  EXPECT_EQ(lines_of(marks).size(), 3u);
  EXPECT_EQ(lines_of(marks).back(), "node3");
  EXPECT_EQ(second.object->attributes.at("runs").as_number().i, 2);

  // A trigger changes: every host runs again.
  ValueMap triggered = grown;
  triggered["triggers"] = Value::map({{"v", Value::string("2")}}, Type::string());
  ApplyResult third = apply(triggered, second.object, &plan);
  ASSERT_TRUE(third.object);
  EXPECT_EQ(plan.notes[0], "runs on 3 hosts (triggers changed)");
  EXPECT_EQ(lines_of(marks).size(), 6u);
  EXPECT_EQ(third.object->attributes.at("runs").as_number().i, 3);
}

TEST_F(SshProviderTest, PlanRejectsBadInput) {
  configure();
  auto errors = [&](ValueMap cfg) {
    return provider.plan(PlanRequest{"ssh_command", "ssh_command.x", std::nullopt, cfg})
        .diagnostics.has_errors();
  };
  EXPECT_TRUE(errors(command_config({"-oProxyCommand=x"}, "true")));
  EXPECT_TRUE(errors(command_config({"a"}, "")));
  ValueMap bad_timeout = command_config({"a"}, "true");
  bad_timeout["timeout"] = Value::string("soon");
  EXPECT_TRUE(errors(bad_timeout));
  ValueMap negative = command_config({"a"}, "true");
  negative["max_failures"] = Value::number(int64_t{-1});
  EXPECT_TRUE(errors(negative));
  EXPECT_FALSE(errors(command_config({"a"}, "true")));
}

TEST_F(SshProviderTest, GateHoldsWhenSshWorks) {
  configure();
  auto gate = [&](const std::string& host) {
    GateResult out;
    provider.check_gate(GateRequest{"ssh", Value::string(host), "x", {}},
                        [&](GateResult g) { out = g; });
    clock.run();
    return out;
  };
  GateResult ok = gate("node1");
  EXPECT_TRUE(ok.holds) << ok.message;
  sshd->stop();
  GateResult down = gate("node1");
  EXPECT_FALSE(down.holds);
  EXPECT_FALSE(down.error);  // not ready yet, not an error: the gate polls again
  EXPECT_NE(down.message.find("Connection refused"), std::string::npos) << down.message;
}

TEST_F(SshProviderTest, TwentyHostsAtOnce) {
  configure();
  ApplyResult r = apply(command_config(hosts(20), "echo $ORCH_HOST"));
  ASSERT_FALSE(r.error) << r.error->summary;
  EXPECT_EQ(r.object->attributes.at("exit_codes").length(), 20u);
}

}  // namespace
}  // namespace orch
