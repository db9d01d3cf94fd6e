// A background `orch` process for tests (see orch_background.h).
#include "tests/support/orch_background.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace orch::testing {

BackgroundOrch::BackgroundOrch(const std::string& dir, const std::vector<std::string>& args) {
  err_path_ = dir + "/.orch-background-stderr";
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) std::abort();
  pid_ = ::fork();
  if (pid_ < 0) std::abort();
  if (pid_ == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(127);
    ::dup2(fds[1], STDOUT_FILENO);
    int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, STDIN_FILENO);
    int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(err, STDERR_FILENO);
    std::vector<std::string> argv_s = {ORCH_BINARY};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(ORCH_BINARY, argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  out_fd_ = fds[0];
}

BackgroundOrch::~BackgroundOrch() {
  if (pid_ > 0 && status_ < 0) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  std::error_code ec;
  std::filesystem::remove(err_path_, ec);
}

bool BackgroundOrch::read_some(std::chrono::milliseconds timeout) {
  if (eof_) return false;
  pollfd p{out_fd_, POLLIN, 0};
  int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (r <= 0) return false;
  char buf[4096];
  ssize_t n = ::read(out_fd_, buf, sizeof buf);
  if (n <= 0) {
    if (n < 0 && errno == EINTR) return false;
    eof_ = true;
    return false;
  }
  out_.append(buf, static_cast<size_t>(n));
  return true;
}

bool BackgroundOrch::wait_for_line(const std::string& text, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t checked = 0;  // complete lines before this offset were looked at
  while (true) {
    size_t nl;
    while ((nl = out_.find('\n', checked)) != std::string::npos) {
      if (out_.compare(checked, nl - checked, text) == 0 ||
          out_.substr(checked, nl - checked).find(text) != std::string::npos)
        return true;
      checked = nl + 1;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    read_some(std::min(left, std::chrono::milliseconds(100)));
    if (eof_ && out_.find('\n', checked) == std::string::npos) return false;
  }
}

void BackgroundOrch::signal(int sig) {
  if (pid_ > 0 && status_ < 0) ::kill(pid_, sig);
}

int BackgroundOrch::wait(std::chrono::milliseconds timeout) {
  if (status_ >= 0) return status_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    while (read_some(std::chrono::milliseconds(20))) {
    }
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      while (read_some(std::chrono::milliseconds(0))) {
      }
      return status_;
    }
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string BackgroundOrch::err() const {
  std::ifstream in(err_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool wait_for_file(const std::string& path, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!std::filesystem::exists(path)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace orch::testing
