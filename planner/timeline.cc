// Timelines of applies: building from executor records, JSON, and the runs directory (see
// timeline.h).
#include "planner/timeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>

#include <nlohmann/json.hpp>

#include "planner/state.h"

namespace orch {

namespace fs = std::filesystem;

const TimelineStep* Timeline::find(const std::string& address) const {
  for (const auto& s : steps)
    if (s.address == address) return &s;
  return nullptr;
}

namespace {

bool visible(const PlanNode& n) {
  return n.kind == NodeKind::Instance && n.op != NodeOp::NoOp && n.op != NodeOp::None;
}

std::string block_of(const PlanNode& n) {
  auto p = parse_address(n.address);
  return p.ok() ? p.address->resource().str() : n.address;
}

}  // namespace

Timeline build_timeline(const PlanGraph& plan, const ExecGraph& graph, const ExecResult& result) {
  Timeline t;
  const auto& recs = result.records;
  const size_t n = std::min({plan.nodes.size(), graph.steps.size(), recs.size()});
  t.makespan = result.makespan.count();
  t.lower_bound = result.lower_bound.count();
  t.interrupted = result.interrupted;

  // The determining dependency of each step, looked through invisible nodes.
  std::vector<StepId> direct(n, kNoStep);
  for (StepId i = 0; i < n; ++i) {
    const ExecStep& s = graph.steps[i];
    StepId best = kNoStep;
    auto consider = [&](StepId d) {
      if (d >= n || recs[d].status != StepStatus::Done) return;
      if (best == kNoStep || recs[d].finished_at > recs[best].finished_at ||
          (recs[d].finished_at == recs[best].finished_at &&
           recs[d].finish_order > recs[best].finish_order))
        best = d;
    };
    for (StepId d : s.depends_on) consider(d);
    for (StepId d : recs[i].satisfied_by) consider(d);
    direct[i] = best;
  }
  // Steps in the order they ended, so that causes are resolved before what they caused.
  std::vector<StepId> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](StepId a, StepId b) { return recs[a].finish_order < recs[b].finish_order; });
  std::vector<StepId> determining(n, kNoStep);
  for (StepId i : order) {
    StepId d = direct[i];
    // `d` was done before `i` ended, so its own determining step is already resolved.
    if (d != kNoStep && !visible(plan.nodes[d])) d = determining[d];
    determining[i] = d;
  }

  // The failure behind each skipped step.
  std::vector<StepId> root(n, kNoStep);
  std::map<std::string, std::vector<StepId>> failed_in_rollout;
  for (StepId i : order) {
    const auto& r = recs[i];
    if (r.status == StepStatus::Failed) {
      root[i] = i;
      if (graph.steps[i].rollout >= 0)
        failed_in_rollout[graph.rollouts[graph.steps[i].rollout].name].push_back(i);
      continue;
    }
    if (r.status != StepStatus::Skipped) continue;
    auto from = [&](StepId d) {
      if (d < n && root[i] == kNoStep &&
          (recs[d].status == StepStatus::Failed || recs[d].status == StepStatus::Skipped))
        root[i] = root[d];
    };
    for (StepId d : graph.steps[i].depends_on) from(d);
    for (const auto& group : graph.steps[i].any_of)
      for (StepId d : group) from(d);
    if (root[i] == kNoStep && graph.steps[i].rollout >= 0) {
      auto it = failed_in_rollout.find(graph.rollouts[graph.steps[i].rollout].name);
      if (it != failed_in_rollout.end() && !it->second.empty()) root[i] = it->second.back();
    }
  }

  std::vector<bool> critical(n, false);
  for (StepId id : result.critical_path)
    if (id < n) critical[id] = true;
  std::map<StepId, size_t> index_of;
  for (StepId i = 0; i < n; ++i) {
    const PlanNode& node = plan.nodes[i];
    if (!visible(node)) continue;
    const StepRecord& r = recs[i];
    TimelineStep s;
    s.address = node.op == NodeOp::Delete ? node.id : node.address;
    s.block = block_of(node);
    s.op = node_op_name(node.op);
    s.status = to_string(r.status);
    s.ready = r.ready_at.count();
    s.started = r.started_at.count();
    s.applied = r.applied_at.count();
    s.finished = r.finished_at.count();
    if (determining[i] != kNoStep) {
      const PlanNode& d = plan.nodes[determining[i]];
      s.dependency = d.op == NodeOp::Delete ? d.id : d.address;
    }
    if (r.waited.count() > 0) s.waited_for = r.waited_for;
    if (graph.steps[i].rollout >= 0) {
      s.rollout = graph.rollouts[graph.steps[i].rollout].name;
      s.batch = r.rollout_batch;
    }
    s.attempts = r.attempts;
    s.critical = critical[i];
    if (r.error) s.error = r.error->summary;
    s.skip_reason = r.skip_reason;
    index_of[i] = t.steps.size();
    t.steps.push_back(std::move(s));
  }
  for (StepId i = 0; i < n; ++i) {
    if (recs[i].status != StepStatus::Skipped || root[i] == kNoStep || root[i] == i) continue;
    auto victim = index_of.find(i);
    auto culprit = index_of.find(root[i]);
    if (victim == index_of.end() || culprit == index_of.end()) continue;
    t.steps[culprit->second].blocked.push_back(t.steps[victim->second].address);
  }
  for (StepId id : result.critical_path)
    if (id < n && visible(plan.nodes[id])) {
      const PlanNode& node = plan.nodes[id];
      t.critical_path.push_back(node.op == NodeOp::Delete ? node.id : node.address);
    }
  return t;
}

// --- JSON.

