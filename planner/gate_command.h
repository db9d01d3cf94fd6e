// The `command` readiness check: runs `/bin/sh -c COMMAND` as a child process on the Asio loop
// (exit watched through a pidfd, output read through a pipe) and reports whether it exited
// with the expected code within the time limit (the process group is killed past it).
#pragma once

#include <functional>
#include <string>

#include "planner/clock.h"
#include "providers/provider.h"

namespace boost::asio {
class io_context;
}

namespace orch {

void run_gate_command(boost::asio::io_context& io, const std::string& command, int expected_exit,
                      Duration limit, std::function<void(GateResult)> done);

}  // namespace orch
