// The etcd state backend's lock: /v3/lock on a lease of our own, the holder's LockInfo beside it
// on the same lease, the lease kept alive by a LeaseKeeper thread (see etcd_backend.h).
#include <fmt/format.h>

#include "compiler/duration.h"
#include "providers/etcd/etcd_backend.h"
#include "providers/etcd/etcd_codec.h"
#include "providers/etcd/lease_keeper.h"

namespace orch::etcd {

using nlohmann::json;

namespace {

BackendError error_of(BackendError::Kind kind, std::string message) {
  return BackendError{kind, std::move(message), std::nullopt};
}

struct Holder {
  std::optional<LockInfo> info;
  int64_t lease = 0;
  int64_t ttl_left = -1;  // seconds; -1: unknown
};

}  // namespace

namespace {

// Who holds the lock: PREFIX/lockinfo, or (while a holder is between taking the lock and writing
// its information, or crashed there) the oldest key under PREFIX/lock/.
BackendStatus read_holder(
    SyncClient& client, const EtcdBackend& b, Holder& out,
    const std::function<BackendError(const Error&, const std::string&)>& err) {
  out = Holder{};
  RangeOptions oldest;
  oldest.range_end = prefix_end(b.key("lock/"));
  oldest.limit = 1;
  oldest.sort_by_create_ascending = true;
  Result r =
      client.call("/v3/kv/txn",
                  txn_request({}, {op_range(b.key("lockinfo")), op_range(b.key("lock/"), oldest)}));
  if (!r.ok()) return err(*r.error, "cannot read the state lock in " + b.describe());
  TxnResponse t = parse_txn(r.body);
  std::vector<KeyValue> info, lock;
  std::string e;
  if (t.responses.size() != 2 || !parse_kvs(t.responses[0], info, &e) ||
      !parse_kvs(t.responses[1], lock, &e))
    return error_of(BackendError::Kind::Io, "unexpected answer from etcd reading the lock " + e);
  if (!info.empty()) {
    out.info = LockInfo::from_json(info[0].value);
    out.lease = info[0].lease;
    if (!out.info) {
      out.info = LockInfo{};
      out.info->id = fmt::format("lease-{:x}", info[0].lease);
      out.info->who = "(unreadable lock information)";
    }
  } else if (!lock.empty()) {
    out.lease = lock[0].lease;
    out.info = LockInfo{};
    out.info->id = fmt::format("lease-{:x}", lock[0].lease);
    out.info->who =
        "an orch that has not written its holder information (starting, or killed "
        "while taking the lock)";
  }
  if (out.lease != 0) {
    Result ttl = client.call("/v3/lease/timetolive", {{"ID", int64_value(out.lease)}});
    if (ttl.ok()) out.ttl_left = int64_field(ttl.body, "TTL");
  }
  return std::nullopt;
}

BackendError locked_error(const Holder& h, Duration lock_ttl) {
  std::string expiry =
      h.ttl_left >= 0
          ? fmt::format("; its etcd lease {:x} expires in {}s unless the holder keeps it alive",
                        h.lease, h.ttl_left)
          : fmt::format("; it frees itself within {} of its holder stopping",
                        format_duration(lock_ttl));
  BackendError e = error_of(BackendError::Kind::Locked,
                            fmt::format("Error acquiring the state lock: held by {}{}; if you are "
                                        "sure no one else is running, `orch force-unlock {}`",
                                        h.info->describe(), expiry, h.info->id));
  e.holder = h.info;
  return e;
}

}  // namespace

BackendStatus EtcdBackend::revoke(int64_t lease, const std::string& what) {
  Result r = client_.call("/v3/lease/revoke", {{"ID", int64_value(lease)}});
  if (r.ok() || (r.error->kind == Error::Kind::Rejected && r.error->code == 5))
    return std::nullopt;  // revoked, or already gone
  return from_client(*r.error, what);
}

BackendStatus EtcdBackend::lock(const LockInfo& info, std::vector<std::string>& warnings) {
  (void)warnings;
  if (lease_ != 0) {
    return error_of(BackendError::Kind::Usage,
                    fmt::format("this process already holds the state lock {}", lock_id_));
  }
  const std::string what = "cannot take the state lock in " + describe();
  auto err = [this](const Error& e, const std::string& w) { return from_client(e, w); };
  // Someone holds it already? Then say who rather than queue behind them.
  Holder h;
  if (auto s = read_holder(client_, *this, h, err)) return s;
  if (h.info) return locked_error(h, options_.lock_ttl);

  const int64_t ttl = options_.lock_ttl / std::chrono::seconds(1);
  Result g = client_.call("/v3/lease/grant", {{"TTL", int64_value(ttl)}});
  if (!g.ok()) return from_client(*g.error, what);
  const int64_t lease = int64_field(g.body, "ID");
  if (lease == 0) return error_of(BackendError::Kind::Io, what + ": etcd granted no lease");
  // A contender's lease keeps its lock alive while it waits; ours must outlive the wait too.
  if (!keeper_) keeper_ = std::make_unique<LeaseKeeper>(options_.client);
  keeper_->keep(lease, options_.lock_ttl);

  auto give_up = [&](BackendError e) -> BackendStatus {
    keeper_->forget(lease);
    (void)revoke(lease, what);  // also deletes our waiting key, if any
    return e;
  };
  // /v3/lock queues us behind a holder that won a race since we looked; wait briefly only.
  Result l = client_.call(
      "/v3/lock/lock", {{"name", base64_encode(key("lock"))}, {"lease", int64_value(lease)}},
      options_.lock_wait, static_cast<int>(options_.client.endpoints.size()) + 1);
  std::string lock_key;
  if (l.ok() && l.body.contains("key") && l.body["key"].is_string())
    (void)base64_decode(l.body["key"].get<std::string>(), lock_key);
  if (lock_key.empty()) {
    keeper_->forget(lease);
    (void)revoke(lease, what);
    if (auto s = read_holder(client_, *this, h, err)) return s;
    if (h.info) return locked_error(h, options_.lock_ttl);
    return l.ok() ? error_of(BackendError::Kind::Io, what + ": etcd's lock answer has no key")
                  : from_client(*l.error, what);
  }
  Result k = client_.call("/v3/kv/range", range_request(lock_key));
  std::vector<KeyValue> kvs;
  std::string e;
  if (!k.ok()) return give_up(from_client(*k.error, what));
  if (!parse_kvs(k.body, kvs, &e) || kvs.empty() || kvs[0].lease != lease)
    return give_up(error_of(BackendError::Kind::Io, what + ": the lock key vanished at once"));
  const int64_t rev = kvs[0].create_revision;
  // The holder's information, on the same lease, only while the lock is still ours.
  Result put =
      client_.call("/v3/kv/txn", txn_request({compare_create_revision(lock_key, rev)},
                                             {op_put(key("lockinfo"), info.to_json(), lease)}));
  if (!put.ok()) return give_up(from_client(*put.error, what));
  if (!parse_txn(put.body).succeeded)
    return give_up(error_of(BackendError::Kind::Io, what + ": the lock was lost at once"));
  {
    std::lock_guard<std::mutex> g2(lost_mu_);
    lost_.reset();
  }
  keeper_->keep(lease, options_.lock_ttl, [this](const std::string& why) {
    std::lock_guard<std::mutex> g3(lost_mu_);
    lost_ = why;
  });
  lease_ = lease;
  lock_key_ = lock_key;
  lock_rev_ = rev;
  lock_id_ = info.id;
  return std::nullopt;
}

BackendStatus EtcdBackend::unlock(const std::string& id) {
  if (lease_ == 0)
    return error_of(BackendError::Kind::NotLocked, "this process does not hold the state lock");
  if (id != lock_id_)
    return error_of(BackendError::Kind::LockMismatch,
                    fmt::format("lock ID {} does not match the held lock {}", id, lock_id_));
  keeper_->forget(lease_);
  const int64_t lease = lease_;
  lease_ = 0;
  lock_key_.clear();
  lock_rev_ = 0;
  lock_id_.clear();
  if (auto s = revoke(lease, "cannot release the state lock in " + describe())) {
    s->message += fmt::format("; the lock frees itself within {} (its lease's TTL)",
                              format_duration(options_.lock_ttl));
    return s;
  }
  return std::nullopt;
}

BackendStatus EtcdBackend::force_unlock(const std::string& id) {
  Holder h;
  auto err = [this](const Error& e, const std::string& w) { return from_client(e, w); };
  if (auto s = read_holder(client_, *this, h, err)) return s;
  if (!h.info)
    return error_of(BackendError::Kind::NotLocked,
                    fmt::format("the state in {} is not locked", describe()));
  if (h.info->id != id) {
    BackendError e =
        error_of(BackendError::Kind::LockMismatch,
                 fmt::format("lock ID \"{}\" does not match the current lock, held by {}", id,
                             h.info->describe()));
    e.holder = h.info;
    return e;
  }
  // Revoking the holder's lease deletes its lock key and its information at once; the holder's
  // keep-alive then finds the lease gone and its fenced writes fail.
  const std::string what = "cannot remove the state lock in " + describe();
  if (auto s = revoke(h.lease, what)) return s;
  Result r = client_.call("/v3/kv/txn",
                          txn_request({}, {op_delete(key("lockinfo")),
                                           op_delete(key(fmt::format("lock/{:x}", h.lease)))}));
  if (!r.ok()) return from_client(*r.error, what);
  if (lease_ == h.lease) {
    keeper_->forget(lease_);
    lease_ = 0;
    lock_key_.clear();
    lock_rev_ = 0;
    lock_id_.clear();
  }
  return std::nullopt;
}

BackendStatus EtcdBackend::lock_holder(std::optional<LockInfo>& out) {
  Holder h;
  auto err = [this](const Error& e, const std::string& w) { return from_client(e, w); };
  if (auto s = read_holder(client_, *this, h, err)) return s;
  out = h.info;
  return std::nullopt;
}

}  // namespace orch::etcd
