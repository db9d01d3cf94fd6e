// Tests for planner/local_backend.h: snapshots (atomic, 0600, backup), journal replay and
// folding (torn last line, corrupt lines, stale journals), conflicts, and locks across
// processes (holder info, stale after kill -9, force-unlock).
#include "planner/local_backend.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "planner/state_json.h"
#include "tests/support/temp_dir.h"

namespace orch {
namespace {

using orch::testing::read_text;
using orch::testing::TempDir;
using orch::testing::write_text;

ResourceAddress addr(std::string_view text) {
  return *parse_address(text).address;
}

ResourceState machine(const std::string& id, const std::string& secret = "") {
  ResourceState r;
  r.type = "sim_machine";
  r.provider = "sim";
  r.id = id;
  r.attributes = {{"name", Value::string(id)}, {"size", Value::number(3)}};
  if (!secret.empty()) r.attributes["password"] = Value::string(secret).mark_sensitive();
  return r;
}

LocalBackendOptions opts(const TempDir& dir) {
  LocalBackendOptions o;
  o.path = dir.file(".orch/state.json");
  return o;
}

int mode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return st.st_mode & 0777;
}

LoadedState load_ok(Backend& b) {
  LoadedState l;
  auto e = b.load(l);
  EXPECT_FALSE(e) << e->message;
  return l;
}

void expect_ok(const BackendStatus& s) {
  EXPECT_FALSE(s) << s->message;
}

// A state with `n` machines written as the first snapshot.
State seed(const TempDir& dir, int n) {
  LocalBackend b(opts(dir));
  State s = load_ok(b).state;
  for (int i = 0; i < n; ++i) {
    s.apply(StateChange::put(addr("sim_machine.m[" + std::to_string(i) + "]"),
                             machine("m-" + std::to_string(i))));
  }
  expect_ok(b.write_snapshot(s));
  return s;
}

TEST(LocalBackendTest, FreshThenSnapshotIs0600AndVersioned) {
  TempDir dir;
  ::mode_t old = ::umask(0);  // the mode must not depend on the umask
  {
    LocalBackend b(opts(dir));
    LoadedState l = load_ok(b);
    EXPECT_FALSE(l.existed);
    EXPECT_EQ(l.state.serial, 0u);
    EXPECT_FALSE(l.state.lineage.empty());
    l.state.apply(StateChange::put(addr("sim_machine.a"), machine("a", "hunter2")));
    expect_ok(b.write_snapshot(l.state));
    EXPECT_EQ(l.state.serial, 1u);
    EXPECT_EQ(mode_of(b.snapshot_path()), 0600);
    EXPECT_FALSE(std::filesystem::exists(b.backup_path()));  // nothing to back up yet

    LocalBackend again(opts(dir));
    LoadedState l2 = load_ok(again);
    EXPECT_TRUE(l2.existed);
    EXPECT_EQ(l2.state.lineage, l.state.lineage);
    EXPECT_EQ(l2.state.serial, 1u);
    ASSERT_NE(l2.state.find(addr("sim_machine.a")), nullptr);
    EXPECT_EQ(*l2.state.find(addr("sim_machine.a")), machine("a", "hunter2"));
    EXPECT_TRUE(l2.state.find(addr("sim_machine.a"))->attributes.at("password").is_sensitive());
  }
  ::umask(old);
}

TEST(LocalBackendTest, BackupKeepsThePreviousSnapshot) {
  TempDir dir;
  seed(dir, 1);
  std::string first = read_text(dir.file(".orch/state.json"));
  LocalBackend b(opts(dir));
  State s = load_ok(b).state;
  s.apply(StateChange::remove(addr("sim_machine.m[0]")));
  expect_ok(b.write_snapshot(s));
  EXPECT_EQ(s.serial, 2u);
  EXPECT_EQ(read_text(b.backup_path()), first);
  EXPECT_NE(read_text(b.snapshot_path()), first);
  EXPECT_EQ(mode_of(b.backup_path()), 0600);
}

TEST(LocalBackendTest, FailedWritesLeaveTheOldSnapshotIntact) {
  TempDir dir;
  seed(dir, 3);
  std::string before = read_text(dir.file(".orch/state.json"));
  for (const char* step : {"backup", "snapshot_write", "snapshot_sync", "snapshot_rename"}) {
    SCOPED_TRACE(step);
    LocalBackendOptions o = opts(dir);
    o.fail_at = [step](std::string_view s) { return s == step; };
    LocalBackend b(o);
    State s = load_ok(b).state;
    s.apply(StateChange::remove(addr("sim_machine.m[1]")));
    BackendStatus e = b.write_snapshot(s);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind, BackendError::Kind::Io);
    EXPECT_NE(e->message.find(".orch/state.json"), std::string::npos) << e->message;
    EXPECT_EQ(s.serial, 1u);  // unchanged on failure
    EXPECT_EQ(read_text(b.snapshot_path()), before);
    for (const auto& entry : std::filesystem::directory_iterator(dir.path() / ".orch")) {
      EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
    }
  }
  // And the state is still loadable as it was.
  LocalBackend b(opts(dir));
  EXPECT_EQ(load_ok(b).state.resources.size(), 3u);
}

