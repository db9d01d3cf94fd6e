// State benchmark: snapshot write/load of N resources (default 40,000), journal append cost
// (fsync per record vs grouped), and the total state-writing cost of an N-step apply with the
// journal (O(N)) versus rewriting the whole state after every step (O(N²), measured at smaller
// sizes and extrapolated).
//
//   state_bench [N] [DIR] [snapshot]   (DIR: scratch directory on the disk to measure, default
//                                      ./; `snapshot`: only the snapshot write/load part)
#include <unistd.h>

#include <time.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "planner/local_backend.h"
#include "planner/state_json.h"

namespace orch {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// CPU time of this process: on a shared machine, wall time alone overstates the cost.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

ResourceAddress machine_address(int i) {
  return ResourceAddress{{}, ResourceMode::Managed, "sim_machine", "node", InstanceKey::of(i)};
}

// A resource like the sim provider's machines: ~10 attributes, a tag map, one secret.
ResourceState machine(int i) {
  ResourceState r;
  r.type = "sim_machine";
  r.provider = "sim";
  r.id = fmt::format("m-{:08x}", i * 2654435761u);
  r.attributes = {
      {"id", Value::string(r.id)},
      {"name", Value::string(fmt::format("node-{}", i))},
      {"image", Value::string("debian-12")},
      {"size", Value::string(i % 10 == 0 ? "large" : "small")},
      {"boot_time", Value::string("40s")},
      {"private_ip", Value::string(fmt::format("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255))},
      {"private_dns", Value::string(fmt::format("node-{}.sim.internal", i))},
      {"tags", Value::map({{"cluster", Value::string("cdh")},
                           {"role", Value::string(i == 0 ? "master" : "worker")}})},
      {"cpus", Value::number(4)},
      {"ready_after", Value::number(12.5)},
      {"ssh_key", Value::string("secret-key-material").mark_sensitive()},
  };
  if (i > 0) r.dependencies = {machine_address(0)};
  return r;
}

struct Dir {
  std::filesystem::path path;
  explicit Dir(const std::filesystem::path& base) {
    path = base / fmt::format("orch-state-bench-{}", ::getpid());
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~Dir() { std::filesystem::remove_all(path); }
  LocalBackendOptions options(const std::string& name) const {
    LocalBackendOptions o;
    o.path = (path / name / "state.json").string();
    return o;
  }
};

void check(const BackendStatus& s) {
  if (s) {
    std::fprintf(stderr, "state_bench: %s\n", s->message.c_str());
    std::exit(1);
  }
}

// Journal approach for an apply of `n` steps: one put record per step, flushed every `group`
// records (1 = fsync per record), then one snapshot at the end.
double journal_apply(const Dir& dir, const std::string& name, int n, int group) {
  LocalBackend b(dir.options(name));
  LoadedState l;
  check(b.load(l));
  State state = l.state;
  auto t = Clock::now();
  for (int i = 0; i < n; ++i) {
    StateChange c = StateChange::put(machine_address(i), machine(i));
    check(b.append(c));
    state.apply(c);
    if ((i + 1) % group == 0) check(b.flush());
  }
  check(b.flush());
  check(b.write_snapshot(state));
  return seconds_since(t);
}

// Rewrite-everything approach: after each of `n` steps, write the whole state atomically.
double rewrite_apply(const Dir& dir, const std::string& name, int n) {
  LocalBackend b(dir.options(name));
  LoadedState l;
  check(b.load(l));
  State state = l.state;
  auto t = Clock::now();
  for (int i = 0; i < n; ++i) {
    state.apply(StateChange::put(machine_address(i), machine(i)));
    check(b.write_snapshot(state));
  }
  return seconds_since(t);
}

int run(int n, const std::filesystem::path& base, bool snapshot_only) {
  Dir dir(base);
  fmt::print("orch state benchmark: {} resources, scratch dir {}\n\n", n, dir.path.string());

  // Snapshot write and load.
  State state = State::fresh();
  for (int i = 0; i < n; ++i) state.resources.emplace(machine_address(i), machine(i));
  std::string text;
  auto t = Clock::now();
  double c = cpu_seconds();
  if (!state_to_json_text(state, text, nullptr)) return 1;
  double encode = seconds_since(t), encode_cpu = cpu_seconds() - c;
  {
    LocalBackend b(dir.options("snap"));
    LoadedState l;
    check(b.load(l));
    state.lineage = l.state.lineage;
    t = Clock::now();
    c = cpu_seconds();
    check(b.write_snapshot(state));
    double write = seconds_since(t), write_cpu = cpu_seconds() - c;
    t = Clock::now();
    check(b.write_snapshot(state));  // second write also keeps a backup
    double write2 = seconds_since(t);
    LocalBackend reader(dir.options("snap"));
    t = Clock::now();
    c = cpu_seconds();
    check(reader.load(l));
    double load = seconds_since(t), load_cpu = cpu_seconds() - c;
    if (l.state.resources.size() != static_cast<size_t>(n)) return 1;
    fmt::print("snapshot: {:.1f} MB ({} bytes/resource)\n", text.size() / 1e6,
               text.size() / std::max(n, 1));
    fmt::print("  encode only          {:8.1f} ms wall {:8.1f} ms CPU\n", encode * 1e3,
               encode_cpu * 1e3);
    fmt::print(
        "  write (atomic+fsync) {:8.1f} ms wall {:8.1f} ms CPU   second write (with "
        "backup) {:.1f} ms wall\n",
        write * 1e3, write_cpu * 1e3, write2 * 1e3);
    fmt::print("  load (read+parse)    {:8.1f} ms wall {:8.1f} ms CPU\n\n", load * 1e3,
               load_cpu * 1e3);
  }
  if (snapshot_only) return 0;

  // Journal append cost per record.
  int sample = std::min(n, 2000);
  double each = journal_apply(dir, "each", sample, 1);
  double grouped = journal_apply(dir, "grouped", n, 64);
  double unsynced = 0;
  {
    LocalBackend b(dir.options("enc"));
    LoadedState l;
    check(b.load(l));
    t = Clock::now();
    for (int i = 0; i < n; ++i) check(b.append(StateChange::put(machine_address(i), machine(i))));
    unsynced = seconds_since(t);
    check(b.flush());
  }
  fmt::print("journal append, per record:\n");
  fmt::print("  encode + buffer      {:8.1f} us\n", unsynced / n * 1e6);
  fmt::print("  fsync each record    {:8.1f} us   ({} records, incl. final snapshot)\n",
             each / sample * 1e6, sample);
  fmt::print("  fsync per 64 records {:8.1f} us   ({} records, incl. final snapshot)\n\n",
             grouped / n * 1e6, n);

  // Total state-writing cost of an apply: journal (linear) vs rewrite-everything (quadratic).
  fmt::print(
      "state-writing cost of an apply of S steps (fsync per 64 records; fsync per record):\n");
  fmt::print("  {:>6}  {:>14}  {:>14}  {:>16}\n", "S", "journal/64", "journal/1", "rewrite-all");
  // Fit rewrite-all as a·S + b·S² through the two largest measured sizes, then extrapolate.
  double prev_rewrite = 0, last_rewrite = 0;
  int prev_s = 0, last_s = 0;
  for (int s : {250, 500, 1000, 2000}) {
    if (s > n) break;
    double j64 = journal_apply(dir, fmt::format("j64-{}", s), s, 64);
    double j1 = journal_apply(dir, fmt::format("j1-{}", s), s, 1);
    double rw = rewrite_apply(dir, fmt::format("rw-{}", s), s);
    fmt::print("  {:>6}  {:>12.3f} s  {:>12.3f} s  {:>14.3f} s\n", s, j64, j1, rw);
    prev_rewrite = last_rewrite;
    prev_s = last_s;
    last_rewrite = rw;
    last_s = s;
  }
  double b = 0, a = last_s ? last_rewrite / last_s : 0;
  if (prev_s) {
    double s1 = prev_s, s2 = last_s;
    b = (prev_rewrite / s1 - last_rewrite / s2) / (s1 - s2);
    a = prev_rewrite / s1 - b * s1;
  }
  for (int s : {10000, 40000}) {
    if (s > n || !last_s) break;
    double j64 = s == n ? grouped : journal_apply(dir, fmt::format("j64-{}", s), s, 64);
    fmt::print("  {:>6}  {:>12.3f} s  {:>12.1f} s* {:>12.0f} s**\n", s, j64, each / sample * s,
               a * s + b * s * s);
  }
  fmt::print(
      "  * extrapolated linearly from the fsync-each sample; ** a·S + b·S² fitted through "
      "S={} and S={} (a = {:.2f} ms, b = {:.2f} us)\n",
      prev_s, last_s, a * 1e3, b * 1e6);
  return 0;
}

}  // namespace
}  // namespace orch

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 40000;
  std::filesystem::path base = argc > 2 ? argv[2] : std::filesystem::current_path();
  if (n <= 0) {
    std::fprintf(stderr, "usage: state_bench [N] [DIR]\n");
    return 2;
  }
  bool snapshot_only = argc > 3 && std::string(argv[3]) == "snapshot";
  return orch::run(n, base, snapshot_only);
}
