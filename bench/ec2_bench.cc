// EC2 provider benchmarks against build/fake_ec2 (started by this program on loopback):
//   refresh: read_many of 20,000 instances (calls made, wall time, peak memory);
//   create:  1,000 instances under max_requests_per_second = 10, wall time against the ideal
//            the limit allows (1,000 RunInstances at 10/s, plus one boot).
// Usage: build/ec2_bench [refresh|create|all] [--instances N] [--creates N] [--rate R]
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "planner/real_clock.h"
#include "providers/ec2/ec2_provider.h"
#include "providers/http/client.h"

namespace {

using namespace orch;
using Clock = std::chrono::steady_clock;

struct Fake {
  pid_t pid = -1;
  std::string url;
  Fake(const std::string& dir, const std::vector<std::string>& flags) {
    std::string out = "/tmp/ec2_bench_fake." + std::to_string(getpid());
    pid = fork();
    if (pid == 0) {
      freopen(out.c_str(), "w", stdout);
      std::vector<std::string> argv{dir + "/fake_ec2"};
      argv.insert(argv.end(), flags.begin(), flags.end());
      std::vector<char*> a;
      for (auto& s : argv) a.push_back(s.data());
      a.push_back(nullptr);
      execv(a[0], a.data());
      _exit(127);
    }
    for (int i = 0; i < 400 && url.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      std::ifstream in(out);
      std::string line;
      if (std::getline(in, line) && line.rfind("listening on ", 0) == 0) url = line.substr(13);
    }
    std::filesystem::remove(out);
  }
  ~Fake() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  }
  nlohmann::json get(const std::string& path) {
    http::Request r;
    r.url = url + path;
    return nlohmann::json::parse(http::perform(r).body);
  }
};

long rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}
long peak_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

std::unique_ptr<Ec2Provider> provider(RealClock& clock, const std::string& url, double rate,
                                      const std::string& poll) {
  auto p = std::make_unique<Ec2Provider>();
  ProviderContext ctx;
  ctx.clock = &clock;
  ctx.stack = "bench";
  ctx.state_lineage = "bench-lineage";
  Diagnostics d;
  p->configure({{"endpoint", Value::string(url)},
                {"region", Value::string("us-east-1")},
                {"poll_interval", Value::string(poll)},
                {"max_requests_per_second", Value::number(rate)}},
               ctx, d);
  if (d.has_errors()) {
    std::fprintf(stderr, "configure failed: %s\n", d.list()[0].summary.c_str());
    std::exit(1);
  }
  return p;
}

void bench_refresh(const std::string& dir, int n) {
  Fake fake(dir, {"--seed", std::to_string(n), "--seed-stack", "bench", "--seed-prefix",
                  "ec2_instance.n"});
  std::vector<ReadItem> items;
  {
    auto all = fake.get("/_fake/ec2/instances");
    for (auto& i : all) items.push_back({i["tags"]["orch:address"], i["id"], {}});
  }
  RealClock clock;
  auto p = provider(clock, fake.url, 0, "5s");
  long rss_before = rss_kb();
  auto t0 = Clock::now();
  ReadResult res;
  p->read_many("ec2_instance", items, [&](ReadResult r) { res = std::move(r); });
  clock.run();
  double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  long rss_after = rss_kb();
  if (res.error) {
    std::fprintf(stderr, "refresh failed: %s\n", res.error->summary.c_str());
    std::exit(1);
  }
  std::printf(
      "refresh: %zu of %d instances found, %d DescribeInstances calls, %.2f s wall, "
      "RSS %ld -> %ld KiB (+%ld KiB), peak RSS %ld KiB\n",
      res.objects.size(), n, res.requests, wall, rss_before, rss_after, rss_after - rss_before,
      peak_kb());
  // The adoption scan when the state knows none of them (a lost state).
  auto q = provider(clock, fake.url, 0, "5s");
  t0 = Clock::now();
  OwnedResult owned;
  q->list_owned("ec2_instance", [&](OwnedResult r) { owned = std::move(r); });
  clock.run();
  wall = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("adoption scan: %zu unclaimed instances, %d calls, %.2f s wall\n",
              owned.objects.size(), owned.requests, wall);
}

