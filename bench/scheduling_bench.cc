// Terraform-style scheduling vs orch's: the same DAGs run by orch's executor on the virtual
// clock with -parallelism=10 (Terraform's default: at most 10 operations at once) and with
// orch's default (no global limit), durations drawn from the simulation model's distributions.
// Prints makespans and their ratio per DAG and size (bench/peer_terraform_style.sh runs it).
//
//   scheduling_bench [--seeds N] [--sizes 10,100,1000]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "compiler/distribution.h"
#include "planner/executor.h"
#include "planner/retry.h"
#include "planner/virtual_clock.h"

using namespace orch;

namespace {

// A DAG under construction with drawn durations.
struct Dag {
  VirtualClock* clock;
  uint64_t seed;
  ExecGraph g;

  Duration draw(const std::string& address, const char* dist) {
    const Distribution d = *parse_distribution(dist, nullptr);
    return d.sample(unit_interval(stable_hash(address + "/1", seed)),
                    unit_interval(stable_hash(address + "/2", seed)));
  }
  StepId step(const std::string& address, const char* dist, std::vector<StepId> deps = {},
              std::optional<Duration> gate = std::nullopt) {
    ExecStep s;
    s.address = address;
    const Duration d = draw(address, dist);
    VirtualClock* c = clock;
    s.operation = [c, d](const StepContext&, StepDone done) {
      c->schedule(d, [done] { done({}); });
    };
    s.depends_on = std::move(deps);
    if (gate) {
      s.gate = ExecGate{};
      s.gate->kind = "http";
      s.gate->simulate_after = gate;
    }
    return g.add(std::move(s));
  }
};

// The seed's cluster: N+1 machines; the first one up is elected (any-of); every node is
// registered with Chef; the master converges and is health-gated; the workers converge (with or
// without a canary + 50% rollout).
void cluster(Dag& d, int n, bool rollout) {
  std::vector<StepId> machines;
  for (int i = 0; i <= n; ++i)
    machines.push_back(d.step(fmt::format("ec2_instance.node[{}]", i), "lognormal(75s, 0.3)"));
  ExecStep el;
  el.address = "etcd_election.master";
  el.any_of = {machines};
  VirtualClock* c = d.clock;
  el.operation = [c](const StepContext&, StepDone done) {
    c->schedule(Duration(300), [done] { done({}); });
  };
  StepId election = d.g.add(std::move(el));
  std::vector<StepId> members;
  for (int i = 0; i <= n; ++i)
    members.push_back(d.step(fmt::format("chef_node.member[{}]", i), "lognormal(300ms, 0.5)",
                             {machines[i], election}));
  StepId master = d.step("chef_converge.master", "lognormal(4m, 0.3)", members, Duration(30'000));
  ExecRollout ro;
  ro.name = "chef_converge.worker";
  for (int i = 0; i < n; ++i)
    ro.members.push_back(
        d.step(fmt::format("chef_converge.worker[{}]", i), "lognormal(3m, 0.3)", {master}));
  if (rollout) {
    ro.canary = 1;
    ro.batch_percent = 50;
    d.g.add_rollout(ro);
  }
}

// One step, then N independent ones, then one: a fan-out such as configuring N nodes.
void fan(Dag& d, int n) {
  StepId root = d.step("root", "lognormal(30s, 0.3)");
  std::vector<StepId> mid;
  for (int i = 0; i < n; ++i)
    mid.push_back(d.step(fmt::format("mid[{}]", i), "lognormal(2m, 0.4)", {root}));
  d.step("end", "lognormal(30s, 0.3)", mid);
}

// Random layered DAG: width N/10 (at least 2), 10 layers, each node after 1-3 nodes of the
// layer before; durations lognormal(1m, 0.6).
void layered(Dag& d, int n) {
  const int width = std::max(2, n / 10);
  std::vector<StepId> prev;
  for (int layer = 0; layer < 10; ++layer) {
    std::vector<StepId> cur;
    for (int i = 0; i < width; ++i) {
      std::vector<StepId> deps;
      if (!prev.empty()) {
        const std::string key = fmt::format("L{}[{}]", layer, i);
        const int k = 1 + static_cast<int>(stable_hash(key, d.seed) % 3);
        for (int j = 0; j < k; ++j)
          deps.push_back(prev[stable_hash(key + std::to_string(j), d.seed) % prev.size()]);
        std::sort(deps.begin(), deps.end());
        deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
      }
      cur.push_back(d.step(fmt::format("L{}[{}]", layer, i), "lognormal(1m, 0.6)", deps));
    }
    prev = std::move(cur);
  }
}

struct Shape {
  const char* name;
  std::function<void(Dag&, int)> build;
};

double makespan_s(const std::function<void(Dag&, int)>& build, int n, uint64_t seed,
                  int parallelism, size_t* steps) {
  VirtualClock clock;
  Dag d{&clock, seed, {}};
  build(d, n);
  *steps = d.g.size();
  ExecOptions o;
  o.parallelism = parallelism;
  Executor ex(clock, std::move(d.g), o);
  return static_cast<double>(ex.run().makespan.count()) / 1000.0;
}

std::string hms(double s) {
  const int64_t t = static_cast<int64_t>(s + 0.5);
  if (t >= 3600) return fmt::format("{}h{:02}m{:02}s", t / 3600, t / 60 % 60, t % 60);
  return fmt::format("{}m{:02}s", t / 60, t % 60);
}

}  // namespace

int main(int argc, char** argv) {
  int seeds = 5;
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
  const std::vector<Shape> shapes = {
      {"cluster (canary + 50% batches)", [](Dag& d, int n) { cluster(d, n, true); }},
      {"cluster (no rollout)", [](Dag& d, int n) { cluster(d, n, false); }},
      {"fan-out 1 -> N -> 1", fan},
      {"layered random DAG", layered},
  };
  std::printf("Terraform-style scheduling (-parallelism=10) vs orch's default (no global limit)\n");
  std::printf("orch's executor on the virtual clock; mean over %d seeds of drawn durations\n\n",
              seeds);
  std::printf("%-32s %6s %7s %14s %14s %8s\n", "DAG", "N", "steps", "orch default",
              "parallelism=10", "ratio");
  for (const auto& shape : shapes) {
    for (int n : sizes) {
      double def = 0, ten = 0;
      size_t steps = 0;
      for (int s = 1; s <= seeds; ++s) {
        def += makespan_s(shape.build, n, s, 0, &steps);
        ten += makespan_s(shape.build, n, s, 10, &steps);
      }
      def /= seeds;
      ten /= seeds;
      std::printf("%-32s %6d %7zu %14s %14s %7.1fx\n", shape.name, n, steps, hms(def).c_str(),
                  hms(ten).c_str(), ten / def);
    }
  }
  return 0;
}
