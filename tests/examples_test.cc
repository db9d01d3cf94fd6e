// Every directory under examples/ is a working configuration: it has a README and an entry in
// examples/README.md, passes `orch validate` and `orch fmt -check`, and is rehearsed with
// `orch plan -simulate` and `orch apply -simulate` (seed 1) with no inputs, no credentials and no
// servers; a second simulated plan shows no changes. The recorded timelines are then checked for
// the orchestration each example exists to show (the cloudera workers start after the master's
// gate, riak's nodes join in parallel as soon as the ring exists, ...).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <regex>

#include "planner/timeline.h"
#include "tests/support/orch_process.h"
#include "tests/support/temp_dir.h"

namespace orch {
namespace {

namespace fs = std::filesystem;
using testing::ProcessResult;
using testing::read_text;
using testing::TempDir;

const fs::path kExamples = fs::path(ORCH_SOURCE_DIR) / "examples";

std::vector<std::string> example_dirs() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(kExamples))
    if (e.is_directory()) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// A copy of one example (without any .orch/ left by someone running it by hand), run from there.
class Example {
 public:
  explicit Example(const std::string& name) {
    for (const auto& e : fs::directory_iterator(kExamples / name))
      if (e.path().filename() != ".orch")
        fs::copy(e.path(), dir.path() / e.path().filename(), fs::copy_options::recursive);
  }
  ProcessResult orch(std::vector<std::string> args) {
    testing::ProcessOptions o;
    o.cwd = dir.path().string();
    o.env["NO_COLOR"] = "1";
    // Nothing of the machine's own setup may leak in: the examples must need no inputs.
    for (const char* v : {"ETCDCTL_ENDPOINTS", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "CHEF_PROFILE"})
      o.env[v] = "";
    o.env["HOME"] = dir.path().string();
    ProcessResult r = testing::run_orch_process(args, o);
    if (std::getenv("ORCH_TEST_SHOW")) {
      std::cout << "$ orch";
      for (const auto& a : args) std::cout << " " << a;
      std::cout << "\n" << r.out << r.err;
    }
    return r;
  }
  // The timeline of the last simulated apply.
  Timeline timeline() {
    std::string file = latest_timeline((dir.path() / ".orch" / "simulate" / "runs").string());
    std::string error;
    auto t = timeline_from_json(read_text(file), &error);
    EXPECT_TRUE(t) << file << ": " << error;
    return t ? *t : Timeline{};
  }
  TempDir dir;
};

std::vector<const TimelineStep*> steps_of(const Timeline& t, const std::string& block) {
  std::vector<const TimelineStep*> out;
  for (const auto& s : t.steps)
    if (s.block == block) out.push_back(&s);
  return out;
}

const TimelineStep& step(const Timeline& t, const std::string& address) {
  const TimelineStep* s = t.find(address);
  static const TimelineStep none;
  EXPECT_NE(s, nullptr) << address << " is not in the timeline";
  return s ? *s : none;
}

TEST(Examples, EveryExampleHasAReadmeAndIsIndexed) {
  const std::string index = read_text((kExamples / "README.md").string());
  ASSERT_FALSE(index.empty()) << "examples/README.md is missing";
  std::vector<std::string> dirs = example_dirs();
  EXPECT_GE(dirs.size(), 6u);
  for (const auto& d : dirs) {
    EXPECT_TRUE(fs::exists(kExamples / d / "README.md")) << d;
    EXPECT_NE(index.find("(" + d + "/)"), std::string::npos) << d << " is not in the index";
  }
  for (const char* d : {"cloudera", "riak", "web-lb", "rolling-config", "readiness-tags"})
    EXPECT_TRUE(fs::is_directory(kExamples / d)) << d;
}

class EachExample : public ::testing::TestWithParam<std::string> {};

// validate, fmt -check, plan -simulate, apply -simulate, then a simulated plan with no changes.
TEST_P(EachExample, ValidatesFormatsAndRehearses) {
  Example ex(GetParam());
  ProcessResult v = ex.orch({"validate"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  ProcessResult f = ex.orch({"fmt", "-check", "-diff"});
  EXPECT_EQ(f.exit_code, 0) << "not formatted as `orch fmt` would:\n" << f.out << f.err;

  ProcessResult plan = ex.orch({"plan", "-simulate", "-simulate-seed", "1"});
  ASSERT_EQ(plan.exit_code, 0) << plan.out << plan.err;
  EXPECT_NE(plan.out.find("Simulated (seed 1): applying this plan takes about"), std::string::npos)
      << plan.out;

  ProcessResult apply = ex.orch({"apply", "-simulate", "-simulate-seed", "1", "-auto-approve"});
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      apply.out, m, std::regex("Simulated makespan: (\\S+) \\(virtual clock, seed 1\\)")))
      << apply.out;
  std::cout << "[ makespan ] " << GetParam() << ": " << m[1] << "\n";
  // The index (examples/README.md) states each example's simulated makespan: it must be true.
  const std::string index = read_text((kExamples / "README.md").string());
  const std::string row = "| [" + GetParam() + "](" + GetParam() + "/) |";
  auto at = index.find(row);
  ASSERT_NE(at, std::string::npos) << row;
  const std::string line = index.substr(at, index.find('\n', at) - at);
  EXPECT_NE(line.find("| " + m[1].str() + " |"), std::string::npos)
      << "examples/README.md says otherwise: " << line;
  Timeline t = ex.timeline();
  EXPECT_TRUE(t.simulated);
  EXPECT_GT(t.makespan, 0);
  EXPECT_FALSE(t.critical_path.empty());
  for (const auto& s : t.steps) EXPECT_EQ(s.status, "done") << s.address << ": " << s.error;

  ProcessResult again = ex.orch({"plan", "-simulate", "-simulate-seed", "1", "-detailed-exitcode"});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("No changes."), std::string::npos) << again.out;
}

