// The local backend: snapshot + journal files and the lock file (see local_backend.h).
#include "planner/local_backend.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "planner/json_values.h"
#include "planner/state_json.h"

namespace orch {

using nlohmann::json;

namespace {

constexpr int kJournalVersion = 1;

BackendError error_of(BackendError::Kind kind, std::string message) {
  return BackendError{kind, std::move(message), std::nullopt};
}

BackendError io_error(const std::string& what, const std::string& path, int err) {
  return error_of(BackendError::Kind::Io,
                  fmt::format("{} \"{}\": {}", what, path, std::strerror(err)));
}

// Closes a file descriptor on scope exit unless released.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&& o) noexcept {
    if (fd_ >= 0 && fd_ != o.fd_) ::close(fd_);
    fd_ = o.release();
    return *this;
  }
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_;
};

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Reads a whole file through an open descriptor.
bool read_fd(int fd, std::string& out) {
  out.clear();
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) return true;
    out.append(buf, static_cast<size_t>(n));
  }
}

// 0: read; ENOENT: absent; other errno: failure.
int read_file(const std::string& path, std::string& out, struct stat* st = nullptr) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return errno;
  if (st && ::fstat(fd.get(), st) != 0) return errno;
  if (!read_fd(fd.get(), out)) return errno;
  return 0;
}

std::string ends_stripped(const std::string& path, std::string_view suffix) {
  if (path.size() > suffix.size() &&
      path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return path.substr(0, path.size() - suffix.size());
  }
  return path;
}

// True when `pid` on this host is certainly gone (not running, or a zombie).
bool process_is_gone(int64_t pid) {
  if (pid <= 0) return false;
  if (::kill(static_cast<pid_t>(pid), 0) != 0) return errno == ESRCH;
  std::string stat;
  if (read_file(fmt::format("/proc/{}/stat", pid), stat) != 0) return false;
  // "pid (comm) S ...": the state follows the last ')'.
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

std::string host_of(const std::string& who) {
  size_t at = who.rfind('@');
  return at == std::string::npos ? std::string() : who.substr(at + 1);
}

std::string locked_message(const LockInfo& holder) {
  return fmt::format(
      "Error acquiring the state lock: held by {}; if you are sure no one else is running, "
      "`orch force-unlock {}`",
      holder.describe(), holder.id);
}

bool same_file(int fd, const std::string& path) {
  struct stat a {
  }, b{};
  if (::fstat(fd, &a) != 0 || ::stat(path.c_str(), &b) != 0) return false;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

}  // namespace

LocalBackend::LocalBackend(LocalBackendOptions options) : options_(std::move(options)) {
  path_ = options_.path;
  std::string stem = ends_stripped(path_, ".json");
  journal_path_ = stem + ".journal";
  lock_path_ = stem + ".lock";
  backup_path_ = path_ + ".backup";
  dir_ = std::filesystem::path(path_).parent_path().string();
  if (dir_.empty()) dir_ = ".";
}

LocalBackend::~LocalBackend() {
  if (!pending_.empty()) (void)flush();  // records are facts about the world: keep them
  close_journal();
  if (lock_fd_ >= 0) (void)unlock(lock_id_);
}

std::string LocalBackend::describe() const {
  return fmt::format("local state file \"{}\"", path_);
}

LocalBackend::Fingerprint LocalBackend::fingerprint() const {
  Fingerprint fp;
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return fp;
  fp.exists = true;
  fp.dev = st.st_dev;
  fp.ino = st.st_ino;
  fp.size = st.st_size;
  fp.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return fp;
}

BackendStatus LocalBackend::ensure_dir() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec)
    return error_of(BackendError::Kind::Io,
                    fmt::format("cannot create directory \"{}\": {}", dir_, ec.message()));
  return std::nullopt;
}

