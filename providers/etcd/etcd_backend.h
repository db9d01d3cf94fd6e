// The etcd state backend (`backend "etcd" { endpoints, prefix, lock_ttl, ... }`): the snapshot,
// the journal of step results and the lock live under one key prefix, so that every operator and
// CI runner shares one truth and a crashed orch never leaves a stuck lock.
//
// Keys under PREFIX:
//   head                    the current snapshot's manifest (JSON: lineage, serial, generation,
//                           chunk count, sizes, SHA-256 of the uncompressed state)
//   snapshot/GEN/NNNNNN     the snapshot, zlib-compressed, in chunks of at most chunk_size
//   backup                  the previous manifest; its chunks are kept until the next snapshot
//   journal/SEQ             step results since the snapshot (one entry per flush)
//   parts/SEQ/NNNNNN        pieces of a journal entry too large for one request (rare)
//   lock/LEASE              the etcd lock (/v3/lock) on the holder's lease
//   lockinfo                the holder's LockInfo, on the same lease (gone when the lease is)
//
// Every write is a txn that compares head's mod_revision with the one this process loaded or
// wrote and, while locked, that the lock key still has the create_revision we got (the fencing
// token): a writer whose lease expired, or whose lock was force-unlocked, cannot overwrite. A
// thread keeps the lease alive (LeaseKeeper), so a busy or blocked apply loop cannot lose it; when
// it is lost anyway, lock_lost() says why.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "planner/backend.h"
#include "providers/etcd/etcd_client.h"

namespace orch::etcd {

class LeaseKeeper;

struct BackendOptions {
  ClientConfig client;
  std::string prefix;                            // no trailing slash: "/orch/prod"
  Duration lock_ttl = std::chrono::seconds(30);  // the lock lease's TTL (etcd's minimum: 2s)
  Duration lock_wait = std::chrono::seconds(5);  // how long /v3/lock may wait for a race loser
  size_t chunk_size = 1024 * 1024;               // bytes per stored chunk (< 1.5 MiB limit)
  int compression_level = 1;                     // zlib level: speed over the last percent
};

// Reads `backend "etcd"` settings: endpoints, prefix, lock_ttl, timeout, request_timeout,
// ca_file, cert_file, key_file, chunk_size. False and `error` on unknown names or bad values.
bool parse_backend_settings(const ValueMap& settings, BackendOptions& out, std::string* error);

// What open_backend() (planner/backend.cc) calls for type "etcd".
std::unique_ptr<Backend> open_etcd_backend(const BackendConfig& config, std::string* error);

class EtcdBackend : public Backend {
 public:
  explicit EtcdBackend(BackendOptions options);
  ~EtcdBackend() override;
  EtcdBackend(const EtcdBackend&) = delete;
  EtcdBackend& operator=(const EtcdBackend&) = delete;

  std::string describe() const override;
  BackendStatus load(LoadedState& out) override;
  BackendStatus append(const StateChange& change) override;
  BackendStatus flush() override;
  BackendStatus write_snapshot(State& state) override;
  BackendStatus lock(const LockInfo& info, std::vector<std::string>& warnings) override;
  BackendStatus unlock(const std::string& id) override;
  BackendStatus force_unlock(const std::string& id) override;
  BackendStatus lock_holder(std::optional<LockInfo>& out) override;
  std::optional<std::string> lock_lost() const override;

  const BackendOptions& options() const { return options_; }
  std::string key(std::string_view suffix) const {
    return options_.prefix + "/" + std::string(suffix);
  }
  int64_t lease() const { return lease_; }

 private:
  struct Manifest;
  BackendStatus load_once(LoadedState& out, bool& retry);
  BackendStatus read_snapshot(const Manifest& m, int64_t revision, std::string_view head_key,
                              State& state, bool& retry);
  BackendStatus read_journal(int64_t revision, State& state, LoadedState& out, bool head_exists,
                             bool& retry);
  BackendStatus read_parts(const std::string& seq, const nlohmann::json& manifest, int64_t revision,
                           std::string& out, bool& retry);
  // The compares every write carries: head unchanged and (while locked) our lock still held.
  std::vector<nlohmann::json> fence() const;
  // A txn with the fence; on a failed compare, says which condition failed. `landed` (optional)
  // tells, after an ambiguous retry, whether our own earlier attempt did the write.
  BackendStatus fenced_txn(std::vector<nlohmann::json> extra_compares,
                           std::vector<nlohmann::json> success, const std::string& what,
                           int64_t* revision, const std::function<bool()>& landed = {});
  BackendError from_client(const Error& e, const std::string& what) const;
  BackendStatus revoke(int64_t lease, const std::string& what);

  BackendOptions options_;
  SyncClient client_;
  std::unique_ptr<LeaseKeeper> keeper_;

  bool loaded_ = false;
  bool corrupt_ = false;    // the stored state failed to load: never overwrite it
  int64_t head_rev_ = 0;    // head's mod_revision as loaded or written (0: no head)
  std::string head_value_;  // head's text as loaded or written (becomes the backup)
  std::string lineage_;
  uint64_t serial_ = 0;
  std::string generation_;         // of the current snapshot
  std::string backup_generation_;  // of the snapshot `backup` names
  uint64_t backup_serial_ = 0;     // its serial (0: no backup)
  int64_t next_seq_ = 1;
  std::vector<nlohmann::json> pending_;  // appended records not yet flushed

  int64_t lease_ = 0;  // the lock's lease (0: not locked)
  std::string lock_key_;
  int64_t lock_rev_ = 0;  // the lock key's create_revision: the fencing token
  std::string lock_id_;
  mutable std::mutex lost_mu_;
  std::optional<std::string> lost_;  // set by the keeper's thread
};

}  // namespace orch::etcd
