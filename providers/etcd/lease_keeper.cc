// Keeps etcd leases alive from its own thread (see lease_keeper.h).
#include "providers/etcd/lease_keeper.h"

#include <fmt/format.h>

#include "compiler/duration.h"
#include "providers/etcd/etcd_codec.h"

namespace orch::etcd {

namespace {
using SteadyClock = std::chrono::steady_clock;
}

LeaseKeeper::LeaseKeeper(ClientConfig config) : client_(std::move(config)) {
  thread_ = std::thread([this] { run(); });
}

LeaseKeeper::~LeaseKeeper() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void LeaseKeeper::keep(int64_t id, Duration ttl, std::function<void(const std::string&)> on_lost) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& e = leases_[id];
    e.ttl = ttl;
    e.last_ok = SteadyClock::now();
    e.due = e.last_ok + ttl / 3;
    e.on_lost = std::move(on_lost);
    e.lost.reset();
  }
  cv_.notify_all();
}

void LeaseKeeper::forget(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  leases_.erase(id);
}

std::optional<std::string> LeaseKeeper::lost(int64_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = leases_.find(id);
  return it == leases_.end() ? std::nullopt : it->second.lost;
}

int64_t LeaseKeeper::sent() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sent_;
}

void LeaseKeeper::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    // The lease due first.
    int64_t id = 0;
    auto due = SteadyClock::time_point::max();
    for (const auto& [lid, e] : leases_) {
      if (e.lost) continue;
      if (e.due < due) {
        due = e.due;
        id = lid;
      }
    }
    if (id == 0) {
      cv_.wait(lock);
      continue;
    }
    if (SteadyClock::now() < due) {
      cv_.wait_until(lock, due);
      continue;  // re-evaluate: leases may have come or gone
    }
    Duration ttl = leases_[id].ttl;
    ++sent_;
    lock.unlock();
    // One try per endpoint, each bounded well inside the TTL; no backoff of its own.
    Duration per_request = std::max(Duration(500), std::min(ttl / 3, Duration(5000)));
    Result r = client_.call_once("/v3/lease/keepalive", {{"ID", int64_value(id)}}, per_request);
    lock.lock();
    auto it = leases_.find(id);
    if (it == leases_.end()) continue;  // forgotten meanwhile
    Entry& e = it->second;
    const auto now = SteadyClock::now();
    std::optional<std::string> why;
    if (r.ok()) {
      const json& res = r.body.contains("result") ? r.body["result"] : r.body;
      int64_t remaining = int64_field(res, "TTL");
      if (remaining <= 0) {
        why = fmt::format("etcd says lease {:x} no longer exists (it expired or was revoked)", id);
      } else {
        e.last_ok = now;
        e.due = now + ttl / 3;
      }
    } else if (r.error->kind == Error::Kind::Rejected && r.error->code == 5) {
      why = fmt::format("etcd says lease {:x} no longer exists (it expired or was revoked)", id);
    } else if (now - e.last_ok >= ttl) {
      why = fmt::format(
          "no keep-alive of lease {:x} got through for {} (its TTL), so it has "
          "expired; last error: {}",
          id, format_duration(ttl), r.error->message);
    } else {
      e.due = now + std::min<Duration>(Duration(500), ttl / 6);  // try again soon
    }
    if (why) {
      e.lost = *why;
      auto cb = e.on_lost;
      lock.unlock();
      if (cb) cb(*why);
      lock.lock();
    }
  }
}

}  // namespace orch::etcd
