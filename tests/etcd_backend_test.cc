// Tests for providers/etcd/etcd_backend.h against a real etcd: snapshots (chunked, compressed,
// checksummed, with a backup), journal replay and folding, fenced writes, the lock (holder info,
// force-unlock, a lost lease), and every error path leaving the last good state readable: etcd
// down, quorum lost, out of space, requests too large, corrupt chunks.
#include "providers/etcd/etcd_backend.h"

#include <signal.h>

#include <chrono>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "providers/etcd/etcd_codec.h"
#include "tests/support/etcd_cluster.h"

namespace orch {
namespace {

using etcd::EtcdBackend;
using testing::EtcdCluster;
using testing::EtcdClusterOptions;

ResourceAddress addr(std::string_view text) {
  return *parse_address(text).address;
}

ResourceState machine(const std::string& id, const std::string& payload = "") {
  ResourceState r;
  r.type = "sim_machine";
  r.provider = "sim";
  r.id = id;
  r.attributes = {{"name", Value::string(id)}, {"size", Value::number(3)}};
  if (!payload.empty()) r.attributes["payload"] = Value::string(payload);
  return r;
}

// Random hex: does not compress much below half, so a few MB of it need several chunks.
std::string noise(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  static const char* hex = "0123456789abcdef";
  std::string s(n, '0');
  for (auto& c : s) c = hex[rng() & 15];
  return s;
}

ValueMap settings(const std::vector<std::string>& endpoints, const std::string& prefix,
                  const std::string& timeout = "10s") {
  ValueList eps;
  for (const auto& e : endpoints) eps.push_back(Value::string(e));
  return {{"endpoints", Value::list(eps)},
          {"prefix", Value::string(prefix)},
          {"lock_ttl", Value::string("2s")},
          {"timeout", Value::string(timeout)}};
}

std::unique_ptr<EtcdBackend> open(const ValueMap& s) {
  etcd::BackendOptions o;
  std::string e;
  EXPECT_TRUE(etcd::parse_backend_settings(s, o, &e)) << e;
  return std::make_unique<EtcdBackend>(o);
}

LoadedState load_ok(Backend& b) {
  LoadedState l;
  auto e = b.load(l);
  EXPECT_FALSE(e) << e->message;
  return l;
}

#define EXPECT_OK(s)                                \
  do {                                              \
    auto st_ = (s);                                 \
    EXPECT_FALSE(st_) << (st_ ? st_->message : ""); \
  } while (0)

class EtcdBackendTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!EtcdCluster::available()) return;
    cluster_ = new EtcdCluster();
    std::string e;
    if (!cluster_->start(&e)) {
      start_error_ = e;
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
    prefix_ = "/t/" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  ValueMap s() const { return settings(cluster_->endpoints(), prefix_); }
  etcd::SyncClient raw() const {
    etcd::ClientConfig c;
    c.endpoints = cluster_->endpoints();
    return etcd::SyncClient(c);
  }
  std::vector<etcd::KeyValue> keys_under(const std::string& p) const {
    etcd::RangeOptions ro;
    ro.range_end = etcd::prefix_end(p);
    auto r = raw().call("/v3/kv/range", etcd::range_request(p, ro));
    std::vector<etcd::KeyValue> kvs;
    std::string e;
    EXPECT_TRUE(r.ok() && etcd::parse_kvs(r.body, kvs, &e));
    return kvs;
  }
  void put(const std::string& k, const std::string& v) const {
    auto r = raw().call("/v3/kv/put", etcd::put_request(k, v));
    ASSERT_TRUE(r.ok()) << r.error->message;
  }

  static EtcdCluster* cluster_;
  static std::string start_error_;
  std::string prefix_;
};
EtcdCluster* EtcdBackendTest::cluster_ = nullptr;
std::string EtcdBackendTest::start_error_;

TEST_F(EtcdBackendTest, SettingsAreChecked) {
  etcd::BackendOptions o;
  std::string e;
  EXPECT_FALSE(etcd::parse_backend_settings({{"prefix", Value::string("/x")}}, o, &e));
  o = {};
  EXPECT_NE(e.find("`endpoints` is required"), std::string::npos) << e;
  EXPECT_FALSE(etcd::parse_backend_settings({{"endpoints", Value::string("http://a:1")}}, o, &e));
  EXPECT_NE(e.find("`prefix` is required"), std::string::npos) << e;
  auto bad = s();
  bad["lock_ttl"] = Value::string("1s");
  EXPECT_FALSE(etcd::parse_backend_settings(bad, o, &e));
  EXPECT_NE(e.find("at least \"2s\""), std::string::npos) << e;
  bad = s();
  bad["lock_tll"] = Value::string("30s");
  EXPECT_FALSE(etcd::parse_backend_settings(bad, o, &e));
  EXPECT_NE(e.find("no setting `lock_tll`"), std::string::npos) << e;
  o = {};
  // -backend-config gives strings: comma-separated endpoints.
  ValueMap flags = {{"endpoints", Value::string("http://a:1, https://b:2/")},
                    {"prefix", Value::string("/p/")},
                    {"chunk_size", Value::string("65536")}};
  ASSERT_TRUE(etcd::parse_backend_settings(flags, o, &e)) << e;
  EXPECT_EQ(o.client.endpoints, (std::vector<std::string>{"http://a:1", "https://b:2"}));
  EXPECT_EQ(o.prefix, "/p");
  EXPECT_EQ(o.chunk_size, 65536u);
}

TEST_F(EtcdBackendTest, SnapshotAndJournalRoundTrip) {
  auto b = open(s());
  LoadedState l = load_ok(*b);
  EXPECT_FALSE(l.existed);
  State st = l.state;
  for (int i = 0; i < 3; ++i) {
    auto c = StateChange::put(addr("sim_machine.m[" + std::to_string(i) + "]"),
                              machine("m-" + std::to_string(i)));
    st.apply(c);
    EXPECT_OK(b->record(c));
  }
  // Journal only so far: another reader replays it (the first apply has no snapshot yet).
  {
    auto r = open(s());
    LoadedState l2 = load_ok(*r);
    EXPECT_TRUE(l2.existed);
    EXPECT_EQ(l2.journal_records, 3u);
    EXPECT_EQ(l2.state.lineage, st.lineage);
    EXPECT_EQ(l2.state.resources.size(), 3u);
  }
  EXPECT_OK(b->write_snapshot(st));
  EXPECT_EQ(st.serial, 1u);
  EXPECT_TRUE(keys_under(prefix_ + "/journal/").empty()) << "the snapshot folds the journal";
  auto c = StateChange::remove(addr("sim_machine.m[1]"));
  st.apply(c);
  EXPECT_OK(b->record(c));
  auto r = open(s());
  LoadedState l3 = load_ok(*r);
  EXPECT_EQ(l3.journal_records, 1u);
  EXPECT_EQ(l3.state.serial, 1u);
  EXPECT_EQ(l3.state.resources, st.resources);
}

TEST_F(EtcdBackendTest, LoadUnderLockFoldsTheJournal) {
  {
    auto b = open(s());
    State st = load_ok(*b).state;
    EXPECT_OK(b->write_snapshot(st));
    EXPECT_OK(b->record(StateChange::put(addr("sim_machine.a"), machine("a"))));
  }
  auto b = open(s());
  std::vector<std::string> w;
  EXPECT_OK(b->lock(LockInfo::for_this_process("apply"), w));
  LoadedState l = load_ok(*b);
  EXPECT_TRUE(l.folded);
  EXPECT_EQ(l.state.serial, 2u);
  EXPECT_TRUE(keys_under(prefix_ + "/journal/").empty());
  ASSERT_EQ(keys_under(prefix_ + "/backup").size(), 1u);
}

TEST_F(EtcdBackendTest, LargeStateIsCompressedAndChunked) {
  auto b = open(s());
  State st = load_ok(*b).state;
  for (int i = 0; i < 40; ++i)
    st.apply(StateChange::put(addr("sim_machine.big[" + std::to_string(i) + "]"),
                              machine("m" + std::to_string(i), noise(100 * 1024, i))));
  EXPECT_OK(b->write_snapshot(st));  // ~4 MB of JSON: more than etcd's 1.5 MiB request limit
  size_t chunks = 0;
  for (const auto& kv : keys_under(prefix_ + "/snapshot/")) {
    EXPECT_LE(kv.value.size(), 1024u * 1024u);
    ++chunks;
  }
  EXPECT_GE(chunks, 2u);
  auto r = open(s());
  LoadedState l = load_ok(*r);
  EXPECT_EQ(l.state.resources, st.resources);
  EXPECT_EQ(l.state.serial, 1u);
  // A rewrite replaces the chunks; the old generation is kept as the backup, older ones go.
  EXPECT_OK(b->write_snapshot(st));
  EXPECT_OK(b->write_snapshot(st));
  std::set<std::string> gens;
  for (const auto& kv : keys_under(prefix_ + "/snapshot/"))
    gens.insert(kv.key.substr(0, kv.key.rfind('/')));
  EXPECT_EQ(gens.size(), 2u);
}

TEST_F(EtcdBackendTest, LockShowsHolderAndForceUnlockFencesTheOldHolder) {
  auto a = open(s());
  std::vector<std::string> w;
  LockInfo info = LockInfo::for_this_process("apply");
  ASSERT_FALSE(a->lock(info, w));
  State st = load_ok(*a).state;

  auto b = open(s());
  auto refused = b->lock(LockInfo::for_this_process("plan"), w);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->kind, BackendError::Kind::Locked);
  ASSERT_TRUE(refused->holder);
  EXPECT_EQ(refused->holder->id, info.id);
  EXPECT_EQ(refused->holder->pid, info.pid);
  EXPECT_NE(refused->message.find(info.who), std::string::npos) << refused->message;
  EXPECT_NE(refused->message.find("orch force-unlock " + info.id), std::string::npos);
  std::optional<LockInfo> holder;
  EXPECT_OK(b->lock_holder(holder));
  ASSERT_TRUE(holder);
  EXPECT_EQ(holder->operation, "apply");

