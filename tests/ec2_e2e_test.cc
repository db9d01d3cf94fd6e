// End to end through the orch binary against build/fake_ec2 (a separate process, endpoint
// override): apply/plan/destroy, kill -9 during a create of 50 instances and a rerun (exactly 50
// instances, no orphans), adoption after the state is lost, in-place vs replace, throttling,
// rejected credentials.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <set>
#include <thread>

#include "providers/http/client.h"
#include "tests/support/orch_process.h"
#include "tests/support/temp_dir.h"

namespace orch {
namespace {

using orch::testing::ProcessOptions;
using orch::testing::read_text;
using orch::testing::run_orch_process;
using orch::testing::TempDir;
using orch::testing::write_text;

// A child process (fake_ec2 or orch) with stdout/stderr to files; killed when destroyed.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& out, const std::string& cwd = "",
        const std::map<std::string, std::string>& env = {}) {
    pid_ = fork();
    if (pid_ == 0) {
      if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(127);
      for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
      int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(fd, 1);
      dup2(fd, 2);
      int null = open("/dev/null", O_RDONLY);
      dup2(null, 0);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~Child() { kill(SIGKILL); }
  void kill(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

class FakeEc2Process {
 public:
  explicit FakeEc2Process(std::vector<std::string> flags) {
    std::vector<std::string> argv{ORCH_BINARY_DIR "/fake_ec2"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    out_ = dir_.file("fake.out");
    child_ = std::make_unique<Child>(argv, out_);
    for (int i = 0; i < 200 && url_.empty(); ++i) {
      std::string text = read_text(out_);
      if (auto p = text.find("listening on ");
          p != std::string::npos && text.find('\n', p) != std::string::npos)
        url_ = text.substr(p + 13, text.find('\n', p) - p - 13);
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  const std::string& url() const { return url_; }
  nlohmann::json get(const std::string& path) {
    http::Request r;
    r.url = url_ + path;
    return nlohmann::json::parse(http::perform(r).body);
  }
  // Live instances of a stack.
  std::vector<nlohmann::json> instances(const std::string& stack) {
    std::vector<nlohmann::json> out;
    for (auto& i : get("/_fake/ec2/instances"))
      if (i["tags"].value("orch:stack", "") == stack) out.push_back(i);
    return out;
  }

 private:
  TempDir dir_;
  std::string out_, url_;
  std::unique_ptr<Child> child_;
};

std::map<std::string, std::string> aws_env() {
  return {{"AWS_ACCESS_KEY_ID", "AKIDFAKEEC2"},
          {"AWS_SECRET_ACCESS_KEY", "fake/secret/key"},
          {"AWS_SESSION_TOKEN", ""},
          {"AWS_PROFILE", ""},
          {"ORCH_STACK", ""},
          {"NO_COLOR", "1"}};
}

std::string provider_block(const std::string& url, const std::string& extra = "") {
  return "provider \"ec2\" {\n  endpoint = \"" + url +
         "\"\n  region = \"us-east-1\"\n  poll_interval = \"100ms\"\n" + extra + "}\n";
}

std::string instances_block(int count, const std::string& type = "t3.micro",
                            const std::string& image = "ami-0c55b159cbfafe1f0") {
  return "resource \"ec2_instance\" \"node\" {\n  count = " + std::to_string(count) +
         "\n  image_id = \"" + image + "\"\n  instance_type = \"" + type +
         "\"\n  tags = { cluster = \"e2e\" }\n}\n";
}

struct Stack {
  TempDir root;
  std::string dir;
  explicit Stack(const std::string& name) {
    dir = root.file(name);
    std::filesystem::create_directories(dir);
  }
  void write(const std::string& text) { write_text(dir + "/main.orch", text); }
  orch::testing::ProcessResult run(const std::vector<std::string>& args,
                                   std::map<std::string, std::string> env = aws_env()) {
    ProcessOptions o;
    o.cwd = dir;
    o.env = std::move(env);
    return run_orch_process(args, o);
  }
};

TEST(Ec2E2E, ApplyThenNoChangesThenDestroy) {
  FakeEc2Process fake({"--pending-ms", "200", "--visibility-ms", "100"});
  ASSERT_FALSE(fake.url().empty());
  Stack s("alpha");
  s.write(provider_block(fake.url()) + instances_block(3) +
          "resource \"ec2_security_group\" \"web\" {\n  name = \"web\"\n  ingress {\n"
          "    protocol = \"tcp\"\n    from_port = 443\n    to_port = 443\n"
          "    cidr_blocks = [\"0.0.0.0/0\"]\n  }\n}\n");
  auto a = s.run({"apply", "-auto-approve"});
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  EXPECT_NE(a.out.find("Apply complete! Resources: 4 added"), std::string::npos) << a.out;
  EXPECT_EQ(fake.instances("alpha").size(), 3u);
  auto p = s.run({"plan", "-detailed-exitcode"});
  EXPECT_EQ(p.exit_code, 0) << p.out << p.err;
  EXPECT_NE(p.out.find("No changes."), std::string::npos) << p.out;
  auto d = s.run({"destroy", "-auto-approve"});
  ASSERT_EQ(d.exit_code, 0) << d.out << d.err;
  EXPECT_TRUE(fake.instances("alpha").empty());
}

TEST(Ec2E2E, KillDuringCreateOf50ThenRerunLeavesExactly50) {
  // Slow boots and a visibility lag: the kill lands while instances are pending and some of the
  // rerun's lookups do not see them yet.
  FakeEc2Process fake({"--pending-ms", "2500", "--visibility-ms", "800"});
  ASSERT_FALSE(fake.url().empty());
  Stack s("fifty");
  s.write(provider_block(fake.url()) + instances_block(50));
  {
    Child apply({ORCH_BINARY, "apply", "-auto-approve"}, s.root.file("first.log"), s.dir,
                aws_env());
    for (int i = 0; i < 400 && fake.instances("fifty").size() < 25; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    apply.kill(SIGKILL);
  }
  size_t at_kill = fake.instances("fifty").size();
  EXPECT_GE(at_kill, 25u);
  EXPECT_LT(at_kill, 50u + 1);
  auto again = s.run({"apply", "-auto-approve"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  auto live = fake.instances("fifty");
  std::set<std::string> addresses;
  for (auto& i : live) addresses.insert(i["tags"]["orch:address"].get<std::string>());
  EXPECT_EQ(live.size(), 50u);
  EXPECT_EQ(addresses.size(), 50u);
  EXPECT_EQ(fake.get("/_fake/ec2/calls")["created"].get<int>(), 50);  // never a second one
  auto p = s.run({"plan", "-detailed-exitcode"});
  EXPECT_EQ(p.exit_code, 0) << p.out << p.err;
}

TEST(Ec2E2E, KillDuringCreateThenDestroyLeavesNothing) {
  FakeEc2Process fake({"--pending-ms", "2000"});
  Stack s("eta");
  s.write(provider_block(fake.url()) + instances_block(10));
  {
    Child apply({ORCH_BINARY, "apply", "-auto-approve"}, s.root.file("first.log"), s.dir,
                aws_env());
    for (int i = 0; i < 400 && fake.instances("eta").size() < 10; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    apply.kill(SIGKILL);
  }
  ASSERT_EQ(fake.instances("eta").size(), 10u);
  // The state holds only create intents; destroy looks them up and terminates what they made.
  auto d = s.run({"destroy", "-auto-approve"});
  ASSERT_EQ(d.exit_code, 0) << d.out << d.err;
  EXPECT_NE(d.out.find("Resources: 10 destroyed"), std::string::npos) << d.out;
  EXPECT_TRUE(fake.instances("eta").empty());
}

TEST(Ec2E2E, AdoptsWhatTheLostStateKnew) {
  FakeEc2Process fake({"--pending-ms", "100"});
  Stack s("beta");
  s.write(provider_block(fake.url()) + instances_block(2));
  ASSERT_EQ(s.run({"apply", "-auto-approve"}).exit_code, 0);
  std::filesystem::remove_all(s.dir + "/.orch");
  auto p = s.run({"plan"});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_NE(p.out.find("ec2_instance.node[0] will be adopted (i-"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("Plan: 0 to add, 0 to change, 0 to destroy, 2 to adopt."), std::string::npos)
      << p.out;
  auto j = s.run({"plan", "-json"});
  auto plan = nlohmann::json::parse(j.out);
  int importing = 0;
  for (auto& c : plan["resource_changes"])
    if (c["change"].contains("importing")) ++importing;
  EXPECT_EQ(importing, 2);
  ASSERT_EQ(s.run({"plan", "-out", "adopt.plan"}).exit_code, 0);
  auto md = s.run({"show", "-markdown", "adopt.plan"});
  EXPECT_NE(md.out.find("Adopt"), std::string::npos) << md.out << md.err;
  auto a = s.run({"apply", "-auto-approve"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_NE(a.out.find("Apply complete! Resources: 2 adopted, 0 added"), std::string::npos)
      << a.out;
  EXPECT_NE(s.run({"plan"}).out.find("No changes."), std::string::npos);
  EXPECT_EQ(fake.get("/_fake/ec2/calls")["created"].get<int>(), 2);
}

TEST(Ec2E2E, TypeChangeIsInPlaceImageChangeReplaces) {
  FakeEc2Process fake({"--pending-ms", "100", "--stopping-ms", "100"});
  Stack s("gamma");
  s.write(provider_block(fake.url()) + instances_block(1, "t3.micro"));
  ASSERT_EQ(s.run({"apply", "-auto-approve"}).exit_code, 0);
  std::string id = fake.instances("gamma").at(0)["id"];
  s.write(provider_block(fake.url()) + instances_block(1, "t3.large"));
  auto p = s.run({"plan"});
  EXPECT_NE(p.out.find("will be updated in-place"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("# note: instance_type \"t3.micro\" -> \"t3.large\": stop, modify, start"),
            std::string::npos)
      << p.out;
  ASSERT_EQ(s.run({"apply", "-auto-approve"}).exit_code, 0);
  auto live = fake.instances("gamma");
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0]["id"], id);
  EXPECT_EQ(live[0]["type"], "t3.large");

  s.write(provider_block(fake.url()) + instances_block(1, "t3.large", "ami-0aaaaaaaaaaaaaaa1"));
  auto r = s.run({"plan"});
  EXPECT_NE(r.out.find("must be replaced"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("# forces replacement"), std::string::npos) << r.out;
  ASSERT_EQ(s.run({"apply", "-auto-approve"}).exit_code, 0);
  live = fake.instances("gamma");
  ASSERT_EQ(live.size(), 1u);
  EXPECT_NE(live[0]["id"], id);
}

TEST(Ec2E2E, ThrottledByTheEndpointAndHeldBackByTheBucket) {
  FakeEc2Process fake({"--pending-ms", "100", "--rate", "4", "--burst", "2"});
  Stack s("delta");
  s.write(provider_block(fake.url(), "  max_requests_per_second = 0\n") + instances_block(6));
  auto a = s.run({"apply", "-auto-approve"});
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  EXPECT_EQ(fake.instances("delta").size(), 6u);
  int throttled = fake.get("/_fake/ec2/calls")["throttled"].get<int>();
  EXPECT_GT(throttled, 0);
  // Under the endpoint's rate, the provider's own bucket keeps every request within it (once the
  // endpoint's bucket, emptied by the run above, has refilled).
  std::this_thread::sleep_for(std::chrono::seconds(1));
  Stack t("epsilon");
  t.write(provider_block(fake.url(), "  max_requests_per_second = 1.5\n") + instances_block(3));
  auto b = t.run({"apply", "-auto-approve"});
  ASSERT_EQ(b.exit_code, 0) << b.out << b.err;
  EXPECT_EQ(fake.get("/_fake/ec2/calls")["throttled"].get<int>(), throttled);
}

TEST(Ec2E2E, RejectedCredentialsNameTheResourceAndNeverTheSecret) {
  FakeEc2Process fake({});
  Stack s("zeta");
  s.write(provider_block(fake.url()) + instances_block(1));
  auto env = aws_env();
  env["AWS_SECRET_ACCESS_KEY"] = "wrong-secret-value";
  auto a = s.run({"apply", "-auto-approve"}, env);
  EXPECT_NE(a.exit_code, 0);
  std::string all = a.out + a.err;
  EXPECT_NE(all.find("SignatureDoesNotMatch"), std::string::npos) << all;
  EXPECT_NE(all.find("ec2_instance"), std::string::npos) << all;
  EXPECT_EQ(all.find("wrong-secret-value"), std::string::npos) << all;
  EXPECT_TRUE(fake.instances("zeta").empty());
}

}  // namespace
}  // namespace orch
