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
  return chef_error(status, message);
}

double epoch_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// What a chef-client run leaves on the server: the node saved with a new ohai_time, plus what
// the node's behaviour says its recipes change.
void save_converged(FakeChefStore& store, const std::string& name, const PushNode& behaviour) {
  auto it = store.nodes.find(name);
  if (it == store.nodes.end()) return;
  Json& node = it->second;
  if (behaviour.on_save) behaviour.on_save(name, node);
  if (!node["automatic"].is_object()) node["automatic"] = Json::object();
  node["automatic"]["ohai_time"] = epoch_now();
  ++store.generation;
}

std::string rfc1123_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

}  // namespace

std::shared_ptr<FakePushJobs> add_push_jobs(FakeChef& chef) {
  auto push = std::make_shared<FakePushJobs>();
  chef.add_extension("pushy/", [push](const FakeChefRequest& req, FakeChefStore& store) {
    return push->handle(req, store);
  });
  return push;
}

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

void FakePushJobs::advance(Job& job, FakeChefStore& store) {
  const auto elapsed = Clock::now() - job.created;
  if (job.status == "voting") {
    if (elapsed < kVoteTime) return;
    int acks = 0;
    for (const auto& name : job.order) {
      const PushNode& b = node_behaviour(name);
      JobNode& n = job.nodes[name];
      const bool listed =
          std::find(b.whitelist.begin(), b.whitelist.end(), job.command) != b.whitelist.end();
      if (!b.available || !store.nodes.count(name))
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
      if (!n.applied && b.exit_code == 0 && b.saves) save_converged(store, name, b);
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

HttpResponse FakePushJobs::start_job(const FakeChefRequest& req) {
  const Json& body = req.body;
  if (!body.is_object()) return error(400, "The request body must be a JSON object");
  last_body_ = req.http->body;
  const Json* command = body.contains("command") ? &body.at("command") : nullptr;
  if (!command || !command->is_string() || command->get<std::string>().empty())
    return error(400, "Field 'command' missing or not a string");
  const Json* nodes = body.contains("nodes") ? &body.at("nodes") : nullptr;
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
    const Json& q = body.at("quorum");
    if (!q.is_number_integer() || q.get<int64_t>() < 1 ||
        q.get<int64_t>() > static_cast<int64_t>(job.order.size()))
      return error(400, "Field 'quorum' must be a number from 1 to the number of nodes");
    job.quorum = q.get<int>();
  }
  if (body.contains("run_timeout")) {
    const Json& t = body.at("run_timeout");
    if (!t.is_number_integer() || t.get<int64_t>() < 1)
      return error(400, "Field 'run_timeout' must be a positive number of seconds");
    job.run_timeout = t.get<int64_t>();
  }
  job.command = command->get<std::string>();
  job.id = fmt::format("{:032x}", 0x5eed000000000000ull + next_id_++);
  job.created = Clock::now();
  job.created_at = rfc1123_now();
  const std::string uri = "http://" + req.http->header("host") + req.http->path + "/" + job.id;
  const std::string id = job.id;
  jobs_[id] = std::move(job);
  HttpResponse r = HttpResponse::json(201, Json{{"id", id}, {"uri", uri}}.dump());
  r.headers.emplace_back("Location", uri);
  return r;
}

std::optional<HttpResponse> FakePushJobs::handle(const FakeChefRequest& req, FakeChefStore& store) {
  if (req.rest.rfind("pushy/", 0) != 0) return std::nullopt;
  std::lock_guard lock(mu_);
  const std::string& method = req.http->method;
  const std::string rest = req.rest.substr(6);
  if (rest == "jobs") {
    if (method == "POST") return start_job(req);
    if (method != "GET") return error(405, "Method not allowed");
    Json list = Json::array();
    for (auto& [id, job] : jobs_) {
      advance(job, store);
      list.push_back(Json{{"id", id}, {"status", job.status}});
    }
    return chef_json(200, list);
  }
  if (rest.rfind("jobs/", 0) == 0) {
    if (method != "GET") return error(405, "Method not allowed");
    auto it = jobs_.find(rest.substr(5));
    if (it == jobs_.end()) return error(404, "Job not found");
    advance(it->second, store);
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
    if (method != "GET") return error(405, "Method not allowed");
    Json list = Json::array();
    for (const auto& [name, node] : store.nodes) list.push_back(state_of(name));
    return chef_json(200, list);
  }
  if (rest.rfind("node_states/", 0) == 0) {
    if (method != "GET") return error(405, "Method not allowed");
    const std::string name = rest.substr(12);
    if (!store.nodes.count(name)) return error(404, "Node not found");
    return chef_json(200, state_of(name));
  }
  return error(404, "no such Push Jobs endpoint: " + method + " /" + req.rest);
}

}  // namespace orch::fakes
