// Saved plan files: a JSON document holding the whole Plan (values encoded exactly), written
// with temp file + fsync + rename, mode 0600.
#include "planner/plan_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace orch {

using json = nlohmann::json;

json value_to_json_exact(const Value& v) {
  json inner;
  switch (v.kind()) {
    case ValueKind::Null:
      inner = nullptr;
      break;
    case ValueKind::Unknown:
      inner = json{{"unknown", true}};
      break;
    case ValueKind::Bool:
      inner = v.as_bool();
      break;
    case ValueKind::Number: {
      const Number& n = v.as_number();
      if (n.is_int)
        inner = n.i;
      else
        inner = json{{"number", n.d}};
      break;
    }
    case ValueKind::String:
      inner = v.as_string();
      break;
    case ValueKind::List:
    case ValueKind::Set:
    case ValueKind::Tuple: {
      json arr = json::array();
      for (const auto& e : v.elements()) arr.push_back(value_to_json_exact(e));
      const char* tag = v.kind() == ValueKind::List  ? "list"
                        : v.kind() == ValueKind::Set ? "set"
                                                     : "tuple";
      inner = json{{tag, arr}};
      break;
    }
    case ValueKind::Map:
    case ValueKind::Object: {
      json obj = json::object();
      for (const auto& [k, e] : v.attributes()) obj[k] = value_to_json_exact(e);
      inner = json{{v.kind() == ValueKind::Map ? "map" : "object", obj}};
      break;
    }
  }
  if (v.is_sensitive()) return json{{"sensitive", inner}};
  return inner;
}

Value value_from_json_exact(const json& j, std::string* error) {
  if (j.is_null()) return Value();
  if (j.is_boolean()) return Value::boolean(j.get<bool>());
  if (j.is_number_integer()) return Value::number(j.get<int64_t>());
  if (j.is_number()) return Value::number(j.get<double>());
  if (j.is_string()) return Value::string(j.get<std::string>());
  if (!j.is_object() || j.size() != 1) {
    if (error) *error = "malformed value in plan file";
    return Value();
  }
  // Plain references, not a structured binding: clang 14 rejects lambdas capturing those.
  auto item = j.items().begin();
  const std::string& tag = item.key();
  const json& body = item.value();
  auto seq = [&]() {
    ValueList out;
    if (!body.is_array()) {
      if (error) *error = "malformed " + tag + " in plan file";
      return out;
    }
    for (const auto& e : body) out.push_back(value_from_json_exact(e, error));
    return out;
  };
  auto attrs = [&]() {
    ValueMap out;
    if (!body.is_object()) {
      if (error) *error = "malformed " + tag + " in plan file";
      return out;
    }
    for (const auto& [k, e] : body.items()) out[k] = value_from_json_exact(e, error);
    return out;
  };
  if (tag == "unknown") return Value::unknown();
  if (tag == "number" && body.is_number()) return Value::number(body.get<double>());
  if (tag == "sensitive") return value_from_json_exact(body, error).mark_sensitive();
  if (tag == "list") return Value::list(seq());
  if (tag == "set") return Value::set(seq());
  if (tag == "tuple") return Value::tuple(seq());
  if (tag == "map") return Value::map(attrs());
  if (tag == "object") return Value::object(attrs());
  if (error) *error = "unknown value tag \"" + tag + "\" in plan file";
  return Value();
}

namespace {

template <typename T>
T get_or(const json& j, const char* key, T def) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return def;
  return it->get<T>();
}

Duration dur(const json& j, const char* key) {
  return Duration(get_or<int64_t>(j, key, 0));
}

}  // namespace

