// Plan and apply benchmark at the scale users run: a generated cluster of N sim_machine and N
// sim_task instances (default 20,000 each) plus an election (bench/gen_config.py --shape
// cluster). Measures, through the real `orch` binary:
//   - `orch plan -out` on an empty state, and again on the applied state (no changes): wall
//     time, CPU time and peak memory (targets: < 2 s, < 1 GiB);
//   - `orch apply PLAN` (virtual clock): wall and CPU time, peak memory, and the simulated
//     makespan ÷ the critical path (the longest dependency chain by the steps' own durations;
//     target ≤ 1.02 with no declared limits);
// then, in this process, the phases of the second plan (state load, refresh, diff, render,
// plan file) and the scheduler's overhead per step on the plan's own execution graph (every
// step a timer of its simulated duration; target < 10 µs).
//
//   build/plan_bench [N] [DIR]      (DIR is generated when it holds no .orch file; set
//                                    ORCH_BENCH_BINARY to measure another orch binary)
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "compiler/duration.h"
#include "planner/executor.h"
#include "planner/graph.h"
#include "planner/plan_file.h"
#include "planner/plan_render.h"
#include "planner/run.h"
#include "planner/virtual_clock.h"
#include "providers/registry.h"

extern "C" char** environ;
namespace fs = std::filesystem;
using namespace orch;

