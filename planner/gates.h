// Readiness gates: polls a gate (http status, tcp connect, command exit code, or a provider's
// check) every `interval` until it holds or `timeout` passes, on the clock's loop without
// blocking it. Under a virtual clock gates are simulated (ExecGate::simulate_after).
#pragma once

#include <functional>
#include <memory>

#include "planner/clock.h"
#include "planner/exec_graph.h"
#include "providers/provider.h"

namespace orch {

// The gate kinds the core runs itself.
bool is_core_gate_kind(std::string_view kind);  // http, tcp, command

class GateRunner {
 public:
  explicit GateRunner(Clock& clock);
  ~GateRunner();
  GateRunner(const GateRunner&) = delete;
  GateRunner& operator=(const GateRunner&) = delete;

  // Checks now, then every `interval`, until the gate holds (holds = true) or `timeout` has
  // passed (holds = false; message says what the last check saw). `done` is called once.
  void run(const ExecGate& gate, std::function<void(GateResult)> done);

  // One check of a core gate with real I/O, giving up after `limit`.
  void check_once(const ExecGate& gate, Duration limit, std::function<void(GateResult)> done);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace orch
