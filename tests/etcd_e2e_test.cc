// End-to-end tests of etcd as orch's shared state backend and coordination service, through the
// real `orch` binary and a real etcd: two applies at once (one runs, the other names the holder),
// kill -9 of the holder (the lock frees within its TTL, the next apply continues), a lost lock
// (force-unlock: nothing new starts, exit non-zero), step locks across two orchs, an election of
// 11 candidates becoming ready at random times, the leader of a 3-member cluster killed during an
// apply, and moving local state into etcd (init -migrate-state, -backend-config).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "providers/etcd/etcd_backend.h"
#include "providers/etcd/etcd_codec.h"
#include "tests/support/etcd_cluster.h"
#include "tests/support/run_orch.h"

namespace orch {
namespace {

namespace fs = std::filesystem;
using testing::EtcdCluster;
using testing::Spawned;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class EtcdE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!EtcdCluster::available()) return;
    shared_ = new EtcdCluster();
    if (!shared_->start(&start_error_)) {
      delete shared_;
      shared_ = nullptr;
    }
  }
  static void TearDownTestSuite() {
    delete shared_;
    shared_ = nullptr;
  }
  void SetUp() override {
    if (!EtcdCluster::available()) GTEST_SKIP() << "etcd is not installed (etcd-server)";
    ASSERT_NE(shared_, nullptr) << start_error_;
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    cluster_ = shared_;
  }

  // A configuration directory with an etcd backend under /e2e/<test>/<stack>/state and the etcd
  // provider's prefix /e2e/<test>.
  std::string stack(const std::string& stack_name, const std::string& body,
                    const std::string& lock_ttl = "2s") {
    fs::path d = dir_.path() / stack_name;
    fs::create_directories(d);
    std::ofstream(d / "main.orch")
        << "backend \"etcd\" {\n  endpoints = " << cluster_->endpoints_hcl() << "\n  prefix    = \""
        << root() << "/" << stack_name << "/state\"\n  lock_ttl  = \"" << lock_ttl
        << "\"\n}\n\nprovider \"etcd\" {\n  endpoints = " << cluster_->endpoints_hcl()
        << "\n  prefix    = \"" << root() << "\"\n}\n\n"
        << body;
    return d.string();
  }
  std::string root() const { return "/e2e/" + name_; }
  testing::RunResult orch(const std::string& dir, const std::string& args) {
    return testing::run_orch(dir, args);
  }
  Spawned background(const std::string& dir, const std::string& args, const std::string& log) {
    std::vector<std::string> argv = {ORCH_BINARY};
    std::string a;
    std::istringstream in(args);
    while (in >> a) argv.push_back(a);
    return Spawned(argv, (dir_.path() / log).string(), dir);
  }
  etcd::SyncClient raw() const {
    etcd::ClientConfig c;
    c.endpoints = cluster_->endpoints();
    c.retry_timeout = std::chrono::seconds(20);
    return etcd::SyncClient(c);
  }
  std::optional<etcd::KeyValue> get(const std::string& k) const {
    auto r = raw().call("/v3/kv/range", etcd::range_request(k));
    std::vector<etcd::KeyValue> kvs;
    std::string e;
    if (!r.ok() || !etcd::parse_kvs(r.body, kvs, &e) || kvs.empty()) return std::nullopt;
    return kvs[0];
  }
  std::vector<etcd::KeyValue> under(const std::string& p) const {
    etcd::RangeOptions ro;
    ro.range_end = etcd::prefix_end(p);
    auto r = raw().call("/v3/kv/range", etcd::range_request(p, ro));
    std::vector<etcd::KeyValue> kvs;
    std::string e;
    if (r.ok()) (void)etcd::parse_kvs(r.body, kvs, &e);
    return kvs;
  }
  void put(const std::string& k, const std::string& v) const {
    auto r = raw().call("/v3/kv/put", etcd::put_request(k, v));
    ASSERT_TRUE(r.ok()) << r.error->message;
  }
  // Waits up to `seconds` for `cond`.
  template <typename F>
  bool wait_for(F cond, int seconds = 20) {
    auto deadline = Clock::now() + std::chrono::seconds(seconds);
    while (Clock::now() < deadline) {
      if (cond()) return true;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return cond();
  }
  // The state of a stack as its backend has it.
  State state_of(const std::string& stack_name) {
    ValueList eps;
    for (const auto& e : cluster_->endpoints()) eps.push_back(Value::string(e));
    etcd::BackendOptions o;
    std::string e;
    EXPECT_TRUE(etcd::parse_backend_settings(
        {{"endpoints", Value::list(eps)},
         {"prefix", Value::string(root() + "/" + stack_name + "/state")}},
        o, &e))
        << e;
    etcd::EtcdBackend b(o);
    LoadedState l;
    auto err = b.load(l);
    EXPECT_FALSE(err) << err->message;
    return l.state;
  }

  static EtcdCluster* shared_;
  static std::string start_error_;
  EtcdCluster* cluster_ = nullptr;
  testing::TempDir dir_;
  std::string name_;
};
EtcdCluster* EtcdE2E::shared_ = nullptr;
std::string EtcdE2E::start_error_;

