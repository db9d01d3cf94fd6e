// Runs the real `orch` binary (ORCH_BINARY) in tests: arguments, stdin, working directory and
// extra environment in; exit code, stdout and stderr out.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace orch::testing {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal number when killed by a signal
  std::string out;
  std::string err;
};

struct ProcessOptions {
  std::string stdin_text;
  std::string cwd;                         // empty: the test's working directory
  std::map<std::string, std::string> env;  // set (or, with an empty value, unset) for the run
};

ProcessResult run_orch_process(const std::vector<std::string>& args,
                               const ProcessOptions& opts = {});

}  // namespace orch::testing
