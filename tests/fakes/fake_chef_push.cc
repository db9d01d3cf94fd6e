// The fake Push Jobs server (see fake_chef_push.h).
#include "tests/fakes/fake_chef_push.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

namespace orch::fakes {

namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Nodes answer the commit this long after the job is created.
constexpr std::chrono::milliseconds kVoteTime{20};

HttpResponse error(int status, const std::string& message) {
  return HttpResponse::json(status, Json{{"error", Json::array({message})}}.dump());
}

std::string rfc1123_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

// Applies the fields present in `j` to `n`; false (and `why`) on a field of the wrong type.
bool apply_fields(const Json& j, PushNode& n, std::string* why) {
  if (!j.is_object()) {
    *why = "a JSON object is expected";
    return false;
  }
  try {
    if (j.contains("available")) n.available = j.at("available").get<bool>();
    if (j.contains("busy")) n.busy = j.at("busy").get<bool>();
    if (j.contains("whitelist")) n.whitelist = j.at("whitelist").get<std::vector<std::string>>();
    if (j.contains("exit_code")) n.exit_code = j.at("exit_code").get<int>();
    if (j.contains("run_time_ms"))
      n.run_time = std::chrono::milliseconds(j.at("run_time_ms").get<int64_t>());
    if (j.contains("crash")) n.crash = j.at("crash").get<bool>();
    if (j.contains("saves")) n.saves = j.at("saves").get<bool>();
  } catch (const std::exception& e) {
    *why = e.what();
    return false;
  }
  return true;
}

}  // namespace

FakePushJobs::FakePushJobs(PushHooks hooks) : hooks_(std::move(hooks)) {}

void FakePushJobs::set_node(const std::string& name, PushNode node) {
  std::lock_guard lock(mu_);
  nodes_[name] = std::move(node);
}

void FakePushJobs::set_default(PushNode node) {
  std::lock_guard lock(mu_);
  default_ = std::move(node);
}

size_t FakePushJobs::jobs_started() const {
  std::lock_guard lock(mu_);
  return jobs_.size();
}

std::string FakePushJobs::last_job_body() const {
  std::lock_guard lock(mu_);
  return last_body_;
}

const PushNode& FakePushJobs::node_behaviour(const std::string& name) const {
  auto it = nodes_.find(name);
  return it == nodes_.end() ? default_ : it->second;
}

void FakePushJobs::advance(Job& job) {
  const auto elapsed = Clock::now() - job.created;
  if (job.status == "voting") {
    if (elapsed < kVoteTime) return;
    int acks = 0;
    for (const auto& name : job.order) {
      const PushNode& b = node_behaviour(name);
      JobNode& n = job.nodes[name];
      const bool listed =
          std::find(b.whitelist.begin(), b.whitelist.end(), job.command) != b.whitelist.end();
      if (!b.available || (hooks_.node_exists && !hooks_.node_exists(name)))
        n.state = "unavailable";
      else if (b.busy || !listed)
        n.state = "nacked";
      else {
        n.state = "ready";
        ++acks;
      }
    }
    if (acks < job.quorum) {
      job.status = "quorum_failed";
      for (auto& [name, n] : job.nodes)
        if (n.state == "ready") n.state = "was_ready";
      return;
    }
    job.status = "running";
    for (auto& [name, n] : job.nodes)
      if (n.state == "ready") n.state = "running";
  }
  if (job.status != "running") return;
  const auto since_start = elapsed - kVoteTime;
  const auto timeout = std::chrono::seconds(job.run_timeout);
  bool any_running = false, any_timed_out = false;
  for (const auto& name : job.order) {
    JobNode& n = job.nodes[name];
    if (n.state != "running") {
      any_timed_out |= n.state == "timed_out";
      continue;
    }
    const PushNode& b = node_behaviour(name);
    if (b.crash && since_start >= b.run_time / 2) {
      n.state = "crashed";
    } else if (b.run_time > timeout && since_start >= timeout) {
      n.state = "timed_out";
      any_timed_out = true;
    } else if (b.run_time <= timeout && since_start >= b.run_time) {
      n.state = b.exit_code == 0 ? "succeeded" : "failed";
      if (!n.applied && b.exit_code == 0 && b.saves && hooks_.converged) hooks_.converged(name);
      n.applied = true;
    } else {
      any_running = true;
    }
  }
  if (!any_running) job.status = any_timed_out ? "timed_out" : "complete";
}

std::string FakePushJobs::job_json(const Job& job) const {
  Json nodes = Json::object();
  for (const auto& name : job.order) nodes[job.nodes.at(name).state].push_back(name);
  return Json{
      {"id", job.id},         {"command", job.command},       {"run_timeout", job.run_timeout},
      {"status", job.status}, {"created_at", job.created_at}, {"updated_at", rfc1123_now()},
      {"nodes", nodes},       {"capture_output", true}}
      .dump();
}

