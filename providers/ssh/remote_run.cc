// Runs a command on many hosts (see remote_run.h).
#include "providers/ssh/remote_run.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <ctime>
#include <filesystem>
#include <memory>

#include "compiler/duration.h"
#include "providers/ssh/ssh_invocation.h"
#include "providers/ssh/step_plan.h"

namespace orch {

namespace asio = boost::asio;

void SessionPool::acquire(std::function<void()> start) {
  if (in_use_ < limit_) {
    ++in_use_;
    start();
    return;
  }
  waiting_.push_back(std::move(start));
}

void SessionPool::release() {
  if (in_use_ > 0) --in_use_;
  while (in_use_ < limit_ && !waiting_.empty()) {
    auto next = std::move(waiting_.front());
    waiting_.pop_front();
    ++in_use_;
    next();
  }
}

std::string HostOutcome::describe() const {
  if (!problem.empty()) return problem;
  if (skipped) return result.start_error;
  return result.describe();
}

std::string log_file_name(const std::string& text) {
  std::string out;
  for (char c : text) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '@' || c == '-' || c == '[' || c == ']';
    out += keep ? c : '_';
  }
  if (out.empty() || out == "." || out == "..") out = "_" + out;
  return out;
}

std::string failure_lines(const std::vector<HostOutcome>& outcomes, const std::string& noun,
                          const std::string& work_dir, int tail_lines) {
  constexpr size_t kShow = 10;
  std::vector<const HostOutcome*> failed;
  size_t skipped = 0;
  for (const auto& o : outcomes) {
    if (o.skipped)
      ++skipped;
    else if (!o.ok())
      failed.push_back(&o);
  }
  std::string out;
  const std::string prefix = work_dir.empty() ? "" : work_dir + "/";
  for (size_t i = 0; i < failed.size() && i < kShow; ++i) {
    const HostOutcome& o = *failed[i];
    out += fmt::format("\n  {}: {}", o.host, o.describe());
    if (!o.log_file.empty()) {
      std::string path = o.log_file;
      if (!prefix.empty() && path.rfind(prefix, 0) == 0) path = path.substr(prefix.size());
      out += fmt::format(" (log: {})", path);
    }
    const std::string tail = o.result.tail(tail_lines);
    size_t start = 0;
    while (!tail.empty() && start <= tail.size()) {
      size_t end = tail.find('\n', start);
      if (end == std::string::npos) end = tail.size();
      out += "\n    | " + tail.substr(start, end - start);
      start = end + 1;
    }
  }
  if (failed.size() > kShow) out += fmt::format("\n  and {} more", failed.size() - kShow);
  if (skipped > 0)
    out += fmt::format("\n  {} not started after too many failures", count_of(skipped, noun));
  return out;
}

std::string failure_report(const std::vector<HostOutcome>& outcomes, const std::string& what,
                           const std::string& noun, int max_failures, const std::string& work_dir,
                           int tail_lines) {
  const auto failed = std::count_if(outcomes.begin(), outcomes.end(),
                                    [](const HostOutcome& o) { return !o.skipped && !o.ok(); });
  std::string out =
      fmt::format("{} failed on {} of {}", what, failed, count_of(outcomes.size(), noun));
  if (max_failures >= 0) out += fmt::format(" (max_failures = {})", max_failures);
  return out + ":" + failure_lines(outcomes, noun, work_dir, tail_lines);
}

namespace {

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The log of one attempt: created when it starts, removed when it succeeds. Output may carry
// secrets of the host: the file is private (0600).
class LogFile {
 public:
  LogFile() = default;
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;
  ~LogFile() { close(); }

  bool open(const std::string& path) {
    close();
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd_ >= 0) path_ = path;
    return fd_ >= 0;
  }
  void write(std::string_view data) {
    while (fd_ >= 0 && !data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n <= 0) return;  // best effort: a full disk must not fail the run
      data.remove_prefix(static_cast<size_t>(n));
    }
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void remove() {
    close();
    if (!path_.empty()) ::unlink(path_.c_str());
    path_.clear();
  }
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

struct Run : std::enable_shared_from_this<Run> {
  Run(asio::io_context& i, SessionPool& p) : io(i), pool(p) {}
  asio::io_context& io;
  SessionPool& pool;
  RemoteRunRequest req;
  std::function<void(std::vector<HostOutcome>)> done;
  std::vector<HostOutcome> outcomes;
  size_t next = 0;
  int active = 0;
  size_t finished = 0;
  int failures = 0;
  bool log_dir_ready = false;

