// The `command` readiness check (see gate_command.h), on the shared child-process runner.
#include "planner/gate_command.h"

#include <fmt/format.h>

#include "planner/child_process.h"

namespace orch {

namespace {

constexpr size_t kKeepOutput = 2048;  // the tail of the output kept for messages

}  // namespace

void run_gate_command(boost::asio::io_context& io, const std::string& command, int expected_exit,
                      Duration limit, std::function<void(GateResult)> done) {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", command};
  spec.time_limit = limit;
  spec.kill_grace = Duration(0);  // a gate check is cheap to cut short
  spec.keep_output = kKeepOutput;
  start_process(io, std::move(spec), [expected_exit, done = std::move(done)](ProcessResult p) {
    GateResult r;
    if (!p.started) {
      r.message = p.describe();
    } else if (p.timed_out) {
      r.message = "command timed out";
    } else if (p.signal != 0) {
      r.message = fmt::format("killed by signal {}", p.signal);
    } else if (!p.start_error.empty()) {
      r.message = "could not collect the exit status";
    } else {
      r.holds = p.exit_code == expected_exit;
      r.message = fmt::format("exit code {} (expected {})", p.exit_code, expected_exit);
    }
    const std::string last = p.tail(1);
    if (!last.empty() && !r.holds) r.message += ": " + last;
    done(r);
  });
}

}  // namespace orch