TEST(LocalBackendTest, UnwritableDirectoryFailsCleanly) {
  if (::geteuid() == 0)
    GTEST_SKIP() << "root ignores directory permissions (fault injection covers this)";
  TempDir dir;
  seed(dir, 2);
  std::string before = read_text(dir.file(".orch/state.json"));
  std::filesystem::permissions(dir.path() / ".orch", std::filesystem::perms::owner_read |
                                                         std::filesystem::perms::owner_exec);
  LocalBackend b(opts(dir));
  State s = load_ok(b).state;
  s.resources.clear();
  EXPECT_TRUE(b.write_snapshot(s));
  std::filesystem::permissions(dir.path() / ".orch", std::filesystem::perms::owner_all);
  EXPECT_EQ(read_text(b.snapshot_path()), before);
}

TEST(LocalBackendTest, JournalReplaysWithoutLockAndFoldsUnderLock) {
  TempDir dir;
  State seeded = seed(dir, 2);
  {
    LocalBackend b(opts(dir));
    load_ok(b);
    expect_ok(b.record(StateChange::creating(addr("sim_machine.m[2]"), "sim_machine", "sim",
                                             "tok-2", "2026-11-25T07:00:00Z")));
    expect_ok(b.append(StateChange::put(addr("sim_machine.m[2]"), machine("m-2"))));
    expect_ok(b.append(StateChange::remove(addr("sim_machine.m[0]"))));
    expect_ok(b.flush());
    EXPECT_EQ(mode_of(b.journal_path()), 0600);
    // Simulate a crash: the journal stays, no new snapshot.
  }
  std::string snapshot_before = read_text(dir.file(".orch/state.json"));
  {
    LocalBackend reader(opts(dir));
    LoadedState l = load_ok(reader);
    EXPECT_EQ(l.journal_records, 3u);
    EXPECT_FALSE(l.folded);
    EXPECT_EQ(l.state.serial, 1u);
    EXPECT_EQ(l.state.find(addr("sim_machine.m[0]")), nullptr);
    ASSERT_NE(l.state.find(addr("sim_machine.m[2]")), nullptr);
    EXPECT_EQ(l.state.find(addr("sim_machine.m[2]"))->id, "m-2");
    // A reader without the lock changes nothing on disk.
    EXPECT_EQ(read_text(reader.snapshot_path()), snapshot_before);
    EXPECT_TRUE(std::filesystem::exists(reader.journal_path()));
  }
  LocalBackend owner(opts(dir));
  std::vector<std::string> warnings;
  LockInfo info = LockInfo::for_this_process("apply");
  expect_ok(owner.lock(info, warnings));
  LoadedState l = load_ok(owner);
  EXPECT_TRUE(l.folded);
  EXPECT_EQ(l.state.serial, 2u);  // one increment for the fold
  EXPECT_FALSE(std::filesystem::exists(owner.journal_path()));
  EXPECT_EQ(l.state.lineage, seeded.lineage);
  LocalBackend check(opts(dir));
  LoadedState c = load_ok(check);
  EXPECT_EQ(c.state.serial, 2u);
  EXPECT_EQ(c.journal_records, 0u);
  EXPECT_EQ(c.state.resources.size(), 2u);
  expect_ok(owner.unlock(info.id));
}

