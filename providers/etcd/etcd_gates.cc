// The etcd provider's readiness gates: `ready_when { etcd_key = "/path" }` holds when the key
// exists, `ready_when { etcd_value = { key, value } }` when it has that value. One check reads the
// key, then watches it from the next revision (no polling) until the condition holds or the
// gate's time is up; a watch cancelled by compaction, or a broken stream, re-reads and re-watches.
#include <fmt/format.h>

#include "providers/etcd/etcd_provider.h"
#include "providers/etcd/etcd_provider_util.h"

namespace orch::etcd {

using nlohmann::json;

struct EtcdProvider::Watch {
  std::string address;
  std::string key;
  std::optional<std::string> expected;  // etcd_value
  bool sensitive = false;
  TimePoint deadline{0};
  std::function<void(GateResult)> done;
  std::optional<std::string> value;  // as last seen; nullopt: the key does not exist
  int restarts = 0;
  bool finished = false;

  bool holds() const { return expected ? value == expected : value.has_value(); }
  std::string describe() const {
    auto show = [&](const std::string& v) {
      if (sensitive) return std::string("(sensitive value)");
      return "\"" + (v.size() > 80 ? v.substr(0, 77) + "..." : v) + "\"";
    };
    if (!value)
      return expected ? fmt::format("etcd key \"{}\" does not exist (waiting for the value {})",
                                    key, show(*expected))
                      : fmt::format("etcd key \"{}\" does not exist", key);
    if (expected)
      return fmt::format("etcd key \"{}\" is {}, waiting for {}", key, show(*value),
                         show(*expected));
    return fmt::format("etcd key \"{}\" exists", key);
  }
  void finish(GateResult r) {
    if (finished) return;
    finished = true;
    done(std::move(r));
  }
};

void EtcdProvider::check_gate(const GateRequest& req, std::function<void(GateResult)> done) {
  auto w = std::make_shared<Watch>();
  w->address = req.address;
  w->done = std::move(done);
  Value v = req.value.unmarked();
  w->sensitive = req.value.contains_sensitive();
  auto invalid = [&](std::string m) {
    GateResult r;
    r.message = m;
    r.error = ProviderError{std::move(m), "", false, {}};
    w->finish(std::move(r));
  };
  if (!configured_) return invalid("the etcd provider is not configured (no endpoints)");
  if (req.kind == "etcd_key") {
    if (v.kind() != ValueKind::String || v.as_string().empty())
      return invalid("ready_when etcd_key: the key must be a non-empty string");
    w->key = v.as_string();
  } else if (req.kind == "etcd_value") {
    auto key = v.is_mapping() ? known_string(v.attributes(), "key") : std::nullopt;
    auto value = v.is_mapping() ? known_string(v.attributes(), "value") : std::nullopt;
    if (!key || key->empty() || !value)
      return invalid("ready_when etcd_value: write { key = \"/path\", value = \"...\" }");
    w->key = *key;
    w->expected = *value;
  } else {
    return invalid(fmt::format("the etcd provider offers no readiness gate \"{}\"", req.kind));
  }
  w->deadline = (ctx_.clock ? ctx_.clock->now() : TimePoint(0)) + req.wait;
  watch_gate(std::move(w));
}

void EtcdProvider::watch_gate(std::shared_ptr<Watch> w) {
  std::weak_ptr<char> alive = alive_;
  call("/v3/kv/range", range_request(w->key), [this, alive, w](Result r) {
    if (alive.expired() || w->finished) return;
    GateResult g;
    if (!r.ok()) {
      // Unreachable etcd is not an answer: the gate keeps trying until its timeout.
      g.message = "cannot read " + w->key + ": " + r.error->message;
      if (r.error->kind != Error::Kind::Unavailable) g.error = provider_error(*r.error, g.message);
      return w->finish(std::move(g));
    }
    std::vector<KeyValue> kvs;
    std::string e;
    (void)parse_kvs(r.body, kvs, &e);
    w->value = kvs.empty() ? std::nullopt : std::optional<std::string>(kvs[0].value);
    g.holds = w->holds();
    g.message = w->describe();
    const TimePoint now = ctx_.clock ? ctx_.clock->now() : TimePoint(0);
    if (g.holds || !async_ || now >= w->deadline) return w->finish(std::move(g));
    // Watch from the revision after the read: nothing between the two is missed.
    const int64_t from = header_revision(r.body) + 1;
    json create = {{"create_request",
                    {{"key", base64_encode(w->key)}, {"start_revision", int64_value(from)}}}};
    auto relist = std::make_shared<bool>(false);
    async_->stream(
        "/v3/watch", create, w->deadline - now,
        [w, relist](const json& msg) {
          const json& res = msg.contains("result") ? msg["result"] : msg;
          if (msg.contains("error") || bool_field(res, "canceled")) {
            *relist = true;  // compacted past our revision, or the watch broke: read again
            return false;
          }
          auto events = res.find("events");
          if (events == res.end() || !events->is_array()) return true;
          for (const auto& ev : *events) {
            std::string e2;
            auto kv = ev.contains("kv") ? parse_kv(ev["kv"], &e2) : std::nullopt;
            if (!kv || kv->key != w->key) continue;
            // A PUT event has no "type" (zero values are omitted).
            if (ev.value("type", std::string("PUT")) == "DELETE")
              w->value.reset();
            else
              w->value = kv->value;
            // Not finished here: this runs inside libcurl's write callback, where starting
            // other transfers (what the step's completion does) is not allowed. Ending the
            // stream brings us to the done callback below, outside libcurl.
            if (w->holds()) return false;
          }
          return true;
        },
        [this, alive, w, relist](std::optional<Error> err) {
          if (alive.expired() || w->finished) return;
          const TimePoint t = ctx_.clock->now();
          if (w->holds()) {
            GateResult g2;
            g2.holds = true;
            g2.message = w->describe();
            return w->finish(std::move(g2));
          }
          if (t >= w->deadline || w->restarts > 1000) {
            GateResult g2;
            g2.message = w->describe();
            return w->finish(std::move(g2));
          }
          ++w->restarts;
          // Re-read, then watch again (after a pause when the stream failed).
          Duration pause = err && !*relist ? Duration(500) : Duration(0);
          ctx_.clock->schedule(pause, [this, alive, w] {
            if (!alive.expired()) watch_gate(w);
          });
        });
  });
}

}  // namespace orch::etcd
