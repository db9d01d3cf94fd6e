// End-to-end tests of `orch state list|show|rm|mv` and `orch force-unlock` through the binary.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "planner/local_backend.h"
#include "tests/support/run_orch.h"

namespace orch {
namespace {

using orch::testing::run_orch;
using orch::testing::TempDir;

ResourceAddress addr(std::string_view text) {
  return *parse_address(text).address;
}

LocalBackendOptions opts(const TempDir& dir) {
  LocalBackendOptions o;
  o.path = dir.file(".orch/state.json");
  return o;
}

void seed(const TempDir& dir) {
  LocalBackend b(opts(dir));
  LoadedState l;
  ASSERT_FALSE(b.load(l));
  for (const char* a : {"sim_machine.node[0]", "sim_machine.node[1]", "sim_machine.node[10]",
                        "sim_task.setup", "module.db.sim_machine.primary"}) {
    ResourceState r;
    r.type = addr(a).type;
    r.provider = "sim";
    r.id = std::string("id-") + a;
    r.attributes = {{"name", Value::string(a)},
                    {"password", Value::string("hunter2").mark_sensitive()}};
    l.state.resources[addr(a)] = r;
  }
  ASSERT_FALSE(b.write_snapshot(l.state));
}

TEST(CmdStateTest, ListShowAndJson) {
  TempDir dir;
  seed(dir);
  auto r = run_orch(dir.path(), "state list");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "sim_machine.node[0]\nsim_machine.node[1]\nsim_machine.node[10]\nsim_task.setup\n"
            "module.db.sim_machine.primary\n");
  r = run_orch(dir.path(), "state list module.db 'sim_machine.node[1]'");
  EXPECT_EQ(r.out, "sim_machine.node[1]\nmodule.db.sim_machine.primary\n");
  r = run_orch(dir.path(), "state list -json sim_task.setup");
  EXPECT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["resources"][0]["address"], "sim_task.setup");
  EXPECT_EQ(j["resources"][0]["id"], "id-sim_task.setup");

  r = run_orch(dir.path(), "state show 'sim_machine.node[10]'");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "# sim_machine.node[10]:\n"
            "resource \"sim_machine\" \"node\" {\n"
            "  id       = \"id-sim_machine.node[10]\"\n"
            "  name     = \"sim_machine.node[10]\"\n"
            "  password = (sensitive value)\n"
            "}\n");
  EXPECT_EQ(r.out.find("hunter2"), std::string::npos);

  r = run_orch(dir.path(), "state show 'sim_machine.node[x]'");
  EXPECT_EQ(r.code, 1);  // a usage error, as in Terraform
  EXPECT_NE(r.err.find("column 18"), std::string::npos) << r.err;
  r = run_orch(dir.path(), "state show sim_machine.gone");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "Error: no instance \"sim_machine.gone\" in state\n");
}

TEST(CmdStateTest, RmAndMvChangeTheStateOnce) {
  TempDir dir;
  seed(dir);
  auto r = run_orch(dir.path(), "state rm -dry-run sim_machine.node");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Would remove 3 resource instance(s)."), std::string::npos) << r.out;
  r = run_orch(dir.path(), "state rm 'sim_machine.node[0]' sim_task.nope");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("nothing was removed"), std::string::npos) << r.err;
  r = run_orch(dir.path(), "state rm 'sim_machine.node[0]'");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "Removed sim_machine.node[0]\nSuccessfully removed 1 resource instance(s).\n");

  r = run_orch(dir.path(), "state mv sim_machine.node module.web.sim_machine.node");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "Move \"sim_machine.node[1]\" to \"module.web.sim_machine.node[1]\"\n"
            "Move \"sim_machine.node[10]\" to \"module.web.sim_machine.node[10]\"\n"
            "Successfully moved 2 object(s).\n");
  r = run_orch(dir.path(), "state mv module.db module.database");
  EXPECT_EQ(r.code, 0) << r.err;
  r = run_orch(dir.path(), "state list");
  EXPECT_EQ(r.out,
            "sim_task.setup\nmodule.database.sim_machine.primary\n"
            "module.web.sim_machine.node[1]\nmodule.web.sim_machine.node[10]\n");
  r = run_orch(dir.path(), "state mv sim_task.setup sim_machine.setup");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("type must stay the same"), std::string::npos) << r.err;

  LocalBackend b(opts(dir));
  LoadedState l;
  ASSERT_FALSE(b.load(l));
  EXPECT_EQ(l.state.serial, 4u);  // seed + rm + 2 moves
  EXPECT_FALSE(std::filesystem::exists(b.lock_path()));
  EXPECT_TRUE(l.state.find(addr("module.web.sim_machine.node[1]"))
                  ->attributes.at("password")
                  .is_sensitive());
}

TEST(CmdStateTest, LockedStateRefusesAndForceUnlockReleases) {
  TempDir dir;
  seed(dir);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = ::fork();
  if (child == 0) {
    LocalBackend b(opts(dir));
    std::vector<std::string> warnings;
    LockInfo info = LockInfo::for_this_process("apply");
    char ok = b.lock(info, warnings) ? 'n' : 'y';
    (void)!::write(fds[1], &ok, 1);
    for (;;) ::pause();
  }
  char ok = 0;
  (void)!::read(fds[0], &ok, 1);
  ASSERT_EQ(ok, 'y');
  LocalBackend b(opts(dir));
  std::optional<LockInfo> holder;
  ASSERT_FALSE(b.lock_holder(holder));
  ASSERT_TRUE(holder);

  auto r = run_orch(dir.path(), "state rm sim_task.setup");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("Error acquiring the state lock: held by " + holder->who + " (pid " +
                       std::to_string(child) + ") for `orch apply`"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("`orch force-unlock " + holder->id + "`"), std::string::npos) << r.err;
  // Reading needs no lock.
  EXPECT_EQ(run_orch(dir.path(), "state list sim_task.setup").out, "sim_task.setup\n");

  r = run_orch(dir.path(), "force-unlock " + holder->id);  // stdin is not a terminal
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("pass -force"), std::string::npos) << r.err;
  r = run_orch(dir.path(), "force-unlock -force wrong-id");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("does not match the current lock"), std::string::npos) << r.err;
  r = run_orch(dir.path(), "force-unlock -force " + holder->id);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("has been removed"), std::string::npos) << r.out;
  r = run_orch(dir.path(), "state rm sim_task.setup");
  EXPECT_EQ(r.code, 0) << r.err;
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  r = run_orch(dir.path(), "force-unlock -force " + holder->id);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("not locked"), std::string::npos) << r.err;
}

TEST(CmdStateTest, KilledHolderIsTakenOverWithAWarning) {
  TempDir dir;
  seed(dir);
  pid_t child = ::fork();
  if (child == 0) {
    LocalBackend b(opts(dir));
    std::vector<std::string> warnings;
    if (b.lock(LockInfo::for_this_process("apply"), warnings)) ::_exit(1);
    ::raise(SIGKILL);  // dies holding the lock
  }
  ::waitpid(child, nullptr, 0);
  auto r = run_orch(dir.path(), "state rm sim_task.setup");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("Warning: lock held by"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(pid " + std::to_string(child) + ") is stale; the process is gone"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace orch
