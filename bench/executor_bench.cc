// Executor benchmark on the virtual clock: 20,000 machines (boot 30-50 s), an election that fires
// at the first machine up (any-of), and 20,000 tasks (20-40 s), each after its machine and the
// election. Reports makespan / dependency lower bound and the scheduler's cost per step.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <filesystem>

#include "planner/executor.h"
#include "planner/retry.h"
#include "planner/virtual_clock.h"
#include "providers/sim/sim_provider.h"

using namespace orch;

namespace {

// CPU time of this process: the machine is shared, so wall time alone overstates the cost.
double cpu_us() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

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
  double c0 = cpu_us();
  Executor ex(clock, std::move(g), opts);
  const ExecResult& r = ex.run();
  double cpu = cpu_us() - c0;
  auto t1 = std::chrono::steady_clock::now();
  double total_us = std::chrono::duration<double, std::micro>(t1 - t0).count();
  std::printf(
      "%-28s steps=%zu done=%zu makespan=%.1fs lower_bound=%.1fs ratio=%.4f critical_path=%zu "
      "steps, wall=%.1f ms (%.2f us/step, run only %.2f us/step), cpu %.2f us/step, clock "
      "events=%llu\n",
      name, steps, r.done.size(), r.makespan.count() / 1000.0, r.lower_bound.count() / 1000.0,
      r.lower_bound.count() ? double(r.makespan.count()) / double(r.lower_bound.count()) : 0.0,
      r.critical_path.size(), total_us / 1000.0, total_us / steps, r.wall_ns / 1000.0 / steps,
      cpu / steps, static_cast<unsigned long long>(clock.events_run()));
}

Value strs(std::vector<std::string> v) {
  ValueList l;
  for (auto& x : v) l.push_back(Value::string(std::move(x)));
  return Value::list(std::move(l), Type::string());
}

// The same shape through the real sim provider: plans each instance, applies it in the step,
// and writes the world file (coalesced).
void run_sim(int machines) {
  namespace fs = std::filesystem;
  std::string dir = (fs::temp_directory_path() / "orch-executor-bench").string();
  fs::remove_all(dir);
  VirtualClock clock;
  SimProvider sim;
  ProviderContext ctx;
  ctx.clock = &clock;
  ctx.work_dir = dir;
  Diagnostics diags;
  sim.configure({}, ctx, diags);

  ExecGraph g;
  g.steps.reserve(2 * machines + 1);
  auto make_step = [&](std::string type, std::string address, ValueMap config) {
    PlanResponse p = sim.plan(PlanRequest{type, address, std::nullopt, std::move(config)});
    auto req = std::make_shared<ApplyRequest>();
    req->type = std::move(type);
    req->address = address;
    req->action = ChangeAction::Create;
    req->planned = std::move(p.planned);
    req->idempotency_token = "bench/" + address;
    ExecStep s;
    s.address = std::move(address);
    s.provider = "sim";
    s.operation = [&sim, req](const StepContext&, StepDone done) {
      sim.apply(*req, [done](ApplyResult r) { done(StepOutcome{r.error, {}}); });
    };
    return s;
  };
  std::vector<StepId> ids;
  std::vector<std::string> dns;
  for (int i = 0; i < machines; ++i) {
    std::string name = "node-" + std::to_string(i);
    dns.push_back(name + ".sim.internal");
    ids.push_back(g.add(make_step("sim_machine", "sim_machine.node[" + std::to_string(i) + "]",
                                  {{"name", Value::string(name)}})));
  }
  ExecStep election = make_step("sim_election", "sim_election.master",
                                {{"name", Value::string("m")}, {"candidates", strs(dns)}});
  election.any_of = {ids};
  StepId el = g.add(std::move(election));
  for (int i = 0; i < machines; ++i) {
    ExecStep t = make_step("sim_task", "sim_task.setup[" + std::to_string(i) + "]",
                           {{"on", strs({dns[i]})}, {"command", Value::string("setup")}});
    t.depends_on = {ids[i], el};
    g.add(std::move(t));
  }
  const size_t steps = g.size();
  auto t0 = std::chrono::steady_clock::now();
  double c0 = cpu_us();
  Executor ex(clock, std::move(g));
  const ExecResult& r = ex.run();
  std::string err;
  sim.flush(&err);
  double cpu = cpu_us() - c0;
  auto t1 = std::chrono::steady_clock::now();
  double total_us = std::chrono::duration<double, std::micro>(t1 - t0).count();
  std::printf(
      "%-28s steps=%zu done=%zu makespan=%.1fs lower_bound=%.1fs ratio=%.4f, wall=%.1f ms "
      "(%.2f us/step incl. provider and world writes), cpu %.2f us/step, world file %.1f MB\n",
      "sim provider", steps, r.done.size(), r.makespan.count() / 1000.0,
      r.lower_bound.count() / 1000.0,
      r.lower_bound.count() ? double(r.makespan.count()) / double(r.lower_bound.count()) : 0.0,
      total_us / 1000.0, total_us / steps, cpu / steps,
      fs::file_size(sim.world_path()) / 1048576.0);
  fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  int machines = argc > 1 ? std::atoi(argv[1]) : 20000;
  run("no limits", machines, false, 0);
  run("no limits, gates", machines, true, 0);
  run("-parallelism=1000", machines, false, 1000);
  run_sim(machines);
  return 0;
}
