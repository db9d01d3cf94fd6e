// The sim provider's schema: provider config and the sim_machine, sim_task and sim_election
// resource types (see docs/providers.md).
#include "providers/schema_attributes.h"
#include "providers/sim/sim_provider.h"

namespace orch {

ProviderSchema sim_schema() {
  const Type str = Type::string();
  const Type num = Type::number();
  ProviderSchema p;
  p.name = "sim";
  p.config.description = "A simulated world on a virtual clock, persisted as JSON.";
  p.config.attributes = {
      optional_attr("world", str, std::nullopt,
                    "Path of the world file (default <work_dir>/.orch/sim-world.json); relative "
                    "paths are relative to the configuration directory."),
      optional_attr("seed", num, Value::number(int64_t{1}),
                    "Seed of the simulation's pseudo-randomness (ids, fail_rate)."),
  };

  Schema machine;
  machine.description = "A simulated machine that boots in boot_time.";
  machine.attributes = {
      required_attr("name", str, "Host name; the private DNS name is <name>.sim.internal.", true),
      optional_attr("image", str, Value::string("debian-12"), "Image the machine boots.", true),
      optional_attr("size", str, Value::string("small"), "Machine size; changed in place."),
      optional_attr("boot_time", str, Value::string("40s"),
                    "Simulated time to create (a duration)."),
      optional_attr("tags", Type::map(str), Value::map({}, str), "Tags; changed in place."),
      computed_attr("id", str, "Provider id (m-…)."),
      computed_attr("private_ip", str, "Deterministic 10.x.y.z address derived from the name."),
      computed_attr("private_dns", str, "<name>.sim.internal"),
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
      required_attr("on", Type::list(str),
                    "Machines it runs on (names, private DNS names, IPs or ids)."),
      required_attr("command", str, "The command (simulated)."),
      optional_attr("duration", str, Value::string("30s"), "Simulated run time (a duration)."),
      optional_attr("fail_rate", num, Value::number(int64_t{0}),
                    "Probability (0..1) that a run fails; deterministic per seed and address."),
      optional_attr("triggers", Type::map(str), Value::map({}, str),
                    "Arbitrary values; a change runs the task again."),
      computed_attr("id", str, "Provider id (t-…)."),
      computed_attr("runs", num, "How many times the task has run."),
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
      required_attr("name", str, "Election name (a key).", true),
      required_attr("candidates", Type::list(str), "Candidate values (e.g. private DNS names)."),
      computed_attr("id", str, "Provider id (e-…)."),
      computed_attr("leader", str, "The elected candidate."),
      computed_attr("epoch", num, "Incremented each time the leader changes."),
  };
  election.simulation.latency = {{"duration", "500ms"}};
  election.simulation.first_ready = {{"leader", "candidates"}};
  election.simulation.counters = {{"epoch", "leader"}};
  election.simulation.id_prefix = "e-";
  p.resources["sim_election"] = election;
  return p;
}

}  // namespace orch