std::string timeline_to_json(const Timeline& t) {
  nlohmann::json j;
  j["format"] = "orch-timeline";
  j["version"] = 1;
  j["simulated"] = t.simulated;
  if (t.simulated) j["seed"] = t.seed;
  j["command"] = t.command;
  j["recorded_at"] = t.recorded_at;
  j["parallelism"] = t.parallelism;
  j["makespan_ms"] = t.makespan;
  j["lower_bound_ms"] = t.lower_bound;
  j["interrupted"] = t.interrupted;
  j["critical_path"] = t.critical_path;
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : t.steps) {
    nlohmann::json e;
    e["address"] = s.address;
    e["block"] = s.block;
    e["op"] = s.op;
    e["status"] = s.status;
    e["ready_ms"] = s.ready;
    e["started_ms"] = s.started;
    e["applied_ms"] = s.applied;
    e["finished_ms"] = s.finished;
    if (!s.dependency.empty()) e["dependency"] = s.dependency;
    if (!s.waited_for.empty()) e["waited_for"] = s.waited_for;
    if (!s.rollout.empty()) {
      e["rollout"] = s.rollout;
      e["batch"] = s.batch;
    }
    e["attempts"] = s.attempts;
    if (s.critical) e["critical"] = true;
    if (!s.error.empty()) e["error"] = s.error;
    if (!s.skip_reason.empty()) e["skip_reason"] = s.skip_reason;
    if (!s.blocked.empty()) e["blocked"] = s.blocked;
    steps.push_back(std::move(e));
  }
  j["steps"] = std::move(steps);
  return j.dump(1) + "\n";
}

std::optional<Timeline> timeline_from_json(const std::string& text, std::string* error) {
  auto fail = [&](std::string m) -> std::optional<Timeline> {
    if (error) *error = std::move(m);
    return std::nullopt;
  };
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return fail("not valid JSON");
  if (!j.is_object() || j.value("format", "") != "orch-timeline")
    return fail("not an orch timeline (\"format\": \"orch-timeline\" is missing)");
  if (j.value("version", 0) != 1)
    return fail(fmt::format("timeline version {} is not supported (this orch reads version 1)",
                            j.value("version", 0)));
  try {
    Timeline t;
    t.simulated = j.value("simulated", false);
    t.seed = j.value("seed", uint64_t{0});
    t.command = j.value("command", "");
    t.recorded_at = j.value("recorded_at", "");
    t.parallelism = j.value("parallelism", 0);
    t.makespan = j.value("makespan_ms", int64_t{0});
    t.lower_bound = j.value("lower_bound_ms", int64_t{0});
    t.interrupted = j.value("interrupted", false);
    t.critical_path = j.value("critical_path", std::vector<std::string>{});
    for (const auto& e : j.at("steps")) {
      TimelineStep s;
      s.address = e.at("address").get<std::string>();
      s.block = e.value("block", "");
      s.op = e.value("op", "");
      s.status = e.value("status", "");
      s.ready = e.value("ready_ms", int64_t{-1});
      s.started = e.value("started_ms", int64_t{-1});
      s.applied = e.value("applied_ms", int64_t{-1});
      s.finished = e.value("finished_ms", int64_t{-1});
      s.dependency = e.value("dependency", "");
      s.waited_for = e.value("waited_for", "");
      s.rollout = e.value("rollout", "");
      s.batch = e.value("batch", -1);
      s.attempts = e.value("attempts", 0);
      s.critical = e.value("critical", false);
      s.error = e.value("error", "");
      s.skip_reason = e.value("skip_reason", "");
      s.blocked = e.value("blocked", std::vector<std::string>{});
      t.steps.push_back(std::move(s));
    }
    return t;
  } catch (const nlohmann::json::exception& e) {
    return fail(std::string("malformed timeline: ") + e.what());
  }
}

// --- The runs directory.

std::string record_timeline(const Timeline& t, const std::string& dir, std::string* error,
                            size_t keep) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    if (error) *error = fmt::format("cannot create \"{}\": {}", dir, ec.message());
    return {};
  }
  // 2025-01-02T03:04:05Z → 20250102T030405Z: sortable, no colons.
  std::string stamp;
  for (char c : t.recorded_at.empty() ? utc_now_rfc3339() : t.recorded_at)
    if (c != '-' && c != ':') stamp += c;
  const std::string command = t.command.empty() ? "apply" : t.command;
  fs::path path = fs::path(dir) / (stamp + "-" + command + ".json");
  for (int i = 2; fs::exists(path, ec); ++i)
    path = fs::path(dir) / fmt::format("{}-{}-{}.json", stamp, command, i);
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << timeline_to_json(t);
    out.flush();
    if (!out) {
      if (error) *error = fmt::format("cannot write \"{}\"", tmp.string());
      fs::remove(tmp, ec);
      return {};
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    if (error) *error = fmt::format("cannot write \"{}\": {}", path.string(), ec.message());
    return {};
  }
  std::vector<fs::path> files;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    if (it->path().extension() == ".json") files.push_back(it->path());
  std::sort(files.begin(), files.end());
  for (size_t i = 0; i + keep < files.size(); ++i) fs::remove(files[i], ec);
  return path.string();
}

std::string latest_timeline(const std::string& dir) {
  std::error_code ec;
  std::vector<fs::path> files;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    if (it->path().extension() == ".json") files.push_back(it->path());
  if (files.empty()) return {};
  // Same-second files ("…Z-apply-2.json") sort after their first; compare by write time too.
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    std::error_code e1, e2;
    auto ta = fs::last_write_time(a, e1), tb = fs::last_write_time(b, e2);
    if (ta != tb) return ta < tb;
    return a < b;
  });
  return files.back().string();
}

}  // namespace orch
