// Runs the `orch` binary (ORCH_BINARY) in the background, for tests that interrupt, kill or race
// it: its standard output is read as it comes (wait for a line), signals can be sent, and it is
// killed and reaped when the object goes away.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace orch::testing {

class BackgroundOrch {
 public:
  // Starts `orch ARGS` in `dir` (stdin /dev/null, stderr to a file).
  BackgroundOrch(const std::string& dir, const std::vector<std::string>& args);
  ~BackgroundOrch();
  BackgroundOrch(const BackgroundOrch&) = delete;
  BackgroundOrch& operator=(const BackgroundOrch&) = delete;

  // Reads output until a line containing `text` arrives; true when it did within `timeout`.
  bool wait_for_line(const std::string& text, std::chrono::milliseconds timeout);
  void signal(int sig);
  // Waits for the process to end: its exit code, 128 + signal when killed, -1 on timeout.
  int wait(std::chrono::milliseconds timeout);

  pid_t pid() const { return pid_; }
  const std::string& out() const { return out_; }  // standard output read so far
  std::string err() const;                         // standard error (the file)

 private:
  // Reads what is available within `timeout`; false at end of file.
  bool read_some(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  bool eof_ = false;
  int status_ = -1;
  std::string out_;
  std::string err_path_;
};

// Waits until `path` exists (polling); false after `timeout`.
bool wait_for_file(const std::string& path, std::chrono::milliseconds timeout);

}  // namespace orch::testing