  auto wrong = b->force_unlock("not-the-id");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->kind, BackendError::Kind::LockMismatch);
  EXPECT_OK(b->force_unlock(info.id));
  // The old holder learns it from its keep-alive, and cannot write any more.
  for (int i = 0; i < 100 && !a->lock_lost(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(a->lock_lost());
  st.apply(StateChange::put(addr("sim_machine.late"), machine("late")));
  auto late = a->record(StateChange::put(addr("sim_machine.late"), machine("late")));
  ASSERT_TRUE(late);
  EXPECT_EQ(late->kind, BackendError::Kind::Conflict);
  EXPECT_NE(late->message.find("lock was lost"), std::string::npos) << late->message;
  ASSERT_TRUE(a->write_snapshot(st));
  // The lock is free again.
  EXPECT_OK(b->lock(LockInfo::for_this_process("apply"), w));
}

TEST_F(EtcdBackendTest, WritesAreFencedEvenBeforeTheKeeperNotices) {
  auto a = open(s());
  std::vector<std::string> w;
  ASSERT_FALSE(a->lock(LockInfo::for_this_process("apply"), w));
  State st = load_ok(*a).state;
  // Revoke the lease behind the keeper's back and write at once: the txn's compare on the lock
  // key's create_revision refuses it.
  auto r = raw().call("/v3/lease/revoke", {{"ID", etcd::int64_value(a->lease())}});
  ASSERT_TRUE(r.ok());
  auto e = a->record(StateChange::put(addr("sim_machine.x"), machine("x")));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, BackendError::Kind::Conflict);
  EXPECT_TRUE(keys_under(prefix_ + "/journal/").empty());
}

