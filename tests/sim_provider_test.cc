// Tests of the sim provider on the virtual clock: schema and registry, plan-time defaults and
// force-new, create/update/delete with simulated durations, the world file, drift, fail_rate
// determinism, elections and task re-runs.
#include "providers/sim/sim_provider.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "planner/virtual_clock.h"
#include "providers/registry.h"

namespace orch {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

struct TempDir {
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "orch-sim-XXXXXX").string();
    path = mkdtemp(templ.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string path;
};

Value strs(std::vector<std::string> v) {
  ValueList l;
  for (auto& s : v) l.push_back(Value::string(s));
  return Value::list(l, Type::string());
}

struct Sim {
  explicit Sim(const std::string& dir, int64_t seed = 1, ValueMap extra = {}) {
    ProviderContext ctx;
    ctx.clock = &clock;
    ctx.work_dir = dir;
    ValueMap config = std::move(extra);
    config["seed"] = Value::number(seed);
    Diagnostics diags;
    provider.configure(config, ctx, diags);
    EXPECT_FALSE(diags.has_errors());
  }

  PlanResponse plan(const std::string& type, const std::string& address, ValueMap config,
                    std::optional<ObjectState> prior = {}) {
    return provider.plan(PlanRequest{type, address, std::move(prior), std::move(config)});
  }

  // Plans, applies, runs the clock; returns the result and the simulated time it took.
  ApplyResult apply(const std::string& type, const std::string& address, ChangeAction action,
                    ValueMap config, std::optional<ObjectState> prior = {},
                    std::vector<SatisfiedDependency> satisfied = {}, Duration* took = nullptr) {
    ApplyRequest req;
    req.type = type;
    req.address = address;
    req.action = action;
    req.prior = prior;
    if (action != ChangeAction::Delete) {
      PlanResponse p = plan(type, address, config, prior);
      EXPECT_FALSE(p.diagnostics.has_errors());
      req.planned = p.planned;
    }
    req.idempotency_token = "tok-" + address;
    req.satisfied_by = std::move(satisfied);
    std::optional<ApplyResult> result;
    TimePoint start = clock.now();
    provider.apply(req, [&](ApplyResult r) { result = std::move(r); });
    clock.run();
    if (took) *took = clock.now() - start;
    EXPECT_TRUE(result.has_value());
    return result ? *result : ApplyResult{};
  }

  ReadResult read(const std::string& type, std::vector<ReadItem> items) {
    std::optional<ReadResult> result;
    provider.read_many(type, std::move(items), [&](ReadResult r) { result = std::move(r); });
    EXPECT_TRUE(result.has_value());
    return result ? *result : ReadResult{};
  }