// A key whose readiness gate holds only when the test writes `go`: an apply that waits there.
std::string gated_key(const std::string& name, const std::string& key, const std::string& go,
                      const std::string& extra = "") {
  return "resource \"etcd_key\" \"" + name + "\" {\n  key   = \"" + key + "\"\n  value = \"" +
         name + "\"\n" + extra + "  ready_when {\n    etcd_key = \"" + go +
         "\"\n    timeout  = \"60s\"\n  }\n}\n";
}

TEST_F(EtcdE2E, TwoAppliesAtOnceExactlyOneRunsTheOtherNamesTheHolder) {
  std::string d = stack("s", gated_key("slow", root() + "/slow", root() + "/go"));
  Spawned first = background(d, "apply -auto-approve -no-color", "first.log");
  ASSERT_TRUE(wait_for([&] { return get(root() + "/slow").has_value(); })) << first.output();
  auto second = orch(d, "apply -auto-approve -no-color");
  EXPECT_EQ(second.code, 1) << second.out << second.err;
  EXPECT_NE(second.err.find("Error acquiring the state lock"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("(pid " + std::to_string(first.pid()) + ")"), std::string::npos)
      << second.err;
  EXPECT_NE(second.err.find("for `orch apply`"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("orch force-unlock"), std::string::npos) << second.err;
  put(root() + "/go", "1");
  EXPECT_EQ(first.wait(30000), 0) << first.output();
  EXPECT_EQ(get(root() + "/slow")->version, 1) << "written once";
  EXPECT_EQ(state_of("s").resources.size(), 1u);
  auto again = orch(d, "plan -detailed-exitcode -no-color");
  EXPECT_EQ(again.code, 0) << again.out << again.err;
}

TEST_F(EtcdE2E, KilledHolderLockFreesWithinTtlAndNextApplyContinues) {
  std::string body =
      "resource \"etcd_key\" \"a\" {\n  key   = \"" + root() + "/a\"\n  value = \"a\"\n}\n" +
      "resource \"etcd_key\" \"b\" {\n  key   = \"" + root() + "/b\"\n  value = \"b\"\n}\n" +
      gated_key("c", root() + "/c", root() + "/go", "  depends_on = [etcd_key.a, etcd_key.b]\n") +
      "resource \"etcd_key\" \"d\" {\n  key   = \"" + root() +
      "/d\"\n  value = \"d\"\n  depends_on = [etcd_key.c]\n}\n";
  std::string d = stack("s", body, "2s");
  Spawned holder = background(d, "apply -auto-approve -no-color", "holder.log");
  // Wait until a, b and c are written (c waits at its gate), then kill -9 the holder.
  ASSERT_TRUE(wait_for([&] { return get(root() + "/c").has_value(); })) << holder.output();
  std::this_thread::sleep_for(milliseconds(200));  // c's state record
  holder.kill(SIGKILL);
  holder.wait();
  auto killed_at = Clock::now();
  auto refused = orch(d, "apply -auto-approve -no-color");
  EXPECT_EQ(refused.code, 1);
  EXPECT_NE(refused.err.find("(pid " + std::to_string(holder.pid()) + ")"), std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("expires in"), std::string::npos) << refused.err;
  // The lease expires: the lock frees itself within the TTL (plus etcd's expiry granularity).
  ASSERT_TRUE(wait_for([&] { return under(root() + "/s/state/lock").empty(); }, 10));
  auto freed_after = Clock::now() - killed_at;
  EXPECT_LT(freed_after, std::chrono::milliseconds(2000 + 1500));
  put(root() + "/go", "1");
  auto next = orch(d, "apply -auto-approve -no-color");
  EXPECT_EQ(next.code, 0) << next.out << next.err;
  // What the killed apply finished was kept: only d is left to create.
  EXPECT_NE(next.out.find("1 added"), std::string::npos) << next.out;
  for (const char* k : {"/a", "/b", "/c", "/d"}) {
    auto kv = get(root() + k);
    ASSERT_TRUE(kv) << k;
    EXPECT_EQ(kv->version, 1) << k << " written once";
  }
  State st = state_of("s");
  EXPECT_EQ(st.resources.size(), 4u);
  for (const auto& [a, r] : st.resources) EXPECT_TRUE(r.create_intents.empty()) << a.str();
}

TEST_F(EtcdE2E, LostLockStopsTheApplyWithANonZeroExit) {
  std::string body = gated_key("first", root() + "/first", root() + "/go") +
                     "resource \"etcd_key\" \"after\" {\n  key   = \"" + root() +
                     "/after\"\n  value = \"x\"\n  depends_on = [etcd_key.first]\n}\n";
  std::string d = stack("s", body, "3s");
  Spawned run = background(d, "apply -auto-approve -no-color", "run.log");
  ASSERT_TRUE(wait_for([&] { return get(root() + "/first").has_value(); })) << run.output();
  auto info = get(root() + "/s/state/lockinfo");
  ASSERT_TRUE(info);
  auto lock = LockInfo::from_json(info->value);
  ASSERT_TRUE(lock);
  auto unlock = orch(d, "force-unlock -force " + lock->id);
  EXPECT_EQ(unlock.code, 0) << unlock.out << unlock.err;
  EXPECT_NE(unlock.out.find("has been removed"), std::string::npos) << unlock.out;
  std::this_thread::sleep_for(milliseconds(1500));  // the keeper learns it within TTL/3
  put(root() + "/go", "1");
  int code = run.wait(30000);
  std::string out = run.output();
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("State lock lost"), std::string::npos) << out;
  EXPECT_NE(out.find("started nothing new"), std::string::npos) << out;
  EXPECT_FALSE(get(root() + "/after")) << "nothing new starts once the lock is lost";
  // The last good state is still readable, and the next apply finishes the job.
  auto next = orch(d, "apply -auto-approve -no-color");
  EXPECT_EQ(next.code, 0) << next.out << next.err;
  EXPECT_TRUE(get(root() + "/after"));
}

TEST_F(EtcdE2E, StepLocksSerialiseTwoOrchs) {
  const std::string lock = "resource \"etcd_lock\" \"m\" {\n  name = \"maint\"\n}\n";
  std::string a =
      stack("a", lock + gated_key("a", root() + "/a", root() + "/go-a", "  lock  = etcd_lock.m\n"));
  std::string b = stack("b", lock + "resource \"etcd_key\" \"b\" {\n  key   = \"" + root() +
                                 "/b\"\n  value = \"b\"\n  lock  = etcd_lock.m\n}\n");
  Spawned first = background(a, "apply -auto-approve -no-color", "a.log");
  ASSERT_TRUE(wait_for([&] { return get(root() + "/a").has_value(); })) << first.output();
  Spawned second = background(b, "apply -auto-approve -no-color", "b.log");
  std::this_thread::sleep_for(milliseconds(1500));
  EXPECT_FALSE(get(root() + "/b")) << "b waits while a holds the lock (through its gate)";
  put(root() + "/go-a", "1");
  EXPECT_EQ(first.wait(30000), 0) << first.output();
  EXPECT_EQ(second.wait(30000), 0) << second.output();
  auto go = get(root() + "/go-a");
  auto kb = get(root() + "/b");
  ASSERT_TRUE(go && kb);
  EXPECT_GT(kb->create_revision, go->create_revision) << "b ran only after a was done";
  EXPECT_TRUE(under(root() + "/locks/maint/").empty()) << "both released the lock";
}

// 11 candidates whose readiness gates open in a random order at random times: exactly one
// leader, the first ready; a re-plan keeps it; dropping it re-elects, and what used the leader is
// re-planned.
TEST_F(EtcdE2E, ElectionOfElevenFirstReadyWinsStaysAndReelects) {
  std::string body =
      "variable \"drop\" {\n  type    = string\n  default = \"\"\n}\n"
      "resource \"etcd_key\" \"node\" {\n  count = 11\n  key   = \"" +
      root() +
      "/nodes/${count.index}\"\n  value = \"node-${count.index}.internal\"\n"
      "  ready_when {\n    etcd_key = \"" +
      root() +
      "/up/${count.index}\"\n"
      "    timeout  = \"60s\"\n  }\n}\n"
      "resource \"etcd_election\" \"master\" {\n  name       = \"cluster/master\"\n"
      "  candidates = [for n in etcd_key.node[*].value : n if n != var.drop]\n"
      "  depends_on = [any(etcd_key.node)]\n}\n"
      "resource \"etcd_key\" \"conf\" {\n  key   = \"" +
      root() +
      "/conf\"\n"
      "  value = \"master=${etcd_election.master.leader}\"\n}\n"
      "output \"leader\" {\n  value = etcd_election.master.leader\n}\n";
  std::string d = stack("s", body);
  std::vector<int> order(11);
  for (int i = 0; i < 11; ++i) order[i] = i;
  std::mt19937 rng(static_cast<unsigned>(::getpid()));
  std::shuffle(order.begin(), order.end(), rng);
  Spawned run = background(d, "apply -auto-approve -no-color", "run.log");
  ASSERT_TRUE(wait_for([&] { return under(root() + "/nodes/").size() == 11; })) << run.output();
  std::uniform_int_distribution<int> gap(30, 120);
  for (size_t n = 0; n < order.size(); ++n) {
    put(root() + "/up/" + std::to_string(order[n]), "1");
    // "First" is what orch observes: on a loaded machine two watches' events a few ms apart may
    // be handled in either order, so the winner gets a clear lead.
    std::this_thread::sleep_for(milliseconds(n == 0 ? 400 : gap(rng)));
  }
  ASSERT_EQ(run.wait(30000), 0) << run.output();
  const std::string first = "node-" + std::to_string(order[0]) + ".internal";
  auto leader = get(root() + "/cluster/master/leader");
  ASSERT_TRUE(leader);
  EXPECT_EQ(leader->value, first) << "the first candidate to become ready";
  EXPECT_EQ(leader->version, 1) << "written once";
  EXPECT_EQ(get(root() + "/cluster/master/epoch")->value, "1");
  EXPECT_EQ(get(root() + "/conf")->value, "master=" + first);
  EXPECT_EQ(under(root() + "/cluster/master/").size(), 2u);

  auto replan = orch(d, "plan -detailed-exitcode -no-color");
  EXPECT_EQ(replan.code, 0) << "the leader stays: " << replan.out << replan.err;

  auto drop = orch(d, "plan -no-color -var drop=" + first);
  EXPECT_EQ(drop.code, 0) << drop.err;
  EXPECT_NE(drop.out.find("etcd_election.master will be updated"), std::string::npos) << drop.out;
  EXPECT_NE(drop.out.find("leader     = \"" + first + "\" -> (known after apply)"),
            std::string::npos)
      << drop.out;
  EXPECT_NE(drop.out.find("etcd_key.conf will be updated"), std::string::npos) << drop.out;
  auto apply = orch(d, "apply -auto-approve -no-color -var drop=" + first);
  ASSERT_EQ(apply.code, 0) << apply.out << apply.err;
  auto next = get(root() + "/cluster/master/leader");
  ASSERT_TRUE(next);
  EXPECT_NE(next->value, first);
  EXPECT_EQ(get(root() + "/cluster/master/epoch")->value, "2");
  EXPECT_EQ(get(root() + "/conf")->value, "master=" + next->value);
}

// A 3-member cluster holding both the state and the keys; its leader is killed while the apply
// waits at a gate. The apply finishes; nothing is lost or written twice.
TEST_F(EtcdE2E, LeaderKilledDuringApplyFinishes) {
  testing::EtcdClusterOptions o;
  o.members = 3;
  EtcdCluster three(o);
  std::string err;
  ASSERT_TRUE(three.start(&err)) << err;
  cluster_ = &three;
  std::string body =
      "resource \"etcd_key\" \"early\" {\n  count = 30\n  key   = \"" + root() +
      "/early/${count.index}\"\n  value = \"e${count.index}\"\n}\n" +
      gated_key("gate", root() + "/gate", root() + "/go", "  depends_on = [etcd_key.early]\n") +
      "resource \"etcd_key\" \"late\" {\n  count = 30\n  key   = \"" + root() +
      "/late/${count.index}\"\n  value = \"l${count.index}\"\n  depends_on = [etcd_key.gate]\n}\n";
  std::string d = stack("s", body, "5s");
  Spawned run = background(d, "apply -auto-approve -no-color", "run.log");
  ASSERT_TRUE(wait_for([&] { return get(root() + "/gate").has_value(); })) << run.output();
  int leader = three.leader();
  ASSERT_GE(leader, 0);
  three.kill(leader);
  // Retried by the client: a write forwarded to the dead leader times out inside etcd (about
  // 6 s) before a retry reaches the new one.
  put(root() + "/go", "1");
  ASSERT_EQ(run.wait(60000), 0) << run.output();
  auto early = under(root() + "/early/");
  auto late = under(root() + "/late/");
  EXPECT_EQ(early.size(), 30u);
  EXPECT_EQ(late.size(), 30u);
  for (const auto& kv : early) EXPECT_EQ(kv.version, 1) << kv.key;
  for (const auto& kv : late) EXPECT_EQ(kv.version, 1) << kv.key;
  State st = state_of("s");
  EXPECT_EQ(st.resources.size(), 61u);
  for (const auto& [a, r] : st.resources) {
    EXPECT_EQ(r.status, ResourceStatus::Created) << a.str();
    EXPECT_TRUE(r.create_intents.empty()) << a.str();
  }
  auto plan = orch(d, "plan -detailed-exitcode -no-color");
  EXPECT_EQ(plan.code, 0) << plan.out << plan.err;
}

TEST_F(EtcdE2E, LocalStateMigratesIntoEtcdWithBackendConfigFlags) {
  fs::path d = dir_.path() / "m";
  fs::create_directories(d);
  const std::string provider = "provider \"etcd\" {\n  endpoints = " + cluster_->endpoints_hcl() +
                               "\n  prefix    = \"" + root() + "\"\n}\n";
  const std::string res =
      "resource \"etcd_key\" \"k\" {\n  key   = \"" + root() + "/k\"\n  value = \"v\"\n}\n";
  std::ofstream(d / "main.orch") << provider << res;
  auto local = orch(d.string(), "apply -auto-approve -no-color");
  ASSERT_EQ(local.code, 0) << local.out << local.err;
  ASSERT_TRUE(fs::exists(d / ".orch" / "state.json"));

  // The configuration moves its state to etcd; endpoints come from -backend-config.
  std::ofstream(d / "main.orch") << "backend \"etcd\" {\n  prefix = \"" << root()
                                 << "/m/state\"\n}\n"
                                 << provider << res;
  std::string endpoints;
  for (const auto& e : cluster_->endpoints()) endpoints += (endpoints.empty() ? "" : ",") + e;
  auto plan = orch(d.string(), "plan -no-color -backend-config endpoints=" + endpoints);
  EXPECT_EQ(plan.code, 1);
  EXPECT_NE(plan.err.find("Backend initialization required"), std::string::npos) << plan.err;
  EXPECT_NE(plan.err.find("-migrate-state"), std::string::npos) << plan.err;
  auto bad = orch(d.string(), "init -no-color -backend-config endpoints");
  EXPECT_NE(bad.code, 0);
  EXPECT_NE((bad.out + bad.err).find("KEY=VALUE"), std::string::npos) << bad.out << bad.err;
  auto init =
      orch(d.string(), "init -no-color -migrate-state -backend-config endpoints=" + endpoints);
  ASSERT_EQ(init.code, 0) << init.out << init.err;
  EXPECT_NE(init.out.find("Copied the state (1 resources"), std::string::npos) << init.out;
  // Recorded by init: plan needs no flags now, and sees no changes.
  auto after = orch(d.string(), "plan -detailed-exitcode -no-color");
  EXPECT_EQ(after.code, 0) << after.out << after.err;
  EXPECT_EQ(state_of("m").resources.size(), 1u);
  auto list = orch(d.string(), "state list -no-color");
  EXPECT_EQ(list.code, 0) << list.err;
  EXPECT_NE(list.out.find("etcd_key.k"), std::string::npos) << list.out;

  // And back: the local file holds an older copy of the same state, which may be overwritten.
  std::ofstream(d / "main.orch") << provider << res;
  auto back = orch(d.string(), "init -no-color -migrate-state");
  ASSERT_EQ(back.code, 0) << back.out << back.err;
  EXPECT_NE(back.out.find("to local state file"), std::string::npos) << back.out;
  auto local_plan = orch(d.string(), "plan -detailed-exitcode -no-color");
  EXPECT_EQ(local_plan.code, 0) << local_plan.out << local_plan.err;
}

}  // namespace
}  // namespace orch
