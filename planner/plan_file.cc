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

#include "planner/json_values.h"

namespace orch {

using json = nlohmann::json;

namespace {

// Where the values are in a plan file's envelope.
const JsonValueSites& plan_sites() {
  static const JsonValueSites sites = [] {
    JsonValueSites s;
    s.values = {"before", "after", "value", "condition", "gate_condition"};
    s.marks = true;
    return s;
  }();
  return sites;
}

// A small writer of the plan file's envelope: members of the object being written.
class Out {
 public:
  explicit Out(std::string& s) : s_(s) {}
  void open(char c) {
    s_ += c;
    first_ = true;
  }
  void close(char c) {
    s_ += c;
    first_ = false;
  }
  void key(const char* k) {
    sep();
    s_ += '"';
    s_ += k;
    s_ += "\":";
    first_ = true;  // the value follows without a comma
  }
  void sep() {
    if (!first_) s_ += ',';
    first_ = false;
  }
  bool str(const std::string& v) {
    sep();
    return append_json_string(s_, v) || (ok_ = false);
  }
  void raw(const std::string& v) {
    sep();
    s_ += v;
  }
  void num(int64_t v) { raw(std::to_string(v)); }
  void dbl(double v) {
    sep();
    append_json_double(s_, v);
  }
  void boolean(bool v) { raw(v ? "true" : "false"); }
  void value(const Value& v) {
    sep();
    std::string e;
    if (!append_plan_value_json(s_, v, &e)) {
      ok_ = false;
      if (error_.empty()) error_ = e;
    }
  }
  void strings(const std::vector<std::string>& v) {
    sep();
    open('[');
    for (const auto& x : v) str(x);
    close(']');
  }
  void string_map(const std::map<std::string, std::string>& m) {
    sep();
    open('{');
    for (const auto& [k, v] : m) {
      sep();
      if (!append_json_string(s_, k)) ok_ = false;
      s_ += ':';
      first_ = true;
      str(v);
    }
    close('}');
  }
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }

 private:
  std::string& s_;
  bool first_ = true;
  bool ok_ = true;
  std::string error_;
};

// Reading: typed access to the envelope, collecting the first problem.
class In {
 public:
  std::string problem;

  const Value* member(const Value& o, const char* key, bool required = true) {
    const Value* v = json_member(o, key);
    if (!v && required) bad(std::string("missing \"") + key + "\"");
    return v;
  }
  std::string str(const Value& o, const char* key, bool required = true) {
    const Value* v = member(o, key, required);
    if (!v) return "";
    if (v->kind() != ValueKind::String)
      return bad(std::string("\"") + key + "\" must be a string"), "";
    return v->as_string();
  }
  int64_t num(const Value& o, const char* key, bool required = true) {
    const Value* v = member(o, key, required);
    if (!v) return 0;
    if (v->kind() != ValueKind::Number || !v->as_number().is_int)
      return bad(std::string("\"") + key + "\" must be a whole number"), 0;
    return v->as_number().i;
  }
  double dbl(const Value& o, const char* key) {
    const Value* v = member(o, key, false);
    if (!v) return 0;
    if (v->kind() != ValueKind::Number)
      return bad(std::string("\"") + key + "\" must be a number"), 0;
    return v->as_number().as_double();
  }
  bool boolean(const Value& o, const char* key, bool required = true) {
    const Value* v = member(o, key, required);
    if (!v) return false;
    if (v->kind() != ValueKind::Bool)
      return bad(std::string("\"") + key + "\" must be true or false"), false;
    return v->as_bool();
  }
  Value value(const Value& o, const char* key) {
    const Value* v = member(o, key);
    return v ? *v : Value();
  }
  const ValueList& list(const Value& o, const char* key, bool required = true) {
    static const ValueList kEmpty;
    const Value* v = member(o, key, required);
    if (!v) return kEmpty;
    if (!v->is_sequence()) return bad(std::string("\"") + key + "\" must be a list"), kEmpty;
    return v->elements();
  }
  std::vector<std::string> strings(const Value& o, const char* key, bool required = true) {
    std::vector<std::string> out;
    for (const auto& e : list(o, key, required)) {
      if (e.kind() != ValueKind::String) {
        bad(std::string("\"") + key + "\" must be a list of strings");
        break;
      }
      out.push_back(e.as_string());
    }
    return out;
  }
  std::map<std::string, std::string> string_map(const Value& o, const char* key) {
    std::map<std::string, std::string> out;
    const Value* v = member(o, key, false);
    if (!v) return out;
    if (v->kind() != ValueKind::Object)
      return bad(std::string("\"") + key + "\" must be an object"), out;
    for (const auto& [k, e] : v->attributes()) {
      if (e.kind() != ValueKind::String) {
        bad(std::string("\"") + key + "\" must map names to strings");
        break;
      }
      out[k] = e.as_string();
    }
    return out;
  }
  void bad(std::string what) {
    if (problem.empty()) problem = std::move(what);
  }
};

}  // namespace

