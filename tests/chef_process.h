// Runs build/fake_chef as a child process for CLI tests: started with the test client's public
// key on a free port (read from --port-file), stopped with SIGTERM when the object goes away.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.h"

namespace orch::testing {

class FakeChefProcess {
 public:
  explicit FakeChefProcess(std::vector<std::string> extra = {}) {
    port_file_ = dir_.file("port");
    std::vector<std::string> args = {ORCH_BINARY_DIR "/fake_chef", "--client",
                                     "orch-ci=" ORCH_SOURCE_DIR
                                     "/tests/testdata/chef/test_client.pub",
                                     "--port-file", port_file_};
    for (auto& a : extra) args.push_back(a);
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      std::string log = dir_.file("log");
      FILE* out = std::freopen(log.c_str(), "w", stdout);
      (void)out;
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    for (int i = 0; i < 500 && port_.empty(); ++i) {
      std::string p = read_text(port_file_);
      if (!p.empty() && p.back() == '\n') port_ = p.substr(0, p.size() - 1);
      if (port_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~FakeChefProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  FakeChefProcess(const FakeChefProcess&) = delete;
  FakeChefProcess& operator=(const FakeChefProcess&) = delete;

  bool ok() const { return !port_.empty(); }
  std::string base() const { return "http://127.0.0.1:" + port_; }
  std::string url() const { return base() + "/organizations/orch"; }

 private:
  TempDir dir_;
  std::string port_file_;
  std::string port_;
  pid_t pid_ = -1;
};

}  // namespace orch::testing