BackendStatus LocalBackend::sync_dir() {
  if (injected("dir_sync")) return io_error("cannot sync directory", dir_, EIO);
  Fd fd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) return io_error("cannot sync directory", dir_, errno);
  return std::nullopt;
}

void LocalBackend::close_journal() {
  if (journal_fd_ >= 0) ::close(journal_fd_);
  journal_fd_ = -1;
}

BackendStatus LocalBackend::load(LoadedState& out) {
  out = LoadedState{};
  loaded_ = false;
  corrupt_ = false;
  close_journal();
  pending_.clear();

  std::string text;
  struct stat st {};
  int err = read_file(path_, text, &st);
  State state;
  if (err == 0) {
    loaded_fp_ =
        Fingerprint{true, st.st_dev, st.st_ino, st.st_size,
                    static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
    std::string e;
    if (!state_from_json_text(text, path_, state, &e)) {
      corrupt_ = true;
      return error_of(BackendError::Kind::Corrupt,
                      fmt::format("{}\norch will not overwrite this file. Repair it, or restore "
                                  "the previous snapshot from \"{}\".",
                                  e, backup_path_));
    }
    out.existed = true;
  } else if (err == ENOENT) {
    loaded_fp_ = Fingerprint{};
    state = State::fresh();
  } else {
    return io_error("cannot read state file", path_, err);
  }
  lineage_ = state.lineage;
  serial_ = state.serial;

  if (auto e = read_journal(state, out)) return e;
  loaded_ = true;
  if (journal_good_ >= 0) out.existed = true;

  // Fold only under our lock: without it, a running apply may still be appending.
  if (lock_fd_ >= 0 && journal_good_ >= 0) {
    if (out.journal_records > 0) {
      if (auto e = write_snapshot(state)) return e;
      out.folded = true;
    } else if (::unlink(journal_path_.c_str()) == 0 || errno == ENOENT) {
      journal_good_ = -1;  // nothing in it (already folded, or only a header)
    }
  }
  out.state = std::move(state);
  return std::nullopt;
}

BackendStatus LocalBackend::read_journal(State& state, LoadedState& out) {
  journal_good_ = -1;
  journal_size_ = 0;
  journal_needs_header_ = false;
  journal_needs_newline_ = false;
  std::string text;
  int err = read_file(journal_path_, text);
  if (err == ENOENT) return std::nullopt;
  if (err != 0) return io_error("cannot read state journal", journal_path_, err);
  journal_size_ = static_cast<off_t>(text.size());
  journal_good_ = 0;

  auto corrupt = [&](int line, const std::string& m) {
    return error_of(BackendError::Kind::Corrupt,
                    fmt::format("{}:{}: {}\norch will not change the state until this is "
                                "repaired (the last snapshot is \"{}\").",
                                journal_path_, line, m, path_));
  };
  size_t pos = 0;
  int line_no = 0;
  bool header_seen = false;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    bool complete = nl != std::string::npos;
    size_t end = complete ? nl : text.size();
    std::string_view line(text.data() + pos, end - pos);
    size_t next = complete ? nl + 1 : text.size();
    bool last = next >= text.size();
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
      pos = next;
      if (header_seen) journal_good_ = static_cast<off_t>(pos);
      continue;
    }
    std::string problem;
    if (!header_seen) {
      json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!j.is_object() || j.value("journal", 0) != kJournalVersion || !j.contains("lineage") ||
          !j["lineage"].is_string() || !j.contains("base_serial") ||
          !j["base_serial"].is_number_unsigned()) {
        if (last) {
          out.warnings.push_back(fmt::format(
              "{}:{}: ignoring a torn journal header (orch was interrupted while starting the "
              "journal; no step results were in it)",
              journal_path_, line_no));
          journal_needs_header_ = true;
          return std::nullopt;
        }
        return corrupt(line_no, "not a journal header");
      }
      std::string lineage = j["lineage"].get<std::string>();
      uint64_t base = j["base_serial"].get<uint64_t>();
      if (!out.existed) {
        // The first apply was interrupted before its first snapshot: the journal is all there is.
        state.lineage = lineage;
        lineage_ = lineage;
      }
      if (lineage != state.lineage) {
        return corrupt(line_no, fmt::format("journal belongs to another state (lineage {}, "
                                            "the snapshot's is {})",
                                            lineage, state.lineage));
      }
      if (base < state.serial) {
        // Folded into the snapshot already (interrupted after writing it): nothing to replay.
        journal_needs_header_ = true;
        return std::nullopt;
      }
      if (base > state.serial) {
        return corrupt(line_no,
                       fmt::format("journal continues snapshot serial {} but \"{}\" has serial "
                                   "{} (was the snapshot replaced by an older one?); move the "
                                   "journal aside to use the snapshot as it is",
                                   base, path_, state.serial));
      }
      header_seen = true;
      pos = next;
      journal_good_ = static_cast<off_t>(pos);
      continue;
    }
    StateChange change;
    Value record;
    JsonReadError re;
    if (!read_json_values(line, &state_value_sites(), record, &re)) {
      problem = re.syntax ? "not valid JSON" : "bad record: " + re.path + ": " + re.message;
    } else if (!change_from_value(record, change, &problem)) {
      problem = "bad record: " + problem;
    }
    if (!problem.empty()) {
      if (last) {
        out.warnings.push_back(fmt::format(
            "{}:{}: ignoring a torn last record ({}); orch was interrupted while writing it, and "
            "the step it described will be planned again",
            journal_path_, line_no, problem));
        return std::nullopt;
      }
      return corrupt(line_no, problem);
    }
    state.apply(change);
    ++out.journal_records;
    pos = next;
    journal_good_ = static_cast<off_t>(pos);
    journal_needs_newline_ = !complete;
  }
  if (!header_seen) journal_needs_header_ = true;
  return std::nullopt;
}

