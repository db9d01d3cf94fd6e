// Acceptance test of the etcd provider and backend against an etcd you run (any version with the
// v3 JSON gateway under /v3). Runs only when ORCH_ACC_ETCD_ENDPOINTS is set (comma-separated
// client URLs); optional ORCH_ACC_ETCD_CA_FILE, _CERT_FILE, _KEY_FILE for TLS. Everything it writes
// is under /orch-acceptance/<random>/ and is deleted at the end. See docs/etcd.md.
#include <gtest/gtest.h>

#include <cstdlib>

#include "planner/real_clock.h"
#include "planner/state.h"
#include "providers/etcd/etcd_backend.h"
#include "providers/etcd/etcd_codec.h"
#include "providers/etcd/etcd_provider.h"

namespace orch {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : "";
}

ValueMap settings(const std::string& prefix) {
  ValueMap s = {{"endpoints", Value::string(env("ORCH_ACC_ETCD_ENDPOINTS"))},
                {"prefix", Value::string(prefix)}};
  if (!env("ORCH_ACC_ETCD_CA_FILE").empty())
    s["ca_file"] = Value::string(env("ORCH_ACC_ETCD_CA_FILE"));
  if (!env("ORCH_ACC_ETCD_CERT_FILE").empty()) {
    s["cert_file"] = Value::string(env("ORCH_ACC_ETCD_CERT_FILE"));
    s["key_file"] = Value::string(env("ORCH_ACC_ETCD_KEY_FILE"));
  }
  return s;
}

TEST(EtcdAcceptance, KeyElectionAndStateRoundTrip) {
  if (env("ORCH_ACC_ETCD_ENDPOINTS").empty())
    GTEST_SKIP() << "set ORCH_ACC_ETCD_ENDPOINTS (e.g. http://10.0.0.1:2379) to run the etcd "
                    "acceptance test against your etcd";
  const std::string root = "/orch-acceptance/" + new_uuid().substr(0, 8);
  RealClock clock;
  etcd::EtcdProvider p;
  ProviderContext ctx;
  ctx.clock = &clock;
  Diagnostics d;
  p.configure(settings(root), ctx, d);
  ASSERT_FALSE(d.has_errors()) << d.list()[0].detail;

  auto apply = [&](const std::string& type, ChangeAction action, ValueMap cfg,
                   std::optional<ObjectState> prior = {}) {
    ApplyRequest req;
    req.type = type;
    req.address = type + ".acc";
    req.action = action;
    req.prior = prior;
    req.planned = p.plan(PlanRequest{type, req.address, prior, cfg}).planned;
    ApplyResult out;
    p.apply(req, [&](ApplyResult r) { out = std::move(r); });
    clock.run();
    return out;
  };
  ApplyResult key = apply("etcd_key", ChangeAction::Create,
                          {{"key", Value::string(root + "/k")}, {"value", Value::string("v")}});
  ASSERT_FALSE(key.error) << key.error->summary;
  ApplyResult el = apply("etcd_election", ChangeAction::Create,
                         {{"name", Value::string("m")},
                          {"candidates", Value::list({Value::string("a"), Value::string("b")})}});
  ASSERT_FALSE(el.error) << el.error->summary;
  EXPECT_EQ(el.object->attributes.at("leader").as_string(), "a");

  etcd::BackendOptions o;
  std::string e;
  ASSERT_TRUE(etcd::parse_backend_settings(settings(root + "/state"), o, &e)) << e;
  {
    etcd::EtcdBackend b(o);
    std::vector<std::string> w;
    LockInfo info = LockInfo::for_this_process("acceptance");
    ASSERT_FALSE(b.lock(info, w));
    LoadedState l;
    ASSERT_FALSE(b.load(l));
    State st = l.state;
    ASSERT_FALSE(b.write_snapshot(st));
    ASSERT_FALSE(b.unlock(info.id));
  }
  // Clean up everything under root.
  etcd::SyncClient raw(o.client);
  auto r = raw.call("/v3/kv/deleterange",
                    etcd::delete_request(root + "/", etcd::prefix_end(root + "/")));
  EXPECT_TRUE(r.ok());
}

}  // namespace
}  // namespace orch