bool plan_file_to_text(const PlanFile& pf, std::string& text, std::string* error) {
  const Plan& p = pf.plan;
  text.clear();
  Out o(text);
  o.open('{');
  o.key("orch_plan_format"), o.num(kPlanFileFormat);
  o.key("orch_version"), o.str(p.orch_version);
  o.key("destroy_mode"), o.boolean(p.destroy_mode);
  o.key("errored"), o.boolean(p.errored);
  o.key("state"), o.sep(), o.open('{');
  o.key("lineage"), o.str(p.state_lineage);
  o.key("serial"), o.num(static_cast<int64_t>(p.state_serial));
  o.key("exists"), o.boolean(p.state_exists);
  o.close('}');
  o.key("targets"), o.strings(p.targets);
  o.key("replace"), o.strings(p.replace);
  o.key("parallelism"), o.num(p.parallelism);
  o.key("config_dir"), o.str(pf.config_dir);
  o.key("config_files"), o.string_map(pf.config_files);
  o.key("options"), o.string_map(pf.options);

  o.key("changes"), o.sep(), o.open('[');
  for (const auto& rc : p.changes) {
    o.sep(), text += "\n", o.open('{');
    o.key("address"), o.str(rc.address);
    o.key("provider"), o.str(rc.provider);
    o.key("action"), o.num(static_cast<int>(rc.action));
    o.key("reason"), o.num(static_cast<int>(rc.reason));
    o.key("before"), o.value(rc.before);
    o.key("after"), o.value(rc.after);
    o.key("replace_paths"), o.strings(rc.replace_paths);
    o.key("prior_id"), o.str(rc.prior_id);
    o.key("depends_on"), o.strings(rc.depends_on);
    o.key("create_before_destroy"), o.boolean(rc.create_before_destroy);
    o.key("drift"), o.str(rc.drift);
    if (rc.gate_pending) o.key("gate_pending"), o.boolean(true);
    if (!rc.adopt_id.empty()) o.key("adopt_id"), o.str(rc.adopt_id);
    if (!rc.notes.empty()) o.key("notes"), o.strings(rc.notes);
    if (rc.gate_condition) o.key("gate_condition"), o.value(*rc.gate_condition);
    o.close('}');
  }
  o.close(']');

  o.key("deferred"), o.sep(), o.open('[');
  for (const auto& d : p.deferred) {
    o.sep(), text += "\n", o.open('{');
    o.key("block"), o.str(d.block);
    o.key("provider"), o.str(d.provider);
    o.key("meta"), o.str(d.meta);
    o.key("waiting_for"), o.str(d.waiting_for);
    if (d.max_instances) o.key("max_instances"), o.num(*d.max_instances);
    o.key("after"), o.value(d.after);
    o.key("existing"), o.strings(d.existing);
    o.close('}');
  }
  o.close(']');

  o.key("outputs"), o.sep(), o.open('[');
  for (const auto& oc : p.outputs) {
    o.sep(), o.open('{');
    o.key("name"), o.str(oc.name);
    o.key("action"), o.num(static_cast<int>(oc.action));
    o.key("before"), o.value(oc.before);
    o.key("after"), o.value(oc.after);
    o.key("sensitive"), o.boolean(oc.sensitive);
    o.close('}');
  }
  o.close(']');

  o.key("variables"), o.sep(), o.open('[');
  for (const auto& v : p.variables) {
    o.sep(), o.open('{');
    o.key("name"), o.str(v.name);
    o.key("value"), o.value(v.value);
    o.key("sensitive"), o.boolean(v.sensitive);
    o.close('}');
  }
  o.close(']');

  o.key("rollouts"), o.sep(), o.open('[');
  for (const auto& r : p.rollouts) {
    o.sep(), text += "\n", o.open('{');
    o.key("block"), o.str(r.block);
    o.key("canary"), o.num(r.canary);
    o.key("batch"), o.str(r.batch);
    o.key("batch_size"), o.num(r.batch_size);
    o.key("max_failures"), o.num(r.max_failures);
    o.key("pause_ms"), o.num(r.pause.count());
    o.key("waves"), o.sep(), o.open('[');
    for (const auto& w : r.waves) o.strings(w);
    o.close(']');
    o.close('}');
  }
  o.close(']');

  o.key("gates"), o.sep(), o.open('[');
  for (const auto& g : p.gates) {
    o.sep(), o.open('{');
    o.key("block"), o.str(g.block);
    o.key("kind"), o.str(g.kind);
    o.key("condition"), o.value(g.condition);
    if (g.per_instance) o.key("per_instance"), o.boolean(true);
    o.key("timeout_ms"), o.num(g.timeout.count());
    o.key("interval_ms"), o.num(g.interval.count());
    if (g.simulate_after) o.key("simulate_after_ms"), o.num(g.simulate_after->count());
    o.close('}');
  }
  o.close(']');

  o.key("limits"), o.sep(), o.open('[');
  for (const auto& l : p.limits) {
    o.sep(), o.open('{');
    o.key("provider"), o.str(l.provider);
    o.key("max_concurrency"), o.num(l.max_concurrency);
    o.key("requests_per_second"), o.dbl(l.requests_per_second);
    if (!l.exempt_types.empty()) o.key("exempt_types"), o.strings(l.exempt_types);
    o.close('}');
  }
  o.close(']');

  o.key("graph"), o.sep(), o.open('{');
  o.key("nodes"), o.sep(), o.open('[');
  for (const auto& n : p.graph.nodes) {
    o.sep(), text += "\n", o.open('[');
    o.str(n.id), o.num(static_cast<int>(n.kind)), o.num(static_cast<int>(n.op)), o.str(n.address);
    o.close(']');
  }
  o.close(']');
  o.key("edges"), o.sep(), o.open('[');
  for (const auto& e : p.graph.edges)
    o.raw("[" + std::to_string(e.from) + "," + std::to_string(e.to) + "]");
  o.close(']');
  o.close('}');
  o.close('}');
  text += "\n";
  if (!o.ok()) {
    if (error) *error = o.error().empty() ? "the plan holds a string that is not UTF-8" : o.error();
    return false;
  }
  return true;
}

