// The sample plan for golden tests. Built by hand so that renderer tests do not depend on the
// parser, evaluator or providers.
#include "tests/support/plan_fixture.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace orch::testing {
namespace {

ResourceAddress addr(const std::string& text) {
  return *parse_address(text).address;
}

ResourceChange change(const std::string& address, PlanAction action, Value before, Value after) {
  ResourceChange rc;
  rc.addr = addr(address);
  rc.address = rc.addr.str();
  rc.provider = "sim";
  rc.action = action;
  rc.before = std::move(before);
  rc.after = std::move(after);
  return rc;
}

Value machine(const std::string& name, Value id, const std::string& size, Value ip) {
  return Value::object({{"id", std::move(id)},
                        {"name", Value::string(name)},
                        {"image", Value::string("debian-12")},
                        {"size", Value::string(size)},
                        {"boot_time", Value::string("40s")},
                        {"private_ip", std::move(ip)},
                        {"tags", Value::map({{"cluster", Value::string("demo")}})}});
}

}  // namespace

Plan sample_plan() {
  Plan p;
  p.orch_version = "0.1.0";
  p.state_lineage = "7d3c1f00-0000-4000-8000-000000000001";
  p.state_serial = 4;
  p.state_exists = true;

  // Create: computed attributes unknown.
  p.changes.push_back(change(
      "sim_machine.node[2]", PlanAction::Create, Value(),
      machine("node-2", Value::unknown(Type::string()), "small", Value::unknown(Type::string()))));
  // Update in place: size and one tag.
  {
    Value before = machine("node-1", Value::string("m-0001"), "small", Value::string("10.0.0.2"));
    ValueMap a = before.attributes();
    a["size"] = Value::string("large");
    a["tags"] = Value::map({{"cluster", Value::string("demo")}, {"role", Value::string("db")}});
    auto rc = change("sim_machine.node[1]", PlanAction::Update, before, Value::object(a));
    rc.prior_id = "m-0001";
    p.changes.push_back(rc);
  }
  // Replace (destroy then create): image forces replacement.
  {
    Value before = machine("node-0", Value::string("m-0000"), "small", Value::string("10.0.0.1"));
    ValueMap a = before.attributes();
    a["image"] = Value::string("debian-13");
    a["id"] = Value::unknown(Type::string());
    a["private_ip"] = Value::unknown(Type::string());
    auto rc = change("sim_machine.node[0]", PlanAction::DeleteThenCreate, before, Value::object(a));
    rc.reason = ChangeReason::ReplaceBecauseCannotUpdate;
    rc.replace_paths = {"image"};
    rc.prior_id = "m-0000";
    p.changes.push_back(rc);
  }
  // Create before destroy, requested with -replace; a sensitive token.
  {
    Value before = Value::object({{"id", Value::string("t-7")},
                                  {"on", Value::list({Value::string("node-0")})},
                                  {"command", Value::string("setup --master")},
                                  {"token", Value::string("s3cr3t").mark_sensitive()}});
    ValueMap a = before.attributes();
    a["id"] = Value::unknown(Type::string());
    a["on"] = Value::list({Value::string("node-0"), Value::string("node-1")});
    auto rc = change("sim_task.setup", PlanAction::CreateThenDelete, before, Value::object(a));
    rc.reason = ChangeReason::ReplaceByRequest;
    rc.create_before_destroy = true;
    rc.prior_id = "t-7";
    p.changes.push_back(rc);
  }
  // Workers: a rollout with a canary and a gate.
  for (const char* key : {"node-1", "node-2", "node-3"}) {
    Value after = Value::object({{"id", Value::unknown(Type::string())},
                                 {"on", Value::list({Value::string(key)})},
                                 {"command", Value::string("join --master=node-0")},
                                 {"duration", Value::string("30s")}});
    auto rc =
        change(std::string("sim_task.worker[\"") + key + "\"]", PlanAction::Create, Value(), after);
    rc.depends_on = {"sim_task.setup"};
    p.changes.push_back(rc);
  }
  // Orphan delete.
  {
    auto rc = change("module.old.sim_machine.extra", PlanAction::Delete,
                     Value::object({{"id", Value::string("m-0099")},
                                    {"name", Value::string("extra")},
                                    {"size", Value::string("small")}}),
                     Value());
    rc.reason = ChangeReason::DeleteBecauseNoResourceConfig;
    rc.prior_id = "m-0099";
    p.changes.push_back(rc);
  }
  // Data source read during apply.
  {
    auto rc = change("data.sim_image.base", PlanAction::Read, Value(),
                     Value::object({{"name", Value::unknown(Type::string())},
                                    {"family", Value::string("debian")}}));
    rc.reason = ChangeReason::ReadBecauseConfigUnknown;
    p.changes.push_back(rc);
  }
  // Unchanged instance: not shown in text.
  p.changes.push_back(
      change("sim_machine.node[3]", PlanAction::NoOp,
             machine("node-3", Value::string("m-0003"), "small", Value::string("10.0.0.4")),
             machine("node-3", Value::string("m-0003"), "small", Value::string("10.0.0.4"))));

  p.outputs.push_back({"master", PlanAction::Create, Value(), Value::unknown(), false});
  p.outputs.push_back(
      {"admin_token", PlanAction::Update, Value::string("a"), Value::string("b"), true});
  p.variables.push_back({"workers", Value::number(3), false});
  p.variables.push_back({"token", Value::string("s3cr3t"), true});

  PlanRollout r;
  r.block = "sim_task.worker";
  r.canary = 1;
  r.batch = "50%";
  r.batch_size = 1;
  r.max_failures = 0;
  r.pause = Duration(30000);
  r.waves = {{"sim_task.worker[\"node-1\"]"},
             {"sim_task.worker[\"node-2\"]"},
             {"sim_task.worker[\"node-3\"]"}};
  p.rollouts.push_back(r);

  // A deferred block: its for_each waits for the election; a rollout without waves yet.
  PlanDeferred d;
  d.block = "sim_task.join";
  d.provider = "sim";
  d.meta = "for_each";
  d.waiting_for = "sim_election.master.leader";
  d.max_instances = 3;
  d.after = Value::object({{"command", Value::unknown(Type::string())},
                           {"duration", Value::string("30s")},
                           {"id", Value::unknown(Type::string())},
                           {"on", Value::list({Value::unknown(Type::string())})}});
  d.existing = {"sim_task.join[\"node-1\"]"};
  p.deferred.push_back(d);
  PlanRollout jr;
  jr.block = "sim_task.join";
  jr.canary = 1;
  jr.batch = "50%";
  p.rollouts.push_back(jr);
  p.limits.push_back({"sim", 10, 0, {}});
  p.parallelism = 4;

  PlanGate g;
  g.block = "sim_task.setup";
  g.kind = "http";
  g.condition = Value::string("http://node-0.sim.internal:7180/api/version");
  g.timeout = Duration(30 * 60000);
  g.interval = Duration(10000);
  g.simulate_after = Duration(20000);
  p.gates.push_back(g);

  auto node = [](std::string id, NodeKind k, NodeOp op, std::string address) {
    PlanNode n;
    n.id = std::move(id);
    n.kind = k;
    n.op = op;
    n.address = std::move(address);
    return n;
  };
  p.graph.nodes = {
      node("sim_machine.node[*]", NodeKind::Aggregate, NodeOp::None, "sim_machine.node"),
      node("sim_machine.node[0]", NodeKind::Instance, NodeOp::Create, "sim_machine.node[0]"),
      node("sim_machine.node[0] (destroy)", NodeKind::Instance, NodeOp::Delete,
           "sim_machine.node[0]"),
      node("sim_task.join (expand)", NodeKind::Expand, NodeOp::None, "sim_task.join"),
      node("sim_task.setup", NodeKind::Instance, NodeOp::Create, "sim_task.setup"),
  };
  p.graph.edges = {{2, 1}, {1, 0}, {0, 4}, {4, 3}};
  p.normalize();
  return p;
}

Plan empty_plan() {
  Plan p;
  p.orch_version = "0.1.0";
  p.state_exists = true;
  p.state_lineage = "7d3c1f00-0000-4000-8000-000000000001";
  p.state_serial = 9;
  return p;
}

std::string golden(const std::string& relative_path, const std::string& actual) {
  std::string path = std::string(ORCH_SOURCE_DIR) + "/tests/golden/" + relative_path;
  if (const char* u = std::getenv("ORCH_UPDATE_GOLDEN"); u && std::string(u) == "1") {
    std::ofstream out(path, std::ios::binary);
    out << actual;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace orch::testing