namespace {

struct Measured {
  int code = -1;
  double wall_s = 0, cpu_s = 0;
  double peak_mib = 0;
  std::string out;
};

// Runs `orch ARGS` in `dir`, stdout to a file, and measures it (wait4's rusage of the child).
Measured run_orch(const std::string& dir, const std::vector<std::string>& args) {
  const std::string out_path = dir + "/.bench-out";
  const char* env_binary = std::getenv("ORCH_BENCH_BINARY");
  const std::string binary = env_binary && *env_binary ? env_binary : ORCH_BINARY;
  std::vector<std::string> argv_s = {binary};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  std::string cwd = fs::current_path().string();
  fs::current_path(dir);
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = 0;
  Measured m;
  if (posix_spawn(&pid, binary.c_str(), &fa, nullptr, argv.data(), environ) != 0) {
    std::perror("posix_spawn");
    std::exit(1);
  }
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  auto t1 = std::chrono::steady_clock::now();
  fs::current_path(cwd);
  posix_spawn_file_actions_destroy(&fa);
  m.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  m.wall_s = std::chrono::duration<double>(t1 - t0).count();
  m.cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
            ru.ru_stime.tv_usec / 1e6;
  m.peak_mib = ru.ru_maxrss / 1024.0;
  std::ifstream in(out_path);
  std::stringstream ss;
  ss << in.rdbuf();
  m.out = ss.str();
  fs::remove(out_path);
  return m;
}

void report(const char* what, const Measured& m) {
  fmt::print("{:<40} wall {:6.2f} s   cpu {:6.2f} s   peak {:7.1f} MiB   exit {}\n", what, m.wall_s,
             m.cpu_s, m.peak_mib, m.code);
}

double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

// Times one phase (wall and CPU) and prints it.
template <typename Fn>
auto phase(const char* name, Fn&& fn) {
  auto t0 = std::chrono::steady_clock::now();
  double c0 = cpu_now();
  auto result = fn();
  double cpu = cpu_now() - c0;
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fmt::print("  {:<38} wall {:6.3f} s   cpu {:6.3f} s\n", name, wall, cpu);
  return result;
}

// The simulated duration of an instance from its planned attributes (boot_time / duration).
Duration step_duration(const ResourceChange* rc) {
  if (!rc || !rc->after.is_mapping()) return Duration(0);
  for (const char* name : {"boot_time", "duration"}) {
    auto it = rc->after.attributes().find(name);
    if (it == rc->after.attributes().end() || it->second.kind() != ValueKind::String) continue;
    std::string why;
    if (auto d = parse_duration(it->second.as_string(), &why)) return *d;
  }
  return Duration(500);  // the election
}

// The plan's execution graph with every operation a timer of its simulated duration: what the
// scheduler alone costs per step.
void scheduler_overhead(const Plan& plan) {
  VirtualClock clock;
  ExecGraph g;
  Adjacency adj = adjacency(plan.graph);
  std::map<std::string, const ResourceChange*> change_of;
  for (const auto& rc : plan.changes) change_of[rc.address] = &rc;
  for (size_t i = 0; i < plan.graph.nodes.size(); ++i) {
    const PlanNode& n = plan.graph.nodes[i];
    ExecStep s;
    s.address = n.id;
    std::vector<StepId> preds(adj.preds[i].begin(), adj.preds[i].end());
    if (n.kind == NodeKind::AnyOf)
      s.any_of.push_back(preds);
    else
      s.depends_on = preds;
    if (n.kind == NodeKind::Instance) {
      auto it = change_of.find(n.address);
      Duration d = step_duration(it == change_of.end() ? nullptr : it->second);
      s.operation = [&clock, d](const StepContext&, StepDone done) {
        clock.schedule(d, [done = std::move(done)] { done({}); });
      };
    }
    g.add(std::move(s));
  }
  const size_t steps = g.size();
  double c0 = cpu_now();
  Executor ex(clock, std::move(g));
  const ExecResult& r = ex.run();
  double cpu = cpu_now() - c0;
  fmt::print(
      "scheduler alone on the plan's graph       {} steps, makespan {} = lower bound {} "
      "(ratio {:.4f}), cpu {:.2f} µs/step\n",
      steps, format_duration(r.makespan), format_duration(r.lower_bound),
      r.lower_bound.count() ? double(r.makespan.count()) / double(r.lower_bound.count()) : 0.0,
      cpu * 1e6 / static_cast<double>(steps));
}

// The second plan's phases, in this process (the same work `orch plan -out` does).
void plan_phases(const std::string& dir) {
  static const SchemaRegistry schemas = builtin_schemas();
  RunOptions o;
  o.dir = dir;
  o.make_provider = [](const std::string& name) { return make_provider(name); };
  o.schemas = &schemas;
  fmt::print("phases of `orch plan` on the applied state (this process):\n");
  Session s(o);
  bool loaded = phase("load config, variables, state", [&] { return s.load(); });
  if (!loaded) {
    fmt::print("load failed\n");
    return;
  }
  auto plan = phase("refresh + evaluate + diff + graph", [&] { return s.plan(); });
  if (!plan) {
    fmt::print("plan failed\n");
    return;
  }
  phase("render text", [&] { return render_plan_text(*plan).size(); });
  phase("write plan file", [&] {
    std::string err;
    return write_plan_file(dir + "/.bench.plan", s.plan_file(*plan), &err);
  });
  phase("read plan file", [&] {
    std::string err;
    return read_plan_file(dir + "/.bench.plan", &err).has_value();
  });
  fs::remove(dir + "/.bench.plan");
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 20000;
  const std::string dir =
      argc > 2 ? argv[2]
               : (fs::temp_directory_path() / fmt::format("orch-plan-bench-{}", n)).string();
  bool generated = false;
  bool has_config = fs::exists(dir) && std::any_of(fs::directory_iterator(dir), {}, [](auto& e) {
                      return e.path().extension() == ".orch";
                    });
  if (!has_config) {
    std::string cmd =
        fmt::format("python3 '{}/bench/gen_config.py' '{}' --shape cluster --machines {}",
                    ORCH_SOURCE_DIR, dir, n);
    if (std::system(cmd.c_str()) != 0) return 1;
    generated = true;
  }
  fs::remove_all(fs::path(dir) / ".orch");
  fmt::print("configuration: {} ({} machines, {} tasks, 1 election)\n\n", dir, n, n);

  Measured plan1 = run_orch(dir, {"plan", "-out=first.plan"});
  report("orch plan -out (empty state)", plan1);
  Measured apply = run_orch(dir, {"apply", "-json", "first.plan"});
  report("orch apply first.plan (virtual clock)", apply);
  Measured plan2 = run_orch(dir, {"plan", "-out=second.plan"});
  report("orch plan -out (applied state)", plan2);
  if (plan2.out.find("No changes.") == std::string::npos)
    fmt::print("  (unexpected: the second plan has changes)\n");

  // The apply's summary: the last JSON line.
  std::string last;
  std::istringstream lines(apply.out);
  for (std::string line; std::getline(lines, line);)
    if (line.find("\"type\":\"summary\"") != std::string::npos) last = line;
  if (!last.empty()) {
    auto j = nlohmann::json::parse(last);
    double makespan = j["makespan_ms"].get<double>();
    double bound = j.value("lower_bound_ms", 0.0);
    size_t steps = j["added"].get<size_t>() + j["changed"].get<size_t>();
    fmt::print(
        "\napply: {} resources; simulated makespan {}, critical path (longest dependency chain) "
        "{}, ratio {:.4f}; {:.1f} µs of wall time per resource\n",
        steps, format_duration(Duration(static_cast<int64_t>(makespan))),
        format_duration(Duration(static_cast<int64_t>(bound))), bound > 0 ? makespan / bound : 0.0,
        apply.wall_s * 1e6 / static_cast<double>(std::max<size_t>(1, steps)));
  } else {
    fmt::print("apply printed no summary:\n{}\n", apply.out.substr(0, 2000));
  }

  std::string err;
  if (auto pf = read_plan_file(dir + "/first.plan", &err)) scheduler_overhead(pf->plan);
  fmt::print("\n");
  plan_phases(dir);

  fs::remove(fs::path(dir) / "first.plan");
  fs::remove(fs::path(dir) / "second.plan");
  if (generated) fs::remove_all(dir);
  return plan1.code == 0 && apply.code == 0 && plan2.code == 0 ? 0 : 1;
}
