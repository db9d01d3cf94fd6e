// Tests of providers/etcd/etcd_provider.h against a real etcd, on a real clock: etcd_key (create,
// adopt, compare-and-swap updates, TTL keys kept alive only while the provider lives, batched
// reads), etcd_election (first satisfied candidate, stable leader, re-election, a second orch
// adopting the decision), watched gates (also across compactions), data "etcd_prefix" and step
// locks across two providers.
#include "providers/etcd/etcd_provider.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include <gtest/gtest.h>

#include "planner/real_clock.h"
#include "providers/etcd/etcd_codec.h"
#include "providers/etcd/etcd_watch.h"
#include "tests/support/etcd_cluster.h"

namespace orch {
namespace {

using etcd::EtcdProvider;
using testing::EtcdCluster;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string fmt_index(int i) {
  char b[16];
  std::snprintf(b, sizeof b, "%05d", i);
  return b;
}

Value strs(std::vector<std::string> v) {
  ValueList l;
  for (auto& s : v) l.push_back(Value::string(s));
  return Value::list(l, Type::string());
}

class EtcdProviderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!EtcdCluster::available()) return;
    cluster_ = new EtcdCluster();
    if (!cluster_->start(&start_error_)) {
      delete cluster_;
      cluster_ = nullptr;
    }
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    if (!EtcdCluster::available()) GTEST_SKIP() << "etcd is not installed (etcd-server)";
    ASSERT_NE(cluster_, nullptr) << start_error_;
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  // One provider on its own real clock ("one orch").
  struct Orch {
    RealClock clock;
    EtcdProvider provider;
    Orch(const std::vector<std::string>& endpoints, const std::string& prefix) {
      ProviderContext ctx;
      ctx.clock = &clock;
      ValueList eps;
      for (const auto& e : endpoints) eps.push_back(Value::string(e));
      Diagnostics d;
      provider.configure({{"endpoints", Value::list(eps)}, {"prefix", Value::string(prefix)}}, ctx,
                         d);
      EXPECT_FALSE(d.has_errors());
    }
    ObjectState object_of(const ApplyResult& r) { return r.object ? *r.object : ObjectState{}; }
    ApplyResult apply(const std::string& type, const std::string& address, ChangeAction action,
                      ValueMap config, std::optional<ObjectState> prior = {},
                      std::vector<SatisfiedDependency> satisfied = {}) {
      PlanResponse p = provider.plan(PlanRequest{type, address, prior, config});
      EXPECT_FALSE(p.diagnostics.has_errors());
      ApplyRequest req;
      req.type = type;
      req.address = address;
      req.action = action;
      req.prior = prior;
      req.planned = p.planned;
      req.satisfied_by = std::move(satisfied);
      ApplyResult out;
      provider.apply(req, [&](ApplyResult r) { out = std::move(r); });
      clock.run();
      return out;
    }
    ReadResult read(const std::string& type, std::vector<ReadItem> items) {
      ReadResult out;
      provider.read_many(type, std::move(items), [&](ReadResult r) { out = std::move(r); });
      clock.run();
      return out;
    }
    GateResult gate(const std::string& kind, Value v, Duration wait) {
      GateRequest g;
      g.kind = kind;
      g.value = std::move(v);
      g.wait = wait;
      GateResult out;
      provider.check_gate(g, [&](GateResult r) { out = std::move(r); });
      clock.run();
      return out;
    }
  };

  std::unique_ptr<Orch> orch() {
    return std::make_unique<Orch>(cluster_->endpoints(), "/p/" + name_);
  }
  etcd::SyncClient raw() const {
    etcd::ClientConfig c;
    c.endpoints = cluster_->endpoints();
    return etcd::SyncClient(c);
  }
  std::optional<etcd::KeyValue> get(const std::string& k) const {
    auto r = raw().call("/v3/kv/range", etcd::range_request(k));
    std::vector<etcd::KeyValue> kvs;
    std::string e;
    if (!r.ok() || !etcd::parse_kvs(r.body, kvs, &e) || kvs.empty()) return std::nullopt;
    return kvs[0];
  }
  void put(const std::string& k, const std::string& v) const {
    ASSERT_TRUE(raw().call("/v3/kv/put", etcd::put_request(k, v)).ok());
  }
  std::string key(const std::string& leaf) const { return "/k/" + name_ + "/" + leaf; }

  static EtcdCluster* cluster_;
  static std::string start_error_;
  std::string name_;
};
EtcdCluster* EtcdProviderTest::cluster_ = nullptr;
std::string EtcdProviderTest::start_error_;

