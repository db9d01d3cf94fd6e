// Where state lives: the interface every backend implements (local file, etcd), plus locking.
// The contract is storage-neutral: a snapshot, an append-only log of step results folded into
// the next snapshot, and a lock that names its holder.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/value.h"
#include "planner/state.h"

namespace orch {

// Who holds a state lock, shown to anyone refused by it.
struct LockInfo {
  std::string id;         // random UUID; what `orch force-unlock ID` takes
  std::string operation;  // "apply", "destroy", "state mv", ...
  std::string who;        // user@host
  int64_t pid = 0;
  std::string version;  // orch version of the holder
  std::string created;  // RFC 3339 UTC

  // A lock for `operation` held by this process (fresh id, user@host, pid, version, now).
  static LockInfo for_this_process(std::string operation);
  // `alice@host (pid 1234) for `orch apply` since 2026-11-25T07:01:02Z, lock ID …`
  std::string describe() const;
  // {"id": …, "operation": …, "who": …, "pid": …, "version": …, "created": …}
  std::string to_json() const;
  // nullopt when `text` is not a lock record.
  static std::optional<LockInfo> from_json(std::string_view text);
};

struct BackendError {
  enum class Kind {
    Io,            // could not read or write (message names the file/key and the OS error)
    Corrupt,       // stored state does not parse (message names the file/key and position)
    Locked,        // someone else holds the lock (`holder` is set)
    NotLocked,     // unlock/force-unlock of a lock that is not held
    LockMismatch,  // unlock/force-unlock with an id that is not the holder's (`holder` is set)
    Conflict,      // stored state changed since it was loaded (refusing to overwrite it)
    Usage,         // the caller broke the contract (e.g. append before load)
  };
  Kind kind = Kind::Io;
  std::string message;  // complete, user-facing, one or more lines; never contains secrets
  std::optional<LockInfo> holder;
};

// What load() found.
struct LoadedState {
  State state;                        // State::fresh() when nothing was stored yet
  bool existed = false;               // a snapshot or journal was found
  size_t journal_records = 0;         // step results replayed on top of the snapshot
  bool folded = false;                // the replayed journal was written into a new snapshot
  std::vector<std::string> warnings;  // e.g. a torn last journal record that was ignored
};

// Result of an operation that returns nothing: nullopt on success.
using BackendStatus = std::optional<BackendError>;

class Backend {
 public:
  virtual ~Backend() = default;

  // For messages: `local state file ".orch/state.json"`.
  virtual std::string describe() const = 0;

  // Loads the last snapshot and replays the journal of step results written since. When this
  // process holds the lock and a journal was found, the result is also folded into a new
  // snapshot (the journal is not folded without the lock: a running apply may be appending).
  [[nodiscard]] virtual BackendStatus load(LoadedState& out) = 0;

  // Appends one step result to the journal. Buffered: durable only after flush().
  [[nodiscard]] virtual BackendStatus append(const StateChange& change) = 0;
  // Makes every appended change durable (one fsync / one round trip for the whole group).
  [[nodiscard]] virtual BackendStatus flush() = 0;
  // append + flush: what the executor calls for a create intent before sending the create.
  [[nodiscard]] BackendStatus record(const StateChange& change) {
    if (auto e = append(change)) return e;
    return flush();
  }

  // Replaces the stored state with `state` (atomically) and discards the folded journal. Sets
  // state.serial to the stored serial + 1 and state.orch_version. Refuses (Conflict) when the
  // stored state changed since load(), and never overwrites stored state that failed to load.
  [[nodiscard]] virtual BackendStatus write_snapshot(State& state) = 0;

  // Takes the lock or fails with Kind::Locked and the holder's info. A lock whose holder died
  // (detectably, e.g. a dead pid on this host, an expired lease) is taken over, with a warning
  // in `warnings`.
  [[nodiscard]] virtual BackendStatus lock(const LockInfo& info,
                                           std::vector<std::string>& warnings) = 0;
  // Releases our lock; `id` must match.
  [[nodiscard]] virtual BackendStatus unlock(const std::string& id) = 0;
  // Releases a lock held by anyone, if `id` matches the holder's.
  [[nodiscard]] virtual BackendStatus force_unlock(const std::string& id) = 0;
  // The current holder, if any (for messages and `force-unlock` confirmation).
  [[nodiscard]] virtual BackendStatus lock_holder(std::optional<LockInfo>& out) = 0;
  // Why the lock this process holds was lost since it was taken (an etcd lease that expired or
  // was revoked by force-unlock); nullopt while it is held, and for locks that cannot be lost.
  // Safe to call from any thread. An apply that sees it starts nothing new and fails.
  virtual std::optional<std::string> lock_lost() const { return std::nullopt; }
};

// Holds a backend's lock for a scope; unlocks on destruction (errors there are ignored: the
// lock then shows as stale to the next user, which names this process).
class ScopedLock {
 public:
  ScopedLock() = default;
  ScopedLock(Backend* backend, std::string id) : backend_(backend), id_(std::move(id)) {}
  ScopedLock(ScopedLock&& o) noexcept : backend_(o.backend_), id_(std::move(o.id_)) {
    o.backend_ = nullptr;
  }
  ScopedLock& operator=(ScopedLock&& o) noexcept;
  ScopedLock(const ScopedLock&) = delete;
  ScopedLock& operator=(const ScopedLock&) = delete;
  ~ScopedLock() { release(); }

  // Unlocks now and reports the outcome.
  BackendStatus release();
  const std::string& id() const { return id_; }

 private:
  Backend* backend_ = nullptr;
  std::string id_;
};

// The evaluated `backend "TYPE" { ... }` block; type "local" when there is none.
struct BackendConfig {
  std::string type = "local";
  ValueMap settings;     // e.g. local: path = ".orch/state.json"
  std::string work_dir;  // relative paths are resolved against it; empty: current directory
};

// This machine's host name (as in LockInfo::who), for telling local lock holders from remote ones.
std::string host_name();

// Opens the backend a configuration asks for; nullptr and `error` set for unknown types or bad
// settings.
std::unique_ptr<Backend> open_backend(const BackendConfig& config, std::string* error);

}  // namespace orch
