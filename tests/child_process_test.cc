// Tests of planner/child_process: exit codes, captured output, time limits with process-group
// kill, start failures, environment changes, and hundreds of children on one loop.
#include "planner/child_process.h"

#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace orch {
namespace {

using namespace std::chrono_literals;

ProcessResult run(ProcessSpec spec) {
  boost::asio::io_context io;
  ProcessResult out;
  bool called = false;
  start_process(io, std::move(spec), [&](ProcessResult r) {
    out = std::move(r);
    called = true;
  });
  io.run();
  EXPECT_TRUE(called);
  return out;
}

ProcessSpec sh(const std::string& script) {
  ProcessSpec s;
  s.argv = {"/bin/sh", "-c", script};
  return s;
}

// Alive and not a zombie (an orphan's zombie stays until PID 1 reaps it, which some container
// init processes never do).
bool process_alive(pid_t pid) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  std::string stat = testing::read_text("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

TEST(ChildProcess, ExitCodeAndOutputOfBothStreams) {
  ProcessResult r = run(sh("echo out; echo err >&2; exit 3"));
  EXPECT_TRUE(r.started);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.output, "out\nerr\n");
  EXPECT_EQ(r.output_bytes, 8u);
  EXPECT_EQ(r.describe(), "exit code 3");
  EXPECT_TRUE(run(sh("true")).ok());
}

TEST(ChildProcess, ProgramLookedUpInPath) {
  ProcessSpec s;
  s.argv = {"echo", "hello", "world"};
  ProcessResult r = run(s);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.output, "hello world\n");
}

TEST(ChildProcess, KeepsOnlyTheTailButOffersEveryChunk) {
  ProcessSpec s = sh("i=0; while [ $i -lt 2000 ]; do echo line$i; i=$((i+1)); done");
  s.keep_output = 100;
  std::string all;
  s.on_output = [&](std::string_view chunk) { all.append(chunk); };
  ProcessResult r = run(s);
  EXPECT_TRUE(r.ok());
  EXPECT_LE(r.output.size(), 100u);
  EXPECT_EQ(r.output_bytes, all.size());
  EXPECT_EQ(all.substr(0, 12), "line0\nline1\n");
  EXPECT_EQ(r.tail(2), "line1998\nline1999");
  EXPECT_EQ(all.substr(all.size() - r.output.size()), r.output);
}

TEST(ChildProcess, TimeLimitKillsTheWholeGroup) {
  testing::TempDir dir;
  const std::string pidfile = dir.file("grandchild.pid");
  // The grandchild ignores SIGTERM: only the SIGKILL after the grace period ends it.
  ProcessSpec s =
      sh("sh -c 'trap \"\" TERM; sleep 30' & echo $! > " + pidfile + "; echo started; sleep 30");
  s.time_limit = 300ms;
  s.kill_grace = 200ms;
  auto t0 = std::chrono::steady_clock::now();
  ProcessResult r = run(s);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.describe(), "timed out after 300ms");
  EXPECT_EQ(r.output, "started\n");
  EXPECT_LT(took, 5s);
  pid_t grandchild = std::stoi(testing::read_text(pidfile));
  for (int i = 0; i < 100 && process_alive(grandchild); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(process_alive(grandchild));
}

TEST(ChildProcess, ABackgroundGrandchildDoesNotHoldTheResult) {
  testing::TempDir dir;
  const std::string pidfile = dir.file("bg.pid");
  auto t0 = std::chrono::steady_clock::now();
  ProcessResult r = run(sh("sleep 3 & echo $! > " + pidfile + "; echo done; exit 4"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.output, "done\n");
  kill(std::stoi(testing::read_text(pidfile)), SIGKILL);
}

TEST(ChildProcess, StartFailureIsReported) {
  ProcessSpec s;
  s.argv = {"/nonexistent/program"};
  ProcessResult r = run(s);
  EXPECT_FALSE(r.started);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.describe().find("cannot start /nonexistent/program"), std::string::npos)
      << r.describe();
  ProcessSpec empty;
  EXPECT_EQ(run(empty).describe(), "no program to run");
}

