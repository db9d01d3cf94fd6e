// Keeps etcd leases alive from a thread of its own, so that a lease (and the state lock, step
// locks and TTL keys on it) survives while the apply's event loop is busy or blocked in a
// synchronous state write. A lease is lost when etcd says so (a keep-alive answered without a
// TTL: it expired or was revoked, e.g. by `orch force-unlock`) or when no keep-alive got through
// for a whole TTL; the owner learns it from a callback (on the keeper's thread) and lost().
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "providers/etcd/etcd_client.h"

namespace orch::etcd {

class LeaseKeeper {
 public:
  explicit LeaseKeeper(ClientConfig config);
  ~LeaseKeeper();  // stops the thread (leases are not revoked: their owners do that)
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  // Starts keeping lease `id` (granted with `ttl`) alive. `on_lost` (may be empty) is called once,
  // on the keeper's thread, with the reason, when the lease is lost.
  void keep(int64_t id, Duration ttl, std::function<void(const std::string&)> on_lost = {});
  // Stops keeping `id` alive (before revoking it).
  void forget(int64_t id);
  // Why lease `id` was lost; nullopt while it is alive (or not kept).
  std::optional<std::string> lost(int64_t id) const;
  // Keep-alives sent so far (for tests).
  int64_t sent() const;

 private:
  struct Entry {
    Duration ttl{0};
    std::chrono::steady_clock::time_point due;      // next keep-alive
    std::chrono::steady_clock::time_point last_ok;  // last confirmed TTL
    std::function<void(const std::string&)> on_lost;
    std::optional<std::string> lost;
  };
  void run();

  SyncClient client_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<int64_t, Entry> leases_;
  bool stop_ = false;
  int64_t sent_ = 0;
  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace orch::etcd