  int concurrency() const {
    return req.concurrency > 0 ? req.concurrency : static_cast<int>(req.hosts.size());
  }

  bool too_many_failures() const { return req.max_failures >= 0 && failures > req.max_failures; }

  void pump() {
    while (active < concurrency() && next < req.hosts.size()) {
      size_t i = next++;
      if (too_many_failures()) {
        skip(i);
        continue;
      }
      ++active;
      auto self = shared_from_this();
      pool.acquire([self, i] { self->attempt(i); });
    }
    if (finished == req.hosts.size() && done) {
      auto cb = std::move(done);
      done = nullptr;
      cb(std::move(outcomes));
    }
  }

  void skip(size_t i) {
    HostOutcome& o = outcomes[i];
    o.skipped = true;
    o.result.start_error = fmt::format("not started: {} host{} had failed (max_failures = {})",
                                       failures, failures == 1 ? "" : "s", req.max_failures);
    ++finished;
    if (req.on_host_done) req.on_host_done(o);
  }

  void attempt(size_t i) {
    HostOutcome& o = outcomes[i];
    if (o.attempts == 0 && too_many_failures()) {
      // Failures came in while this host waited for a session: it does not start. Hand the
      // session back from the loop, not from inside the pool's own call.
      auto self = shared_from_this();
      asio::post(io, [self, i] {
        self->pool.release();
        --self->active;
        self->skip(i);
        self->pump();
      });
      return;
    }
    ++o.attempts;
    auto log = std::make_shared<LogFile>();
    if (!req.log_dir.empty()) {
      if (!log_dir_ready) {
        std::error_code ec;
        std::filesystem::create_directories(req.log_dir, ec);
        std::filesystem::permissions(req.log_dir, std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::replace, ec);
        log_dir_ready = true;
      }
      if (log->open(req.log_dir + "/" + log_file_name(o.host) + ".log"))
        log->write(
            fmt::format("# orch: {} attempt {} started {}\n", o.host, o.attempts, utc_now()));
    }
    ProcessSpec spec;
    spec.argv = req.argv(o.host);
    spec.env = req.env;
    spec.time_limit = req.time_limit;
    spec.keep_output = req.keep_output;
    spec.on_output = [log](std::string_view chunk) { log->write(chunk); };
    auto self = shared_from_this();
    start_process(io, std::move(spec), [self, i, log](ProcessResult r) {
      // Never re-enter the pool from inside start_process (a failed spawn answers at once).
      asio::post(self->io, [self, i, log, r = std::move(r)]() mutable {
        self->attempt_done(i, *log, std::move(r));
      });
    });
  }

  void attempt_done(size_t i, LogFile& log, ProcessResult r) {
    HostOutcome& o = outcomes[i];
    const bool retry = r.started && !r.timed_out && o.attempts < req.connect_attempts &&
                       is_transient_ssh_failure(r.exit_code, r.tail(3));
    log.write(fmt::format("\n# orch: {} after {}{}\n", r.describe(), format_duration(r.elapsed),
                          retry ? "; trying again" : ""));
    if (r.ok())
      log.remove();
    else
      log.close();
    o.result = std::move(r);
    if (!retry && !o.result.ok()) ++failures;  // before the session goes to a waiting host
    pool.release();
    if (retry) {
      auto timer = std::make_shared<asio::steady_timer>(io);
      timer->expires_after(req.retry_delay * (1 << (o.attempts - 1)));
      auto self = shared_from_this();
      timer->async_wait([self, i, timer](const boost::system::error_code&) {
        self->pool.acquire([self, i] { self->attempt(i); });
      });
      return;
    }
    o.log_file = o.result.ok() ? "" : log.path();
    --active;
    ++finished;
    if (req.on_host_done) req.on_host_done(o);
    pump();
  }
};

}  // namespace

void run_remote(asio::io_context& io, SessionPool& pool, RemoteRunRequest request,
                std::function<void(std::vector<HostOutcome>)> done) {
  auto run = std::make_shared<Run>(io, pool);
  run->outcomes.resize(request.hosts.size());
  for (size_t i = 0; i < request.hosts.size(); ++i) run->outcomes[i].host = request.hosts[i];
  run->req = std::move(request);
  run->done = std::move(done);
  run->pump();
}

}  // namespace orch
