// Runs the `orch` binary (ORCH_BINARY) in a directory and captures its exit code and output.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "tests/support/temp_dir.h"

namespace orch::testing {

struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};

// `args` is appended to the command line as is (quote what needs quoting); stdin is /dev/null.
inline RunResult run_orch(const std::string& dir, const std::string& args) {
  TempDir capture;
  std::string out = capture.file("out"), err = capture.file("err");
  std::string cmd = "cd '" + dir + "' && '" ORCH_BINARY "' " + args + " </dev/null >'" + out +
                    "' 2>'" + err + "'";
  int status = std::system(cmd.c_str());
  RunResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text(out);
  r.err = read_text(err);
  return r;
}

}  // namespace orch::testing