TEST(LocalBackendTest, TornLastLineIsIgnoredWithAWarning) {
  TempDir dir;
  seed(dir, 1);
  {
    LocalBackend b(opts(dir));
    load_ok(b);
    expect_ok(b.record(StateChange::put(addr("sim_machine.m[5]"), machine("m-5"))));
  }
  std::string journal = dir.file(".orch/state.journal");
  std::string good = read_text(journal);
  // Killed in the middle of writing the next record.
  write_text(journal, good + R"({"op":"put","resource":{"address":"sim_machine.m[6]","provi)");
  {
    LocalBackend b(opts(dir));
    LoadedState l = load_ok(b);
    EXPECT_EQ(l.journal_records, 1u);
    ASSERT_EQ(l.warnings.size(), 1u);
    EXPECT_NE(l.warnings[0].find("state.journal:3: ignoring a torn last record"), std::string::npos)
        << l.warnings[0];
    EXPECT_NE(l.state.find(addr("sim_machine.m[5]")), nullptr);
    EXPECT_EQ(l.state.find(addr("sim_machine.m[6]")), nullptr);
    // Appending after a torn tail first cuts the tail off: no record follows a torn one.
    expect_ok(b.record(StateChange::put(addr("sim_machine.m[7]"), machine("m-7"))));
  }
  LocalBackend b(opts(dir));
  LoadedState l = load_ok(b);
  EXPECT_TRUE(l.warnings.empty());
  EXPECT_EQ(l.journal_records, 2u);
  EXPECT_NE(l.state.find(addr("sim_machine.m[7]")), nullptr);
}

TEST(LocalBackendTest, CompleteRecordWithoutNewlineIsKept) {
  TempDir dir;
  seed(dir, 0);
  {
    LocalBackend b(opts(dir));
    load_ok(b);
    expect_ok(b.record(StateChange::put(addr("t.a"), machine("a"))));
  }
  std::string journal = dir.file(".orch/state.journal");
  std::string text = read_text(journal);
  write_text(journal, text.substr(0, text.size() - 1));  // lost only the newline
  {
    LocalBackend b(opts(dir));
    LoadedState l = load_ok(b);
    EXPECT_TRUE(l.warnings.empty());
    EXPECT_EQ(l.journal_records, 1u);
    expect_ok(b.record(StateChange::put(addr("t.b"), machine("b"))));
  }
  LocalBackend b(opts(dir));
  EXPECT_EQ(load_ok(b).journal_records, 2u);
}

TEST(LocalBackendTest, CorruptMiddleRecordIsAnError) {
  TempDir dir;
  seed(dir, 0);
  {
    LocalBackend b(opts(dir));
    load_ok(b);
    expect_ok(b.record(StateChange::put(addr("t.a"), machine("a"))));
    expect_ok(b.record(StateChange::put(addr("t.b"), machine("b"))));
  }
  std::string journal = dir.file(".orch/state.journal");
  std::string text = read_text(journal);
  size_t second = text.find('\n') + 1;
  text.replace(second, 5, "XXXXX");
  write_text(journal, text);
  LocalBackend b(opts(dir));
  LoadedState l;
  BackendStatus e = b.load(l);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, BackendError::Kind::Corrupt);
  EXPECT_NE(e->message.find("state.journal:2: not valid JSON"), std::string::npos) << e->message;
}

