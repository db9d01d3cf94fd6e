// Waiting for a condition on one etcd key without polling: read the key, then watch it from the
// next revision (/v3/watch, streamed) until the condition holds or the deadline passes. A watch
// cancelled because etcd compacted past its revision, or a stream that broke (a member died),
// leads to a fresh read and a new watch, so nothing is missed.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "providers/etcd/etcd_client.h"

namespace orch::etcd {

struct KeyWatchResult {
  bool holds = false;
  std::optional<std::string> value;  // as last seen; nullopt: the key does not exist
  std::optional<Error> error;        // a read etcd refused (not: etcd unreachable, retried)
  int relists = 0;                   // fresh reads after the first (compaction, broken streams)
};

struct KeyWatchOptions {
  std::string key;
  // The condition on the value (nullopt: the key does not exist).
  std::function<bool(const std::optional<std::string>&)> holds;
  TimePoint deadline{0};  // on the client's clock
  // The revision the first watch starts at; 0: the one after the first read. (Tests use an old
  // one to see a compacted watch re-read.)
  int64_t first_watch_revision = 0;
};

// `done` is called once, on the loop, unless `alive` expires first (the owner is gone).
void watch_key(AsyncClient& client, KeyWatchOptions options, std::weak_ptr<char> alive,
               std::function<void(KeyWatchResult)> done);

}  // namespace orch::etcd