TEST_F(EtcdBackendTest, UnlockedWritersConflictInsteadOfOverwriting) {
  auto seedb = open(s());
  State st = load_ok(*seedb).state;
  EXPECT_OK(seedb->write_snapshot(st));
  auto a = open(s());
  auto b = open(s());
  State sa = load_ok(*a).state;
  State sb = load_ok(*b).state;
  sa.apply(StateChange::put(addr("sim_machine.a"), machine("a")));
  EXPECT_OK(a->write_snapshot(sa));
  sb.apply(StateChange::put(addr("sim_machine.b"), machine("b")));
  auto e = b->write_snapshot(sb);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, BackendError::Kind::Conflict);
  EXPECT_NE(e->message.find("changed since it was loaded"), std::string::npos) << e->message;
  EXPECT_NE(e->message.find("serial 2"), std::string::npos) << e->message;
  EXPECT_EQ(sb.serial, 1u) << "a refused write leaves the caller's serial alone";
}

TEST_F(EtcdBackendTest, CorruptChunkIsReportedAndTheBackupRestores) {
  auto b = open(s());
  State st = load_ok(*b).state;
  st.apply(StateChange::put(addr("sim_machine.a"), machine("a")));
  EXPECT_OK(b->write_snapshot(st));  // serial 1
  st.apply(StateChange::put(addr("sim_machine.b"), machine("b")));
  EXPECT_OK(b->write_snapshot(st));  // serial 2; serial 1 is the backup
  auto head = keys_under(prefix_ + "/head");
  ASSERT_EQ(head.size(), 1u);
  std::string chunk;
  for (const auto& kv : keys_under(prefix_ + "/snapshot/"))
    if (kv.mod_revision == head[0].mod_revision) chunk = kv.key;
  ASSERT_FALSE(chunk.empty());
  put(chunk, "garbage");

  auto r = open(s());
  LoadedState l;
  auto e = r->load(l);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, BackendError::Kind::Corrupt);
  EXPECT_NE(e->message.find(chunk), std::string::npos) << e->message;
  EXPECT_NE(e->message.find("does not match its checksum"), std::string::npos) << e->message;
  EXPECT_NE(e->message.find("serial 1"), std::string::npos) << e->message;
  EXPECT_NE(e->message.find("etcdctl put " + prefix_ + "/head"), std::string::npos);
  auto refused = r->write_snapshot(st);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->kind, BackendError::Kind::Corrupt);
  EXPECT_EQ(keys_under(chunk)[0].value, "garbage") << "nothing was overwritten";

  // The documented recovery: put the backup manifest back as head.
  put(prefix_ + "/head", keys_under(prefix_ + "/backup")[0].value);
  LoadedState back = load_ok(*open(s()));
  EXPECT_EQ(back.state.serial, 1u);
  EXPECT_EQ(back.state.resources.size(), 1u);
}

