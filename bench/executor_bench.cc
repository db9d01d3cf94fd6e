// Executor benchmark on the virtual clock: 20,000 machines (boot 30-50 s), an election that fires
// at the first machine up (any-of), and 20,000 tasks (20-40 s), each after its machine and the
// election. Reports makespan / dependency lower bound and the scheduler's cost per step.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "planner/executor.h"
#include "planner/retry.h"
#include "planner/virtual_clock.h"

using namespace orch;

namespace {

StepOperation timed(VirtualClock& clock, Duration d) {
  return [&clock, d](const StepContext&, StepDone done) {
    clock.schedule(d, [done = std::move(done)] { done({}); });
  };
}

ExecGraph build(VirtualClock& clock, int machines, bool gates) {
  ExecGraph g;
  g.steps.reserve(2 * machines + 1);
  std::vector<StepId> ids;
  for (int i = 0; i < machines; ++i) {
    std::string address = "sim_machine.node[" + std::to_string(i) + "]";
    Duration boot(30000 + static_cast<int64_t>(unit_interval(stable_hash(address, 1)) * 20000));
    ExecStep s;
    s.address = std::move(address);
    s.provider = "sim";
    s.operation = timed(clock, boot);
    if (gates) {
      s.gate = ExecGate{};
      s.gate->kind = "tcp";
      s.gate->simulate_after = Duration(5000);
    }
    ids.push_back(g.add(std::move(s)));
  }
  ExecStep election;
  election.address = "sim_election.master";
  election.operation = timed(clock, Duration(1000));
  election.any_of = {ids};
  StepId el = g.add(std::move(election));
  for (int i = 0; i < machines; ++i) {
    std::string address = "sim_task.setup[" + std::to_string(i) + "]";
    Duration d(20000 + static_cast<int64_t>(unit_interval(stable_hash(address, 1)) * 20000));
    ExecStep s;
    s.address = std::move(address);
    s.provider = "sim";
    s.operation = timed(clock, d);
    s.depends_on = {ids[i], el};
    g.add(std::move(s));
  }
  return g;
}

void run(const char* name, int machines, bool gates, int parallelism) {
  VirtualClock clock;
  ExecGraph g = build(clock, machines, gates);
  const size_t steps = g.size();
  ExecOptions opts;
  opts.parallelism = parallelism;
  auto t0 = std::chrono::steady_clock::now();
  Executor ex(clock, std::move(g), opts);
  const ExecResult& r = ex.run();
  auto t1 = std::chrono::steady_clock::now();
  double total_us = std::chrono::duration<double, std::micro>(t1 - t0).count();
  std::printf(
      "%-28s steps=%zu done=%zu makespan=%.1fs lower_bound=%.1fs ratio=%.4f critical_path=%zu "
      "steps, wall=%.1f ms (%.2f us/step, run only %.2f us/step), clock events=%llu\n",
      name, steps, r.done.size(), r.makespan.count() / 1000.0, r.lower_bound.count() / 1000.0,
      r.lower_bound.count() ? double(r.makespan.count()) / double(r.lower_bound.count()) : 0.0,
      r.critical_path.size(), total_us / 1000.0, total_us / steps, r.wall_ns / 1000.0 / steps,
      static_cast<unsigned long long>(clock.events_run()));
}

}  // namespace

int main(int argc, char** argv) {
  int machines = argc > 1 ? std::atoi(argv[1]) : 20000;
  run("no limits", machines, false, 0);
  run("no limits, gates", machines, true, 0);
  run("-parallelism=1000", machines, false, 1000);
  return 0;
}