TEST_F(EtcdProviderTest, KeyLifecycle) {
  auto o = orch();
  const std::string k = key("a");
  ValueMap cfg = {{"key", Value::string(k)}, {"value", Value::string("v1")}};
  PlanResponse p = o->provider.plan(PlanRequest{"etcd_key", "etcd_key.a", std::nullopt, cfg});
  EXPECT_EQ(p.planned.at("id").as_string(), k);
  EXPECT_TRUE(p.planned.at("mod_revision").is_unknown());
  EXPECT_EQ(p.planned.at("lease").as_string(), "");

  ApplyResult c = o->apply("etcd_key", "etcd_key.a", ChangeAction::Create, cfg);
  ASSERT_FALSE(c.error) << c.error->summary;
  EXPECT_EQ(get(k)->value, "v1");
  EXPECT_EQ(c.object->attributes.at("version").as_number().i, 1);
  ObjectState prior = *c.object;

  // Refresh: found, with the same revisions; deleted outside orch: absent.
  ReadResult r = o->read("etcd_key", {ReadItem{"etcd_key.a", k, prior.attributes}});
  ASSERT_EQ(r.objects.count("etcd_key.a"), 1u);
  EXPECT_EQ(r.objects["etcd_key.a"].attributes.at("mod_revision").as_number().i,
            prior.attributes.at("mod_revision").as_number().i);

  cfg["value"] = Value::string("v2");
  ApplyResult u = o->apply("etcd_key", "etcd_key.a", ChangeAction::Update, cfg, prior);
  ASSERT_FALSE(u.error) << u.error->summary;
  EXPECT_EQ(get(k)->value, "v2");
  EXPECT_EQ(u.object->attributes.at("version").as_number().i, 2);

  // Changed by someone else since it was read: the update is refused, not clobbered.
  put(k, "theirs");
  cfg["value"] = Value::string("v3");
  ApplyResult refused = o->apply("etcd_key", "etcd_key.a", ChangeAction::Update, cfg, *u.object);
  ASSERT_TRUE(refused.error);
  EXPECT_NE(refused.error->summary.find("changed in etcd since orch read it"), std::string::npos)
      << refused.error->summary;
  EXPECT_EQ(get(k)->value, "theirs");

  ApplyResult d = o->apply("etcd_key", "etcd_key.a", ChangeAction::Delete, {}, *u.object);
  ASSERT_FALSE(d.error);
  EXPECT_FALSE(get(k));
  r = o->read("etcd_key", {ReadItem{"etcd_key.a", k, prior.attributes}});
  EXPECT_EQ(r.objects.count("etcd_key.a"), 0u);
}

TEST_F(EtcdProviderTest, CreateAdoptsTheSameValueAndRefusesAnother) {
  auto o = orch();
  put(key("same"), "x");
  ApplyResult a = o->apply("etcd_key", "etcd_key.s", ChangeAction::Create,
                           {{"key", Value::string(key("same"))}, {"value", Value::string("x")}});
  EXPECT_FALSE(a.error) << "a rerun after a crash finds its own key";
  put(key("other"), "theirs");
  ApplyResult b = o->apply("etcd_key", "etcd_key.o", ChangeAction::Create,
                           {{"key", Value::string(key("other"))}, {"value", Value::string("x")}});
  ASSERT_TRUE(b.error);
  EXPECT_NE(b.error->summary.find("exists already with another value"), std::string::npos);
  EXPECT_EQ(get(key("other"))->value, "theirs");
}

TEST_F(EtcdProviderTest, TtlKeyLivesOnlyWhileOrchRuns) {
  const std::string k = key("ttl");
  ValueMap cfg = {
      {"key", Value::string(k)}, {"value", Value::string("up")}, {"ttl", Value::string("2s")}};
  ObjectState obj;
  {
    auto o = orch();
    ApplyResult c = o->apply("etcd_key", "etcd_key.t", ChangeAction::Create, cfg);
    ASSERT_FALSE(c.error) << c.error->summary;
    obj = *c.object;
    EXPECT_FALSE(obj.attributes.at("lease").as_string().empty());
    std::this_thread::sleep_for(std::chrono::milliseconds(3000));  // > TTL: kept alive
    EXPECT_TRUE(get(k)) << "the keeper thread keeps the lease alive while the provider lives";
    // This run keeps it: found on refresh.
    EXPECT_EQ(o->read("etcd_key", {ReadItem{"etcd_key.t", k, obj.attributes}}).objects.size(), 1u);
  }
  // A new run does not keep that lease: the key counts as gone (it expires), to be put again.
  auto o2 = orch();
  EXPECT_EQ(o2->read("etcd_key", {ReadItem{"etcd_key.t", k, obj.attributes}}).objects.size(), 0u);
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (get(k) && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(get(k)) << "the key expires within its TTL once orch is gone";
  ApplyResult again = o2->apply("etcd_key", "etcd_key.t", ChangeAction::Create, cfg);
  EXPECT_FALSE(again.error);
  EXPECT_TRUE(get(k));
}

TEST_F(EtcdProviderTest, ReadsAreBatched) {
  auto o = orch();
  std::vector<ReadItem> items;
  for (int i = 0; i < 200; ++i) {
    std::string k = key(std::to_string(i));
    if (i % 2 == 0) put(k, "v");
    items.push_back(ReadItem{"etcd_key.k[" + std::to_string(i) + "]",
                             k,
                             {{"key", Value::string(k)}, {"value", Value::string("v")}}});
  }
  ReadResult r = o->read("etcd_key", items);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.requests, 4) << "64 reads per txn";
  EXPECT_EQ(r.objects.size(), 100u);
}

