// The `command` readiness check (see gate_command.h).
#include "planner/gate_command.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <cstring>
#include <memory>

extern char** environ;

namespace orch {

namespace asio = boost::asio;

namespace {

constexpr size_t kKeepOutput = 2048;  // the tail of the output kept for messages

struct Child : std::enable_shared_from_this<Child> {
  Child(asio::io_context& io) : out(io), exit_fd(io), timer(io), poll_timer(io) {}
  asio::posix::stream_descriptor out;      // read end of the child's stdout+stderr
  asio::posix::stream_descriptor exit_fd;  // pidfd: readable when the child exits
  asio::steady_timer timer;                // the time limit
  asio::steady_timer poll_timer;           // waitpid polling when pidfds are unavailable
  std::array<char, 4096> buffer{};
  std::string output;
  pid_t pid = -1;
  int expected = 0;
  bool timed_out = false;
  bool exited = false;
  bool output_closed = false;
  int status = 0;
  std::string command;
  std::function<void(GateResult)> done;

  void read_output() {
    auto self = shared_from_this();
    out.async_read_some(asio::buffer(buffer),
                        [self](const boost::system::error_code& ec, size_t n) {
                          if (ec) {
                            self->output_closed = true;
                            return self->maybe_finish();
                          }
                          self->output.append(self->buffer.data(), n);
                          if (self->output.size() > kKeepOutput)
                            self->output.erase(0, self->output.size() - kKeepOutput);
                          self->read_output();
                        });
  }

  bool reap() {
    int st = 0;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) {
      status = r == pid ? st : -1;
      exited = true;
      timer.cancel();
      return true;
    }
    return false;
  }

  void watch_exit() {
    auto self = shared_from_this();
    if (exit_fd.is_open()) {
      exit_fd.async_wait(asio::posix::stream_descriptor::wait_read,
                         [self](const boost::system::error_code&) {
                           if (!self->reap()) return self->watch_exit();
                           self->maybe_finish();
                         });
      return;
    }
    poll_timer.expires_after(std::chrono::milliseconds(20));
    poll_timer.async_wait([self](const boost::system::error_code&) {
      if (!self->reap()) return self->watch_exit();
      self->maybe_finish();
    });
  }

  void maybe_finish() {
    // A grandchild may keep the pipe open after the shell exits: do not wait for it.
    if (!exited) return;
    if (!done) return;
    if (!output_closed) {
      // Take what the child wrote before exiting, without waiting for the pipe to close.
      boost::system::error_code ec;
      out.non_blocking(true, ec);
      while (!ec) {
        size_t n = out.read_some(asio::buffer(buffer), ec);
        output.append(buffer.data(), n);
      }
      if (output.size() > kKeepOutput) output.erase(0, output.size() - kKeepOutput);
      out.cancel(ec);
    }
    GateResult r;
    std::string tail = output;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
    if (auto nl = tail.rfind('\n'); nl != std::string::npos) tail = tail.substr(nl + 1);
    if (timed_out) {
      r.message = "command timed out";
    } else if (status >= 0 && WIFEXITED(status)) {
      int code = WEXITSTATUS(status);
      r.holds = code == expected;
      r.message = fmt::format("exit code {} (expected {})", code, expected);
    } else if (status >= 0 && WIFSIGNALED(status)) {
      r.message = fmt::format("killed by signal {}", WTERMSIG(status));
    } else {
      r.message = "could not collect the exit status";
    }
    if (!tail.empty() && !r.holds) r.message += ": " + tail;
    auto cb = std::move(done);
    done = nullptr;
    cb(r);
  }
};

}  // namespace

void run_gate_command(asio::io_context& io, const std::string& command, int expected_exit,
                      Duration limit, std::function<void(GateResult)> done) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    GateResult r;
    r.message = std::string("cannot create a pipe: ") + std::strerror(errno);
    return done(r);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group, so a timeout kills its children too
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, "/bin/sh", &actions, &attr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    GateResult r;
    r.message = std::string("cannot start /bin/sh: ") + std::strerror(rc);
    return done(r);
  }
  auto child = std::make_shared<Child>(io);
  child->pid = pid;
  child->expected = expected_exit;
  child->command = command;
  child->done = std::move(done);
  child->out.assign(fds[0]);
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) child->exit_fd.assign(pidfd);
  child->timer.expires_after(limit);
  child->timer.async_wait([child](const boost::system::error_code& ec) {
    if (ec || child->exited) return;
    child->timed_out = true;
    kill(-child->pid, SIGKILL);
  });
  child->read_output();
  child->watch_exit();
}

}  // namespace orch