  VirtualClock clock;
  SimProvider provider;
};

ValueMap machine(const std::string& name) {
  return {{"name", Value::string(name)}};
}

std::string str(const ValueMap& m, const std::string& k) {
  return m.at(k).as_string();
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

void write_json(const std::string& path, const nlohmann::json& j) {
  std::ofstream(path) << j.dump(2);
}

TEST(SimProviderTest, RegistryOffersSimSchemasAndFactory) {
  SchemaRegistry reg = builtin_schemas();
  ASSERT_NE(reg.resource("sim_machine"), nullptr);
  ASSERT_NE(reg.resource("sim_task"), nullptr);
  ASSERT_NE(reg.resource("sim_election"), nullptr);
  const AttributeSchema* name = reg.resource("sim_machine")->attribute("name");
  ASSERT_NE(name, nullptr);
  EXPECT_TRUE(name->required);
  EXPECT_TRUE(name->force_new);
  EXPECT_FALSE(reg.resource("sim_machine")->attribute("size")->force_new);
  EXPECT_TRUE(reg.resource("sim_machine")->attribute("private_ip")->computed);
  ASSERT_NE(reg.provider("sim"), nullptr);
  EXPECT_NE(reg.provider("sim")->config.attribute("world"), nullptr);
  EXPECT_NE(make_provider("sim"), nullptr);
  EXPECT_EQ(make_provider("nope"), nullptr);
  auto names = builtin_provider_names();  // sorted; other providers are compiled in beside sim
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_NE(std::find(names.begin(), names.end(), "sim"), names.end());
}

TEST(SimProviderTest, PlanFillsDefaultsAndComputedValues) {
  TempDir dir;
  Sim sim(dir.path);
  PlanResponse p = sim.plan("sim_machine", "sim_machine.a", machine("a"));
  EXPECT_FALSE(p.diagnostics.has_errors());
  EXPECT_EQ(str(p.planned, "image"), "debian-12");
  EXPECT_EQ(str(p.planned, "size"), "small");
  EXPECT_EQ(str(p.planned, "boot_time"), "40s");
  EXPECT_EQ(str(p.planned, "private_dns"), "a.sim.internal");
  EXPECT_TRUE(p.planned.at("id").is_unknown());
  EXPECT_TRUE(p.planned.at("private_ip").is_unknown());

  ValueMap bad = machine("a");
  bad["boot_time"] = Value::string("forty seconds");
  EXPECT_TRUE(sim.plan("sim_machine", "sim_machine.a", bad).diagnostics.has_errors());
  ValueMap task{
      {"on", strs({"a"})}, {"command", Value::string("x")}, {"fail_rate", Value::number(1.5)}};
  EXPECT_TRUE(sim.plan("sim_task", "sim_task.t", task).diagnostics.has_errors());
}

TEST(SimProviderTest, CreateTakesBootTimeAndWritesTheWorld) {
  TempDir dir;
  Sim sim(dir.path);
  ValueMap cfg = machine("node-1");
  cfg["boot_time"] = Value::string("1m30s");
  cfg["tags"] = Value::map({{"role", Value::string("db")}}, Type::string());
  Duration took{};
  ApplyResult r =
      sim.apply("sim_machine", "sim_machine.node[1]", ChangeAction::Create, cfg, {}, {}, &took);
  ASSERT_FALSE(r.error) << r.error->summary;
  ASSERT_TRUE(r.object);
  EXPECT_EQ(took, seconds(90));
  const ObjectState& o = *r.object;
  EXPECT_EQ(o.id.substr(0, 2), "m-");
  EXPECT_EQ(str(o.attributes, "private_dns"), "node-1.sim.internal");
  EXPECT_EQ(str(o.attributes, "private_ip").substr(0, 3), "10.");
  EXPECT_EQ(str(o.attributes, "id"), o.id);

  const std::string world = dir.path + "/.orch/sim-world.json";
  EXPECT_EQ(sim.provider.world_path(), world);
  nlohmann::json j = read_json(world);
  ASSERT_TRUE(j["objects"].contains(o.id));
  EXPECT_EQ(j["objects"][o.id]["type"], "sim_machine");
  EXPECT_EQ(j["objects"][o.id]["address"], "sim_machine.node[1]");

  // Deterministic: another world with the same seed gives the same id and address.
  TempDir dir2;
  Sim sim2(dir2.path);
  ApplyResult r2 = sim2.apply("sim_machine", "sim_machine.node[1]", ChangeAction::Create, cfg);
  EXPECT_EQ(r2.object->id, o.id);
  EXPECT_EQ(str(r2.object->attributes, "private_ip"), str(o.attributes, "private_ip"));

  // A retried create (same token) returns the existing object at once.
  ApplyResult again =
      sim.apply("sim_machine", "sim_machine.node[1]", ChangeAction::Create, cfg, {}, {}, &took);
  EXPECT_EQ(again.object->id, o.id);
  EXPECT_EQ(took.count(), 0);
  EXPECT_EQ(read_json(world)["objects"].size(), 1u);
}

TEST(SimProviderTest, UpdateInPlaceAndForceNew) {
  TempDir dir;
  Sim sim(dir.path);
  ApplyResult r = sim.apply("sim_machine", "sim_machine.a", ChangeAction::Create, machine("a"));
  ObjectState prior = *r.object;

  ValueMap bigger = machine("a");
  bigger["size"] = Value::string("large");
  PlanResponse p = sim.plan("sim_machine", "sim_machine.a", bigger, prior);
  EXPECT_TRUE(p.force_new_paths.empty());
  EXPECT_EQ(str(p.planned, "id"), prior.id);
  EXPECT_EQ(str(p.planned, "private_ip"), str(prior.attributes, "private_ip"));
  Duration took{};
  ApplyResult u =
      sim.apply("sim_machine", "sim_machine.a", ChangeAction::Update, bigger, prior, {}, &took);
  ASSERT_FALSE(u.error);
  EXPECT_EQ(u.object->id, prior.id);
  EXPECT_EQ(str(u.object->attributes, "size"), "large");
  EXPECT_EQ(took, seconds(5));

  ValueMap other_image = bigger;
  other_image["image"] = Value::string("ubuntu-24.04");
  p = sim.plan("sim_machine", "sim_machine.a", other_image, *u.object);
  EXPECT_EQ(p.force_new_paths, std::vector<std::string>{"image"});
  EXPECT_TRUE(p.planned.at("id").is_unknown());
  p = sim.plan("sim_machine", "sim_machine.a", machine("b"), *u.object);
  EXPECT_EQ(p.force_new_paths, std::vector<std::string>{"name"});
  EXPECT_EQ(str(p.planned, "private_dns"), "b.sim.internal");
}

TEST(SimProviderTest, DeleteRemovesTheObject) {
  TempDir dir;
  Sim sim(dir.path);
  ApplyResult r = sim.apply("sim_machine", "sim_machine.a", ChangeAction::Create, machine("a"));
  Duration took{};
  ApplyResult d =
      sim.apply("sim_machine", "sim_machine.a", ChangeAction::Delete, {}, *r.object, {}, &took);
  EXPECT_FALSE(d.error);
  EXPECT_FALSE(d.object);
  EXPECT_EQ(took, seconds(5));
  EXPECT_TRUE(read_json(sim.provider.world_path())["objects"].empty());
  // Deleting again (a retry) succeeds: the object is already gone.
  d = sim.apply("sim_machine", "sim_machine.a", ChangeAction::Delete, {}, *r.object);
  EXPECT_FALSE(d.error);
}

TEST(SimProviderTest, ReadManySeesEditsAndDeletionsInTheWorldFile) {
  TempDir dir;
  Sim sim(dir.path);
  ObjectState a =
      *sim.apply("sim_machine", "sim_machine.a", ChangeAction::Create, machine("a")).object;
  ObjectState b =
      *sim.apply("sim_machine", "sim_machine.b", ChangeAction::Create, machine("b")).object;
  std::vector<ReadItem> items{{"sim_machine.a", a.id, {}}, {"sim_machine.b", b.id, {}}};
  ReadResult r = sim.read("sim_machine", items);
  EXPECT_EQ(r.requests, 1);
  EXPECT_EQ(r.objects.size(), 2u);
  EXPECT_EQ(str(r.objects.at("sim_machine.a").attributes, "size"), "small");

  // Someone resizes a by hand and deletes b.
  const std::string path = sim.provider.world_path();
  nlohmann::json j = read_json(path);
  j["objects"][a.id]["attributes"]["size"] = "xlarge";
  j["objects"].erase(b.id);
  write_json(path, j);
  r = sim.read("sim_machine", items);
  EXPECT_EQ(r.requests, 1);
  ASSERT_EQ(r.objects.size(), 1u);
  EXPECT_EQ(str(r.objects.at("sim_machine.a").attributes, "size"), "xlarge");
  EXPECT_FALSE(r.objects.count("sim_machine.b"));

  // Updating the deleted one fails clearly; a corrupt file is an error, not a crash.
  ApplyResult u = sim.apply("sim_machine", "sim_machine.b", ChangeAction::Update, machine("b"), b);
  ASSERT_TRUE(u.error);
  EXPECT_NE(u.error->summary.find("gone from the simulated world"), std::string::npos);
  std::ofstream(path) << "{ not json";
  r = sim.read("sim_machine", items);
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->summary.find("not valid JSON"), std::string::npos);
}

TEST(SimProviderTest, WorldPathAndSeedFromProviderConfig) {
  TempDir dir;
  Sim sim(dir.path, 9, {{"world", Value::string("worlds/w.json")}});
  EXPECT_EQ(sim.provider.world_path(), dir.path + "/worlds/w.json");
  EXPECT_EQ(sim.provider.seed(), 9u);
  sim.apply("sim_machine", "sim_machine.a", ChangeAction::Create, machine("a"));
  EXPECT_TRUE(fs::exists(dir.path + "/worlds/w.json"));

  SimProvider p;
  Diagnostics diags;
  p.configure({{"seed", Value::number(-3)}}, ProviderContext{}, diags);
  EXPECT_TRUE(diags.has_errors());
}

std::set<std::string> failing_tasks(int64_t seed, double rate) {
  TempDir dir;
  Sim sim(dir.path, seed);
  sim.apply("sim_machine", "sim_machine.a", ChangeAction::Create, machine("a"));
  std::set<std::string> failed;
  for (int i = 0; i < 40; ++i) {
    const std::string address = "sim_task.t[" + std::to_string(i) + "]";
    ValueMap cfg{{"on", strs({"a.sim.internal"})},
                 {"command", Value::string("make")},
                 {"fail_rate", Value::number(rate)}};
    ApplyResult r = sim.apply("sim_task", address, ChangeAction::Create, cfg);
    if (r.error) failed.insert(address);
  }
  return failed;
}

TEST(SimProviderTest, FailRateIsDeterministicPerSeedAndAddress) {
  auto first = failing_tasks(1, 0.5);
  EXPECT_EQ(first, failing_tasks(1, 0.5));
  EXPECT_NE(first, failing_tasks(2, 0.5));
  EXPECT_GT(first.size(), 5u);
  EXPECT_LT(first.size(), 35u);
  EXPECT_TRUE(failing_tasks(1, 0).empty());
  EXPECT_EQ(failing_tasks(1, 1).size(), 40u);
}

TEST(SimProviderTest, TaskRunsOnExistingMachinesAndRerunsOnChange) {
  TempDir dir;
  Sim sim(dir.path);
  ValueMap cfg{{"on", strs({"a"})},
               {"command", Value::string("setup.sh")},
               {"duration", Value::string("45s")},
               {"triggers", Value::map({{"v", Value::string("1")}}, Type::string())}};
  ApplyResult missing = sim.apply("sim_task", "sim_task.setup", ChangeAction::Create, cfg);
  ASSERT_TRUE(missing.error);
  EXPECT_NE(missing.error->summary.find("machine \"a\" is not in the simulated world"),
            std::string::npos);

  sim.apply("sim_machine", "sim_machine.a", ChangeAction::Create, machine("a"));
  Duration took{};
  ApplyResult r = sim.apply("sim_task", "sim_task.setup", ChangeAction::Create, cfg, {}, {}, &took);
  ASSERT_FALSE(r.error);
  EXPECT_EQ(took, seconds(45));
  EXPECT_EQ(r.object->attributes.at("runs").as_number().i, 1);

  // Unchanged: the plan keeps runs (no diff). Trigger changed: runs unknown, then 2.
  PlanResponse same = sim.plan("sim_task", "sim_task.setup", cfg, *r.object);
  EXPECT_EQ(same.planned.at("runs").as_number().i, 1);
  ValueMap changed = cfg;
  changed["triggers"] = Value::map({{"v", Value::string("2")}}, Type::string());
  PlanResponse p = sim.plan("sim_task", "sim_task.setup", changed, *r.object);
  EXPECT_TRUE(p.planned.at("runs").is_unknown());
  EXPECT_TRUE(p.force_new_paths.empty());
  EXPECT_EQ(str(p.planned, "id"), r.object->id);
  ApplyResult again =
      sim.apply("sim_task", "sim_task.setup", ChangeAction::Update, changed, *r.object);
  ASSERT_FALSE(again.error);
  EXPECT_EQ(again.object->id, r.object->id);
  EXPECT_EQ(again.object->attributes.at("runs").as_number().i, 2);
}

TEST(SimProviderTest, ElectionLeaderIsTheCandidateThatSatisfiedTheStep) {
  TempDir dir;
  Sim sim(dir.path);
  std::vector<ObjectState> nodes;
  for (std::string n : {"n0", "n1", "n2"})
    nodes.push_back(*sim.apply("sim_machine", "sim_machine.node[" + n.substr(1) + "]",
                               ChangeAction::Create, machine(n))
                         .object);
  ValueMap cfg{{"name", Value::string("cdh/master")},
               {"candidates", strs({"n0.sim.internal", "n1.sim.internal", "n2.sim.internal"})}};
  PlanResponse p = sim.plan("sim_election", "sim_election.master", cfg);
  EXPECT_TRUE(p.planned.at("leader").is_unknown());
  ApplyResult r = sim.apply("sim_election", "sim_election.master", ChangeAction::Create, cfg, {},
                            {SatisfiedDependency{"sim_machine.node[2]", nodes[2].attributes}});
  ASSERT_FALSE(r.error);
  EXPECT_EQ(str(r.object->attributes, "leader"), "n2.sim.internal");
  EXPECT_EQ(r.object->attributes.at("epoch").as_number().i, 1);

  // The leader stays while it is a candidate; once removed, a new one is elected.
  ValueMap fewer = cfg;
  fewer["candidates"] = strs({"n0.sim.internal", "n2.sim.internal"});
  p = sim.plan("sim_election", "sim_election.master", fewer, *r.object);
  EXPECT_EQ(str(p.planned, "leader"), "n2.sim.internal");
  ValueMap without = cfg;
  without["candidates"] = strs({"n0.sim.internal", "n1.sim.internal"});
  p = sim.plan("sim_election", "sim_election.master", without, *r.object);
  EXPECT_TRUE(p.planned.at("leader").is_unknown());
  ApplyResult u =
      sim.apply("sim_election", "sim_election.master", ChangeAction::Update, without, *r.object,
                {SatisfiedDependency{"sim_machine.node[1]", nodes[1].attributes}});
  ASSERT_FALSE(u.error);
  EXPECT_EQ(str(u.object->attributes, "leader"), "n1.sim.internal");
  EXPECT_EQ(u.object->attributes.at("epoch").as_number().i, 2);
}

}  // namespace
}  // namespace orch
