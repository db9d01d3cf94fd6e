// Test fixture for the chef provider: an in-process fake Chef Server with the test client, a
// ChefProvider configured against it on a real clock, and one-call helpers (plan, apply, read,
// gate) that run the loop until the operation is done.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "planner/real_clock.h"
#include "providers/chef/chef_provider.h"
#include "tests/fakes/fake_chef.h"
#include "tests/support/temp_dir.h"

namespace orch::testing {

inline const std::string kChefData = ORCH_SOURCE_DIR "/tests/testdata/chef/";

struct ChefEvent {
  std::string kind, address, message;
};

class ChefFixture {
 public:
  explicit ChefFixture(std::string stack = "test", ValueMap extra = {}) {
    fake.add_client("orch-ci", read_text(kChefData + "test_client.pub"));
    ValueMap cfg = config();
    for (auto& [k, v] : extra) cfg[k] = v;
    configure(cfg, std::move(stack));
  }

  ValueMap config() const {
    return {{"server_url", Value::string(fake.url())},
            {"client_name", Value::string("orch-ci")},
            {"key_file", Value::string(kChefData + "test_client.pem")}};
  }

  void configure(const ValueMap& cfg, std::string stack = "test") {
    provider = std::make_unique<ChefProvider>();
    provider->set_credentials_path(home.file("no-credentials"));
    ProviderContext ctx;
    ctx.clock = &clock;
    ctx.stack = std::move(stack);
    ctx.state_lineage = "lineage-1";
    ctx.event = [this](const std::string& k, const std::string& a, const std::string& m) {
      events.push_back({k, a, m});
    };
    ctx.retry = [this](const std::string& a, const std::string& m, Duration) {
      events.push_back({"retry", a, m});
    };
    diags = Diagnostics();
    provider->configure(cfg, ctx, diags);
  }

  PlanResponse plan(const std::string& type, const std::string& address, ValueMap config,
                    std::optional<ObjectState> prior = std::nullopt) {
    PlanRequest req;
    req.type = type;
    req.address = address;
    req.config = std::move(config);
    req.prior = std::move(prior);
    return provider->plan(req);
  }

  ApplyResult apply(const std::string& type, const std::string& address, ChangeAction action,
                    ValueMap planned, std::optional<ObjectState> prior = std::nullopt) {
    ApplyRequest req;
    req.type = type;
    req.address = address;
    req.action = action;
    req.planned = std::move(planned);
    req.prior = std::move(prior);
    req.idempotency_token = "lineage-1/" + address;
    std::optional<ApplyResult> out;
    provider->apply(req, [&](ApplyResult r) { out = std::move(r); });
    clock.run();
    EXPECT_TRUE(out) << "apply never finished";
    return out ? *out : ApplyResult{};
  }

  // Plans `config` (against `prior`) and applies the result: create without prior, else update.
  ApplyResult put(const std::string& type, const std::string& address, ValueMap config,
                  std::optional<ObjectState> prior = std::nullopt) {
    PlanResponse p = plan(type, address, std::move(config), prior);
    EXPECT_FALSE(p.diagnostics.has_errors())
        << (p.diagnostics.list().empty() ? "" : p.diagnostics.list()[0].summary);
    return apply(type, address, prior ? ChangeAction::Update : ChangeAction::Create, p.planned,
                 prior);
  }

  ReadResult read(const std::string& type, std::vector<ReadItem> items) {
    std::optional<ReadResult> out;
    provider->read_many(type, std::move(items), [&](ReadResult r) { out = std::move(r); });
    clock.run();
    EXPECT_TRUE(out) << "read never finished";
    return out ? *out : ReadResult{};
  }

  // Reads one object back by its state.
  std::optional<ObjectState> read_one(const std::string& type, const std::string& address,
                                      const ObjectState& state) {
    ReadResult r = read(type, {ReadItem{address, state.id, state.attributes}});
    EXPECT_FALSE(r.error) << r.error->summary;
    auto it = r.objects.find(address);
    if (it == r.objects.end()) return std::nullopt;
    return it->second;
  }

  GateResult gate(const std::string& kind, Value value, ValueMap self = {}) {
    GateRequest req;
    req.kind = kind;
    req.value = std::move(value);
    req.address = "test.gate";
    req.self = std::move(self);
    std::optional<GateResult> out;
    provider->check_gate(req, [&](GateResult r) { out = std::move(r); });
    clock.run();
    EXPECT_TRUE(out);
    return out ? *out : GateResult{};
  }

  std::pair<std::optional<ValueMap>, std::optional<ProviderError>> data(const std::string& type,
                                                                        ValueMap config) {
    std::pair<std::optional<ValueMap>, std::optional<ProviderError>> out;
    bool called = false;
    provider->read_data(type, config,
                        [&](std::optional<ValueMap> v, std::optional<ProviderError> e) {
                          out = {std::move(v), std::move(e)};
                          called = true;
                        });
    clock.run();
    EXPECT_TRUE(called);
    return out;
  }

  fakes::FakeChef fake;
  TempDir home;
  RealClock clock;
  std::unique_ptr<ChefProvider> provider;
  Diagnostics diags;
  std::vector<ChefEvent> events;
};

inline Value str(const std::string& s) {
  return Value::string(s);
}
inline Value strs(std::vector<std::string> v) {
  ValueList l;
  for (auto& s : v) l.push_back(Value::string(s));
  return Value::tuple(std::move(l));
}
inline Value obj(ValueMap m) {
  return Value::object(std::move(m));
}

}  // namespace orch::testing
