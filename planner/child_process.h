// Child processes on the Asio loop: started with posix_spawn in a process group of their own,
// exit watched through a pidfd (no thread, no SIGCHLD handler), stdout+stderr read through one
// pipe (the tail kept in memory, every chunk offered to a callback), and a time limit past which
// the whole group is terminated. Hundreds run at once on one loop (ssh runs, command gates).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "planner/clock.h"

namespace boost::asio {
class io_context;
}

namespace orch {

struct ProcessSpec {
  // argv[0] is looked up in PATH when it has no slash.
  std::vector<std::string> argv;
  // Changes to the inherited environment: a value sets the variable, nullopt removes it.
  std::map<std::string, std::optional<std::string>> env;
  // 0: no limit. Past it the process group gets SIGTERM, and SIGKILL `kill_grace` later.
  Duration time_limit{0};
  Duration kill_grace{2000};
  // How much of the end of the combined output is kept in ProcessResult::output.
  size_t keep_output = 64 * 1024;
  // Every chunk of output as it arrives (for log files); called on the loop.
  std::function<void(std::string_view)> on_output;
};

struct ProcessResult {
  bool started = false;
  std::string start_error;  // why it could not be started
  int exit_code = -1;       // when it exited normally
  int signal = 0;           // when a signal ended it
  bool timed_out = false;   // the time limit ended it
  std::string output;       // the last keep_output bytes of stdout+stderr
  size_t output_bytes = 0;  // all bytes it wrote
  Duration elapsed{0};
  Duration time_limit{0};  // the limit it ran under (0: none)

  bool ok() const { return started && !timed_out && signal == 0 && exit_code == 0; }
  // "exit code 2", "killed by signal 9 (Killed)", "timed out after 5s", "cannot start …".
  std::string describe() const;
  // The last `lines` non-empty lines of the output, without trailing newlines.
  std::string tail(int lines) const;
};

// A running child; lets the owner end it early. Outlives the process harmlessly.
class ProcessHandle {
 public:
  virtual ~ProcessHandle() = default;
  virtual pid_t pid() const = 0;
  virtual bool running() const = 0;
  // SIGTERM to the process group, SIGKILL after the grace period; `done` still runs.
  virtual void terminate() = 0;
};

// Starts the process; `done` is called once, on the loop (also when it could not start). If the
// loop is destroyed first, the process group is killed and reaped (no orphan, no zombie).
std::shared_ptr<ProcessHandle> start_process(boost::asio::io_context& io, ProcessSpec spec,
                                             std::function<void(ProcessResult)> done);

// Raises the soft limit of open files to the hard limit, once per process (each child holds
// two descriptors while it runs); returns the limit now in force.
size_t raise_open_files_limit();

// Quotes `s` for a POSIX shell: 'it'\''s' (unchanged when it needs no quoting).
std::string shell_quote(std::string_view s);

}  // namespace orch
