// The sim provider's schema: provider config and the sim_machine, sim_task and sim_election
// resource types (see docs/providers.md).
#include "providers/sim/sim_provider.h"

namespace orch {

namespace {

AttributeSchema required(std::string name, Type type, std::string description,
                         bool force_new = false) {
  AttributeSchema a;
  a.name = std::move(name);
  a.type = std::move(type);
  a.required = true;
  a.force_new = force_new;
  a.description = std::move(description);
  return a;
}

AttributeSchema optional(std::string name, Type type, std::optional<Value> def,
                         std::string description, bool force_new = false) {
  AttributeSchema a;
  a.name = std::move(name);
  a.type = std::move(type);
  a.optional = true;
  a.force_new = force_new;
  a.default_value = std::move(def);
  a.description = std::move(description);
  return a;
}

AttributeSchema computed(std::string name, Type type, std::string description) {
  AttributeSchema a;
  a.name = std::move(name);
  a.type = std::move(type);
  a.computed = true;
  a.description = std::move(description);
  return a;
}

}  // namespace

ProviderSchema sim_schema() {
  const Type str = Type::string();
  const Type num = Type::number();
  ProviderSchema p;
  p.name = "sim";
  p.config.description = "A simulated world on a virtual clock, persisted as JSON.";
  p.config.attributes = {
      optional("world", str, std::nullopt,
               "Path of the world file (default <work_dir>/.orch/sim-world.json); relative "
               "paths are relative to the configuration directory."),
      optional("seed", num, Value::number(int64_t{1}),
               "Seed of the simulation's pseudo-randomness (ids, fail_rate)."),
  };

  Schema machine;
  machine.description = "A simulated machine that boots in boot_time.";
  machine.attributes = {
      required("name", str, "Host name; the private DNS name is <name>.sim.internal.", true),
      optional("image", str, Value::string("debian-12"), "Image the machine boots.", true),
      optional("size", str, Value::string("small"), "Machine size; changed in place."),
      optional("boot_time", str, Value::string("40s"), "Simulated time to create (a duration)."),
      optional("tags", Type::map(str), Value::map({}, str), "Tags; changed in place."),
      computed("id", str, "Provider id (m-…)."),
      computed("private_ip", str, "Deterministic 10.x.y.z address derived from the name."),
      computed("private_dns", str, "<name>.sim.internal"),
  };
  machine.simulation.duration_attributes = {{"create", "boot_time"}};
  machine.simulation.latency = {{"update", "5s"}, {"delete", "5s"}};
  machine.simulation.templates = {{"private_dns", "${name}.sim.internal"}};
  machine.simulation.id_prefix = "m-";
  p.resources["sim_machine"] = machine;

  Schema task;
  task.description =
      "A simulated command run on machines. Any change of its arguments (triggers included) "
      "runs it again in place: same id, runs + 1.";
  task.attributes = {
      required("on", Type::list(str),
               "Machines it runs on (names, private DNS names, IPs or ids)."),
      required("command", str, "The command (simulated)."),
      optional("duration", str, Value::string("30s"), "Simulated run time (a duration)."),
      optional("fail_rate", num, Value::number(int64_t{0}),
               "Probability (0..1) that a run fails; deterministic per seed and address."),
      optional("triggers", Type::map(str), Value::map({}, str),
               "Arbitrary values; a change runs the task again."),
      computed("id", str, "Provider id (t-…)."),
      computed("runs", num, "How many times the task has run."),
  };
  task.simulation.duration_attributes = {{"create", "duration"}, {"update", "duration"}};
  task.simulation.latency = {{"delete", "1s"}};
  task.simulation.fail_rate_attribute = "fail_rate";
  task.simulation.counters = {{"runs", ""}};
  task.simulation.id_prefix = "t-";
  p.resources["sim_task"] = task;

  Schema election;
  election.description =
      "A leader election, twin of etcd_election: with depends_on = [any(x)], the leader is the "
      "candidate whose instance became ready first.";
  election.attributes = {
      required("name", str, "Election name (a key).", true),
      required("candidates", Type::list(str), "Candidate values (e.g. private DNS names)."),
      computed("id", str, "Provider id (e-…)."),
      computed("leader", str, "The elected candidate."),
      computed("epoch", num, "Incremented each time the leader changes."),
  };
  election.simulation.latency = {{"duration", "500ms"}};
  election.simulation.first_ready = {{"leader", "candidates"}};
  election.simulation.counters = {{"epoch", "leader"}};
  election.simulation.id_prefix = "e-";
  p.resources["sim_election"] = election;
  return p;
}

}  // namespace orch