TEST(LocalBackendTest, CorruptSnapshotIsReportedAndNeverOverwritten) {
  TempDir dir;
  seed(dir, 2);
  std::string path = dir.file(".orch/state.json");
  std::string text = read_text(path);
  text.insert(text.find("\"serial\""), "garbage ");
  write_text(path, text);
  LocalBackend b(opts(dir));
  std::vector<std::string> warnings;
  LockInfo info = LockInfo::for_this_process("apply");
  expect_ok(b.lock(info, warnings));
  LoadedState l;
  BackendStatus e = b.load(l);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, BackendError::Kind::Corrupt);
  EXPECT_NE(e->message.find(path + ":4:3: state file is not valid JSON"), std::string::npos)
      << e->message;
  EXPECT_NE(e->message.find("state.json.backup"), std::string::npos) << e->message;
  State other = State::fresh();
  BackendStatus w = b.write_snapshot(other);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->kind, BackendError::Kind::Corrupt);
  EXPECT_EQ(read_text(path), text);
  expect_ok(b.unlock(info.id));
}

TEST(LocalBackendTest, FirstApplyInterruptedBeforeAnySnapshot) {
  TempDir dir;
  std::string lineage;
  {
    LocalBackend b(opts(dir));
    LoadedState l = load_ok(b);
    lineage = l.state.lineage;
    expect_ok(b.record(StateChange::put(addr("t.a"), machine("a"))));
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file(".orch/state.json")));
  LocalBackend b(opts(dir));
  LoadedState l = load_ok(b);
  EXPECT_TRUE(l.existed);
  EXPECT_EQ(l.state.lineage, lineage);  // the journal carries the lineage
  EXPECT_EQ(l.journal_records, 1u);
}

TEST(LocalBackendTest, AlreadyFoldedJournalIsSkipped) {
  TempDir dir;
  seed(dir, 0);
  std::string journal = dir.file(".orch/state.journal");
  {
    LocalBackend b(opts(dir));
    State s = load_ok(b).state;
    StateChange c = StateChange::put(addr("t.a"), machine("a"));
    expect_ok(b.record(c));
    s.apply(c);
    std::string saved = read_text(journal);
    expect_ok(b.write_snapshot(s));
    // Crash between the snapshot's rename and the journal's removal.
    write_text(journal, saved);
  }
  LocalBackend b(opts(dir));
  std::vector<std::string> warnings;
  LockInfo info = LockInfo::for_this_process("apply");
  expect_ok(b.lock(info, warnings));
  LoadedState l = load_ok(b);
  EXPECT_EQ(l.journal_records, 0u);
  EXPECT_EQ(l.state.serial, 2u);
  EXPECT_FALSE(std::filesystem::exists(journal));  // removed under the lock
  expect_ok(b.record(StateChange::put(addr("t.b"), machine("b"))));
  LocalBackend reader(opts(dir));
  EXPECT_EQ(load_ok(reader).journal_records, 1u);
  expect_ok(b.unlock(info.id));
}

TEST(LocalBackendTest, FailedJournalWriteLeavesNoPartialRecord) {
  TempDir dir;
  seed(dir, 0);
  LocalBackendOptions o = opts(dir);
  bool fail = false;
  o.fail_at = [&fail](std::string_view s) { return fail && s == "journal_write"; };
  LocalBackend b(o);
  load_ok(b);
  expect_ok(b.record(StateChange::put(addr("t.a"), machine("a"))));
  fail = true;
  BackendStatus e = b.record(StateChange::put(addr("t.b"), machine("b")));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, BackendError::Kind::Io);
  LocalBackend reader(opts(dir));
  LoadedState l = load_ok(reader);
  EXPECT_TRUE(l.warnings.empty());
  EXPECT_EQ(l.journal_records, 1u);
}

