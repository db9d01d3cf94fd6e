// Tests for planner/state_ops.h: list (patterns, JSON), show (sensitive hidden), rm and mv
// semantics (whole resources, modules, collisions, dependencies), and the locked modify frame.
#include "planner/state_ops.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "planner/local_backend.h"
#include "tests/support/temp_dir.h"

namespace orch {
namespace {

ResourceAddress addr(std::string_view text) {
  return *parse_address(text, true).address;
}

std::vector<std::string> strs(const std::vector<ResourceAddress>& as) {
  std::vector<std::string> out;
  for (const auto& a : as) out.push_back(a.str());
  return out;
}

State sample() {
  State s = State::fresh();
  auto put = [&](const char* a, const char* id, std::vector<ResourceAddress> deps = {}) {
    ResourceAddress ad = addr(a);
    ResourceState r;
    r.type = ad.type;
    r.mode = ad.mode;
    r.provider = "sim";
    r.id = id;
    r.attributes = {{"name", Value::string(id)}};
    r.dependencies = std::move(deps);
    s.resources[ad] = r;
  };
  put("sim_machine.node[0]", "m0");
  put("sim_machine.node[1]", "m1");
  put("sim_machine.node[10]", "m10");
  put("sim_machine.node[2]", "m2");
  put("sim_task.setup", "t", {addr("sim_machine.node[0]"), addr("sim_machine.node")});
  put("module.db.sim_machine.primary", "p", {addr("sim_machine.node[1]")});
  put("module.db.module.disk.sim_task.fmt[\"a\"]", "f", {addr("module.db.sim_machine.primary")});
  put("data.sim_image.debian", "img");
  return s;
}

TEST(StateOpsTest, ListSelectsAndSortsNaturally) {
  State s = sample();
  EXPECT_EQ(strs(state_list(s, {})),
            (std::vector<std::string>{
                "sim_machine.node[0]", "sim_machine.node[1]", "sim_machine.node[2]",
                "sim_machine.node[10]", "sim_task.setup", "data.sim_image.debian",
                "module.db.sim_machine.primary", "module.db.module.disk.sim_task.fmt[\"a\"]"}));
  EXPECT_EQ(strs(state_list(s, {addr("sim_machine.node")})).size(), 4u);
  EXPECT_EQ(strs(state_list(s, {addr("module.db")})),
            (std::vector<std::string>{"module.db.sim_machine.primary",
                                      "module.db.module.disk.sim_task.fmt[\"a\"]"}));
  EXPECT_EQ(strs(state_list(s, {addr("sim_task.setup"), addr("sim_machine.node[2]")})),
            (std::vector<std::string>{"sim_machine.node[2]", "sim_task.setup"}));
  EXPECT_TRUE(state_list(s, {addr("nope.x")}).empty());

  auto j = nlohmann::json::parse(state_list_json(s, {addr("module.db.module.disk")}));
  ASSERT_EQ(j["resources"].size(), 1u);
  EXPECT_EQ(j["resources"][0]["address"], "module.db.module.disk.sim_task.fmt[\"a\"]");
  EXPECT_EQ(j["resources"][0]["module"], "module.db.module.disk");
  EXPECT_EQ(j["resources"][0]["index"], "a");
  EXPECT_EQ(j["resources"][0]["type"], "sim_task");
  EXPECT_EQ(j["resources"][0]["id"], "f");
  j = nlohmann::json::parse(state_list_json(s, {addr("sim_machine.node[10]")}));
  EXPECT_EQ(j["resources"][0]["index"], 10);
  EXPECT_EQ(state_list_json(s, {}), state_list_json(sample(), {}));  // deterministic
}

TEST(StateOpsTest, ParseArgsReportsTheBadOne) {
  std::vector<ResourceAddress> out;
  std::string e;
  EXPECT_TRUE(parse_address_args({"a.b", "module.m"}, out, &e));
  EXPECT_EQ(out.size(), 2u);
  EXPECT_FALSE(parse_address_args({"a.b", "a.b[x]"}, out, &e));
  EXPECT_EQ(e,
            "invalid address \"a.b[x]\": column 5: expected an index (0, 1, ...) or a quoted "
            "key (\"name\"), found `x`");
}

TEST(StateOpsTest, ShowHidesSensitiveValues) {
  State s = sample();
  ResourceState& r = s.resources[addr("sim_machine.node[0]")];
  r.attributes["password"] = Value::string("hunter2").mark_sensitive();
  r.attributes["tags"] = Value::map(
      {{"role", Value::string("master")}, {"token", Value::string("t0ps3cret").mark_sensitive()}});
  r.attributes["private_ip"] = Value::string("10.0.0.1");
  std::string out, e;
  ASSERT_TRUE(state_show(s, addr("sim_machine.node[0]"), out, &e)) << e;
  EXPECT_EQ(out.find("hunter2"), std::string::npos) << out;
  EXPECT_EQ(out.find("t0ps3cret"), std::string::npos) << out;
  EXPECT_EQ(out,
            "# sim_machine.node[0]:\n"
            "resource \"sim_machine\" \"node\" {\n"
            "  id         = \"m0\"\n"
            "  name       = \"m0\"\n"
            "  password   = (sensitive value)\n"
            "  private_ip = \"10.0.0.1\"\n"
            "  tags       = { role = \"master\", token = (sensitive value) }\n"
            "}\n");
  EXPECT_FALSE(state_show(s, addr("sim_machine.node"), out, &e));
  EXPECT_NE(e.find("is 4 instances"), std::string::npos) << e;
  EXPECT_FALSE(state_show(s, addr("sim_machine.nope"), out, &e));
  EXPECT_EQ(e, "no instance \"sim_machine.nope\" in state");
  ASSERT_TRUE(state_show(s, addr("data.sim_image.debian"), out, &e));
  EXPECT_NE(out.find("data \"sim_image\" \"debian\" {"), std::string::npos) << out;
}

TEST(StateOpsTest, ValuesJsonKeepsAttributesAndMasksSensitiveOnes) {
  State s = sample();
  ResourceState& r = s.resources[addr("sim_machine.node[0]")];
  r.attributes["password"] = Value::string("hunter2").mark_sensitive();
  r.attributes["private_ip"] = Value::string("10.0.0.1");
  s.outputs["token"] = {Value::string("t0ps3cret"), true};
  s.outputs["ip"] = {Value::string("10.0.0.1"), false};
  const std::string text = state_values_json(s);
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_EQ(text.find("t0ps3cret"), std::string::npos) << text;
  auto j = nlohmann::json::parse(text);
  const auto& resources = j["values"]["root_module"]["resources"];
  const nlohmann::json* node0 = nullptr;
  for (const auto& e : resources)
    if (e["address"] == "sim_machine.node[0]") node0 = &e;
  ASSERT_NE(node0, nullptr) << text;
  EXPECT_EQ((*node0)["index"], 0);
  EXPECT_EQ((*node0)["id"], "m0");
  EXPECT_EQ((*node0)["values"]["private_ip"], "10.0.0.1");
  EXPECT_TRUE((*node0)["values"]["password"].is_null());
  EXPECT_EQ((*node0)["sensitive_values"]["password"], true);
  EXPECT_EQ(j["values"]["outputs"]["ip"]["value"], "10.0.0.1");
  EXPECT_EQ(j["values"]["outputs"]["token"]["sensitive"], true);
  EXPECT_FALSE(j["values"]["outputs"]["token"].contains("value"));
}

TEST(StateOpsTest, RmIsAllOrNothing) {
  State s = sample();
  std::vector<ResourceAddress> removed;
  std::string e;
  EXPECT_FALSE(state_rm(s, {addr("sim_task.setup"), addr("sim_task.nope")}, removed, &e));
  EXPECT_NE(e.find("\"sim_task.nope\""), std::string::npos) << e;
  EXPECT_EQ(s.resources.size(), 8u);
  ASSERT_TRUE(state_rm(s, {addr("sim_machine.node"), addr("module.db")}, removed, &e)) << e;
  EXPECT_EQ(removed.size(), 6u);
  EXPECT_EQ(strs(state_list(s, {})),
            (std::vector<std::string>{"sim_task.setup", "data.sim_image.debian"}));
}

TEST(StateOpsTest, MvInstanceAndWholeResource) {
  State s = sample();
  std::vector<std::pair<ResourceAddress, ResourceAddress>> moved;
  std::string e;
  ASSERT_TRUE(state_mv(s, addr("sim_task.setup"), addr("sim_task.init[0]"), moved, &e)) << e;
  EXPECT_EQ(s.find(addr("sim_task.init[0]"))->id, "t");
  EXPECT_EQ(s.find(addr("sim_task.setup")), nullptr);

  // All instances of a resource keep their keys; dependencies follow.
  ASSERT_TRUE(state_mv(s, addr("sim_machine.node"), addr("sim_machine.worker"), moved, &e)) << e;
  EXPECT_EQ(moved.size(), 4u);
  EXPECT_EQ(moved[3].first.str(), "sim_machine.node[10]");
  EXPECT_EQ(moved[3].second.str(), "sim_machine.worker[10]");
  EXPECT_EQ(s.find(addr("sim_machine.worker[10]"))->id, "m10");
  EXPECT_TRUE(state_list(s, {addr("sim_machine.node")}).empty());
  EXPECT_EQ(strs(s.find(addr("sim_task.init[0]"))->dependencies),
            (std::vector<std::string>{"sim_machine.worker", "sim_machine.worker[0]"}));
  EXPECT_EQ(strs(s.find(addr("module.db.sim_machine.primary"))->dependencies),
            (std::vector<std::string>{"sim_machine.worker[1]"}));
}

TEST(StateOpsTest, MvIntoAndBetweenModules) {
  State s = sample();
  std::vector<std::pair<ResourceAddress, ResourceAddress>> moved;
  std::string e;
  // A whole resource into a module.
  ASSERT_TRUE(
      state_mv(s, addr("sim_machine.node"), addr("module.web[\"eu\"].sim_machine.node"), moved, &e))
      << e;
  EXPECT_EQ(state_list(s, {addr("module.web")}).size(), 4u);
  EXPECT_EQ(s.find(addr("module.web[\"eu\"].sim_machine.node[2]"))->id, "m2");
  // A whole module (with its children) to another name.
  ASSERT_TRUE(state_mv(s, addr("module.db"), addr("module.database[0]"), moved, &e)) << e;
  EXPECT_EQ(moved.size(), 2u);
  EXPECT_EQ(s.find(addr("module.database[0].module.disk.sim_task.fmt[\"a\"]"))->id, "f");
  EXPECT_EQ(strs(s.find(addr("module.database[0].module.disk.sim_task.fmt[\"a\"]"))->dependencies),
            (std::vector<std::string>{"module.database[0].sim_machine.primary"}));
  EXPECT_TRUE(state_list(s, {addr("module.db")}).empty());
}

TEST(StateOpsTest, MvRefusals) {
  State s = sample();
  State before = s;
  std::vector<std::pair<ResourceAddress, ResourceAddress>> moved;
  std::string e;
  auto refused = [&](const char* src, const char* dst, const char* fragment) {
    EXPECT_FALSE(state_mv(s, addr(src), addr(dst), moved, &e)) << src << " → " << dst;
    EXPECT_NE(e.find(fragment), std::string::npos) << e;
    EXPECT_EQ(s.resources.size(), before.resources.size());
    EXPECT_TRUE(s.find(addr("sim_machine.node[0]")));
  };
  refused("sim_machine.node[0]", "sim_machine.node[1]", "already exists");
  refused("sim_machine.node", "sim_task.node", "type must stay the same");
  refused("sim_machine.node", "sim_machine.other[0]", "single instance");
  refused("sim_machine.nope", "sim_machine.other", "no instances in state match");
  refused("module.db", "module.db.module.inner", "into itself");
  refused("module.db", "sim_machine.x", "must be a module path");
  refused("sim_machine.node[0]", "module.x", "name the resource too");
  refused("sim_machine.node[0]", "sim_machine.node[0]", "already there");
  refused("data.sim_image.debian", "sim_image.debian", "type must stay the same");
  // Moving onto an address taken by part of a module move collides too.
  s.resources[addr("module.x.sim_machine.primary")] = s.resources[addr("sim_task.setup")];
  EXPECT_FALSE(state_mv(s, addr("module.db"), addr("module.x"), moved, &e));
  EXPECT_NE(e.find("already exists"), std::string::npos) << e;
  EXPECT_TRUE(s.find(addr("module.db.sim_machine.primary")));
}

TEST(StateOpsTest, ModifyStateLocksLoadsWritesAndUnlocks) {
  orch::testing::TempDir dir;
  LocalBackendOptions o;
  o.path = dir.file(".orch/state.json");
  LocalBackend b(o);
  std::vector<std::string> warnings;
  std::string e;
  ASSERT_TRUE(modify_state(
      b, "state mv",
      [](State& s, std::string*) {
        s.resources = sample().resources;
        return true;
      },
      warnings, &e))
      << e;
  EXPECT_FALSE(std::filesystem::exists(b.lock_path()));
  State loaded;
  ASSERT_TRUE(read_state(b, loaded, warnings, &e)) << e;
  EXPECT_EQ(loaded.serial, 1u);
  EXPECT_EQ(loaded.resources.size(), 8u);

  // A refused change writes nothing and still unlocks.
  EXPECT_FALSE(modify_state(
      b, "state rm",
      [](State& s, std::string* err) {
        std::vector<ResourceAddress> removed;
        return state_rm(s, {addr("nope.x")}, removed, err);
      },
      warnings, &e));
  EXPECT_NE(e.find("nope.x"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(b.lock_path()));
  ASSERT_TRUE(read_state(b, loaded, warnings, &e));
  EXPECT_EQ(loaded.serial, 1u);

  // Someone else's lock refuses the change with their info.
  LocalBackend other(o);
  LockInfo held = LockInfo::for_this_process("apply");
  ASSERT_FALSE(other.lock(held, warnings));
  EXPECT_FALSE(modify_state(
      b, "state rm", [](State&, std::string*) { return true; }, warnings, &e));
  EXPECT_NE(e.find("Error acquiring the state lock: held by"), std::string::npos) << e;
  EXPECT_NE(e.find(held.id), std::string::npos) << e;
  ASSERT_FALSE(other.unlock(held.id));
  EXPECT_TRUE(warnings.empty());
}

}  // namespace
}  // namespace orch