void bench_create(const std::string& dir, int n, double rate) {
  Fake fake(dir, {"--pending-ms", "1000"});
  RealClock clock;
  auto p = provider(clock, fake.url, rate, "5s");
  ValueMap config{{"image_id", Value::string("ami-0c55b159cbfafe1f0")},
                  {"instance_type", Value::string("t3.micro")}};
  int ok = 0, failed = 0;
  std::vector<double> done_at;  // seconds after the start, per instance
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    std::string address = "ec2_instance.n[" + std::to_string(i) + "]";
    PlanResponse plan = p->plan({"ec2_instance", address, std::nullopt, config});
    ApplyRequest req{"ec2_instance",
                     address,
                     ChangeAction::Create,
                     std::nullopt,
                     plan.planned,
                     "bench/" + address + "#0",
                     {}};
    p->apply(req, [&](ApplyResult r) {
      (r.error ? failed : ok)++;
      done_at.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    });
  }
  clock.run();
  double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  auto calls = fake.get("/_fake/ec2/calls");
  int run = calls["calls"].value("RunInstances", 0),
      describe = calls["calls"].value("DescribeInstances", 0);
  double burst = std::max(1.0, rate);
  double ideal = (n - burst) / rate + 1.0;  // every RunInstances at the limit, then one boot
  double ideal_all = (run + describe - burst) / rate;
  std::sort(done_at.begin(), done_at.end());
  auto at = [&](double q) {
    return done_at.empty() ? 0.0 : done_at[static_cast<size_t>(q * (done_at.size() - 1))];
  };
  std::printf(
      "create: instances done (running) after: first %.1f s, 10%% %.1f s, 50%% %.1f s, "
      "90%% %.1f s, last %.1f s\n",
      at(0), at(0.1), at(0.5), at(0.9), at(1));
  std::printf(
      "create: %d created, %d failed, %.1f s wall; ideal %.1f s (%d RunInstances at %.0f/s "
      "+ 1 s boot): %.0f%% of ideal; %d RunInstances + %d DescribeInstances (polls) = %d "
      "calls, which at %.0f/s need %.1f s; throttled by the endpoint: %d; peak RSS %ld KiB\n",
      ok, failed, wall, ideal, n, rate, 100.0 * wall / ideal, run, describe, run + describe, rate,
      ideal_all, calls["throttled"].get<int>(), peak_kb());
}

}  // namespace

int main(int argc, char** argv) {
  std::string what = argc > 1 && argv[1][0] != '-' ? argv[1] : "all";
  int instances = 20000, creates = 1000;
  double rate = 10;
  for (int i = 1; i + 1 < argc; ++i) {
    std::string a = argv[i];
    if (a == "--instances")
      instances = std::atoi(argv[++i]);
    else if (a == "--creates")
      creates = std::atoi(argv[++i]);
    else if (a == "--rate")
      rate = std::atof(argv[++i]);
  }
  setenv("AWS_ACCESS_KEY_ID", "AKIDFAKEEC2", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "fake/secret/key", 1);
  std::string dir = std::filesystem::path(argv[0]).parent_path().string();
  if (dir.empty()) dir = ".";
  if (!std::filesystem::exists(dir + "/fake_ec2")) {
    std::fprintf(stderr, "%s/fake_ec2 not found: build it (./scripts/build.sh --target fake_ec2)\n",
                 dir.c_str());
    return 1;
  }
  if (what == "refresh" || what == "all") bench_refresh(dir, instances);
  if (what == "create" || what == "all") bench_create(dir, creates, rate);
  return 0;
}
