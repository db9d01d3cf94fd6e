// Watching one key until a condition holds (see etcd_watch.h).
#include "providers/etcd/etcd_watch.h"

#include "providers/etcd/etcd_codec.h"

namespace orch::etcd {

namespace {

struct Watch {
  AsyncClient* client = nullptr;
  KeyWatchOptions options;
  std::weak_ptr<char> alive;
  std::function<void(KeyWatchResult)> done;
  KeyWatchResult result;
  bool finished = false;
  bool relist = false;  // the last stream ended because the watch was cancelled or failed

  bool holds() const { return options.holds(result.value); }
  void finish() {
    if (finished) return;
    finished = true;
    result.holds = holds();
    done(result);
  }
};

void read_then_watch(std::shared_ptr<Watch> w);

void watch_from(std::shared_ptr<Watch> w, int64_t revision) {
  AsyncClient& client = *w->client;
  const TimePoint now = client.clock().now();
  json create = {
      {"create_request",
       {{"key", base64_encode(w->options.key)}, {"start_revision", int64_value(revision)}}}};
  w->relist = false;
  client.stream(
      "/v3/watch", create, w->options.deadline - now,
      // Runs inside libcurl's write callback: only record what happened; the step's completion
      // (which starts other transfers) happens in the done callback, outside libcurl.
      [w](const json& msg) {
        const json& res = msg.contains("result") ? msg["result"] : msg;
        if (msg.contains("error") || bool_field(res, "canceled")) {
          w->relist = true;  // compacted past our revision, or the watch broke: read again
          return false;
        }
        auto events = res.find("events");
        if (events == res.end() || !events->is_array()) return true;
        for (const auto& ev : *events) {
          std::string e;
          auto kv = ev.contains("kv") ? parse_kv(ev["kv"], &e) : std::nullopt;
          if (!kv || kv->key != w->options.key) continue;
          // A PUT event has no "type" (zero values are omitted).
          if (ev.value("type", std::string("PUT")) == "DELETE")
            w->result.value.reset();
          else
            w->result.value = kv->value;
          if (w->holds()) return false;
        }
        return true;
      },
      [w](std::optional<Error> err) {
        if (w->alive.expired() || w->finished) return;
        if (w->holds() || w->client->clock().now() >= w->options.deadline ||
            w->result.relists > 1000)
          return w->finish();
        ++w->result.relists;
        // Read again, then watch again (after a pause when the stream failed).
        Duration pause = err && !w->relist ? Duration(500) : Duration(0);
        w->client->clock().schedule(pause, [w] {
          if (!w->alive.expired()) read_then_watch(w);
        });
      });
}

void read_then_watch(std::shared_ptr<Watch> w) {
  w->client->call("/v3/kv/range", range_request(w->options.key), [w](Result r) {
    if (w->alive.expired() || w->finished) return;
    if (!r.ok()) {
      // Unreachable etcd is not an answer: the caller checks again until its timeout.
      if (r.error->kind != Error::Kind::Unavailable) w->result.error = r.error;
      return w->finish();
    }
    std::vector<KeyValue> kvs;
    std::string e;
    (void)parse_kvs(r.body, kvs, &e);
    w->result.value = kvs.empty() ? std::nullopt : std::optional<std::string>(kvs[0].value);
    if (w->holds() || w->client->clock().now() >= w->options.deadline) return w->finish();
    // Watch from the revision after the read: nothing between the two is missed.
    int64_t from = header_revision(r.body) + 1;
    if (w->options.first_watch_revision > 0) {
      from = w->options.first_watch_revision;
      w->options.first_watch_revision = 0;
    }
    watch_from(w, from);
  });
}

}  // namespace

void watch_key(AsyncClient& client, KeyWatchOptions options, std::weak_ptr<char> alive,
               std::function<void(KeyWatchResult)> done) {
  auto w = std::make_shared<Watch>();
  w->client = &client;
  w->options = std::move(options);
  w->alive = std::move(alive);
  w->done = std::move(done);
  read_then_watch(std::move(w));
}

}  // namespace orch::etcd
