// The Chef-only pattern vs orch's any-of election, simulated on the virtual clock: time until a
// 1 master + N workers cluster is converged. Same draws for both (boot, converge times).
//
// Chef only: node 0 is the master by role (Chef alone cannot elect "the first node up"). Every
// node runs chef-client once at boot, then as a daemon every `interval` + random(`splay`) after
// its previous run ended (chef-client's -i/-s). The master's run converges it (lognormal(4m,
// 0.3)) and tags it; Chef search sees the tag after the index commits (uniform(5s, 60s)). A
// worker's run searches for the master: found, it converges (lognormal(3m, 0.3)); not found, the
// run ends early (lognormal(1m, 0.3)) and the node waits for its next run.
//
// orch: the first node up is elected master (any-of, 300 ms), every node is registered
// (300 ms), the master converges and passes a 30 s health gate, the workers converge — in a
// canary + 50% batches rollout, or all at once.
//
//   chef_polling_bench [--seeds N] [--sizes 10,100,1000]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "compiler/distribution.h"
#include "planner/executor.h"
#include "planner/retry.h"
#include "planner/virtual_clock.h"

using namespace orch;

namespace {

struct Draws {
  uint64_t seed;
  Duration draw(const std::string& key, const char* dist) const {
    const Distribution d = *parse_distribution(dist, nullptr);
    return d.sample(unit_interval(stable_hash(key + "/1", seed)),
                    unit_interval(stable_hash(key + "/2", seed)));
  }
  Duration boot(int i) const { return draw(fmt::format("boot[{}]", i), "lognormal(75s, 0.3)"); }
  Duration master_converge(int run) const {
    return draw(fmt::format("master converge {}", run), "lognormal(4m, 0.3)");
  }
  Duration worker_converge(int i) const {
    return draw(fmt::format("worker converge[{}]", i), "lognormal(3m, 0.3)");
  }
};

// Chef only; returns seconds until every node is converged.
double chef_only(const Draws& dr, int n, Duration interval, Duration splay) {
  VirtualClock clock;
  const Distribution index_delay = *parse_distribution("uniform(5s, 60s)", nullptr);
  TimePoint master_visible{-1};
  TimePoint converged_at{0};
  int converged = 0;
  std::function<void(int, int)> run;  // node, run number
  auto next_run = [&](int node, int run_no) {
    const double u = unit_interval(stable_hash(fmt::format("splay[{}]/{}", node, run_no), dr.seed));
    clock.schedule(interval + Duration(static_cast<int64_t>(u * splay.count())),
                   [&, node, run_no] { run(node, run_no + 1); });
  };
  run = [&](int node, int run_no) {
    if (node == 0) {
      clock.schedule(dr.master_converge(run_no), [&, run_no] {
        if (master_visible.count() < 0) {
          ++converged;
          converged_at = clock.now();
          const double u = unit_interval(stable_hash("index", dr.seed));
          master_visible = clock.now() + index_delay.sample(u, 0);
        }
      });
      return;  // later master runs change nothing here
    }
    const bool found = master_visible.count() >= 0 && clock.now() >= master_visible;
    if (found) {
      clock.schedule(dr.worker_converge(node), [&] {
        ++converged;
        converged_at = clock.now();
      });
      return;
    }
    const Duration short_run =
        dr.draw(fmt::format("short run[{}]/{}", node, run_no), "lognormal(1m, 0.3)");
    clock.schedule(short_run, [&, node, run_no] { next_run(node, run_no); });
  };
  for (int i = 0; i <= n; ++i) clock.schedule(dr.boot(i), [&, i] { run(i, 1); });
  clock.run();
  return converged == n + 1 ? static_cast<double>(converged_at.count()) / 1000.0 : -1;
}

// orch: returns seconds until the last step is done.
double orch_anyof(const Draws& dr, int n, bool rollout) {
  VirtualClock clock;
  ExecGraph g;
  auto op = [&clock](Duration d) {
    return [&clock, d](const StepContext&, StepDone done) {
      clock.schedule(d, [done] { done({}); });
    };
  };
  std::vector<StepId> machines;
  for (int i = 0; i <= n; ++i) {
    ExecStep s;
    s.address = fmt::format("ec2_instance.node[{}]", i);
    s.operation = op(dr.boot(i));
    machines.push_back(g.add(std::move(s)));
  }
  ExecStep el;
  el.address = "etcd_election.master";
  el.any_of = {machines};
  el.operation = op(Duration(300));
  const StepId election = g.add(std::move(el));
  std::vector<StepId> members;
  for (int i = 0; i <= n; ++i) {
    ExecStep s;
    s.address = fmt::format("chef_node.member[{}]", i);
    s.depends_on = {machines[i], election};
    s.operation = op(Duration(300));
    members.push_back(g.add(std::move(s)));
  }
  ExecStep master;
  master.address = "chef_converge.master";
  master.depends_on = members;
  master.operation = op(dr.master_converge(1));
  master.gate = ExecGate{};
  master.gate->kind = "http";
  master.gate->simulate_after = Duration(30'000);
  const StepId m = g.add(std::move(master));
  ExecRollout ro;
  ro.name = "chef_converge.worker";
  ro.canary = 1;
  ro.batch_percent = 50;
  for (int i = 1; i <= n; ++i) {
    ExecStep s;
    s.address = fmt::format("chef_converge.worker[{}]", i);
    s.depends_on = {m};
    s.operation = op(dr.worker_converge(i));
    ro.members.push_back(g.add(std::move(s)));
  }
  if (rollout) g.add_rollout(ro);
  Executor ex(clock, std::move(g));
  return static_cast<double>(ex.run().makespan.count()) / 1000.0;
}

std::string hms(double s) {
  if (s < 0) return "never";
  const int64_t t = static_cast<int64_t>(s + 0.5);
  if (t >= 3600) return fmt::format("{}h{:02}m", t / 3600, t / 60 % 60);
  return fmt::format("{}m{:02}s", t / 60, t % 60);
}

struct Stats {
  double median = 0, p90 = 0;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  Stats s;
  s.median = v[v.size() / 2];
  s.p90 = v[std::min(v.size() - 1, v.size() * 9 / 10)];
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  int seeds = 21;
  std::vector<int> sizes = {10, 100, 1000};
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--seeds") && i + 1 < argc) {
      seeds = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--sizes") && i + 1 < argc) {
      sizes.clear();
      for (char* p = std::strtok(argv[++i], ","); p; p = std::strtok(nullptr, ","))
        sizes.push_back(std::atoi(p));
    } else {
      std::fprintf(stderr, "usage: %s [--seeds N] [--sizes 10,100,1000]\n", argv[0]);
      return 2;
    }
  }
  using namespace std::chrono_literals;
  std::printf("Time to a converged cluster (1 master + N workers), simulated; median (p90) over "
              "%d seeds\n\n",
              seeds);
  std::printf("%6s %22s %22s %20s %20s %9s\n", "N", "chef-only 30m+5m splay",
              "chef-only 5m+1m splay", "orch any-of+rollout", "orch any-of", "speedup");
  for (int n : sizes) {
    std::vector<double> c30, c5, orb, oall;
    for (int s = 1; s <= seeds; ++s) {
      Draws d{static_cast<uint64_t>(s)};
      c30.push_back(chef_only(d, n, 30min, 5min));
      c5.push_back(chef_only(d, n, 5min, 1min));
      orb.push_back(orch_anyof(d, n, true));
      oall.push_back(orch_anyof(d, n, false));
    }
    const Stats a = stats(c30), b = stats(c5), c = stats(orb), e = stats(oall);
    auto cell = [](const Stats& s) { return fmt::format("{} ({})", hms(s.median), hms(s.p90)); };
    std::printf("%6d %22s %22s %20s %20s %8.1fx\n", n, cell(a).c_str(), cell(b).c_str(),
                cell(c).c_str(), cell(e).c_str(), a.median / c.median);
  }
  std::printf("\nspeedup: chef-only (30m interval) median / orch (any-of + rollout) median\n");
  return 0;
}