HttpResponse FakePushJobs::start_job(const HttpRequest& req) {
  Json body = Json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return error(400, "The request body must be a JSON object");
  last_body_ = req.body;
  const Json* command = body.contains("command") ? &body["command"] : nullptr;
  if (!command || !command->is_string() || command->get<std::string>().empty())
    return error(400, "Field 'command' missing or not a string");
  const Json* nodes = body.contains("nodes") ? &body["nodes"] : nullptr;
  if (!nodes || !nodes->is_array() || nodes->empty())
    return error(400, "Field 'nodes' missing or empty");
  Job job;
  for (const auto& n : *nodes) {
    if (!n.is_string()) return error(400, "Field 'nodes' must be a list of node names");
    if (job.nodes.count(n.get<std::string>())) continue;
    job.order.push_back(n.get<std::string>());
    job.nodes[n.get<std::string>()] = JobNode{};
  }
  job.quorum = static_cast<int>(job.order.size());
  if (body.contains("quorum")) {
    const Json& q = body["quorum"];
    if (!q.is_number_integer() || q.get<int64_t>() < 1 ||
        q.get<int64_t>() > static_cast<int64_t>(job.order.size()))
      return error(400, "Field 'quorum' must be a number from 1 to the number of nodes");
    job.quorum = q.get<int>();
  }
  if (body.contains("run_timeout")) {
    const Json& t = body["run_timeout"];
    if (!t.is_number_integer() || t.get<int64_t>() < 1)
      return error(400, "Field 'run_timeout' must be a positive number of seconds");
    job.run_timeout = t.get<int64_t>();
  }
  job.command = command->get<std::string>();
  job.id = fmt::format("{:032x}", 0x5eed000000000000ull + next_id_++);
  job.created = Clock::now();
  job.created_at = rfc1123_now();
  const std::string uri = "http://" + req.header("host") + req.path + "/" + job.id;
  const std::string id = job.id;
  jobs_[id] = std::move(job);
  HttpResponse r = HttpResponse::json(201, Json{{"id", id}, {"uri", uri}}.dump());
  r.headers.emplace_back("Location", uri);
  return r;
}

std::optional<HttpResponse> FakePushJobs::handle(const HttpRequest& req, const std::string& path) {
  if (path.rfind("/pushy/", 0) != 0) return std::nullopt;
  std::lock_guard lock(mu_);
  const std::string rest = path.substr(7);
  if (rest == "jobs") {
    if (req.method == "POST") return start_job(req);
    if (req.method != "GET") return error(405, "Method not allowed");
    Json list = Json::array();
    for (auto& [id, job] : jobs_) {
      advance(job);
      list.push_back(Json{{"id", id}, {"status", job.status}});
    }
    return HttpResponse::json(200, list.dump());
  }
  if (rest.rfind("jobs/", 0) == 0) {
    if (req.method != "GET") return error(405, "Method not allowed");
    auto it = jobs_.find(rest.substr(5));
    if (it == jobs_.end()) return error(404, "Job not found");
    advance(it->second);
    return HttpResponse::json(200, job_json(it->second));
  }
  auto state_of = [&](const std::string& name) {
    const PushNode& b = node_behaviour(name);
    return Json{{"node_name", name},
                {"availability", b.available ? "available" : "unavailable"},
                {"status", b.available ? "up" : "down"},
                {"updated_at", rfc1123_now()}};
  };
  if (rest == "node_states") {
    if (req.method != "GET") return error(405, "Method not allowed");
    Json list = Json::array();
    for (const auto& [name, b] : nodes_) list.push_back(state_of(name));
    return HttpResponse::json(200, list.dump());
  }
  if (rest.rfind("node_states/", 0) == 0) {
    if (req.method != "GET") return error(405, "Method not allowed");
    const std::string name = rest.substr(12);
    if (hooks_.node_exists && !hooks_.node_exists(name)) return error(404, "Node not found");
    return HttpResponse::json(200, state_of(name).dump());
  }
  return error(404, "Not found");
}

std::optional<HttpResponse> FakePushJobs::handle_control(const HttpRequest& req) {
  static const std::string run = "/_fake/chef-client-run/";
  static const std::string node = "/_fake/push/nodes/";
  if (req.path.rfind(run, 0) == 0) {
    if (req.method != "POST") return error(405, "Method not allowed");
    const std::string name = req.path.substr(run.size());
    std::lock_guard lock(mu_);
    if (hooks_.node_exists && !hooks_.node_exists(name))
      return error(404, "No node \"" + name + "\": a chef-client run registers first");
    if (hooks_.converged) hooks_.converged(name);
    return HttpResponse::json(200, "{}");
  }
  const bool is_node = req.path.rfind(node, 0) == 0;
  if (is_node || req.path == "/_fake/push/default") {
    if (req.method != "PUT") return error(405, "Method not allowed");
    Json j = Json::parse(req.body, nullptr, false);
    std::lock_guard lock(mu_);
    PushNode n = is_node ? node_behaviour(req.path.substr(node.size())) : default_;
    std::string why;
    if (j.is_discarded() || !apply_fields(j, n, &why)) return error(400, "Bad push node: " + why);
    if (is_node)
      nodes_[req.path.substr(node.size())] = n;
    else
      default_ = n;
    return HttpResponse::json(200, "{}");
  }
  return std::nullopt;
}

}  // namespace orch::fakes