TEST(LocalBackendTest, ConcurrentWriterIsAConflict) {
  TempDir dir;
  seed(dir, 1);
  LocalBackend a(opts(dir)), b(opts(dir));
  State sa = load_ok(a).state, sb = load_ok(b).state;
  expect_ok(a.write_snapshot(sa));
  BackendStatus e = b.write_snapshot(sb);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, BackendError::Kind::Conflict);
  BackendStatus u = LocalBackend(opts(dir)).append(StateChange::remove(addr("t.a")));
  ASSERT_TRUE(u);
  EXPECT_EQ(u->kind, BackendError::Kind::Usage);  // append before load
}

// Runs `fn` in a child process that holds the lock until killed; returns its pid once locked.
pid_t child_holding_lock(const TempDir& dir, const std::string& operation) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    LocalBackend b(opts(dir));
    std::vector<std::string> warnings;
    char ok = b.lock(LockInfo::for_this_process(operation), warnings) ? 'n' : 'y';
    (void)!::write(fds[1], &ok, 1);
    for (;;) ::pause();
  }
  ::close(fds[1]);
  char ok = 0;
  (void)!::read(fds[0], &ok, 1);
  ::close(fds[0]);
  EXPECT_EQ(ok, 'y');
  return pid;
}

TEST(LocalBackendTest, SecondProcessIsRefusedWithHolderInfo) {
  TempDir dir;
  pid_t child = child_holding_lock(dir, "apply");
  ASSERT_GT(child, 0);
  LocalBackend b(opts(dir));
  std::vector<std::string> warnings;
  BackendStatus e = b.lock(LockInfo::for_this_process("plan"), warnings);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, BackendError::Kind::Locked);
  ASSERT_TRUE(e->holder);
  EXPECT_EQ(e->holder->pid, child);
  EXPECT_EQ(e->holder->operation, "apply");
  EXPECT_EQ(e->holder->who.substr(e->holder->who.find('@') + 1), host_name());
  std::string want = "Error acquiring the state lock: held by " + e->holder->who + " (pid " +
                     std::to_string(child) + ") for `orch apply` since " + e->holder->created +
                     ", lock ID " + e->holder->id +
                     "; if you are sure no one else is running, `orch force-unlock " +
                     e->holder->id + "`";
  EXPECT_EQ(e->message, want);
  std::optional<LockInfo> holder;
  expect_ok(b.lock_holder(holder));
  ASSERT_TRUE(holder);
  EXPECT_EQ(holder->id, e->holder->id);
  EXPECT_EQ(mode_of(b.lock_path()), 0600);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
}

TEST(LocalBackendTest, KilledHoldersLockIsStaleAndTakenOver) {
  TempDir dir;
  for (bool reap : {true, false}) {  // a zombie holder is as gone as a reaped one
    SCOPED_TRACE(reap ? "reaped" : "zombie");
    pid_t child = child_holding_lock(dir, "apply");
    ASSERT_GT(child, 0);
    ::kill(child, SIGKILL);
    if (reap) {
      ::waitpid(child, nullptr, 0);
    } else {
      // Wait until the kernel has released the child's files without reaping it.
      for (int i = 0; i < 1000; ++i) {
        siginfo_t si{};
        if (::waitid(P_PID, child, &si, WEXITED | WNOWAIT) == 0) break;
        ::usleep(1000);
      }
    }
    EXPECT_TRUE(std::filesystem::exists(dir.file(".orch/state.lock")));
    LocalBackend b(opts(dir));
    std::vector<std::string> warnings;
    LockInfo mine = LockInfo::for_this_process("apply");
    expect_ok(b.lock(mine, warnings));
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("(pid " + std::to_string(child) + ") is stale; the process is gone"),
              std::string::npos)
        << warnings[0];
    std::optional<LockInfo> holder;
    expect_ok(b.lock_holder(holder));
    EXPECT_EQ(holder->id, mine.id);
    expect_ok(b.unlock(mine.id));
    EXPECT_FALSE(std::filesystem::exists(b.lock_path()));
    if (!reap) ::waitpid(child, nullptr, 0);
  }
}

