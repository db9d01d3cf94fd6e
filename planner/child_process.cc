// Child processes on the Asio loop (see child_process.h).
#include "planner/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "compiler/duration.h"

extern char** environ;

namespace orch {

namespace asio = boost::asio;

namespace {

// After the process exits, how long to wait for its output pipe to close: a background
// grandchild (an ssh ControlMaster, `cmd &`) may hold it open for much longer.
constexpr Duration kOutputGrace{100};

std::vector<std::string> child_environment(
    const std::map<std::string, std::optional<std::string>>& changes) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    std::string name(entry.substr(0, eq));
    if (!changes.count(name)) env.emplace_back(entry);
  }
  for (const auto& [name, value] : changes)
    if (value) env.push_back(name + "=" + *value);
  return env;
}

struct Child final : ProcessHandle, std::enable_shared_from_this<Child> {
  explicit Child(asio::io_context& io)
      : out(io), exit_fd(io), limit_timer(io), kill_timer(io), poll_timer(io), grace_timer(io) {}

  ~Child() override {
    // The loop went away (or nobody waited): leave no process behind.
    if (pid_ > 0 && !exited) {
      kill(-pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  pid_t pid() const override { return pid_; }
  bool running() const override { return !exited; }
  void terminate() override {
    if (exited || terminating) return;
    terminating = true;
    kill(-pid_, SIGTERM);
    auto self = shared_from_this();
    kill_timer.expires_after(grace);
    kill_timer.async_wait([self](const boost::system::error_code& ec) {
      if (!ec && !self->exited) kill(-self->pid_, SIGKILL);
    });
  }

  asio::posix::stream_descriptor out;      // read end of the child's stdout+stderr
  asio::posix::stream_descriptor exit_fd;  // pidfd: readable when the child exits
  asio::steady_timer limit_timer;          // the time limit
  asio::steady_timer kill_timer;           // SIGKILL after SIGTERM
  asio::steady_timer poll_timer;           // waitpid polling when pidfds are unavailable
  asio::steady_timer grace_timer;          // output still open after the exit
  std::array<char, 16384> buffer{};
  pid_t pid_ = -1;
  Duration grace{2000};
  size_t keep = 0;
  bool exited = false;
  bool terminating = false;
  bool output_closed = false;
  bool finished = false;
  int status = 0;
  std::chrono::steady_clock::time_point started_at;
  ProcessResult result;
  std::function<void(std::string_view)> on_output;
  std::function<void(ProcessResult)> done;

  void take(const char* data, size_t n) {
    if (n == 0) return;
    result.output_bytes += n;
    if (on_output) on_output(std::string_view(data, n));
    if (keep == 0) return;
    result.output.append(data, n);
    if (result.output.size() > keep) result.output.erase(0, result.output.size() - keep);
  }

  void read_output() {
    auto self = shared_from_this();
    out.async_read_some(asio::buffer(buffer),
                        [self](const boost::system::error_code& ec, size_t n) {
                          if (self->finished) return;
                          self->take(self->buffer.data(), n);
                          if (ec) {
                            self->output_closed = true;
                            return self->maybe_finish();
                          }
                          self->read_output();
                        });
  }

  bool reap() {
    int st = 0;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      status = r == pid_ ? st : -1;
      exited = true;
      limit_timer.cancel();
      kill_timer.cancel();
      // After a timeout, what the group left behind goes too.
      if (result.timed_out || terminating) kill(-pid_, SIGKILL);
      return true;
    }
    return false;
  }

  void watch_exit() {
    auto self = shared_from_this();
    auto next = [self](const boost::system::error_code&) {
      if (self->finished) return;
      if (!self->reap()) return self->watch_exit();
      self->maybe_finish();
    };
    if (exit_fd.is_open()) {
      exit_fd.async_wait(asio::posix::stream_descriptor::wait_read, next);
    } else {
      poll_timer.expires_after(std::chrono::milliseconds(20));
      poll_timer.async_wait(next);
    }
  }

  void maybe_finish() {
    if (!exited || finished) return;
    if (!output_closed) {
      // Give the pipe a moment to drain and close; then stop reading it.
      auto self = shared_from_this();
      grace_timer.expires_after(kOutputGrace);
      grace_timer.async_wait([self](const boost::system::error_code& ec) {
        if (ec || self->finished) return;
        self->output_closed = true;
        self->finish();
      });
      return;
    }
    finish();
  }

  void finish() {
    if (finished) return;
    finished = true;
    grace_timer.cancel();
    boost::system::error_code ignored;
    out.close(ignored);
    exit_fd.close(ignored);
    if (status >= 0 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (status >= 0 && WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    if (status < 0) result.start_error = "the exit status could not be collected";
    result.elapsed =
        std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - started_at);
    auto cb = std::move(done);
    done = nullptr;
    if (cb) cb(std::move(result));
  }
};

ProcessResult not_started(std::string why) {
  ProcessResult r;
  r.start_error = std::move(why);
  return r;
}

}  // namespace

std::shared_ptr<ProcessHandle> start_process(asio::io_context& io, ProcessSpec spec,
                                             std::function<void(ProcessResult)> done) {
  if (spec.argv.empty()) {
    done(not_started("no program to run"));
    return nullptr;
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    done(not_started(std::string("cannot create a pipe: ") + std::strerror(errno)));
    return nullptr;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own group, so that a time limit ends its children too (and a terminal's Ctrl-C reaches
  // orch, which decides); default signal dispositions and an empty mask whatever orch set.
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t empty, defaults;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attr, &empty);
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigaddset(&defaults, s);
  posix_spawnattr_setsigdefault(&attr, &defaults);

  std::vector<char*> argv;
  for (auto& a : spec.argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings = child_environment(spec.env);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    done(not_started(fmt::format("cannot start {}: {}", spec.argv[0], std::strerror(rc))));
    return nullptr;
  }

  auto child = std::make_shared<Child>(io);
  child->pid_ = pid;
  child->result.time_limit = spec.time_limit;
  child->started_at = std::chrono::steady_clock::now();
  child->grace = spec.kill_grace;
  child->keep = spec.keep_output;
  child->on_output = std::move(spec.on_output);
  child->done = std::move(done);
  child->result.started = true;
  child->out.assign(fds[0]);
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    fcntl(pidfd, F_SETFD, FD_CLOEXEC);
    child->exit_fd.assign(pidfd);
  }
  if (spec.time_limit.count() > 0) {
    child->limit_timer.expires_after(spec.time_limit);
    std::weak_ptr<Child> weak = child;
    child->limit_timer.async_wait([weak](const boost::system::error_code& ec) {
      auto c = weak.lock();
      if (ec || !c || c->exited) return;
      c->result.timed_out = true;
      c->terminate();
    });
  }
  child->result.output.reserve(std::min<size_t>(child->keep, 4096));
  child->read_output();
  child->watch_exit();
  return child;
}

std::string ProcessResult::describe() const {
  if (!started) return start_error.empty() ? "not started" : start_error;
  if (timed_out) return "timed out after " + format_duration(time_limit);
  if (signal != 0) return fmt::format("killed by signal {} ({})", signal, strsignal(signal));
  if (!start_error.empty()) return start_error;
  return fmt::format("exit code {}", exit_code);
}

std::string ProcessResult::tail(int lines) const {
  std::vector<std::string_view> kept;
  std::string_view text(output);
  while (!text.empty() && static_cast<int>(kept.size()) < lines) {
    auto nl = text.find_last_of('\n');
    std::string_view line = nl == std::string_view::npos ? text : text.substr(nl + 1);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(0, nl);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (!line.empty()) kept.push_back(line);
  }
  std::string out;
  for (auto it = kept.rbegin(); it != kept.rend(); ++it) {
    if (!out.empty()) out += '\n';
    out += *it;
  }
  return out;
}

size_t raise_open_files_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit want = lim;
    want.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) lim = want;
  }
  return lim.rlim_cur == RLIM_INFINITY ? SIZE_MAX : static_cast<size_t>(lim.rlim_cur);
}

std::string shell_quote(std::string_view s) {
  auto plain = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::strchr("_@%+=:,./-", c) != nullptr;
  };
  bool needs = s.empty();
  for (char c : s)
    if (!plain(c) || c == '\0') needs = true;
  if (!needs) return std::string(s);
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  out += '\'';
  return out;
}

}  // namespace orch
