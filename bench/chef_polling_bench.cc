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

struct Outcome {
  double seconds = -1;  // until the cluster is converged (-1: never)
  int runs = 0;         // chef-client runs until then (each one a search on the Chef server)
};

// Chef only. `two_hops`: the master must also see every worker (its next run after they are
// all converged and indexed reconfigures it), as a namenode lists its datanodes or a load
// balancer its web servers.
Outcome chef_only(const Draws& dr, int n, Duration interval, Duration splay, bool two_hops) {
  VirtualClock clock;
  const Distribution index_delay = *parse_distribution("uniform(5s, 60s)", nullptr);
  auto indexed = [&](const std::string& key) {
    return index_delay.sample(unit_interval(stable_hash(key, dr.seed)), 0);
  };
  TimePoint master_visible{-1};
  TimePoint workers_visible{-1};  // every worker converged and indexed
  TimePoint done_at{-1};
  int workers_done = 0;
  Outcome out;
  std::function<void(int, int)> run;  // node, run number
  auto next_run = [&](int node, int run_no) {
    const double u = unit_interval(stable_hash(fmt::format("splay[{}]/{}", node, run_no), dr.seed));
    clock.schedule(interval + Duration(static_cast<int64_t>(u * splay.count())),
                   [&, node, run_no] { run(node, run_no + 1); });
  };
  auto finished = [&] {
    if (done_at.count() < 0) {
      done_at = clock.now();
      clock.stop();
    }
  };
  run = [&](int node, int run_no) {
    ++out.runs;
    if (node == 0) {
      const bool sees_workers = workers_visible.count() >= 0 && clock.now() >= workers_visible;
      const Duration took =
          run_no == 1 ? dr.master_converge(1)
                      : dr.draw(fmt::format("master run {}", run_no), "lognormal(2m, 0.3)");
      clock.schedule(took, [&, node, run_no, sees_workers] {
        if (master_visible.count() < 0) master_visible = clock.now() + indexed("master");
        if (!two_hops && workers_done == n) finished();
        if (two_hops && sees_workers) return finished();
        if (two_hops) next_run(node, run_no);
      });
      return;
    }
    const bool found = master_visible.count() >= 0 && clock.now() >= master_visible;
    if (found) {
      clock.schedule(dr.worker_converge(node), [&] {
        if (++workers_done < n) return;
        workers_visible = clock.now() + indexed("workers");
        if (!two_hops && master_visible.count() >= 0) finished();
      });
      return;
    }
    const Duration short_run =
        dr.draw(fmt::format("short run[{}]/{}", node, run_no), "lognormal(1m, 0.3)");
    clock.schedule(short_run, [&, node, run_no] { next_run(node, run_no); });
  };
  for (int i = 0; i <= n; ++i) clock.schedule(dr.boot(i), [&, i] { run(i, 1); });
  clock.run();
  if (done_at.count() >= 0) out.seconds = static_cast<double>(done_at.count()) / 1000.0;
  return out;
}

// orch: returns seconds until the last step is done.
double orch_anyof(const Draws& dr, int n, bool rollout, bool two_hops) {
  VirtualClock clock;
  ExecGraph g;
  auto op = [&clock](Duration d) {
    return
        [&clock, d](const StepContext&, StepDone done) { clock.schedule(d, [done] { done({}); }); };
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
  if (two_hops) {
    // The master converges again once every worker is done (its triggers name them).
    ExecStep again;
    again.address = "chef_converge.master_refresh";
    again.depends_on = ro.members;
    again.operation = op(dr.draw("master run 2", "lognormal(2m, 0.3)"));
    g.add(std::move(again));
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
  std::printf(
      "Time to a converged cluster (1 master + N workers), simulated; median (p90) over "
      "%d seeds;\nchef-client runs (each one a Chef search) until then, median\n",
      seeds);
  for (bool two_hops : {false, true}) {
    std::printf("\n%s\n", two_hops ? "Two hops: workers find the master, then the master finds "
                                     "every worker"
                                   : "One hop: workers find the master");
    std::printf("%6s %24s %24s %20s %20s %9s %9s\n", "N", "chef-only 30m+5m splay",
                "chef-only 5m+1m splay", "orch any-of+rollout", "orch any-of", "vs 30m", "vs 5m");
    for (int n : sizes) {
      std::vector<double> c30, c5, orb, oall;
      std::vector<double> r30, r5;
      for (int s = 1; s <= seeds; ++s) {
        Draws d{static_cast<uint64_t>(s)};
        Outcome a = chef_only(d, n, 30min, 5min, two_hops);
        Outcome b = chef_only(d, n, 5min, 1min, two_hops);
        c30.push_back(a.seconds);
        r30.push_back(a.runs);
        c5.push_back(b.seconds);
        r5.push_back(b.runs);
        orb.push_back(orch_anyof(d, n, true, two_hops));
        oall.push_back(orch_anyof(d, n, false, two_hops));
      }
      const Stats a = stats(c30), b = stats(c5), c = stats(orb), e = stats(oall);
      auto cell = [](const Stats& s, double runs) {
        return fmt::format("{} ({}) {:>5.0f}r", hms(s.median), hms(s.p90), runs);
      };
      std::printf("%6d %24s %24s %20s %20s %8.1fx %8.1fx\n", n, cell(a, stats(r30).median).c_str(),
                  cell(b, stats(r5).median).c_str(),
                  fmt::format("{} ({})", hms(c.median), hms(c.p90)).c_str(),
                  fmt::format("{} ({})", hms(e.median), hms(e.p90)).c_str(), a.median / e.median,
                  b.median / e.median);
    }
  }
  std::printf(
      "\nvs 30m, vs 5m: chef-only median / orch any-of median (both converge every "
      "worker at once);\nr: chef-client runs until converged\n");
  return 0;
}
