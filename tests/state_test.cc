// Tests for planner/state.h: applying changes, intents, selection, sensitive paths, UUIDs.
#include "planner/state.h"

#include <regex>
#include <set>

#include <gtest/gtest.h>

namespace orch {
namespace {

ResourceAddress addr(std::string_view text) {
  return *parse_address(text).address;
}

ResourceState machine(std::string id) {
  ResourceState r;
  r.type = "sim_machine";
  r.provider = "sim";
  r.id = std::move(id);
  r.attributes = {{"name", Value::string("n")}};
  return r;
}

TEST(StateTest, FreshStateHasLineageAndVersion) {
  State a = State::fresh(), b = State::fresh();
  EXPECT_TRUE(std::regex_match(
      a.lineage, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << a.lineage;
  EXPECT_NE(a.lineage, b.lineage);
  EXPECT_EQ(a.serial, 0u);
  EXPECT_EQ(a.orch_version, ORCH_VERSION);
  std::set<std::string> many;
  for (int i = 0; i < 1000; ++i) many.insert(new_uuid());
  EXPECT_EQ(many.size(), 1000u);
}

TEST(StateTest, PutRemoveAndOutputs) {
  State s = State::fresh();
  s.apply(StateChange::put(addr("sim_machine.a[0]"), machine("m-0")));
  s.apply(StateChange::put(addr("sim_machine.a[1]"), machine("m-1")));
  s.apply(StateChange::put(addr("sim_machine.a[0]"), machine("m-0b")));
  ASSERT_NE(s.find(addr("sim_machine.a[0]")), nullptr);
  EXPECT_EQ(s.find(addr("sim_machine.a[0]"))->id, "m-0b");
  s.apply(StateChange::remove(addr("sim_machine.a[1]")));
  EXPECT_EQ(s.find(addr("sim_machine.a[1]")), nullptr);
  EXPECT_EQ(s.resources.size(), 1u);

  s.apply(StateChange::put_output("ip", OutputState{Value::string("10.0.0.1"), false}));
  EXPECT_EQ(s.outputs.at("ip").value, Value::string("10.0.0.1"));
  s.apply(StateChange::remove_output("ip"));
  EXPECT_TRUE(s.outputs.empty());
}

TEST(StateTest, CreateIntentsLifecycle) {
  State s = State::fresh();
  ResourceAddress a = addr("sim_machine.a");
  s.apply(StateChange::creating(a, "sim_machine", "sim", "tok-1", "2026-11-25T07:00:00Z"));
  const ResourceState* r = s.find(a);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, ResourceStatus::Creating);
  EXPECT_FALSE(r->has_object());
  ASSERT_EQ(r->create_intents.size(), 1u);
  EXPECT_EQ(r->create_intents[0].token, "tok-1");
  // Replaying the same intent is idempotent.
  s.apply(StateChange::creating(a, "sim_machine", "sim", "tok-1", "2026-11-25T07:00:00Z"));
  EXPECT_EQ(s.find(a)->create_intents.size(), 1u);
  // Abandoned create: intent done with no object → the entry goes away.
  s.apply(StateChange::intent_done(a, "tok-1"));
  EXPECT_EQ(s.find(a), nullptr);

  // Completed create: the put replaces the Creating entry (intents included).
  s.apply(StateChange::creating(a, "sim_machine", "sim", "tok-2", ""));
  s.apply(StateChange::put(a, machine("m-9")));
  EXPECT_EQ(s.find(a)->status, ResourceStatus::Created);
  EXPECT_TRUE(s.find(a)->create_intents.empty());

  // An intent on an existing object (create-before-destroy) keeps the object.
  s.apply(StateChange::creating(a, "sim_machine", "sim", "tok-3", ""));
  EXPECT_EQ(s.find(a)->id, "m-9");
  EXPECT_EQ(s.find(a)->create_intents.size(), 1u);
  s.apply(StateChange::intent_done(a, "tok-3"));
  ASSERT_NE(s.find(a), nullptr);
  EXPECT_EQ(s.find(a)->id, "m-9");
  EXPECT_TRUE(s.find(a)->create_intents.empty());
}

TEST(StateTest, ReplayingChangesTwiceIsIdempotent) {
  std::vector<StateChange> changes = {
      StateChange::creating(addr("t.a[0]"), "t", "p", "x", ""),
      StateChange::put(addr("t.a[0]"), machine("1")),
      StateChange::put(addr("t.a[1]"), machine("2")),
      StateChange::remove(addr("t.a[1]")),
      StateChange::creating(addr("t.b"), "t", "p", "y", ""),
  };
  State once = State::fresh();
  for (const auto& c : changes) once.apply(c);
  State twice = once;
  for (const auto& c : changes) twice.apply(c);
  EXPECT_EQ(once.resources, twice.resources);
}

TEST(StateTest, SelectUsesPatterns) {
  State s = State::fresh();
  for (auto t : {"t.a[0]", "t.a[1]", "t.b", "module.m.t.a[0]", "module.m[\"k\"].t.a"}) {
    s.apply(StateChange::put(addr(t), machine(t)));
  }
  auto sel = s.select(addr("t.a"));
  ASSERT_EQ(sel.size(), 2u);
  EXPECT_EQ(sel[0].str(), "t.a[0]");
  EXPECT_EQ(s.select(addr("t.a[1]")).size(), 1u);
  EXPECT_EQ(s.select(addr("t.a[7]")).size(), 0u);
  EXPECT_EQ(s.select(*parse_address("module.m", true).address).size(), 2u);
}

TEST(StateTest, SensitivePathsRoundTrip) {
  ValueMap attrs = {
      {"password", Value::string("hunter2").mark_sensitive()},
      {"tags", Value::map({{"secret", Value::string("s").mark_sensitive()},
                           {"plain", Value::string("p")}})},
      {"disks", Value::list({Value::object({{"key", Value::string("k").mark_sensitive()}}),
                             Value::object({{"key", Value::string("k2")}})})},
      {"name", Value::string("n")},
  };
  auto paths = sensitive_paths(attrs);
  ASSERT_EQ(paths.size(), 3u);
  EXPECT_EQ(path_str(paths[0]), "disks[0].key");
  EXPECT_EQ(path_str(paths[1]), "password");
  EXPECT_EQ(path_str(paths[2]), "tags.secret");

  ValueMap plain;
  for (const auto& [k, v] : attrs) plain[k] = v;  // equality ignores marks; strip them:
  plain["password"] = Value::string("hunter2");
  plain["tags"] = Value::map({{"secret", Value::string("s")}, {"plain", Value::string("p")}});
  plain["disks"] = Value::list({Value::object({{"key", Value::string("k")}}),
                                Value::object({{"key", Value::string("k2")}})});
  EXPECT_TRUE(sensitive_paths(plain).empty());
  ValueMap marked = mark_sensitive_paths(plain, paths);
  EXPECT_EQ(sensitive_paths(marked), paths);
  EXPECT_TRUE(marked.at("password").is_sensitive());
  EXPECT_FALSE(marked.at("tags").is_sensitive());
  EXPECT_EQ(marked.at("tags").kind(), ValueKind::Map);
  EXPECT_TRUE(marked.at("tags").attributes().at("secret").is_sensitive());
  EXPECT_FALSE(marked.at("tags").attributes().at("plain").is_sensitive());
  // Paths that do not exist are ignored, not a crash.
  ValueMap same =
      mark_sensitive_paths(plain, {{std::string("nope")}, {std::string("disks"), int64_t{9}}});
  EXPECT_TRUE(sensitive_paths(same).empty());
  EXPECT_EQ(path_str({std::string("tags"), std::string("a b"), int64_t{2}}), "tags[\"a b\"][2]");
}

TEST(StateTest, EqualityIncludesSensitiveMarks) {
  ResourceState a = machine("1"), b = machine("1");
  EXPECT_EQ(a, b);
  b.attributes["name"] = b.attributes["name"].mark_sensitive();
  EXPECT_FALSE(a == b);
}

}  // namespace
}  // namespace orch
