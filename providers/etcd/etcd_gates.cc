// The etcd provider's readiness gates: `ready_when { etcd_key = "/path" }` holds when the key
// exists, `ready_when { etcd_value = { key, value } }` when it has that value. One check reads the
// key and then watches it (etcd_watch.h) until the condition holds or the gate's time is up.
#include <fmt/format.h>

#include "providers/etcd/etcd_provider.h"
#include "providers/etcd/etcd_provider_util.h"
#include "providers/etcd/etcd_watch.h"

namespace orch::etcd {

namespace {

// What a gate saw, for its messages; values next to sensitive ones are not shown.
std::string describe(const std::string& key, const std::optional<std::string>& value,
                     const std::optional<std::string>& expected, bool sensitive) {
  auto show = [&](const std::string& v) {
    if (sensitive) return std::string("(sensitive value)");
    return "\"" + (v.size() > 80 ? v.substr(0, 77) + "..." : v) + "\"";
  };
  if (!value)
    return expected ? fmt::format("etcd key \"{}\" does not exist (waiting for the value {})", key,
                                  show(*expected))
                    : fmt::format("etcd key \"{}\" does not exist", key);
  if (expected)
    return fmt::format("etcd key \"{}\" is {}, waiting for {}", key, show(*value), show(*expected));
  return fmt::format("etcd key \"{}\" exists", key);
}

}  // namespace

void EtcdProvider::check_gate(const GateRequest& req, std::function<void(GateResult)> done) {
  auto invalid = [&](std::string m) {
    GateResult r;
    r.message = m;
    r.error = ProviderError{std::move(m), "", false, {}};
    done(std::move(r));
  };
  if (!configured_) return invalid("the etcd provider is not configured (no endpoints)");
  Value v = req.value.unmarked();
  const bool sensitive = req.value.contains_sensitive();
  std::string key;
  std::optional<std::string> expected;
  if (req.kind == "etcd_key") {
    if (v.kind() != ValueKind::String || v.as_string().empty())
      return invalid("ready_when etcd_key: the key must be a non-empty string");
    key = v.as_string();
  } else if (req.kind == "etcd_value") {
    auto k = v.is_mapping() ? known_string(v.attributes(), "key") : std::nullopt;
    auto value = v.is_mapping() ? known_string(v.attributes(), "value") : std::nullopt;
    if (!k || k->empty() || !value)
      return invalid("ready_when etcd_value: write { key = \"/path\", value = \"...\" }");
    key = *k;
    expected = *value;
  } else {
    return invalid(fmt::format("the etcd provider offers no readiness gate \"{}\"", req.kind));
  }
  auto report = [key, expected, sensitive, done](const KeyWatchResult& r) {
    GateResult g;
    g.holds = r.holds;
    g.message = describe(key, r.value, expected, sensitive);
    if (r.error) {
      g.message = "cannot read " + key + ": " + r.error->message;
      g.error = provider_error(*r.error, g.message);
    }
    done(std::move(g));
  };
  if (!async_) {
    // No loop (virtual clock): look once.
    Result r = sync_->call("/v3/kv/range", range_request(key));
    KeyWatchResult kr;
    std::vector<KeyValue> kvs;
    std::string e;
    if (!r.ok()) {
      if (r.error->kind != Error::Kind::Unavailable) kr.error = r.error;
    } else if (parse_kvs(r.body, kvs, &e) && !kvs.empty()) {
      kr.value = kvs[0].value;
    }
    kr.holds = expected ? kr.value == expected : kr.value.has_value();
    return report(kr);
  }
  KeyWatchOptions o;
  o.key = key;
  o.holds = [expected](const std::optional<std::string>& value) {
    return expected ? value == expected : value.has_value();
  };
  o.deadline = ctx_.clock->now() + req.wait;
  watch_key(*async_, std::move(o), alive_, std::move(report));
}

}  // namespace orch::etcd