TEST_F(EtcdProviderTest, ElectionFirstSatisfiedThenStableThenReelected) {
  auto o = orch();
  const std::string lk = "/p/" + name_ + "/db/master/leader";
  ValueMap cfg = {{"name", Value::string("db/master")},
                  {"candidates", strs({"n0.internal", "n1.internal", "n2.internal"})}};
  std::vector<SatisfiedDependency> first = {
      {"sim_machine.node[2]", {{"private_dns", Value::string("n2.internal")}}}};
  ApplyResult c =
      o->apply("etcd_election", "etcd_election.m", ChangeAction::Create, cfg, {}, first);
  ASSERT_FALSE(c.error) << c.error->summary;
  EXPECT_EQ(c.object->attributes.at("leader").as_string(), "n2.internal");
  EXPECT_EQ(c.object->attributes.at("epoch").as_number().i, 1);
  EXPECT_EQ(get(lk)->value, "n2.internal") << "nodes read the leader here";
  EXPECT_EQ(c.object->attributes.at("key").as_string(), lk);

  // Another orch deciding the same election finds it decided (create-if-absent).
  auto other = orch();
  ApplyResult c2 =
      other->apply("etcd_election", "etcd_election.m", ChangeAction::Create, cfg, {},
                   {{"sim_machine.node[0]", {{"private_dns", Value::string("n0.internal")}}}});
  ASSERT_FALSE(c2.error);
  EXPECT_EQ(c2.object->attributes.at("leader").as_string(), "n2.internal");

  // Re-plan with the leader still a candidate: leader and epoch stay known (no flapping).
  cfg["candidates"] = strs({"n0.internal", "n2.internal", "n3.internal"});
  PlanResponse keep =
      o->provider.plan(PlanRequest{"etcd_election", "etcd_election.m", *c.object, cfg});
  EXPECT_EQ(keep.planned.at("leader").as_string(), "n2.internal");
  // The leader left: a new election, shown in the plan.
  cfg["candidates"] = strs({"n0.internal", "n1.internal"});
  PlanResponse re =
      o->provider.plan(PlanRequest{"etcd_election", "etcd_election.m", *c.object, cfg});
  EXPECT_TRUE(re.planned.at("leader").is_unknown());
  ASSERT_EQ(re.notes.size(), 1u);
  EXPECT_NE(re.notes[0].find("no longer a candidate"), std::string::npos);
  ApplyResult u =
      o->apply("etcd_election", "etcd_election.m", ChangeAction::Update, cfg, *c.object,
               {{"sim_machine.node[1]", {{"private_dns", Value::string("n1.internal")}}}});
  ASSERT_FALSE(u.error);
  EXPECT_EQ(u.object->attributes.at("leader").as_string(), "n1.internal");
  EXPECT_EQ(u.object->attributes.at("epoch").as_number().i, 2);
  EXPECT_EQ(get(lk)->value, "n1.internal");

  // Refresh sees what etcd holds.
  ReadResult r = o->read("etcd_election", {ReadItem{"etcd_election.m", lk, u.object->attributes}});
  ASSERT_EQ(r.objects.size(), 1u);
  EXPECT_EQ(r.objects["etcd_election.m"].attributes.at("leader").as_string(), "n1.internal");
  ApplyResult d = o->apply("etcd_election", "etcd_election.m", ChangeAction::Delete, {}, *u.object);
  EXPECT_FALSE(d.error);
  EXPECT_FALSE(get(lk));
}

