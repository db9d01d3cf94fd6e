// Fan-out on one event loop, measured for real: (1) child processes in flight at once,
// (2) ssh runs against a loopback sshd (tests/support/sshd), (3) chef_converge of N nodes through
// ssh (a stand-in chef-client saving each node on the fake Chef Server) and through Push Jobs.
// Prints wall time, orch's own CPU, its peak RSS and the peak number in flight.
//
//   build/converge_bench [--processes 1000] [--ssh-hosts 200] [--nodes 50]
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "planner/child_process.h"
#include "planner/real_clock.h"
#include "providers/chef/chef_provider.h"
#include "providers/ssh/remote_run.h"
#include "providers/ssh/ssh_invocation.h"
#include "tests/fakes/fake_chef.h"
#include "tests/fakes/fake_chef_push.h"
#include "tests/support/chef_client_stub.h"
#include "tests/support/sshd.h"

using namespace orch;
namespace fs = std::filesystem;

namespace {

struct Usage {
  std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
  double cpu = cpu_of(RUSAGE_SELF);
  double children = cpu_of(RUSAGE_CHILDREN);
  // RUSAGE_SELF: orch's own work; RUSAGE_CHILDREN: the reaped children (ssh clients, sleep).
  static double cpu_of(int who) {
    rusage r{};
    getrusage(who, &r);
    return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
           static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
  }
  static long peak_rss_mb() {
    rusage r{};
    getrusage(RUSAGE_SELF, &r);
    return r.ru_maxrss / 1024;
  }
  void report(const char* what, int peak) const {
    double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
    std::printf(
        "%-48s wall %7.2f s  orch cpu %5.2f s  children cpu %6.2f s  peak in flight %5d  "
        "peak rss %3ld MB\n",
        what, wall_s, cpu_of(RUSAGE_SELF) - cpu, cpu_of(RUSAGE_CHILDREN) - children, peak,
        peak_rss_mb());
  }
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void processes(int n) {
  boost::asio::io_context io;
  int in_flight = 0, peak = 0, ok = 0;
  Usage u;
  for (int i = 0; i < n; ++i) {
    ProcessSpec s;
    s.argv = {"sleep", "2"};
    ++in_flight;
    peak = std::max(peak, in_flight);
    start_process(io, s, [&](ProcessResult r) {
      --in_flight;
      ok += r.ok();
    });
  }
  io.run();
  char what[64];
  std::snprintf(what, sizeof what, "%d × `sleep 2` (%d ok)", n, ok);
  u.report(what, peak);
}

// CPU seconds of the sshd's reaped sessions (utime+stime of its waited-for children).
double sshd_sessions_cpu(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream in(stat.substr(close + 2));
  std::string field;
  double cutime = 0, cstime = 0;
  for (int i = 3; in >> field; ++i) {
    if (i == 16) cutime = std::atof(field.c_str());
    if (i == 17) {
      cstime = std::atof(field.c_str());
      break;
    }
  }
  return (cutime + cstime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

void ssh_fanout(testing::TestSshd& sshd, int n) {
  boost::asio::io_context io;
  SessionPool pool(n);
  SshSettings settings;
  settings.options = sshd.client_options();
  RemoteRunRequest req;
  for (int i = 0; i < n; ++i) req.hosts.push_back("host" + std::to_string(i));
  req.argv = [&](const std::string& h) {
    return ssh_argv(settings, h, remote_command("sleep 1; echo done", false, {}));
  };
  req.time_limit = std::chrono::minutes(5);
  int peak = 0;
  boost::asio::steady_timer sample(io);
  std::function<void()> tick = [&] {
    peak = std::max(peak, pool.in_use());
    sample.expires_after(std::chrono::milliseconds(5));
    sample.async_wait([&](auto ec) {
      if (!ec) tick();
    });
  };
  tick();
  Usage u;
  const double server_before = sshd_sessions_cpu(sshd.pid());
  int ok = 0, attempts = 0;
  run_remote(io, pool, req, [&](std::vector<HostOutcome> out) {
    for (const auto& o : out) {
      ok += o.ok();
      attempts += o.attempts;
    }
    sample.cancel();
  });
  io.run();
  char what[96];
  std::snprintf(what, sizeof what, "ssh `sleep 1` on %d hosts (%d ok, %d tries)", n, ok, attempts);
  u.report(what, peak);
  std::printf("  the loopback sshd's sessions used %.2f s of CPU (one server for all hosts)\n",
              sshd_sessions_cpu(sshd.pid()) - server_before);
}

void converge(testing::TestSshd& sshd, fakes::FakeChef& fake, const std::string& work, int n,
              const std::string& via) {
  fake.with_store([&](fakes::FakeChefStore& s) {
    for (int i = 0; i < n; ++i) {
      std::string name = "node" + std::to_string(i);
      s.nodes[name] = {{"name", name},
                       {"chef_environment", "_default"},
                       {"json_class", "Chef::Node"},
                       {"chef_type", "node"},
                       {"run_list", fakes::Json::array()},
                       {"normal", fakes::Json::object()},
                       {"default", fakes::Json::object()},
                       {"override", fakes::Json::object()},
                       {"automatic", {{"ohai_time", 1.6e9}}}};
    }
    ++s.generation;
  });
  RealClock clock;
  ChefProvider provider;
  provider.set_credentials_path(work + "/no-credentials");
  ProviderContext ctx;
  ctx.clock = &clock;
  ctx.stack = "bench";
  ctx.work_dir = work;
  Diagnostics diags;
  provider.configure(
      {{"server_url", Value::string(fake.url())},
       {"client_name", Value::string("orch-ci")},
       {"key_file", Value::string(ORCH_SOURCE_DIR "/tests/testdata/chef/test_client.pem")}},
      ctx, diags);
  if (diags.has_errors()) {
    std::fprintf(stderr, "cannot configure the chef provider: %s\n",
                 diags.list()[0].summary.c_str());
    std::exit(1);
  }
  ValueList nodes;
  for (int i = 0; i < n; ++i) nodes.push_back(Value::string("node" + std::to_string(i)));
  ValueMap opts;
  for (const auto& [k, v] : sshd.client_options()) opts[k] = Value::string(v);
  ValueMap cfg = {{"nodes", Value::list(nodes, Type::string())},
                  {"via", Value::string(via)},
                  {"concurrency", Value::number(int64_t{n})},
                  {"ssh_options", Value::map(opts, Type::string())}};
  PlanResponse plan = provider.plan(PlanRequest{"chef_converge", "chef_converge.all", {}, cfg});
  ApplyRequest req;
  req.type = "chef_converge";
  req.address = "chef_converge.all";
  req.action = ChangeAction::Create;
  req.planned = plan.planned;
  req.idempotency_token = "bench/" + via;
  Usage u;
  std::string outcome = "?";
  provider.apply(req, [&](ApplyResult r) {
    outcome = r.error ? r.error->summary
                      : std::to_string(r.object->attributes.at("succeeded").length()) + " verified";
  });
  clock.run();
  char what[96];
  std::snprintf(what, sizeof what, "chef_converge via %s, %d nodes (%s)", via.c_str(), n,
                outcome.c_str());
  u.report(what, via == "ssh" ? n : 0);
}

}  // namespace

int main(int argc, char** argv) {
  int procs = 1000, hosts = 200, nodes = 50;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--processes")) procs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--ssh-hosts")) hosts = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--nodes")) nodes = std::atoi(argv[i + 1]);
  }
  std::printf("open files allowed: %zu\n", raise_open_files_limit());
  if (procs > 0) processes(procs);