json plan_file_to_json(const PlanFile& pf) {
  const Plan& p = pf.plan;
  json j;
  j["orch_plan_format"] = kPlanFileFormat;
  j["orch_version"] = p.orch_version;
  j["destroy_mode"] = p.destroy_mode;
  j["errored"] = p.errored;
  j["state"] = {
      {"lineage", p.state_lineage}, {"serial", p.state_serial}, {"exists", p.state_exists}};
  j["targets"] = p.targets;
  j["replace"] = p.replace;
  j["config_dir"] = pf.config_dir;
  j["config_files"] = pf.config_files;
  j["options"] = pf.options;

  json changes = json::array();
  for (const auto& rc : p.changes) {
    json e;
    e["address"] = rc.addr.str();
    e["provider"] = rc.provider;
    e["action"] = static_cast<int>(rc.action);
    e["reason"] = static_cast<int>(rc.reason);
    e["before"] = value_to_json_exact(rc.before);
    e["after"] = value_to_json_exact(rc.after);
    e["replace_paths"] = rc.replace_paths;
    e["prior_id"] = rc.prior_id;
    e["depends_on"] = rc.depends_on;
    e["create_before_destroy"] = rc.create_before_destroy;
    e["drift"] = rc.drift;
    if (!rc.adopt_id.empty()) e["adopt_id"] = rc.adopt_id;
    if (!rc.notes.empty()) e["notes"] = rc.notes;
    changes.push_back(e);
  }
  j["changes"] = changes;

  json outputs = json::array();
  for (const auto& o : p.outputs)
    outputs.push_back({{"name", o.name},
                       {"action", static_cast<int>(o.action)},
                       {"before", value_to_json_exact(o.before)},
                       {"after", value_to_json_exact(o.after)},
                       {"sensitive", o.sensitive}});
  j["outputs"] = outputs;

  json vars = json::array();
  for (const auto& v : p.variables)
    vars.push_back(
        {{"name", v.name}, {"value", value_to_json_exact(v.value)}, {"sensitive", v.sensitive}});
  j["variables"] = vars;

  json rollouts = json::array();
  for (const auto& r : p.rollouts)
    rollouts.push_back({{"block", r.block},
                        {"canary", r.canary},
                        {"batch", r.batch},
                        {"batch_size", r.batch_size},
                        {"max_failures", r.max_failures},
                        {"pause_ms", r.pause.count()},
                        {"waves", r.waves}});
  j["rollouts"] = rollouts;

  json gates = json::array();
  for (const auto& g : p.gates) {
    json e = {{"block", g.block},
              {"kind", g.kind},
              {"condition", value_to_json_exact(g.condition)},
              {"timeout_ms", g.timeout.count()},
              {"interval_ms", g.interval.count()}};
    if (g.simulate_after) e["simulate_after_ms"] = g.simulate_after->count();
    gates.push_back(e);
  }
  j["gates"] = gates;

  json nodes = json::array();
  for (const auto& n : p.graph.nodes)
    nodes.push_back({{"id", n.id},
                     {"kind", static_cast<int>(n.kind)},
                     {"op", static_cast<int>(n.op)},
                     {"address", n.address}});
  json edges = json::array();
  for (const auto& e : p.graph.edges) edges.push_back(json::array({e.from, e.to}));
  j["graph"] = {{"nodes", nodes}, {"edges", edges}};
  return j;
}

