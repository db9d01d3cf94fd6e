// Runs one command on many hosts through ssh child processes on the loop: at most N sessions at
// once per provider (SessionPool) and per request, a time limit per host, ssh's own transient
// failures tried again, no new host started once too many have failed, and each run's output
// streamed to a log file that is kept only when the run failed.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "planner/child_process.h"
#include "planner/clock.h"

namespace boost::asio {
class io_context;
}

namespace orch {

// A counting semaphore on the loop: at most `limit` sessions at once, the others wait in order.
class SessionPool {
 public:
  explicit SessionPool(int limit = 64) : limit_(limit < 1 ? 1 : limit) {}
  void set_limit(int limit) { limit_ = limit < 1 ? 1 : limit; }
  int limit() const { return limit_; }
  // Calls `start` now when a session is free, otherwise when one is released.
  void acquire(std::function<void()> start);
  void release();
  int in_use() const { return in_use_; }
  size_t waiting() const { return waiting_.size(); }

 private:
  int limit_;
  int in_use_ = 0;
  std::deque<std::function<void()>> waiting_;
};

struct HostOutcome {
  std::string host;
  ProcessResult result;  // of the last attempt; not started when skipped
  int attempts = 0;
  bool skipped = false;  // never started: too many hosts had failed already
  std::string log_file;  // the full output of a failed run ("" when it succeeded)

  // Set by the caller when the host counts as failed whatever the run said (a converge that
  // exited 0 but did not save the node): what describe() reports.
  std::string problem;

  bool ok() const { return !skipped && problem.empty() && result.ok(); }
  // "exit code 1", "timed out after 30m", "not started: 3 hosts had failed (max_failures = 2)".
  std::string describe() const;
};

struct RemoteRunRequest {
  std::vector<std::string> hosts;
  // The command line that reaches `host` (ssh_argv) and runs the command there.
  std::function<std::vector<std::string>(const std::string& host)> argv;
  std::map<std::string, std::optional<std::string>> env;  // changes to ssh's environment
  Duration time_limit{0};                                 // per host, ssh included (0: none)
  int concurrency = 0;  // at most this many hosts of this request at once (0: pool only)
  int connect_attempts = 3;
  Duration retry_delay{1000};  // before the 2nd attempt; doubled each time
  // Once more than this many hosts failed, hosts not yet started are skipped (-1: never).
  int max_failures = -1;
  std::string log_dir;             // failed runs' output goes to LOG_DIR/<host>.log ("": nowhere)
  size_t keep_output = 16 * 1024;  // the tail kept in memory per host
  std::function<void(const HostOutcome&)> on_host_done;  // progress, on the loop
};

// Runs the request; `done` gets one outcome per host, in the order of `hosts`.
void run_remote(boost::asio::io_context& io, SessionPool& pool, RemoteRunRequest request,
                std::function<void(std::vector<HostOutcome>)> done);

// What failed, for an error message: "the command failed on 2 of 5 hosts (max_failures = 0):"
// then, per failed host (at most 10), its outcome, its log file (relative to `work_dir` when
// inside it) and the last `tail_lines` lines of its output.
std::string failure_report(const std::vector<HostOutcome>& outcomes, const std::string& what,
                           const std::string& noun, int max_failures, const std::string& work_dir,
                           int tail_lines = 5);

// The per-host lines of failure_report alone, each starting with a line break.
std::string failure_lines(const std::vector<HostOutcome>& outcomes, const std::string& noun,
                          const std::string& work_dir, int tail_lines = 5);

// A file name for a host or an address: letters, digits and ._@-[] kept, others become '_'.
std::string log_file_name(const std::string& text);

}  // namespace orch