TEST_F(EtcdBackendTest, GarbageHeadIsCorruptNotFresh) {
  put(prefix_ + "/head", "{not json");
  auto b = open(s());
  LoadedState l;
  auto e = b->load(l);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, BackendError::Kind::Corrupt);
  EXPECT_NE(e->message.find("is not a state manifest"), std::string::npos) << e->message;
  State fresh = State::fresh();
  EXPECT_TRUE(b->write_snapshot(fresh));
}

TEST_F(EtcdBackendTest, EtcdDownIsAClearErrorQuickly) {
  int port = testing::free_loopback_port();
  auto b = open(settings({"http://127.0.0.1:" + std::to_string(port)}, "/x", "20s"));
  auto t0 = std::chrono::steady_clock::now();
  LoadedState l;
  auto e = b->load(l);
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, BackendError::Kind::Io);
  EXPECT_NE(e->message.find("etcd is unavailable"), std::string::npos) << e->message;
  EXPECT_NE(e->message.find(std::to_string(port)), std::string::npos) << e->message;
  EXPECT_LT(took, std::chrono::seconds(5)) << "refused connections everywhere: etcd is down";
}

TEST_F(EtcdBackendTest, TlsWithClientCertificates) {
  EtcdClusterOptions o;
  o.tls = true;
  EtcdCluster tls(o);
  std::string err;
  ASSERT_TRUE(tls.start(&err)) << err;
  ValueMap st = settings(tls.endpoints(), "/tls");
  st["ca_file"] = Value::string(tls.ca_file());
  st["cert_file"] = Value::string(tls.client_cert_file());
  st["key_file"] = Value::string(tls.client_key_file());
  auto b = open(st);
  State state = load_ok(*b).state;
  state.apply(StateChange::put(addr("sim_machine.a"), machine("a")));
  EXPECT_OK(b->write_snapshot(state));
  EXPECT_EQ(load_ok(*open(st)).state.resources.size(), 1u);
  // Without the client certificate etcd refuses the connection: a clear error, not a retry loop.
  st.erase("cert_file");
  st.erase("key_file");
  LoadedState l;
  auto e = open(st)->load(l);
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find(tls.endpoint(0)), std::string::npos) << e->message;
  EXPECT_NE(e->message.find("cert_file"), std::string::npos) << e->message;
}