// depends_on = [any(x)]: the election runs when the first instance is done, while the other
// candidates are still unknown. It elects among the known ones and records only those.
TEST_F(EtcdProviderTest, ElectionRunsWithSomeCandidatesStillUnknown) {
  auto o = orch();
  ValueMap cfg = {
      {"name", Value::string("cdh/master")},
      {"candidates", Value::list({Value::unknown(Type::string()), Value::string("n1.internal"),
                                  Value::unknown(Type::string())},
                                 Type::string())}};
  ApplyResult c =
      o->apply("etcd_election", "etcd_election.m", ChangeAction::Create, cfg, {},
               {{"ec2_instance.node[1]", {{"private_dns", Value::string("n1.internal")}}}});
  ASSERT_FALSE(c.error) << c.error->summary;
  EXPECT_EQ(c.object->attributes.at("leader").as_string(), "n1.internal");
  const Value& stored = c.object->attributes.at("candidates");
  ASSERT_EQ(stored.elements().size(), 1u);
  EXPECT_EQ(stored.elements()[0].as_string(), "n1.internal");
  EXPECT_EQ(get("/p/" + name_ + "/cdh/master/leader")->value, "n1.internal");

  // The next plan completes the candidates; the leader stays.
  cfg["candidates"] = strs({"n0.internal", "n1.internal", "n2.internal"});
  PlanResponse next =
      o->provider.plan(PlanRequest{"etcd_election", "etcd_election.m", *c.object, cfg});
  EXPECT_EQ(next.planned.at("leader").as_string(), "n1.internal");

  // Nothing known yet at all: a clear error, not a crash or an empty election.
  cfg["candidates"] = Value::list({Value::unknown(Type::string())}, Type::string());
  ApplyResult none = o->apply("etcd_election", "etcd_election.n", ChangeAction::Create, cfg);
  ASSERT_TRUE(none.error);
  EXPECT_NE(none.error->summary.find("no candidates"), std::string::npos) << none.error->summary;
}

TEST_F(EtcdProviderTest, GatesWatchInsteadOfPolling) {
  auto o = orch();
  const std::string k = key("ready");
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    put(k, "starting");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    put(k, "ready");
  });
  auto t0 = Clock::now();
  GateResult exists = o->gate("etcd_key", Value::string(k), std::chrono::seconds(10));
  auto t1 = Clock::now();
  EXPECT_TRUE(exists.holds) << exists.message;
  EXPECT_LT(t1 - t0, std::chrono::milliseconds(2000)) << "answered when the key appeared";
  GateResult value = o->gate(
      "etcd_value", Value::object({{"key", Value::string(k)}, {"value", Value::string("ready")}}),
      std::chrono::seconds(10));
  auto t2 = Clock::now();
  writer.join();
  EXPECT_TRUE(value.holds) << value.message;
  EXPECT_LT(t2 - t0, std::chrono::milliseconds(2500));

  // Not within its time: the message says what it saw.
  GateResult never = o->gate(
      "etcd_value", Value::object({{"key", Value::string(k)}, {"value", Value::string("done")}}),
      std::chrono::milliseconds(600));
  EXPECT_FALSE(never.holds);
  EXPECT_FALSE(never.error);
  EXPECT_NE(never.message.find("is \"ready\", waiting for \"done\""), std::string::npos)
      << never.message;
  GateResult secret = o->gate(
      "etcd_value",
      Value::object({{"key", Value::string(k)}, {"value", Value::string("pw").mark_sensitive()}}),
      std::chrono::milliseconds(200));
  EXPECT_EQ(secret.message.find("\"ready\""), std::string::npos) << "no values next to secrets";
  EXPECT_NE(secret.message.find("(sensitive value)"), std::string::npos) << secret.message;
}

// A watch that starts below etcd's compacted revision is cancelled (compact_revision); the
// watcher reads the key again and watches from the new revision, missing nothing.
TEST_F(EtcdProviderTest, WatchReadsAgainAfterCompaction) {
  const std::string k = key("compacted");
  put(k, "starting");
  auto r = raw().call("/v3/kv/put", etcd::put_request(key("other"), "x"));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(raw()
                  .call("/v3/kv/compaction",
                        {{"revision", etcd::int64_value(etcd::header_revision(r.body))}})
                  .ok());
  RealClock clock;
  etcd::ClientConfig c;
  c.endpoints = cluster_->endpoints();
  etcd::AsyncClient client(clock, c);
  etcd::KeyWatchOptions o;
  o.key = k;
  o.holds = [](const std::optional<std::string>& v) { return v == std::string("ready"); };
  o.deadline = clock.now() + std::chrono::seconds(10);
  o.first_watch_revision = 1;  // long compacted
  std::thread writer([&] {
    std::this_thread::sleep_for(milliseconds(300));
    put(k, "ready");
  });
  auto alive = std::make_shared<char>(0);
  etcd::KeyWatchResult result;
  etcd::watch_key(client, o, alive, [&](etcd::KeyWatchResult res) { result = res; });
  clock.run();
  writer.join();
  EXPECT_TRUE(result.holds);
  EXPECT_EQ(result.value, std::string("ready"));
  EXPECT_GE(result.relists, 1) << "the cancelled watch was followed by a fresh read";
}