  if (auto why = testing::TestSshd::unavailable_reason(); !why.empty()) {
    std::printf("ssh parts skipped: %s\n", why.c_str());
    return 0;
  }
  std::string tmpl = (fs::temp_directory_path() / "orch-bench-XXXXXX").string();
  const std::string work = mkdtemp(tmpl.data());
  fs::create_directories(work + "/bin");
  fs::create_directories(work + "/ctl");
  fakes::FakeChef fake;
  fake.add_client("orch-ci", read_file(ORCH_SOURCE_DIR "/tests/testdata/chef/test_client.pub"));
  auto push = fakes::add_push_jobs(fake);
  testing::write_script(work + "/bin/chef-client",
                        testing::stand_in_chef_client(work + "/ctl", fake.server().port()));
  {
    testing::TestSshd::Options o;
    o.path_prefix = {work + "/bin"};
    testing::TestSshd sshd(o);
    std::string err;
    if (!sshd.start(&err)) {
      std::fprintf(stderr, "sshd: %s\n", err.c_str());
      return 1;
    }
    if (hosts > 0) ssh_fanout(sshd, hosts);
    if (nodes > 0) {
      converge(sshd, fake, work, nodes, "ssh");
      converge(sshd, fake, work, nodes, "push");
    }
  }
  fs::remove_all(work);
  return 0;
}