TEST(ChildProcess, SignalIsReported) {
  ProcessResult r = run(sh("kill -9 $$"));
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_NE(r.describe().find("killed by signal 9"), std::string::npos);
}

TEST(ChildProcess, EnvironmentChanges) {
  setenv("ORCH_CHILD_TEST_UNSET", "present", 1);
  ProcessSpec s = sh("echo \"${ORCH_CHILD_TEST_SET}|${ORCH_CHILD_TEST_UNSET:-gone}\"");
  s.env["ORCH_CHILD_TEST_SET"] = "a value";
  s.env["ORCH_CHILD_TEST_UNSET"] = std::nullopt;
  EXPECT_EQ(run(s).output, "a value|gone\n");
  unsetenv("ORCH_CHILD_TEST_UNSET");
}

TEST(ChildProcess, TerminateEndsItEarly) {
  boost::asio::io_context io;
  ProcessResult out;
  auto handle = start_process(io, sh("echo up; sleep 30"), [&](ProcessResult r) { out = r; });
  ASSERT_TRUE(handle);
  EXPECT_TRUE(handle->running());
  boost::asio::steady_timer t(io);
  t.expires_after(100ms);
  t.async_wait([&](auto) { handle->terminate(); });
  io.run();
  EXPECT_FALSE(handle->running());
  EXPECT_EQ(out.signal, SIGTERM);
  EXPECT_EQ(out.output, "up\n");
}

TEST(ChildProcess, DestroyingTheLoopKillsAndReaps) {
  pid_t pid = -1;
  {
    boost::asio::io_context io;
    auto handle = start_process(io, sh("sleep 30"), [](ProcessResult) {});
    ASSERT_TRUE(handle);
    pid = handle->pid();
    io.run_for(50ms);
    EXPECT_TRUE(process_alive(pid));
  }
  // Killed and reaped: not even a zombie remains.
  EXPECT_FALSE(process_alive(pid));
}

TEST(ChildProcess, HundredsInFlightOnOneLoop) {
  raise_open_files_limit();
  boost::asio::io_context io;
  constexpr int kCount = 400;
  int finished = 0, right = 0;
  for (int i = 0; i < kCount; ++i) {
    ProcessSpec s = sh("sleep 0.2; echo $0; exit $(( $0 % 5 ))");
    s.argv.push_back(std::to_string(i));
    start_process(io, std::move(s), [&, i](ProcessResult r) {
      ++finished;
      if (r.exit_code == i % 5 && r.output == std::to_string(i) + "\n") ++right;
    });
  }
  auto t0 = std::chrono::steady_clock::now();
  io.run();
  EXPECT_EQ(finished, kCount);
  EXPECT_EQ(right, kCount);
  // They ran at once, not one after another (400 × 0.2 s would be 80 s).
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 30s);
}

TEST(ShellQuote, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(shell_quote("chef-client"), "chef-client");
  EXPECT_EQ(shell_quote("/usr/bin/x=1,a.b:c@d%e+f"), "/usr/bin/x=1,a.b:c@d%e+f");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
  // Round trip through a real shell.
  ProcessResult r = run(sh("printf '%s' " + shell_quote("it's a \"test\" $HOME `x` \\ \n end")));
  EXPECT_EQ(r.output, "it's a \"test\" $HOME `x` \\ \n end");
}

TEST(ProcessResultTail, LastNonEmptyLines) {
  ProcessResult r;
  r.output = "a\n\nb\r\nc\n\n";
  EXPECT_EQ(r.tail(2), "b\nc");
  EXPECT_EQ(r.tail(10), "a\nb\nc");
  EXPECT_EQ(r.tail(0), "");
}

}  // namespace
}  // namespace orch
