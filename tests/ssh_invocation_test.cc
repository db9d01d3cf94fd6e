// Tests of providers/ssh/ssh_invocation and step_plan: ssh command lines, remote command
// wrapping, input checks, ssh's transient failures, and which targets a step runs on.
#include "providers/ssh/ssh_invocation.h"

#include <gtest/gtest.h>

#include "providers/ssh/step_plan.h"

namespace orch {
namespace {

Value strs(std::vector<std::string> v) {
  ValueList l;
  for (auto& s : v) l.push_back(Value::string(s));
  return Value::list(l, Type::string());
}

TEST(SshInvocation, DefaultsAfterUserOptions) {
  SshSettings s;
  s.user = "deploy";
  s.port = 2222;
  s.identity_file = "/keys/id";
  s.options = {{"ProxyJump", "bastion"}, {"connecttimeout", "3"}};
  auto argv = ssh_argv(s, "web1", "uptime");
  std::vector<std::string> want = {"ssh",
                                   "-o",
                                   "ProxyJump=bastion",
                                   "-o",
                                   "connecttimeout=3",
                                   "-T",
                                   "-o",
                                   "BatchMode=yes",
                                   "-o",
                                   "ServerAliveInterval=15",
                                   "-o",
                                   "ServerAliveCountMax=4",
                                   "-l",
                                   "deploy",
                                   "-p",
                                   "2222",
                                   "-i",
                                   "/keys/id",
                                   "--",
                                   "web1",
                                   "uptime"};
  EXPECT_EQ(argv, want);
}

TEST(SshInvocation, MinimalCommandLine) {
  SshSettings s;
  auto argv = ssh_argv(s, "-oProxyCommand=evil", "true");
  // The host comes after "--": never taken for an option.
  ASSERT_GE(argv.size(), 3u);
  EXPECT_EQ(argv[argv.size() - 3], "--");
  EXPECT_NE(std::find(argv.begin(), argv.end(), "ConnectTimeout=10"), argv.end());
  EXPECT_NE(invalid_host_reason("-oProxyCommand=evil"), "");
}

TEST(SshInvocation, RemoteCommandWrapping) {
  EXPECT_EQ(remote_command("chef-client", false, {}), "/bin/sh -c chef-client");
  EXPECT_EQ(remote_command("echo hi; exit 3", true, {{"ORCH_HOST", "web 1"}}),
            "sudo -n env 'ORCH_HOST=web 1' /bin/sh -c 'echo hi; exit 3'");
}

TEST(SshInvocation, InputChecks) {
  EXPECT_EQ(invalid_host_reason("web1.example.com"), "");
  EXPECT_EQ(invalid_host_reason("deploy@10.0.0.1"), "");
  EXPECT_NE(invalid_host_reason(""), "");
  EXPECT_NE(invalid_host_reason("a b"), "");
  EXPECT_NE(invalid_host_reason("a\nb"), "");
  EXPECT_EQ(invalid_option_reason("StrictHostKeyChecking", "accept-new"), "");
  EXPECT_NE(invalid_option_reason("Strict-Host", "x"), "");
  EXPECT_NE(invalid_option_reason("ProxyCommand", "x\nLocalCommand y"), "");
}

TEST(SshInvocation, TransientFailures) {
  EXPECT_TRUE(
      is_transient_ssh_failure(255, "kex_exchange_identification: read: Connection reset by peer"));
  EXPECT_TRUE(
      is_transient_ssh_failure(255, "ssh: connect to host web1 port 22: Connection refused"));
  EXPECT_TRUE(is_transient_ssh_failure(255, "Connection closed by 127.0.0.1 port 2222"));
  // Authentication and host keys do not fix themselves; nor does a remote exit of 255.
  EXPECT_FALSE(is_transient_ssh_failure(255, "root@127.0.0.1: Permission denied (publickey)."));
  EXPECT_FALSE(is_transient_ssh_failure(255, "Host key verification failed."));
  EXPECT_FALSE(is_transient_ssh_failure(255, "my script failed"));
  EXPECT_FALSE(
      is_transient_ssh_failure(1, "ssh: connect to host web1 port 22: Connection refused"));
}

const StepRules kRules{"hosts", {"command", "triggers"}, "host"};

TEST(StepPlan, FirstRunRunsEverywhereOnce) {
  ValueMap planned{{"hosts", strs({"a", "b", "a"})}, {"command", Value::string("x")}};
  StepRun r = step_run(nullptr, planned, kRules, {});
  EXPECT_TRUE(r.runs);
  EXPECT_EQ(r.targets, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.reason, "first run");
}

TEST(StepPlan, UnchangedDoesNotRun) {
  ValueMap prior{{"hosts", strs({"a", "b"})}, {"command", Value::string("x")}};
  StepRun r = step_run(&prior, prior, kRules, {"b"});
  EXPECT_FALSE(r.runs);
  EXPECT_TRUE(r.targets.empty());
}

TEST(StepPlan, TriggerChangeRunsEverywhere) {
  ValueMap prior{{"hosts", strs({"a", "b"})},
                 {"command", Value::string("x")},
                 {"triggers", Value::map({{"v", Value::string("1")}})}};
  ValueMap planned = prior;
  planned["triggers"] = Value::map({{"v", Value::string("2")}});
  StepRun r = step_run(&prior, planned, kRules, {});
  EXPECT_TRUE(r.runs);
  EXPECT_EQ(r.targets, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.reason, "triggers changed");
}

TEST(StepPlan, AddedHostsRunWithThoseThatFailed) {
  ValueMap prior{{"hosts", strs({"a", "b", "c"})}, {"command", Value::string("x")}};
  ValueMap planned = prior;
  planned["hosts"] = strs({"a", "b", "c", "d", "e"});
  StepRun r = step_run(&prior, planned, kRules, {"b"});
  EXPECT_TRUE(r.runs);
  EXPECT_EQ(r.targets, (std::vector<std::string>{"b", "d", "e"}));
  EXPECT_EQ(r.reason, "2 new hosts, 1 that failed last time");
}

TEST(StepPlan, RemovedHostsAloneDoNotRun) {
  ValueMap prior{{"hosts", strs({"a", "b"})}, {"command", Value::string("x")}};
  ValueMap planned = prior;
  planned["hosts"] = strs({"a"});
  EXPECT_FALSE(step_run(&prior, planned, kRules, {}).runs);
}

TEST(StepPlan, UnknownTargets) {
  ValueMap planned{{"hosts", Value::unknown(Type::list(Type::string()))},
                   {"command", Value::string("x")}};
  StepRun r = step_run(nullptr, planned, kRules, {});
  EXPECT_TRUE(r.runs);
  EXPECT_FALSE(r.targets_known);
}

TEST(StepPlan, NameList) {
  EXPECT_EQ(name_list({"a"}), "a");
  EXPECT_EQ(name_list({"a", "b"}), "a and b");
  EXPECT_EQ(name_list({"a", "b", "c"}), "a, b and c");
  EXPECT_EQ(name_list({"a", "b", "c", "d"}, 2), "a, b and 2 more");
  EXPECT_EQ(count_of(1, "node"), "1 node");
  EXPECT_EQ(count_of(0, "node"), "0 nodes");
}

}  // namespace
}  // namespace orch