TEST_F(EtcdProviderTest, PrefixDataSourcePages) {
  auto o = orch();
  for (int i = 0; i < 1200; i += 100) {
    std::vector<nlohmann::json> ops;
    for (int j = i; j < i + 100; ++j)
      ops.push_back(etcd::op_put(key(fmt_index(j)), "v" + std::to_string(j)));
    ASSERT_TRUE(raw().call("/v3/kv/txn", etcd::txn_request({}, ops)).ok());
  }
  std::optional<ValueMap> out;
  std::optional<ProviderError> err;
  o->provider.read_data("etcd_prefix", {{"prefix", Value::string(key(""))}},
                        [&](std::optional<ValueMap> v, std::optional<ProviderError> e) {
                          out = v;
                          err = e;
                        });
  o->clock.run();
  ASSERT_FALSE(err) << err->summary;
  ASSERT_TRUE(out);
  EXPECT_EQ(out->at("keys").length(), 1200u);
  EXPECT_EQ(out->at("values").attributes().at(key(fmt_index(7))).as_string(), "v7");
  EXPECT_GT(out->at("revision").as_number().i, 0);
}

TEST_F(EtcdProviderTest, StepLocksExcludeAcrossOrchs) {
  auto a = orch();
  auto b = orch();
  ValueMap lock = {{"name", Value::string("maint")},
                   {"key", Value::string("/p/" + name_ + "/locks/maint")},
                   {"ttl", Value::string("2s")},
                   {"timeout", Value::string("10s")}};
  StepLockRequest req{"etcd_lock", "etcd_lock.maint", lock, "etcd_key.a"};
  StepLockResult ha;
  a->provider.acquire_step_lock(req, [&](StepLockResult r) { ha = r; });
  a->clock.run();
  ASSERT_FALSE(ha.error) << ha.error->summary;
  ASSERT_FALSE(ha.handle.empty());
  // B waits for it while A holds it; A releases after 700 ms.
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    EXPECT_FALSE(a->provider.release_step_lock(ha.handle));
    a->clock.run();  // the revoke
  });
  auto t0 = Clock::now();
  StepLockResult hb;
  req.holder = "etcd_key.b";
  b->provider.acquire_step_lock(req, [&](StepLockResult r) { hb = r; });
  b->clock.run();
  auto waited = Clock::now() - t0;
  release.join();
  ASSERT_FALSE(hb.error) << hb.error->summary;
  EXPECT_GE(waited, std::chrono::milliseconds(600));
  // The held key says who holds it.
  auto held = get(hb.handle);
  ASSERT_TRUE(held);
  EXPECT_NE(held->value.find("etcd_key.b"), std::string::npos) << held->value;

  // A lock lost while held (its lease revoked behind the keeper's back) is reported at release.
  ASSERT_TRUE(raw().call("/v3/lease/revoke", {{"ID", etcd::int64_value(held->lease)}}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  auto lost = b->provider.release_step_lock(hb.handle);
  ASSERT_TRUE(lost);
  EXPECT_NE(lost->summary.find("was lost while the step held it"), std::string::npos);
  b->clock.run();

  // Waiting longer than the lock's timeout fails with who holds it.
  StepLockResult h1, h2;
  a->provider.acquire_step_lock(req, [&](StepLockResult r) { h1 = r; });
  a->clock.run();
  ASSERT_FALSE(h1.error);
  lock["timeout"] = Value::string("1s");
  StepLockRequest impatient{"etcd_lock", "etcd_lock.maint", lock, "etcd_key.c"};
  b->provider.acquire_step_lock(impatient, [&](StepLockResult r) { h2 = r; });
  b->clock.run();
  ASSERT_TRUE(h2.error);
  EXPECT_NE(h2.error->summary.find("waited 1s for etcd lock"), std::string::npos)
      << h2.error->summary;
  EXPECT_NE(h2.error->summary.find("etcd_key.b"), std::string::npos) << h2.error->summary;
  EXPECT_FALSE(a->provider.release_step_lock(h1.handle));
  a->clock.run();
}

}  // namespace
}  // namespace orch
