// The local backend: state in files under .orch/ — an atomically replaced JSON snapshot
// (state.json, mode 0600, previous one kept as state.json.backup), an fsync'd append-only
// journal of step results (state.journal), and a lock file (state.lock) holding LockInfo plus
// an flock() so that a killed holder's lock is detectably stale.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>

#include "planner/backend.h"

namespace orch {

struct LocalBackendOptions {
  std::string path = ".orch/state.json";  // the snapshot; the other files sit beside it
  // False: journal records are written but not fsync'd (a -simulate rehearsal's state, where
  // thousands of steps per second matter more than surviving a power cut).
  bool sync_journal = true;
  // Fault injection for tests: called before each step of a write ("journal_write",
  // "journal_sync", "backup", "snapshot_write", "snapshot_sync", "snapshot_rename", "dir_sync");
  // returning true makes that step fail as if the OS had returned EIO.
  std::function<bool(std::string_view step)> fail_at;
};

class LocalBackend : public Backend {
 public:
  explicit LocalBackend(LocalBackendOptions options);
  ~LocalBackend() override;
  LocalBackend(const LocalBackend&) = delete;
  LocalBackend& operator=(const LocalBackend&) = delete;

  std::string describe() const override;
  BackendStatus load(LoadedState& out) override;
  BackendStatus append(const StateChange& change) override;
  BackendStatus flush() override;
  BackendStatus write_snapshot(State& state) override;
  BackendStatus lock(const LockInfo& info, std::vector<std::string>& warnings) override;
  BackendStatus unlock(const std::string& id) override;
  BackendStatus force_unlock(const std::string& id) override;
  BackendStatus lock_holder(std::optional<LockInfo>& out) override;

  const std::string& snapshot_path() const { return path_; }
  const std::string& journal_path() const { return journal_path_; }
  const std::string& lock_path() const { return lock_path_; }
  const std::string& backup_path() const { return backup_path_; }

 private:
  // Identity of the snapshot file as loaded, to refuse overwriting one that changed since.
  struct Fingerprint {
    bool exists = false;
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const Fingerprint& o) const = default;
  };

  Fingerprint fingerprint() const;
  bool injected(std::string_view step) const { return options_.fail_at && options_.fail_at(step); }
  BackendStatus read_journal(State& state, LoadedState& out);
  BackendStatus open_journal();
  BackendStatus write_backup();
  BackendStatus sync_dir();
  BackendStatus ensure_dir();
  void close_journal();

  LocalBackendOptions options_;
  std::string path_, journal_path_, lock_path_, backup_path_, dir_;

  bool loaded_ = false;
  bool corrupt_ = false;                // the snapshot failed to load: never overwrite it
  Fingerprint loaded_fp_;               // the snapshot as loaded
  std::string lineage_;                 // of the loaded state
  uint64_t serial_ = 0;                 // of the loaded (or last written) snapshot
  off_t journal_good_ = -1;             // bytes of intact journal (-1: there is no journal)
  off_t journal_size_ = 0;              // bytes in the journal file as we last saw or wrote it
  bool journal_needs_header_ = false;   // found journal is stale or torn: restart it
  bool journal_needs_newline_ = false;  // last record was complete but lacked its newline
  int journal_fd_ = -1;
  std::string pending_;  // appended records not yet written

  int lock_fd_ = -1;
  std::string lock_id_;
};

}  // namespace orch