BackendStatus LocalBackend::open_journal() {
  if (auto e = ensure_dir()) return e;
  std::string header =
      json{{"journal", kJournalVersion}, {"lineage", lineage_}, {"base_serial", serial_}}.dump() +
      "\n";
  if (journal_good_ < 0) {
    Fd fd(::open(journal_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.get() < 0) {
      if (errno == EEXIST) {
        return error_of(BackendError::Kind::Conflict,
                        fmt::format("state journal \"{}\" appeared since the state was loaded: "
                                    "is another orch running without the lock?",
                                    journal_path_));
      }
      return io_error("cannot create state journal", journal_path_, errno);
    }
    ::fchmod(fd.get(), 0600);
    if (injected("journal_write") || !write_all(fd.get(), header)) {
      int e = errno ? errno : EIO;
      ::unlink(journal_path_.c_str());
      return io_error("cannot write state journal", journal_path_, e);
    }
    if (::fdatasync(fd.get()) != 0)
      return io_error("cannot sync state journal", journal_path_, errno);
    if (auto e = sync_dir()) return e;
    journal_fd_ = fd.release();
    journal_good_ = static_cast<off_t>(header.size());
    journal_size_ = journal_good_;
    return std::nullopt;
  }
  // Continue the journal found by load(): drop a torn tail first so records never follow it.
  Fd fd(::open(journal_path_.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) return io_error("cannot open state journal", journal_path_, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return io_error("cannot stat state journal", journal_path_, errno);
  if (st.st_size != journal_size_) {
    return error_of(BackendError::Kind::Conflict,
                    fmt::format("state journal \"{}\" changed since the state was loaded: is "
                                "another orch running without the lock?",
                                journal_path_));
  }
  off_t keep = journal_needs_header_ ? 0 : journal_good_;
  if (::ftruncate(fd.get(), keep) != 0 || ::lseek(fd.get(), keep, SEEK_SET) < 0) {
    return io_error("cannot repair state journal", journal_path_, errno);
  }
  std::string prefix = journal_needs_header_ ? header : (journal_needs_newline_ ? "\n" : "");
  if (!prefix.empty()) {
    if (!write_all(fd.get(), prefix) || ::fdatasync(fd.get()) != 0) {
      return io_error("cannot write state journal", journal_path_, errno);
    }
  }
  journal_needs_header_ = false;
  journal_needs_newline_ = false;
  journal_good_ = keep + static_cast<off_t>(prefix.size());
  journal_size_ = journal_good_;
  journal_fd_ = fd.release();
  return std::nullopt;
}

BackendStatus LocalBackend::append(const StateChange& change) {
  if (!loaded_) {
    return error_of(BackendError::Kind::Usage, "state journal: append before load");
  }
  std::string e;
  if (!change_to_text(change, pending_, &e)) {
    return error_of(BackendError::Kind::Usage, "cannot record state change: " + e);
  }
  pending_ += '\n';
  return std::nullopt;
}

BackendStatus LocalBackend::flush() {
  if (pending_.empty()) return std::nullopt;
  if (journal_fd_ < 0) {
    if (auto e = open_journal()) return e;
  }
  bool ok = !injected("journal_write") && write_all(journal_fd_, pending_);
  int err = errno ? errno : EIO;
  if (ok &&
      (injected("journal_sync") || (options_.sync_journal && ::fdatasync(journal_fd_) != 0))) {
    ok = false;
    err = errno ? errno : EIO;
  }
  if (!ok) {
    // Cut a partial write off so that later records never follow a torn one.
    if (::ftruncate(journal_fd_, journal_size_) != 0 ||
        ::lseek(journal_fd_, journal_size_, SEEK_SET) < 0) {
      close_journal();
      loaded_ = false;  // the journal's tail is unknown now: load again before appending
    }
    return io_error("cannot write state journal", journal_path_, err);
  }
  journal_size_ += static_cast<off_t>(pending_.size());
  journal_good_ = journal_size_;
  pending_.clear();
  return std::nullopt;
}

BackendStatus LocalBackend::write_backup() {
  std::string tmp = backup_path_ + ".tmp";
  ::unlink(tmp.c_str());
  if (injected("backup"))
    return io_error("cannot keep a backup of the state in", backup_path_, EIO);
  // A hard link keeps the previous snapshot's inode without copying it.
  if (::link(path_.c_str(), tmp.c_str()) != 0) {
    std::string text;
    if (int err = read_file(path_, text); err != 0) {
      return io_error("cannot read state file", path_, err);
    }
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (fd.get() < 0 || !write_all(fd.get(), text) || ::fsync(fd.get()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      return io_error("cannot write state backup", tmp, err);
    }
  }
  if (::rename(tmp.c_str(), backup_path_.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return io_error("cannot write state backup", backup_path_, err);
  }
  // rename() does nothing when both names already link the same file (an unchanged snapshot).
  ::unlink(tmp.c_str());
  return std::nullopt;
}

BackendStatus LocalBackend::write_snapshot(State& state) {
  if (corrupt_) {
    return error_of(BackendError::Kind::Corrupt,
                    fmt::format("refusing to overwrite \"{}\": it could not be read", path_));
  }
  if (!loaded_) return error_of(BackendError::Kind::Usage, "state: write_snapshot before load");
  if (fingerprint() != loaded_fp_) {
    return error_of(BackendError::Kind::Conflict,
                    fmt::format("\"{}\" changed since it was read (another orch running without "
                                "the lock?); not overwriting it",
                                path_));
  }
  if (auto e = ensure_dir()) return e;
  uint64_t old_serial = state.serial;
  std::string old_version = state.orch_version;
  state.serial = serial_ + 1;
  state.orch_version = ORCH_VERSION;
  std::string text, e;
  if (!state_to_json_text(state, text, &e)) {
    state.serial = old_serial;
    state.orch_version = old_version;
    return error_of(BackendError::Kind::Usage, "cannot write state: " + e);
  }
  auto restore = [&](BackendError err) {
    state.serial = old_serial;
    state.orch_version = old_version;
    return err;
  };
  if (loaded_fp_.exists) {
    if (auto err = write_backup()) return restore(*err);
  }
  std::string tmp = fmt::format("{}.tmp.{}", path_, ::getpid());
  ::unlink(tmp.c_str());
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.get() < 0) return restore(io_error("cannot create", tmp, errno));
    ::fchmod(fd.get(), 0600);  // regardless of umask
    const char* step = nullptr;
    int err = 0;
    if (injected("snapshot_write") || !write_all(fd.get(), text)) {
      step = "cannot write";
    } else if (injected("snapshot_sync") || ::fsync(fd.get()) != 0) {
      step = "cannot sync";
    }
    if (step) {
      err = errno ? errno : EIO;
      ::unlink(tmp.c_str());
      return restore(io_error(step, tmp, err));
    }
  }
  if (injected("snapshot_rename") || ::rename(tmp.c_str(), path_.c_str()) != 0) {
    int err = errno ? errno : EIO;
    ::unlink(tmp.c_str());
    return restore(io_error(fmt::format("cannot rename \"{}\" to", tmp), path_, err));
  }
  loaded_fp_ = fingerprint();
  serial_ = state.serial;
  lineage_ = state.lineage;
  // The journal is folded into the snapshot now; a crash before this unlink leaves a journal
  // whose base serial is older than the snapshot's, which load() recognises and skips.
  close_journal();
  pending_.clear();
  if (::unlink(journal_path_.c_str()) != 0 && errno != ENOENT) {
    return io_error("cannot remove folded journal", journal_path_, errno);
  }
  journal_good_ = -1;
  journal_size_ = 0;
  journal_needs_header_ = false;
  journal_needs_newline_ = false;
  return sync_dir();
}

BackendStatus LocalBackend::lock(const LockInfo& info, std::vector<std::string>& warnings) {
  if (lock_fd_ >= 0) {
    return error_of(BackendError::Kind::Usage,
                    fmt::format("this process already holds the state lock {}", lock_id_));
  }
  if (auto e = ensure_dir()) return e;
  for (int attempt = 0; attempt < 5; ++attempt) {
    Fd fd(::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    bool created = fd.get() >= 0;
    if (!created) {
      if (errno != EEXIST) return io_error("cannot create lock file", lock_path_, errno);
      Fd existing(::open(lock_path_.c_str(), O_RDWR | O_CLOEXEC));
      if (existing.get() < 0) {
        if (errno == ENOENT) continue;  // released meanwhile: try again
        return io_error("cannot open lock file", lock_path_, errno);
      }
      std::string text;
      read_fd(existing.get(), text);
      std::optional<LockInfo> holder = LockInfo::from_json(text);
      if (::flock(existing.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) return io_error("cannot lock", lock_path_, errno);
        BackendError err = error_of(
            BackendError::Kind::Locked,
            holder ? locked_message(*holder)
                   : fmt::format("Error acquiring the state lock: \"{}\" is being taken by "
                                 "another process; try again",
                                 lock_path_));
        err.holder = holder;
        return err;
      }
      if (!same_file(existing.get(), lock_path_)) continue;  // unlinked meanwhile: retry
      // Nobody holds the flock: the holder is gone unless it lives on another host.
      if (holder) {
        std::string stale = fmt::format("lock held by {} (pid {}) is stale; the process is gone",
                                        holder->who, holder->pid);
        bool local = host_of(holder->who) == host_name();
        if (!local || !process_is_gone(holder->pid)) {
          std::string why = local ? fmt::format(
                                        "no process holds it, but pid {} is running on this host "
                                        "(perhaps reused)",
                                        holder->pid)
                                  : fmt::format(
                                        "it was taken on host \"{}\", where orch cannot check the "
                                        "process",
                                        host_of(holder->who));
          BackendError err = error_of(
              BackendError::Kind::Locked,
              fmt::format("Error acquiring the state lock: held by {}; the lock looks stale "
                          "({}); if you are sure no one else is running, `orch force-unlock {}`",
                          holder->describe(), why, holder->id));
          err.holder = holder;
          return err;
        }
        warnings.push_back(stale + "; taking the lock over");
      } else {
        warnings.push_back(fmt::format(
            "lock file \"{}\" has no holder information and no process holds it (its creator "
            "was killed while taking it); taking the lock over",
            lock_path_));
      }
      fd = Fd(existing.release());
    } else if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      continue;  // another process grabbed the new file first: look at it again
    }
    std::string text = info.to_json();
    if (::ftruncate(fd.get(), 0) != 0 || ::lseek(fd.get(), 0, SEEK_SET) < 0 ||
        !write_all(fd.get(), text) || ::fsync(fd.get()) != 0) {
      int err = errno;
      if (created) ::unlink(lock_path_.c_str());
      return io_error("cannot write lock file", lock_path_, err);
    }
    ::fchmod(fd.get(), 0600);
    if (created) (void)sync_dir();
    lock_fd_ = fd.release();
    lock_id_ = info.id;
    return std::nullopt;
  }
  return error_of(
      BackendError::Kind::Locked,
      fmt::format("Error acquiring the state lock: \"{}\" keeps changing; try again", lock_path_));
}

BackendStatus LocalBackend::unlock(const std::string& id) {
  if (lock_fd_ < 0) {
    return error_of(BackendError::Kind::NotLocked, "this process does not hold the state lock");
  }
  if (id != lock_id_) {
    return error_of(BackendError::Kind::LockMismatch,
                    fmt::format("lock ID {} does not match the held lock {}", id, lock_id_));
  }
  // Unlink only our own lock file: after a force-unlock the path may be someone else's.
  if (same_file(lock_fd_, lock_path_)) ::unlink(lock_path_.c_str());
  ::close(lock_fd_);
  lock_fd_ = -1;
  lock_id_.clear();
  return std::nullopt;
}

BackendStatus LocalBackend::lock_holder(std::optional<LockInfo>& out) {
  out.reset();
  std::string text;
  int err = read_file(lock_path_, text);
  if (err == ENOENT) return std::nullopt;
  if (err != 0) return io_error("cannot read lock file", lock_path_, err);
  out = LockInfo::from_json(text);
  if (!out) {
    return error_of(BackendError::Kind::Corrupt,
                    fmt::format("lock file \"{}\" holds no lock information", lock_path_));
  }
  return std::nullopt;
}

BackendStatus LocalBackend::force_unlock(const std::string& id) {
  std::optional<LockInfo> holder;
  if (auto e = lock_holder(holder)) {
    if (e->kind != BackendError::Kind::Corrupt) return e;
    return error_of(BackendError::Kind::LockMismatch,
                    e->message + "; if no orch is running, delete it by hand");
  }
  if (!holder) {
    return error_of(BackendError::Kind::NotLocked,
                    fmt::format("the state is not locked (no \"{}\")", lock_path_));
  }
  if (holder->id != id) {
    BackendError err =
        error_of(BackendError::Kind::LockMismatch,
                 fmt::format("lock ID \"{}\" does not match the current lock, held by {}", id,
                             holder->describe()));
    err.holder = holder;
    return err;
  }
  if (::unlink(lock_path_.c_str()) != 0 && errno != ENOENT) {
    return io_error("cannot remove lock file", lock_path_, errno);
  }
  if (lock_fd_ >= 0 && lock_id_ == id) {
    ::close(lock_fd_);
    lock_fd_ = -1;
    lock_id_.clear();
  }
  return sync_dir();
}

}  // namespace orch