std::optional<PlanFile> plan_file_from_text(std::string_view text, std::string* error) {
  Value j;
  JsonReadError re;
  if (!read_json_values(text, &plan_sites(), j, &re)) {
    *error = re.syntax ? "not an orch plan file (not JSON)"
                       : "corrupt plan file: " + re.path + ": " + re.message;
    return std::nullopt;
  }
  In in;
  if (j.kind() != ValueKind::Object || !json_member(j, "orch_plan_format")) {
    *error = "not an orch plan file";
    return std::nullopt;
  }
  int64_t format = in.num(j, "orch_plan_format");
  if (format != kPlanFileFormat) {
    *error = "plan file format " + std::to_string(format) +
             " is not supported by this orch (it reads " + std::to_string(kPlanFileFormat) +
             "); run orch plan again";
    return std::nullopt;
  }
  PlanFile pf;
  Plan& p = pf.plan;
  p.orch_version = in.str(j, "orch_version", false);
  p.destroy_mode = in.boolean(j, "destroy_mode", false);
  p.errored = in.boolean(j, "errored", false);
  if (const Value* st = in.member(j, "state")) {
    p.state_lineage = in.str(*st, "lineage", false);
    p.state_serial = static_cast<uint64_t>(in.num(*st, "serial", false));
    p.state_exists = in.boolean(*st, "exists", false);
  }
  p.targets = in.strings(j, "targets", false);
  p.replace = in.strings(j, "replace", false);
  p.parallelism = static_cast<int>(in.num(j, "parallelism", false));
  pf.config_dir = in.str(j, "config_dir", false);
  pf.config_files = in.string_map(j, "config_files");
  pf.options = in.string_map(j, "options");

  for (const auto& e : in.list(j, "changes")) {
    ResourceChange rc;
    std::string text_addr = in.str(e, "address");
    auto parsed = parse_address(text_addr);
    if (!parsed.ok()) {
      *error = "plan file has a malformed address: " + parsed.error->str(text_addr);
      return std::nullopt;
    }
    rc.addr = *parsed.address;
    rc.address = rc.addr.str();
    rc.provider = in.str(e, "provider");
    int64_t action = in.num(e, "action"), reason = in.num(e, "reason");
    if (action < 0 || action > static_cast<int>(PlanAction::Delete) || reason < 0 ||
        reason > static_cast<int>(ChangeReason::ReadBecauseDependencyPending)) {
      *error = "plan file has an unknown action for " + rc.address;
      return std::nullopt;
    }
    rc.action = static_cast<PlanAction>(action);
    rc.reason = static_cast<ChangeReason>(reason);
    rc.before = in.value(e, "before");
    rc.after = in.value(e, "after");
    rc.replace_paths = in.strings(e, "replace_paths");
    rc.prior_id = in.str(e, "prior_id");
    rc.depends_on = in.strings(e, "depends_on");
    rc.create_before_destroy = in.boolean(e, "create_before_destroy");
    rc.drift = in.str(e, "drift");
    rc.gate_pending = in.boolean(e, "gate_pending", false);
    rc.adopt_id = in.str(e, "adopt_id", false);
    rc.notes = in.strings(e, "notes", false);
    if (json_member(e, "gate_condition")) rc.gate_condition = in.value(e, "gate_condition");
    p.changes.push_back(std::move(rc));
  }
  for (const auto& e : in.list(j, "deferred", false)) {
    PlanDeferred d;
    d.block = in.str(e, "block");
    d.provider = in.str(e, "provider");
    d.meta = in.str(e, "meta");
    d.waiting_for = in.str(e, "waiting_for", false);
    if (json_member(e, "max_instances")) d.max_instances = in.num(e, "max_instances");
    d.after = in.value(e, "after");
    d.existing = in.strings(e, "existing", false);
    p.deferred.push_back(std::move(d));
  }
  for (const auto& e : in.list(j, "outputs")) {
    OutputChange oc;
    oc.name = in.str(e, "name");
    int64_t action = in.num(e, "action");
    if (action < 0 || action > static_cast<int>(PlanAction::Delete)) {
      *error = "plan file has an unknown action for output " + oc.name;
      return std::nullopt;
    }
    oc.action = static_cast<PlanAction>(action);
    oc.before = in.value(e, "before");
    oc.after = in.value(e, "after");
    oc.sensitive = in.boolean(e, "sensitive");
    p.outputs.push_back(std::move(oc));
  }
  for (const auto& e : in.list(j, "variables"))
    p.variables.push_back({in.str(e, "name"), in.value(e, "value"), in.boolean(e, "sensitive")});
  for (const auto& e : in.list(j, "rollouts")) {
    PlanRollout r;
    r.block = in.str(e, "block");
    r.canary = static_cast<int>(in.num(e, "canary"));
    r.batch = in.str(e, "batch");
    r.batch_size = static_cast<int>(in.num(e, "batch_size"));
    r.max_failures = static_cast<int>(in.num(e, "max_failures"));
    r.pause = Duration(in.num(e, "pause_ms"));
    for (const auto& w : in.list(e, "waves")) {
      std::vector<std::string> wave;
      if (!w.is_sequence()) {
        in.bad("a rollout wave must be a list");
        break;
      }
      for (const auto& a : w.elements())
        if (a.kind() == ValueKind::String) wave.push_back(a.as_string());
      r.waves.push_back(std::move(wave));
    }
    p.rollouts.push_back(std::move(r));
  }
  for (const auto& e : in.list(j, "gates")) {
    PlanGate g;
    g.block = in.str(e, "block");
    g.kind = in.str(e, "kind");
    g.condition = in.value(e, "condition");
    g.per_instance = in.boolean(e, "per_instance", false);
    g.timeout = Duration(in.num(e, "timeout_ms"));
    g.interval = Duration(in.num(e, "interval_ms"));
    if (json_member(e, "simulate_after_ms"))
      g.simulate_after = Duration(in.num(e, "simulate_after_ms"));
    p.gates.push_back(std::move(g));
  }
  for (const auto& e : in.list(j, "limits", false)) {
    PlanLimit l;
    l.provider = in.str(e, "provider");
    l.max_concurrency = static_cast<int>(in.num(e, "max_concurrency"));
    l.requests_per_second = in.dbl(e, "requests_per_second");
    l.exempt_types = in.strings(e, "exempt_types", false);
    p.limits.push_back(std::move(l));
  }
  if (const Value* g = in.member(j, "graph")) {
    for (const auto& e : in.list(*g, "nodes")) {
      const ValueList* f = e.is_sequence() ? &e.elements() : nullptr;
      if (!f || f->size() != 4 || (*f)[0].kind() != ValueKind::String ||
          (*f)[1].kind() != ValueKind::Number || (*f)[2].kind() != ValueKind::Number ||
          (*f)[3].kind() != ValueKind::String) {
        *error = "plan file has a malformed graph node";
        return std::nullopt;
      }
      PlanNode n;
      n.id = (*f)[0].as_string();
      int64_t kind = (*f)[1].as_number().i, op = (*f)[2].as_number().i;
      if (kind < 0 || kind > static_cast<int>(NodeKind::Expand) || op < 0 ||
          op > static_cast<int>(NodeOp::NoOp)) {
        *error = "plan file has an unknown graph node kind";
        return std::nullopt;
      }
      n.kind = static_cast<NodeKind>(kind);
      n.op = static_cast<NodeOp>(op);
      n.address = (*f)[3].as_string();
      p.graph.nodes.push_back(std::move(n));
    }
    const int64_t n = static_cast<int64_t>(p.graph.nodes.size());
    for (const auto& e : in.list(*g, "edges")) {
      const ValueList* f = e.is_sequence() ? &e.elements() : nullptr;
      if (!f || f->size() != 2 || (*f)[0].kind() != ValueKind::Number ||
          (*f)[1].kind() != ValueKind::Number) {
        *error = "plan file has a malformed graph edge";
        return std::nullopt;
      }
      int64_t from = (*f)[0].as_number().i, to = (*f)[1].as_number().i;
      if (from < 0 || from >= n || to < 0 || to >= n) {
        *error = "plan file has a graph edge to a missing node";
        return std::nullopt;
      }
      p.graph.edges.push_back({static_cast<int>(from), static_cast<int>(to)});
    }
  }
  if (!in.problem.empty()) {
    *error = "corrupt plan file: " + in.problem;
    return std::nullopt;
  }
  return pf;
}

json value_to_json_exact(const Value& v) {
  std::string text, e;
  append_plan_value_json(text, v, &e);
  return json::parse(text);
}

Value value_from_json_exact(const json& j, std::string* error) {
  static const JsonValueSites whole = [] {
    JsonValueSites s;
    s.whole = true;
    s.marks = true;
    return s;
  }();
  Value v;
  JsonReadError e;
  if (!read_json_values(j.dump(), &whole, v, &e)) {
    if (error)
      *error = "malformed value in plan file: " +
               (e.path.empty() ? e.message : e.path + ": " + e.message);
    return Value();
  }
  return v;
}

json plan_file_to_json(const PlanFile& pf) {
  std::string text, e;
  plan_file_to_text(pf, text, &e);
  return json::parse(text);
}

std::optional<PlanFile> plan_file_from_json(const json& j, std::string* error) {
  return plan_file_from_text(j.dump(), error);
}

bool write_plan_file(const std::string& path, const PlanFile& pf, std::string* error) {
  std::string text;
  if (!plan_file_to_text(pf, text, error)) return false;
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
  auto pf = plan_file_from_text(ss.str(), error);
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