INSTANTIATE_TEST_SUITE_P(Dirs, EachExample, ::testing::ValuesIn(example_dirs()),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// The timelines of the rehearsals show the orchestration each example is about.
class ExampleTimeline : public ::testing::Test {
 protected:
  Timeline rehearse(const std::string& name, std::vector<std::string> extra = {}) {
    ex = std::make_unique<Example>(name);
    std::vector<std::string> args = {"apply", "-simulate", "-simulate-seed", "1", "-auto-approve"};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessResult r = ex->orch(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    output = r.out;
    return ex->timeline();
  }
  std::unique_ptr<Example> ex;
  std::string output;
};

TEST_F(ExampleTimeline, ClouderaElectsTheFirstNodeAndGatesTheWorkersOnTheMaster) {
  Timeline t = rehearse("cloudera");
  auto members = steps_of(t, "chef_node.member");
  ASSERT_EQ(members.size(), 11u);
  int64_t first_member = INT64_MAX, last_member = 0;
  for (auto* s : members) {
    first_member = std::min(first_member, s->finished);
    last_member = std::max(last_member, s->finished);
  }
  const TimelineStep& election = step(t, "etcd_election.master");
  // any(): the election starts with the first registered node, not the last.
  EXPECT_EQ(election.ready, first_member);
  EXPECT_LT(election.started, last_member);
  const TimelineStep& master = step(t, "chef_converge.master");
  EXPECT_GE(master.started, election.finished);
  EXPECT_GT(master.gate_ms(), 0) << "the master's health gate";

  auto agents = steps_of(t, "chef_converge.agent");
  ASSERT_EQ(agents.size(), 11u);
  std::map<int, int> per_batch;
  std::map<int, int64_t> batch_start, batch_end;
  for (auto* s : agents) {
    EXPECT_GE(s->started, master.finished) << s->address << " started before the master's gate";
    ++per_batch[s->batch];
    batch_start[s->batch] =
        batch_start.count(s->batch) ? std::min(batch_start[s->batch], s->started) : s->started;
    batch_end[s->batch] = std::max(batch_end[s->batch], s->finished);
  }
  // canary = 1, then 50% of the remaining 10 (5), then the other 5.
  EXPECT_EQ(per_batch, (std::map<int, int>{{0, 1}, {1, 5}, {2, 5}}));
  EXPECT_GE(batch_start[1], batch_end[0]);
  EXPECT_GE(batch_start[2], batch_end[1]);
  EXPECT_EQ(t.makespan, batch_end[2]);
  // The critical path: the first member up, the election, the master and its gate, the waves.
  const auto& cp = t.critical_path;
  EXPECT_NE(std::find(cp.begin(), cp.end(), "etcd_election.master"), cp.end());
  EXPECT_NE(std::find(cp.begin(), cp.end(), "chef_converge.master"), cp.end());
}

TEST_F(ExampleTimeline, RiakNodesJoinInParallelAsSoonAsTheRingExists) {
  Timeline t = rehearse("riak");
  const TimelineStep& seed = step(t, "chef_converge.seed");
  const TimelineStep& election = step(t, "etcd_election.seed");
  EXPECT_GE(seed.started, election.finished);
  auto joins = steps_of(t, "chef_converge.join");
  ASSERT_EQ(joins.size(), 5u);
  for (auto* s : joins) {
    // Ready when the ring exists (or its own node, if later), and started at once: nothing
    // serialises the joins.
    EXPECT_GE(s->ready, seed.finished) << s->address;
    EXPECT_EQ(s->started, s->ready) << s->address << " waited for " << s->waited_for;
    EXPECT_GT(s->gate_ms(), 0) << s->address << ": gated on the ring reporting it";
  }
}

TEST_F(ExampleTimeline, WebServersInParallelAndTheBalancerAfterThem) {
  Timeline t = rehearse("web-lb");
  auto webs = steps_of(t, "chef_converge.web");
  ASSERT_EQ(webs.size(), 6u);
  int64_t last_web = 0;
  for (auto* s : webs) {
    EXPECT_EQ(s->started, s->ready) << s->address << " waited for " << s->waited_for;
    last_web = std::max(last_web, s->finished);
  }
  const TimelineStep& search = step(t, "data.chef_search.web");
  EXPECT_GE(search.started, last_web) << "the search reads the finished set";
  const TimelineStep& lb = step(t, "chef_converge.lb");
  EXPECT_GE(lb.started, search.finished);
}

TEST_F(ExampleTimeline, RollingConfigCanaryThenWavesUnderTheGate) {
  Timeline t = rehearse("rolling-config");
  const TimelineStep& item = step(t, "chef_data_bag_item.config");
  auto nodes = steps_of(t, "chef_converge.app");
  ASSERT_EQ(nodes.size(), 100u);
  std::map<int, int> per_batch;
  std::map<int, int64_t> batch_start, batch_end;
  for (auto* s : nodes) {
    EXPECT_GE(s->started, item.finished);
    EXPECT_GT(s->gate_ms(), 0) << s->address << ": the monitoring gate";
    ++per_batch[s->batch];
    batch_start[s->batch] =
        batch_start.count(s->batch) ? std::min(batch_start[s->batch], s->started) : s->started;
    batch_end[s->batch] = std::max(batch_end[s->batch], s->finished);
  }
  EXPECT_EQ(per_batch[0], 1);   // the canary
  EXPECT_EQ(per_batch[1], 10);  // 10% of the 99 others, rounded up
  for (const auto& [b, start] : batch_start) {
    if (b > 0) {
      EXPECT_GE(start, batch_end[b - 1]) << "batch " << b << " overlaps the one before";
    }
  }
}

TEST_F(ExampleTimeline, RollingConfigStopsAfterMaxFailures) {
  // Every converge fails: the canary fails, the rollout starts nothing more.
  Example probe("rolling-config");
  testing::write_text((probe.dir.path() / "fail.yaml").string(),
                      "resources:\n  chef_converge:\n    fail_rate: 1\n");
  ProcessResult r = probe.orch({"apply", "-simulate-profile", "fail.yaml", "-simulate-seed", "1",
                                "-auto-approve", "-var", "max_failures=0"});
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  Timeline t = probe.timeline();
  int started = 0;
  for (auto* s : steps_of(t, "chef_converge.app"))
    if (s->started >= 0) ++started;
  EXPECT_EQ(started, 1) << "only the canary ran";
}

TEST_F(ExampleTimeline, ReadinessTagsFrontendsWaitForEveryReadyServer) {
  Timeline t = rehearse("readiness-tags");
  int64_t last_ready = 0;
  for (auto* s : steps_of(t, "chef_converge.app")) {
    EXPECT_GT(s->gate_ms(), 0) << s->address << ": the ready-tag gate";
    last_ready = std::max(last_ready, s->finished);
  }
  EXPECT_GE(step(t, "chef_converge.frontend").started, last_ready);
}

}  // namespace
}  // namespace orch
