// Step locks (`lock = etcd_lock.NAME`): etcd's /v3/lock on <prefix>/locks/<name>, each
// acquisition on a lease of its own kept alive by the LeaseKeeper thread; the held key carries
// who holds it, for others who wait (and for `etcdctl get`). A killed orch's locks free themselves
// when their leases expire (the lock's `ttl`).
#include <fmt/format.h>
#include <unistd.h>

#include "compiler/duration.h"
#include "planner/backend.h"
#include "providers/etcd/etcd_provider.h"
#include "providers/etcd/etcd_provider_util.h"
#include "providers/etcd/lease_keeper.h"

namespace orch::etcd {

using nlohmann::json;

void EtcdProvider::acquire_step_lock(const StepLockRequest& req,
                                     std::function<void(StepLockResult)> done) {
  auto fail = [&](std::string m) {
    StepLockResult r;
    r.error = ProviderError{std::move(m), "", false, {}};
    done(std::move(r));
  };
  if (!configured_) return fail("the etcd provider is not configured (no endpoints)");
  if (!async_) return done({});  // no loop (simulation): the executor's local lock is all there is
  auto name = known_string(req.lock, "key");
  if (!name || name->empty())
    return fail(fmt::format("{} is not an etcd lock (it has no `key`)", req.lock_address));
  std::string why;
  Duration ttl = std::chrono::seconds(30), timeout = std::chrono::minutes(30);
  if (auto t = known_string(req.lock, "ttl")) ttl = parse_duration(*t, &why).value_or(ttl);
  if (auto t = known_string(req.lock, "timeout"))
    timeout = parse_duration(*t, &why).value_or(timeout);
  std::weak_ptr<char> alive = alive_;
  const std::string lock = *name;
  const std::string holder = req.holder;
  grant(ttl, [this, alive, lock, holder, timeout, done](int64_t lease,
                                                        std::optional<ProviderError> e) {
    if (alive.expired()) return;
    if (e) return done({e, {}});
    // Who holds it now, for the wait message.
    RangeOptions oldest;
    oldest.range_end = prefix_end(lock + "/");
    oldest.limit = 1;
    oldest.sort_by_create_ascending = true;
    call("/v3/kv/range", range_request(lock + "/", oldest),
         [this, alive, lock, holder, timeout, lease, done](Result r) {
           if (alive.expired()) return;
           std::string held_by;
           std::vector<KeyValue> kvs;
           std::string e;
           if (r.ok() && parse_kvs(r.body, kvs, &e) && !kvs.empty() && kvs[0].lease != lease) {
             json info = json::parse(kvs[0].value, nullptr, false);
             held_by = info.is_object() ? fmt::format("{} on {} (pid {})", info.value("step", "?"),
                                                      info.value("who", "?"), info.value("pid", 0))
                                        : std::string("another holder");
             if (ctx_.event)
               ctx_.event("log", holder,
                          fmt::format("waiting for etcd lock {}, held by {}", lock, held_by));
           }
           const auto started = std::chrono::steady_clock::now();
           call(
               "/v3/lock/lock", {{"name", base64_encode(lock)}, {"lease", int64_value(lease)}},
               [this, alive, lock, holder, timeout, lease, held_by, started, done](Result l) {
                 if (alive.expired()) return;
                 std::string key;
                 if (l.ok() && l.body.contains("key") && l.body["key"].is_string())
                   (void)base64_decode(l.body["key"].get<std::string>(), key);
                 if (key.empty()) {
                   revoke(lease);  // also removes our place in the queue
                   const auto waited = std::chrono::steady_clock::now() - started;
                   if (waited >= timeout - Duration(100))
                     return done(
                         {ProviderError{
                              fmt::format("waited {} for etcd lock {}{}", format_duration(timeout),
                                          lock, held_by.empty() ? "" : ", held by " + held_by),
                              "Raise the lock's `timeout`, or find out why its holder "
                              "keeps it.",
                              false,
                              {}},
                          {}});
                   return done({l.ok()
                                    ? ProviderError{"etcd's lock answer has no key", "", false, {}}
                                    : provider_error(*l.error, "cannot take etcd lock " + lock),
                                {}});
                 }
                 // Say who holds it, on the held key itself (same lease, same create_revision).
                 json info = {{"step", holder},
                              {"who", LockInfo::for_this_process("apply").who},
                              {"pid", static_cast<int64_t>(::getpid())},
                              {"since", utc_now_rfc3339()}};
                 call("/v3/kv/put", put_request(key, info.dump(), lease), [](Result) {});
                 step_locks_[key] = HeldLock{lease, lock};
                 done({std::nullopt, key});
               },
               timeout, timeout);
         });
  });
}

std::optional<ProviderError> EtcdProvider::release_step_lock(const std::string& handle) {
  auto it = step_locks_.find(handle);
  if (it == step_locks_.end()) return std::nullopt;
  HeldLock held = it->second;
  step_locks_.erase(it);
  std::optional<std::string> lost = keeper_ ? keeper_->lost(held.lease) : std::nullopt;
  revoke(held.lease);  // deletes the held key: the next waiter gets the lock
  if (!lost) return std::nullopt;
  return ProviderError{
      fmt::format("etcd lock {} was lost while the step held it: {}", held.name, *lost),
      "Another orch may have run a step under the same lock at the same time.",
      false,
      {}};
}

}  // namespace orch::etcd
