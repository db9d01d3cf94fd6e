// etcd benchmark, against a real etcd it starts on loopback (tests/support/etcd_cluster):
//   1. state of N resources (default 100,000) saved and loaded through the etcd backend: wall
//      and CPU time, bytes of JSON, bytes stored (zlib) and chunks;
//   2. a journal record written per step (one fenced txn each);
//   3. state lock acquire + release latency (lease grant, /v3/lock, holder info, revoke);
//   4. an apply of K etcd_key resources (default 10,000) through the Session API with the etcd
//      backend: keys written per second.
//
//   etcd_bench [N] [K]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "planner/real_clock.h"
#include "planner/run.h"
#include "providers/etcd/etcd_backend.h"
#include "providers/etcd/etcd_codec.h"
#include "providers/etcd/etcd_provider.h"
#include "providers/registry.h"
#include "tests/support/etcd_cluster.h"

namespace orch {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

// Like a cloud instance in state: ~12 attributes, a tag map, one secret.
ResourceState machine(int i) {
  ResourceState r;
  r.type = "ec2_instance";
  r.provider = "ec2";
  r.id = fmt::format("i-{:017x}", static_cast<uint64_t>(i) * 2654435761u);
  r.attributes = {
      {"id", Value::string(r.id)},
      {"image_id", Value::string("ami-0c55b159cbfafe1f0")},
      {"instance_type", Value::string(i % 10 == 0 ? "m5.2xlarge" : "m5.large")},
      {"private_ip", Value::string(fmt::format("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255))},
      {"private_dns",
       Value::string(fmt::format("ip-10-{}-{}-{}.ec2.internal", i >> 16, (i >> 8) & 255, i & 255))},
      {"subnet_id", Value::string(fmt::format("subnet-{:08x}", i % 16))},
      {"state", Value::string("running")},
      {"tags", Value::map({{"cluster", Value::string("cdh")},
                           {"Name", Value::string(fmt::format("node-{}", i))},
                           {"role", Value::string(i == 0 ? "master" : "worker")}})},
      {"cpus", Value::number(8)},
      {"launch_time", Value::string("2026-11-25T07:01:02Z")},
      {"user_data", Value::string("#!/bin/sh\nchef-client -r 'role[cdh-worker]'\n")},
      {"key_material", Value::string("secret-key-material").mark_sensitive()},
  };
  return r;
}

ValueMap backend_settings(const std::vector<std::string>& endpoints, const std::string& prefix) {
  ValueList eps;
  for (const auto& e : endpoints) eps.push_back(Value::string(e));
  return {{"endpoints", Value::list(eps)},
          {"prefix", Value::string(prefix)},
          {"lock_ttl", Value::string("10s")}};
}

std::unique_ptr<etcd::EtcdBackend> open(const ValueMap& s) {
  etcd::BackendOptions o;
  std::string e;
  if (!etcd::parse_backend_settings(s, o, &e)) {
    std::fprintf(stderr, "%s\n", e.c_str());
    std::exit(1);
  }
  return std::make_unique<etcd::EtcdBackend>(o);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

void bench_state(const testing::EtcdCluster& etcd, int n) {
  std::printf("== state of %d resources through the etcd backend ==\n", n);
  auto b = open(backend_settings(etcd.endpoints(), "/bench/state"));
  LoadedState l;
  if (auto e = b->load(l)) {
    std::fprintf(stderr, "%s\n", e->message.c_str());
    std::exit(1);
  }
  State st = l.state;
  for (int i = 0; i < n; ++i)
    st.apply(StateChange::put(
        ResourceAddress{{}, ResourceMode::Managed, "ec2_instance", "node", InstanceKey::of(i)},
        machine(i)));
  std::vector<double> save, save_cpu, load, load_cpu;
  for (int round = 0; round < 3; ++round) {
    auto t = Clock::now();
    double c = cpu_seconds();
    if (auto e = b->write_snapshot(st)) {
      std::fprintf(stderr, "%s\n", e->message.c_str());
      std::exit(1);
    }
    save.push_back(seconds_since(t));
    save_cpu.push_back(cpu_seconds() - c);
    auto r = open(backend_settings(etcd.endpoints(), "/bench/state"));
    t = Clock::now();
    c = cpu_seconds();
    LoadedState back;
    if (auto e = r->load(back)) {
      std::fprintf(stderr, "%s\n", e->message.c_str());
      std::exit(1);
    }
    load.push_back(seconds_since(t));
    load_cpu.push_back(cpu_seconds() - c);
    if (back.state.resources.size() != static_cast<size_t>(n)) std::exit(2);
  }
  // What is stored: the manifest says.
  etcd::ClientConfig cc;
  cc.endpoints = etcd.endpoints();
  etcd::SyncClient raw(cc);
  auto head = raw.call("/v3/kv/range", etcd::range_request("/bench/state/head"));
  std::vector<etcd::KeyValue> kvs;
  std::string e;
  etcd::parse_kvs(head.body, kvs, &e);
  auto m = nlohmann::json::parse(kvs.at(0).value);
  std::printf("state JSON %.1f MB, stored %.2f MB in %d chunks (zlib level 1, %.1fx)\n",
              m["size"].get<double>() / 1e6, m["stored"].get<double>() / 1e6,
              m["chunks"].get<int>(), m["size"].get<double>() / m["stored"].get<double>());
  std::printf("save: %.2f s wall (median of 3), %.2f s CPU\n", median(save), median(save_cpu));
  std::printf("load: %.2f s wall (median of 3), %.2f s CPU\n\n", median(load), median(load_cpu));
}

void bench_journal(const testing::EtcdCluster& etcd) {
  const int records = 1000;
  auto b = open(backend_settings(etcd.endpoints(), "/bench/journal"));
  std::vector<std::string> w;
  (void)b->lock(LockInfo::for_this_process("bench"), w);
  LoadedState l;
  (void)b->load(l);
  std::vector<double> each;
  auto t0 = Clock::now();
  for (int i = 0; i < records; ++i) {
    auto t = Clock::now();
    if (auto e = b->record(StateChange::put(
            ResourceAddress{{}, ResourceMode::Managed, "ec2_instance", "j", InstanceKey::of(i)},
            machine(i)))) {
      std::fprintf(stderr, "%s\n", e->message.c_str());
      std::exit(1);
    }
    each.push_back(seconds_since(t) * 1e3);
  }
  double total = seconds_since(t0);
  std::printf("== journal: %d step results, one fenced txn each ==\n", records);
  std::printf("per record: median %.2f ms, p95 %.2f ms; %.0f records/s\n", median(each),
              percentile(each, 0.95), records / total);
  auto t = Clock::now();
  LoadedState again;
  (void)b->load(again);  // under the lock: folds the journal into a snapshot
  std::printf("load + fold of %zu records: %.2f s\n\n", again.journal_records, seconds_since(t));
}

void bench_lock(const testing::EtcdCluster& etcd) {
  const int rounds = 50;
  auto b = open(backend_settings(etcd.endpoints(), "/bench/lock"));
  std::vector<double> acquire, release;
  for (int i = 0; i < rounds; ++i) {
    LockInfo info = LockInfo::for_this_process("bench");
    std::vector<std::string> w;
    auto t = Clock::now();
    if (auto e = b->lock(info, w)) {
      std::fprintf(stderr, "%s\n", e->message.c_str());
      std::exit(1);
    }
    acquire.push_back(seconds_since(t) * 1e3);
    t = Clock::now();
    (void)b->unlock(info.id);
    release.push_back(seconds_since(t) * 1e3);
  }
  std::printf("== state lock, %d rounds ==\n", rounds);
  std::printf(
      "acquire: median %.2f ms, p95 %.2f ms (lease grant, holder check, /v3/lock, holder "
      "info)\n",
      median(acquire), percentile(acquire, 0.95));
  std::printf("release: median %.2f ms, p95 %.2f ms (lease revoke)\n\n", median(release),
              percentile(release, 0.95));
}

// The provider alone: K creates with 64 in flight (its concurrency limit), no executor, no state.
void bench_provider(const testing::EtcdCluster& etcd, int k) {
  RealClock clock;
  etcd::EtcdProvider p;
  ProviderContext ctx;
  ctx.clock = &clock;
  ValueList eps;
  for (const auto& e : etcd.endpoints()) eps.push_back(Value::string(e));
  Diagnostics d;
  p.configure({{"endpoints", Value::list(eps)}, {"prefix", Value::string("/bench/p")}}, ctx, d);
  int next = 0, done = 0;
  std::function<void()> start = [&]() {
    if (next >= k) return;
    int i = next++;
    ApplyRequest req;
    req.type = "etcd_key";
    req.address = fmt::format("etcd_key.k[{}]", i);
    req.action = ChangeAction::Create;
    req.planned = p.plan(PlanRequest{"etcd_key",
                                     req.address,
                                     std::nullopt,
                                     {{"key", Value::string(fmt::format("/bench/p/{}", i))},
                                      {"value", Value::string("v")}}})
                      .planned;
    p.apply(req, [&](ApplyResult r) {
      if (r.error) std::exit(3);
      ++done;
      start();
    });
  };
  auto t = Clock::now();
  for (int i = 0; i < 64; ++i) start();
  clock.run();
  double s = seconds_since(t);
  std::printf("== provider alone: %d etcd_key creates, 64 in flight ==\n%.2f s: %.0f keys/s\n\n",
              done, s, done / s);
}

void bench_apply(const testing::EtcdCluster& etcd, int k) {
  fs::path dir = fs::temp_directory_path() / fmt::format("orch-etcd-bench-{}", ::getpid());
  fs::create_directories(dir);
  std::string eps = "[";
  for (const auto& e : etcd.endpoints()) eps += "\"" + e + "\"";
  eps += "]";
  std::ofstream(dir / "main.orch")
      << "backend \"etcd\" {\n  endpoints = " << eps << "\n  prefix = \"/bench/apply/state\"\n}\n"
      << "provider \"etcd\" {\n  endpoints = " << eps << "\n  prefix = \"/bench/apply\"\n}\n"
      << "resource \"etcd_key\" \"k\" {\n  count = " << k
      << "\n  key   = \"/bench/apply/keys/${count.index}\"\n"
      << "  value = \"node-${count.index}.internal\"\n}\n";
  static const SchemaRegistry schemas = builtin_schemas();
  RunOptions o;
  o.dir = dir.string();
  o.make_provider = [](const std::string& name) { return make_provider(name); };
  o.schemas = &schemas;
  Session s(o);
  auto t = Clock::now();
  if (!s.load()) {
    for (const auto& d : s.diags().list())
      std::fprintf(stderr, "%s: %s\n", d.summary.c_str(), d.detail.c_str());
    std::exit(1);
  }
  auto plan = s.plan();
  if (!plan) std::exit(1);
  double plan_s = seconds_since(t);
  t = Clock::now();
  double c = cpu_seconds();
  auto summary = s.apply(*plan, false, [](const ApplyEvent&) {});
  double apply_s = seconds_since(t);
  double apply_cpu = cpu_seconds() - c;
  if (!summary || summary->added != k) {
    for (const auto& d : s.diags().list())
      std::fprintf(stderr, "%s: %s\n", d.summary.c_str(), d.detail.c_str());
    std::exit(1);
  }
  std::printf("== apply of %d etcd_key (etcd backend: one journal txn per step) ==\n", k);
  std::printf("load + plan: %.2f s; apply: %.2f s wall, %.2f s CPU: %.0f keys written/s\n", plan_s,
              apply_s, apply_cpu, k / apply_s);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace orch

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 100000;
  int k = argc > 2 ? std::atoi(argv[2]) : 10000;
  orch::testing::EtcdClusterOptions o;
  o.extra_args = {"--quota-backend-bytes=8589934592"};
  orch::testing::EtcdCluster etcd(o);
  std::string e;
  if (!etcd.start(&e)) {
    std::fprintf(stderr, "%s\n", e.c_str());
    return 1;
  }
  orch::bench_state(etcd, n);
  orch::bench_journal(etcd);
  orch::bench_lock(etcd);
  orch::bench_provider(etcd, k);
  orch::bench_apply(etcd, k);
  return 0;
}