TEST(LocalBackendTest, StaleLockOfALiveOrRemoteProcessIsNotTakenOver) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / ".orch");
  LockInfo other = LockInfo::for_this_process("apply");
  other.pid = ::getppid();  // running, but holds no flock
  write_text(dir.file(".orch/state.lock"), other.to_json());
  LocalBackend b(opts(dir));
  std::vector<std::string> warnings;
  BackendStatus e = b.lock(LockInfo::for_this_process("apply"), warnings);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, BackendError::Kind::Locked);
  EXPECT_NE(e->message.find("is running on this host"), std::string::npos) << e->message;
  EXPECT_NE(e->message.find("orch force-unlock " + other.id), std::string::npos);

  other.who = "bob@elsewhere";
  other.pid = 999999;
  write_text(dir.file(".orch/state.lock"), other.to_json());
  e = b.lock(LockInfo::for_this_process("apply"), warnings);
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("taken on host \"elsewhere\""), std::string::npos) << e->message;
  EXPECT_TRUE(warnings.empty());
}

TEST(LocalBackendTest, ForceUnlockNeedsTheRightId) {
  TempDir dir;
  pid_t child = child_holding_lock(dir, "apply");
  ASSERT_GT(child, 0);
  LocalBackend b(opts(dir));
  std::optional<LockInfo> holder;
  expect_ok(b.lock_holder(holder));
  ASSERT_TRUE(holder);
  BackendStatus e = b.force_unlock("not-the-id");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, BackendError::Kind::LockMismatch);
  EXPECT_NE(e->message.find(holder->describe()), std::string::npos) << e->message;
  expect_ok(b.force_unlock(holder->id));
  std::vector<std::string> warnings;
  LockInfo mine = LockInfo::for_this_process("apply");
  expect_ok(b.lock(mine, warnings));
  EXPECT_TRUE(warnings.empty());
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  // Unlocking someone else's lock id is refused; ours works; a second unlock is NotLocked.
  EXPECT_EQ(b.unlock("x")->kind, BackendError::Kind::LockMismatch);
  expect_ok(b.unlock(mine.id));
  EXPECT_EQ(b.unlock(mine.id)->kind, BackendError::Kind::NotLocked);
  EXPECT_EQ(b.force_unlock(mine.id)->kind, BackendError::Kind::NotLocked);
}

TEST(LocalBackendTest, ScopedLockReleases) {
  TempDir dir;
  LocalBackend b(opts(dir));
  std::vector<std::string> warnings;
  {
    LockInfo info = LockInfo::for_this_process("state rm");
    expect_ok(b.lock(info, warnings));
    ScopedLock guard(&b, info.id);
    EXPECT_TRUE(std::filesystem::exists(b.lock_path()));
    // Within one process a second backend is refused too (flock is per open file).
    LocalBackend other(opts(dir));
    EXPECT_TRUE(other.lock(LockInfo::for_this_process("x"), warnings));
  }
  EXPECT_FALSE(std::filesystem::exists(b.lock_path()));
}

TEST(LocalBackendTest, OpenBackendFromConfig) {
  TempDir dir;
  std::string error;
  BackendConfig config;
  config.work_dir = dir.path().string();
  auto b = open_backend(config, &error);
  ASSERT_TRUE(b) << error;
  EXPECT_EQ(b->describe(), "local state file \"" + dir.file(".orch/state.json") + "\"");
  config.settings["path"] = Value::string("custom/my.json");
  b = open_backend(config, &error);
  ASSERT_TRUE(b) << error;
  LoadedState l;
  expect_ok(b->load(l));
  expect_ok(b->write_snapshot(l.state));
  EXPECT_TRUE(std::filesystem::exists(dir.file("custom/my.json")));
  config.settings["pth"] = Value::string("x");
  EXPECT_FALSE(open_backend(config, &error));
  EXPECT_NE(error.find("no setting `pth`"), std::string::npos) << error;
  config.settings.clear();
  config.type = "s3";
  EXPECT_FALSE(open_backend(config, &error));
  EXPECT_NE(error.find("unknown backend type \"s3\""), std::string::npos) << error;
}

}  // namespace
}  // namespace orch
