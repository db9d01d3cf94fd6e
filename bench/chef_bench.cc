// Chef provider benchmarks against build/fake_chef (started here, on loopback):
//   refresh  — read_many of 20,000 chef_node objects: requests made, wall time, peak memory;
//   apply    — `orch apply` of 1,000 chef_node creates with the fake answering after 50 ms, for
//              several concurrency limits: the apply's wall time against the ideal
//              latency × ⌈1000 ÷ limit⌉.
// Usage: build/chef_bench [--nodes 20000] [--creates 1000] [--latency-ms 50]
//                         [--limits 8,16,32,64] [--skip-apply] [--skip-refresh]
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "planner/real_clock.h"
#include "providers/chef/chef_provider.h"
#include "providers/http/client.h"

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

fs::path exe_dir() {
  return fs::read_symlink("/proc/self/exe").parent_path();
}

// CPU time of this process (orch's side; the fake runs in its own process).
double cpu_s() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

long peak_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// build/fake_chef as a child process on a free port.
class Fake {
 public:
  explicit Fake(const std::vector<std::string>& extra) {
    dir_ = fs::temp_directory_path() /
           ("chef-bench-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(dir_);
    std::vector<std::string> args = {(exe_dir() / "fake_chef").string(), "--client",
                                     "orch-ci=" + (keys() / "test_client.pub").string(),
                                     "--port-file", (dir_ / "port").string()};
    for (const auto& a : extra) args.push_back(a);
    std::fflush(stdout);  // or the child's copy of the buffer is printed again
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      if (!std::freopen("/dev/null", "w", stdout)) ::_exit(126);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    for (int i = 0; i < 500 && port_.empty(); ++i) {
      std::string p = read_file(dir_ / "port");
      if (!p.empty() && p.back() == '\n') port_ = p.substr(0, p.size() - 1);
      if (port_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (port_.empty()) throw std::runtime_error("fake_chef did not start");
  }
  ~Fake() {
    ::kill(pid_, SIGTERM);
    int status;
    ::waitpid(pid_, &status, 0);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string base() const { return "http://127.0.0.1:" + port_; }
  std::string url() const { return base() + "/organizations/orch"; }
  Json control(const std::string& method, const std::string& what, const Json& body = nullptr) {
    orch::http::Request r;
    r.method = method;
    r.url = base() + "/_fake/chef/" + what;
    r.timeout = std::chrono::minutes(5);
    if (!body.is_null()) r.body = body.dump();
    auto res = orch::http::perform(r);
    return Json::parse(res.body, nullptr, false);
  }
  static fs::path keys() { return exe_dir().parent_path() / "tests/testdata/chef"; }

 private:
  static inline int counter_ = 0;
  fs::path dir_;
  std::string port_;
  pid_t pid_ = -1;
};

void bench_refresh(int nodes) {
  Fake fake({});
  auto seed_start = Clock::now();
  fake.control("POST", "seed",
               Json{{"count", nodes},
                    {"prefix", "node-"},
                    {"stack", "bench"},
                    {"normal", {{"app", {{"port", 8080}, {"tier", "web"}}}}}});
  double seed_s = std::chrono::duration<double>(Clock::now() - seed_start).count();

  const long rss_before = peak_rss_kb();
  orch::RealClock clock;
  orch::ChefProvider provider;
  provider.set_credentials_path("/nonexistent");
  orch::ProviderContext ctx;
  ctx.clock = &clock;
  ctx.stack = "bench";
  orch::Diagnostics diags;
  provider.configure(
      {{"server_url", orch::Value::string(fake.url())},
       {"client_name", orch::Value::string("orch-ci")},
       {"key_file", orch::Value::string((Fake::keys() / "test_client.pem").string())}},
      ctx, diags);
  if (diags.has_errors()) throw std::runtime_error(diags.list()[0].summary);
  // What the state holds for these nodes.
  std::vector<orch::ReadItem> items;
  items.reserve(nodes);
  using orch::Value;
  for (int i = 0; i < nodes; ++i) {
    const std::string name = "node-" + std::to_string(i);
    orch::ValueMap a = {
        {"name", Value::string(name)},
        {"run_list", Value::list({Value::string("role[web]")}, orch::Type::string())},
        {"normal", Value::object({{"app", Value::object({{"port", Value::number(8080)},
                                                         {"tier", Value::string("web")}})}})},
        {"tags", Value::list({}, orch::Type::string())},
        {"adopted", Value::boolean(false)}};
    items.push_back({"chef_node.n[" + std::to_string(i) + "]", name, std::move(a)});
  }
  const long rss_items = peak_rss_kb();
  fake.control("DELETE", "counts");
  const double cpu_start = cpu_s();
  auto start = Clock::now();
  std::optional<orch::ReadResult> result;
  provider.read_many("chef_node", std::move(items),
                     [&](orch::ReadResult r) { result = std::move(r); });
  clock.run();
  double wall = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = cpu_s() - cpu_start;
  const long rss_after = peak_rss_kb();
  Json counts = fake.control("GET", "counts");
  if (!result || result->error)
    throw std::runtime_error(result ? result->error->summary : "refresh did not finish");
  size_t drift_free = result->objects.size();
  std::printf("refresh of %d chef_node objects (fake seeded in %.1f s)\n", nodes, seed_s);
  std::printf("  objects found            %zu\n", drift_free);
  std::printf("  requests                 %d (server saw: %s search, %s node GETs)\n",
              result->requests, counts.value("POST /search/:index", Json(0)).dump().c_str(),
              counts.value("GET /nodes/:name", Json(0)).dump().c_str());
  std::printf(
      "  wall time                %.3f s (orch's CPU: %.3f s; the rest is the fake "
      "searching and serialising)\n",
      wall, cpu);
  std::printf(
      "  peak RSS                 %.1f MiB (before: %.1f MiB, with %d state items: %.1f "
      "MiB)\n",
      rss_after / 1024.0, rss_before / 1024.0, nodes, rss_items / 1024.0);
}

double last_provider_cpu = 0;

// The provider alone: `creates` chef_node creates handed to ChefProvider::apply at once, its
// API client holding `limit` requests in flight (no executor, no state writes).
double provider_apply(int creates, int latency_ms, int limit) {
  Fake fake({"--faults", "latency=" + std::to_string(latency_ms) + "ms"});
  orch::RealClock clock;
  orch::ChefProvider provider;
  provider.set_credentials_path("/nonexistent");
  orch::ProviderContext ctx;
  ctx.clock = &clock;
  ctx.stack = "bench";
  orch::Diagnostics diags;
  provider.configure(
      {{"server_url", orch::Value::string(fake.url())},
       {"client_name", orch::Value::string("orch-ci")},
       {"key_file", orch::Value::string((Fake::keys() / "test_client.pem").string())},
       {"concurrency", orch::Value::number(limit)}},
      ctx, diags);
  if (diags.has_errors()) throw std::runtime_error(diags.list()[0].summary);
  int ok = 0;
  const double cpu_start = cpu_s();
  auto start = Clock::now();
  for (int i = 0; i < creates; ++i) {
    orch::PlanRequest pr;
    pr.type = "chef_node";
    pr.address = "chef_node.n[" + std::to_string(i) + "]";
    pr.config = {{"name", orch::Value::string("n-" + std::to_string(i))},
                 {"normal", orch::Value::object({{"slot", orch::Value::number(i)}})}};
    orch::ApplyRequest req;
    req.type = pr.type;
    req.address = pr.address;
    req.action = orch::ChangeAction::Create;
    req.planned = provider.plan(pr).planned;
    provider.apply(req, [&](orch::ApplyResult r) { ok += !r.error; });
  }
  clock.run();
  double s = std::chrono::duration<double>(Clock::now() - start).count();
  if (ok != creates) throw std::runtime_error("provider apply: not every create succeeded");
  last_provider_cpu = cpu_s() - cpu_start;
  return s;
}

struct ApplyRun {
  int limit = 0;
  double apply_s = 0, total_s = 0;
  int done = 0, retries = 0;
};

ApplyRun run_apply(int creates, int latency_ms, int limit) {
  Fake fake({"--faults", "latency=" + std::to_string(latency_ms) + "ms"});
  fs::path dir = fs::temp_directory_path() /
                 ("chef-bench-apply-" + std::to_string(::getpid()) + "-" + std::to_string(limit));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "main.orch")
      << "provider \"chef\" {\n  server_url  = \"" << fake.url()
      << "\"\n  client_name = \"orch-ci\"\n  key_file    = \""
      << (Fake::keys() / "test_client.pem").string() << "\"\n"
      << (limit > 0 ? "  concurrency = " + std::to_string(limit) + "\n" : "") << "}\n"
      << "resource \"chef_node\" \"n\" {\n  count  = " << creates
      << "\n  name   = \"n-${count.index}\"\n  normal = { slot = count.index }\n}\n";
  const std::string out = (dir / "out.json").string();
  const std::string cmd = "cd '" + dir.string() + "' && '" + (exe_dir() / "orch").string() +
                          "' apply -auto-approve -json >'" + out + "' 2>'" +
                          (dir / "err").string() + "'";
  auto start = Clock::now();
  int rc = std::system(cmd.c_str());
  ApplyRun r;
  r.limit = limit;
  r.total_s = std::chrono::duration<double>(Clock::now() - start).count();
  if (rc != 0) throw std::runtime_error("orch apply failed: " + read_file(dir / "err"));
  int64_t first = -1, last = 0;
  std::istringstream lines(read_file(out));
  for (std::string line; std::getline(lines, line);) {
    Json e = Json::parse(line, nullptr, false);
    if (!e.is_object()) continue;
    const std::string type = e.value("type", "");
    int64_t at = e.value("elapsed_ms", int64_t{0});
    if (type == "apply_start" && (first < 0 || at < first)) first = at;
    if (type == "apply_done") {
      ++r.done;
      last = std::max(last, at);
    }
    if (type == "apply_retry") ++r.retries;
  }
  r.apply_s = (last - first) / 1000.0;
  fs::remove_all(dir);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  int nodes = 20000, creates = 1000, latency = 50;
  std::vector<int> limits = {8, 16, 32, 64};
  bool refresh = true, apply = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--nodes")
      nodes = std::stoi(next());
    else if (a == "--creates")
      creates = std::stoi(next());
    else if (a == "--latency-ms")
      latency = std::stoi(next());
    else if (a == "--skip-apply")
      apply = false;
    else if (a == "--skip-refresh")
      refresh = false;
    else if (a == "--limits") {
      limits.clear();
      std::stringstream ss(next());
      for (std::string x; std::getline(ss, x, ',');) limits.push_back(std::stoi(x));
    } else {
      std::cerr << "usage: chef_bench [--nodes N] [--creates N] [--latency-ms MS] "
                   "[--limits a,b,c] [--skip-apply] [--skip-refresh]\n";
      return 2;
    }
  }
  try {
    if (refresh) bench_refresh(nodes);
    if (apply) {
      std::printf(
          "\napply of %d chef_node creates, fake latency %d ms (ideal = latency x "
          "ceil(%d / limit))\n",
          creates, latency, creates);
      std::printf("  %-6s %-9s %-12s %-7s %-8s %-12s %-7s %-9s\n", "limit", "ideal s", "provider s",
                  "ratio", "cpu s", "orch apply s", "ratio", "process s");
      for (int limit : limits) {
        double ideal = latency / 1000.0 * std::ceil(static_cast<double>(creates) / limit);
        double alone = provider_apply(creates, latency, limit);
        ApplyRun r = run_apply(creates, latency, limit);
        if (r.done != creates) throw std::runtime_error("orch apply: not every create finished");
        std::printf("  %-6d %-9.3f %-12.3f %-7.2f %-8.3f %-12.3f %-7.2f %-9.3f%s\n", limit, ideal,
                    alone, alone / ideal, last_provider_cpu, r.apply_s, r.apply_s / ideal,
                    r.total_s, limit == orch::chef::kDefaultConcurrency ? "  (default)" : "");
      }
      std::printf(
          "  provider: ChefProvider::apply alone; orch apply: first start to last done in "
          "the -json events\n  (executor, state journal with an fsync per record, "
          "progress); process: the whole command.\n");
    }
  } catch (const std::exception& e) {
    std::cerr << "chef_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