std::optional<PlanFile> plan_file_from_json(const json& j, std::string* error) {
  try {
    if (!j.is_object() || !j.contains("orch_plan_format")) {
      *error = "not an orch plan file";
      return std::nullopt;
    }
    int fmt = j["orch_plan_format"].get<int>();
    if (fmt != kPlanFileFormat) {
      *error = "plan file format " + std::to_string(fmt) + " is not supported by this orch (" +
               std::to_string(kPlanFileFormat) + ")";
      return std::nullopt;
    }
    PlanFile pf;
    Plan& p = pf.plan;
    std::string verr;
    p.orch_version = get_or<std::string>(j, "orch_version", "");
    p.destroy_mode = get_or<bool>(j, "destroy_mode", false);
    p.errored = get_or<bool>(j, "errored", false);
    const json& st = j.at("state");
    p.state_lineage = get_or<std::string>(st, "lineage", "");
    p.state_serial = get_or<uint64_t>(st, "serial", 0);
    p.state_exists = get_or<bool>(st, "exists", false);
    p.targets = get_or<std::vector<std::string>>(j, "targets", {});
    p.replace = get_or<std::vector<std::string>>(j, "replace", {});
    pf.config_dir = get_or<std::string>(j, "config_dir", "");
    pf.config_files = get_or<std::map<std::string, std::string>>(j, "config_files", {});
    pf.options = get_or<std::map<std::string, std::string>>(j, "options", {});

    for (const auto& e : j.at("changes")) {
      ResourceChange rc;
      std::string text = e.at("address").get<std::string>();
      auto parsed = parse_address(text);
      if (!parsed.ok()) {
        *error = "plan file has a malformed address: " + parsed.error->str(text);
        return std::nullopt;
      }
      rc.addr = *parsed.address;
      rc.address = rc.addr.str();
      rc.provider = e.at("provider").get<std::string>();
      int action = e.at("action").get<int>();
      int reason = e.at("reason").get<int>();
      if (action < 0 || action > static_cast<int>(PlanAction::Delete) || reason < 0 ||
          reason > static_cast<int>(ChangeReason::ReadBecauseDependencyPending)) {
        *error = "plan file has an unknown action for " + rc.address;
        return std::nullopt;
      }
      rc.action = static_cast<PlanAction>(action);
      rc.reason = static_cast<ChangeReason>(reason);
      rc.before = value_from_json_exact(e.at("before"), &verr);
      rc.after = value_from_json_exact(e.at("after"), &verr);
      rc.replace_paths = e.at("replace_paths").get<std::vector<std::string>>();
      rc.prior_id = e.at("prior_id").get<std::string>();
      rc.depends_on = e.at("depends_on").get<std::vector<std::string>>();
      rc.create_before_destroy = e.at("create_before_destroy").get<bool>();
      rc.drift = e.at("drift").get<std::string>();
      if (e.contains("adopt_id")) rc.adopt_id = e.at("adopt_id").get<std::string>();
      if (e.contains("notes")) rc.notes = e.at("notes").get<std::vector<std::string>>();
      p.changes.push_back(std::move(rc));
    }
    for (const auto& e : j.at("outputs")) {
      OutputChange o;
      o.name = e.at("name").get<std::string>();
      o.action = static_cast<PlanAction>(e.at("action").get<int>());
      o.before = value_from_json_exact(e.at("before"), &verr);
      o.after = value_from_json_exact(e.at("after"), &verr);
      o.sensitive = e.at("sensitive").get<bool>();
      p.outputs.push_back(std::move(o));
    }
    for (const auto& e : j.at("variables"))
      p.variables.push_back({e.at("name").get<std::string>(),
                             value_from_json_exact(e.at("value"), &verr),
                             e.at("sensitive").get<bool>()});
    for (const auto& e : j.at("rollouts")) {
      PlanRollout r;
      r.block = e.at("block").get<std::string>();
      r.canary = e.at("canary").get<int>();
      r.batch = e.at("batch").get<std::string>();
      r.batch_size = e.at("batch_size").get<int>();
      r.max_failures = e.at("max_failures").get<int>();
      r.pause = dur(e, "pause_ms");
      r.waves = e.at("waves").get<std::vector<std::vector<std::string>>>();
      p.rollouts.push_back(std::move(r));
    }
    for (const auto& e : j.at("gates")) {
      PlanGate g;
      g.block = e.at("block").get<std::string>();
      g.kind = e.at("kind").get<std::string>();
      g.condition = value_from_json_exact(e.at("condition"), &verr);
      g.timeout = dur(e, "timeout_ms");
      g.interval = dur(e, "interval_ms");
      if (e.contains("simulate_after_ms")) g.simulate_after = dur(e, "simulate_after_ms");
      p.gates.push_back(std::move(g));
    }
    const json& g = j.at("graph");
    for (const auto& e : g.at("nodes")) {
      PlanNode n;
      n.id = e.at("id").get<std::string>();
      int kind = e.at("kind").get<int>(), op = e.at("op").get<int>();
      if (kind < 0 || kind > static_cast<int>(NodeKind::AnyOf) || op < 0 ||
          op > static_cast<int>(NodeOp::NoOp)) {
        *error = "plan file has an unknown graph node kind";
        return std::nullopt;
      }
      n.kind = static_cast<NodeKind>(kind);
      n.op = static_cast<NodeOp>(op);
      n.address = e.at("address").get<std::string>();
      p.graph.nodes.push_back(std::move(n));
    }
    int n = static_cast<int>(p.graph.nodes.size());
    for (const auto& e : g.at("edges")) {
      PlanEdge ed{e.at(0).get<int>(), e.at(1).get<int>()};
      if (ed.from < 0 || ed.from >= n || ed.to < 0 || ed.to >= n) {
        *error = "plan file has a graph edge to a missing node";
        return std::nullopt;
      }
      p.graph.edges.push_back(ed);
    }
    if (!verr.empty()) {
      *error = verr;
      return std::nullopt;
    }
    return pf;
  } catch (const json::exception& e) {
    *error = std::string("corrupt plan file: ") + e.what();
    return std::nullopt;
  }
}

bool write_plan_file(const std::string& path, const PlanFile& pf, std::string* error) {
  std::string text = plan_file_to_json(pf).dump() + "\n";
  if (auto parent = std::filesystem::path(path).parent_path(); !parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
  }
  std::string tmp = path + ".tmp" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = "cannot write " + path + ": " + std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    off += static_cast<size_t>(n);
  }
  ::fchmod(fd, 0600);
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    *error = "cannot write " + path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = "cannot write " + path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

std::optional<PlanFile> read_plan_file(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read plan file " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) {
    *error = path + " is not an orch plan file (not JSON)";
    return std::nullopt;
  }
  auto pf = plan_file_from_json(j, error);
  if (!pf) *error = path + ": " + *error;
  return pf;
}

std::string stale_plan_message(const Plan& plan, bool state_exists, const std::string& lineage,
                               uint64_t serial) {
  if (!plan.state_exists) {
    if (!state_exists) return "";
    return "Saved plan is stale: it was made when no state existed, and the state now has serial " +
           std::to_string(serial) + "; run orch plan again.";
  }
  if (!state_exists)
    return "Saved plan is stale: the state it was made against (serial " +
           std::to_string(plan.state_serial) + ") no longer exists; run orch plan again.";
  if (lineage != plan.state_lineage)
    return "Saved plan is for a different state (lineage " + plan.state_lineage + ", current " +
           lineage + "); run orch plan again.";
  if (serial != plan.state_serial)
    return "Saved plan is stale: the state changed since it was made (serial " +
           std::to_string(plan.state_serial) + " → " + std::to_string(serial) +
           "); run orch plan again.";
  return "";
}

}  // namespace orch