// A database quota smaller than the state: etcd raises NOSPACE; the write fails clearly and the
// last good state stays readable.
TEST_F(EtcdBackendTest, OutOfSpaceKeepsTheLastGoodState) {
  EtcdClusterOptions o;
  o.extra_args = {"--quota-backend-bytes=2500000"};
  EtcdCluster small(o);
  std::string err;
  ASSERT_TRUE(small.start(&err)) << err;
  ValueMap st = settings(small.endpoints(), "/q");
  auto b = open(st);
  State state = load_ok(*b).state;
  state.apply(StateChange::put(addr("sim_machine.a"), machine("a")));
  EXPECT_OK(b->write_snapshot(state));
  for (int i = 0; i < 30; ++i)
    state.apply(StateChange::put(addr("sim_machine.big[" + std::to_string(i) + "]"),
                                 machine("b", noise(200 * 1024, 100 + i))));
  BackendStatus e;
  for (int i = 0; i < 3 && !e; ++i) e = b->write_snapshot(state);  // until the quota bites
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("out of space"), std::string::npos) << e->message;
  LoadedState l = load_ok(*open(st));
  EXPECT_GE(l.state.serial, 1u);
}

// A server with a lower request limit than the chunk size: the message says what to change.
TEST_F(EtcdBackendTest, RequestTooLargeNamesChunkSize) {
  EtcdClusterOptions o;
  o.extra_args = {"--max-request-bytes=200000"};
  EtcdCluster small(o);
  std::string err;
  ASSERT_TRUE(small.start(&err)) << err;
  ValueMap st = settings(small.endpoints(), "/r");
  auto b = open(st);
  State state = load_ok(*b).state;
  state.apply(StateChange::put(addr("sim_machine.a"), machine("a")));
  EXPECT_OK(b->write_snapshot(state));
  state.apply(StateChange::put(addr("sim_machine.big"), machine("b", noise(1200 * 1024, 7))));
  auto e = b->write_snapshot(state);
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("too large"), std::string::npos) << e->message;
  EXPECT_NE(e->message.find("chunk_size"), std::string::npos) << e->message;
  EXPECT_EQ(load_ok(*open(st)).state.serial, 1u);
  st["chunk_size"] = Value::number(int64_t{100000});
  auto c = open(st);
  State again = load_ok(*c).state;
  again.apply(StateChange::put(addr("sim_machine.big"), machine("b", noise(1200 * 1024, 7))));
  EXPECT_OK(c->write_snapshot(again));
  EXPECT_EQ(load_ok(*open(st)).state.resources.size(), 2u);
}

// Two of three members gone: no quorum. Writes fail after the retry budget with a clear message;
// once quorum is back, the last good state is there.
TEST_F(EtcdBackendTest, QuorumLostThenBack) {
  EtcdClusterOptions o;
  o.members = 3;
  EtcdCluster three(o);
  std::string err;
  ASSERT_TRUE(three.start(&err)) << err;
  ValueMap st = settings(three.endpoints(), "/quorum", "2s");
  auto b = open(st);
  State state = load_ok(*b).state;
  state.apply(StateChange::put(addr("sim_machine.a"), machine("a")));
  EXPECT_OK(b->write_snapshot(state));
  three.kill(1);
  three.kill(2);
  state.apply(StateChange::put(addr("sim_machine.b"), machine("b")));
  auto e = b->write_snapshot(state);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, BackendError::Kind::Io);
  EXPECT_NE(e->message.find("etcd is unavailable"), std::string::npos) << e->message;
  ASSERT_TRUE(three.restart(1, &err)) << err;
  LoadedState l = load_ok(*open(settings(three.endpoints(), "/quorum", "20s")));
  EXPECT_EQ(l.state.serial, 1u);
  EXPECT_EQ(l.state.resources.size(), 1u);
}

}  // namespace
}  // namespace orch
