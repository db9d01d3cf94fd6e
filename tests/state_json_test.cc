// Tests for planner/state_json.h and planner/value_json.h: exact round trips of every value
// kind, sensitive marks, refusal of unknowns, determinism, and errors with positions.
#include "planner/state_json.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "planner/value_json.h"

namespace orch {
namespace {

using nlohmann::json;

ResourceAddress addr(std::string_view text) {
  return *parse_address(text).address;
}

// Deep equality that also compares kinds, int-vs-double, types and sensitive marks.
void expect_exact(const Value& a, const Value& b, const std::string& where = "") {
  ASSERT_EQ(a.kind(), b.kind()) << where;
  EXPECT_EQ(a.is_sensitive(), b.is_sensitive()) << where;
  EXPECT_EQ(a.type().str(), b.type().str()) << where;
  if (a.kind() == ValueKind::Number) {
    const Number &x = a.as_number(), &y = b.as_number();
    ASSERT_EQ(x.is_int, y.is_int) << where;
    if (x.is_int) {
      EXPECT_EQ(x.i, y.i) << where;
    } else if (std::isnan(x.d)) {
      EXPECT_TRUE(std::isnan(y.d)) << where;
    } else {
      EXPECT_EQ(x.d, y.d) << where;  // bit-exact, not approximately
    }
  }
  if (a.kind() == ValueKind::String) {
    EXPECT_EQ(a.as_string(), b.as_string()) << where;
  }
  if (a.kind() == ValueKind::Bool) {
    EXPECT_EQ(a.as_bool(), b.as_bool()) << where;
  }
  if (a.is_sequence()) {
    ASSERT_EQ(a.elements().size(), b.elements().size()) << where;
    for (size_t i = 0; i < a.elements().size(); ++i) {
      expect_exact(a.elements()[i], b.elements()[i], where + "[" + std::to_string(i) + "]");
    }
  }
  if (a.is_mapping()) {
    ASSERT_EQ(a.attributes().size(), b.attributes().size()) << where;
    for (const auto& [k, v] : a.attributes()) {
      ASSERT_TRUE(b.attributes().count(k)) << where << "." << k;
      expect_exact(v, b.attributes().at(k), where + "." + k);
    }
  }
}

Value round_trip(const Value& v) {
  json j;
  std::string e;
  EXPECT_TRUE(value_to_json(v, j, &e)) << e;
  // Through text, as on disk.
  json parsed = json::parse(j.dump());
  Value out;
  EXPECT_TRUE(value_from_json(parsed, out, &e)) << e << " in " << j.dump();
  return out;
}

std::vector<Value> every_kind() {
  double nan = std::numeric_limits<double>::quiet_NaN();
  double inf = std::numeric_limits<double>::infinity();
  return {
      Value::null(),
      Value::null(Type::list(Type::string())),
      Value::null(Type::object({{"a", Type::number()}})),
      Value::boolean(true),
      Value::boolean(false),
      Value::number(0),
      Value::number(int64_t{-7}),
      Value::number(std::numeric_limits<int64_t>::max()),
      Value::number(std::numeric_limits<int64_t>::min()),
      Value::number(0.1),
      Value::number(-2.5),
      Value::number(1e300),
      Value::number(1e20),  // integral but beyond int64: stays a double
      Value::number(5e-324),
      Value::number(Number{false, 0, nan}),
      Value::number(Number{false, 0, inf}),
      Value::number(Number{false, 0, -inf}),
      Value::string(""),
      Value::string("plain"),
      Value::string("quote \" backslash \\ newline \n tab \t nul-free é ✓"),
      Value::string("$map"),
      Value::list({}),
      Value::list({}, Type::string()),
      Value::list({Value::string("a"), Value::string("b")}),
      Value::list({Value::number(1), Value::string("x")}),  // mixed: element type any
      Value::list({Value::string("a")}, Type::any()),
      Value::set({Value::string("b"), Value::string("a")}),
      Value::set({}, Type::number()),
      Value::map({}),
      Value::map({}, Type::number()),
      Value::map({{"k", Value::string("v")}, {"$x", Value::string("y")}}),
      Value::tuple({}),
      Value::tuple({Value::number(1), Value::string("two"), Value::null()}),
      Value::object({}),
      Value::object({{"a", Value::number(1)}, {"b", Value::list({Value::boolean(true)})}}),
      Value::object({{"$map", Value::string("not a tag")}}),
      Value::object({{"nested", Value::map({{"deep", Value::set({Value::number(2.5)})}})}}),
      Value::list({Value::object({{"name", Value::string("disk")}, {"size", Value::number(10)}})}),
      Value::string("secret").mark_sensitive(),
      Value::map({{"pw", Value::string("p").mark_sensitive()}}),
  };
}

TEST(ValueJsonTest, EveryKindRoundTripsExactly) {
  for (const Value& v : every_kind()) {
    if (v.contains_sensitive()) continue;  // marks travel as paths, tested below
    SCOPED_TRACE(v.to_display());
    expect_exact(v, round_trip(v));
  }
}

TEST(ValueJsonTest, EncodingIsPlainWhereUnambiguous) {
  json j;
  ASSERT_TRUE(
      value_to_json(Value::object({{"a", Value::list({Value::number(1), Value::number(0.5)})},
                                   {"b", Value::null()},
                                   {"c", Value::string("s")}}),
                    j, nullptr));
  EXPECT_EQ(j.dump(), R"({"a":[1,0.5],"b":null,"c":"s"})");
  ASSERT_TRUE(value_to_json(Value::map({{"k", Value::string("v")}}), j, nullptr));
  EXPECT_EQ(j.dump(), R"({"$map":{"k":"v"}})");
  ASSERT_TRUE(value_to_json(Value::list({}, Type::string()), j, nullptr));
  EXPECT_EQ(j.dump(), R"({"$elem":"string","$list":[]})");
}

TEST(ValueJsonTest, UnknownValuesAreRefusedWithTheirPath) {
  json j;
  std::string e;
  Value v = Value::object({{"a", Value::list({Value::number(1), Value::unknown()})}});
  EXPECT_FALSE(value_to_json(v, j, &e, "sim_machine.x"));
  EXPECT_EQ(e,
            "sim_machine.x.a[1]: an unknown value (known only after apply) cannot be stored "
            "in state");
}

TEST(ValueJsonTest, MalformedTagsAreErrors) {
  for (const char* text :
       {R"({"$bogus": 1})", R"({"$map": [1]})", R"({"$set": {}})", R"({"$map": {}, "$list": []})",
        R"({"$tuple": [], "$elem": "string"})", R"({"$null": "nonsense"})", R"({"$number": "1.5"})",
        R"({"$list": [], "$elem": ["list"]})"}) {
    Value out;
    std::string e;
    EXPECT_FALSE(value_from_json(json::parse(text), out, &e)) << text;
    EXPECT_FALSE(e.empty()) << text;
  }
}

TEST(ValueJsonTest, TypesRoundTrip) {
  for (const Type& t : {Type::any(), Type::string(), Type::list(Type::map(Type::number())),
                        Type::set(Type::boolean()), Type::tuple({Type::string(), Type::any()}),
                        Type::object({{"a", Type::string()}, {"b", Type::list(Type::number())}}),
                        Type::object({{"a", Type::string()}, {"o", Type::number()}}, {"o"})}) {
    Type back;
    std::string e;
    ASSERT_TRUE(type_from_json(json::parse(type_to_json(t).dump()), back, &e)) << e;
    EXPECT_EQ(back, t) << t.str();
    EXPECT_EQ(back.is_optional("o"), t.is_optional("o"));
  }
}

State sample_state() {
  State s = State::fresh();
  s.serial = 41;
  ResourceState r;
  r.type = "sim_machine";
  r.provider = "sim";
  r.id = "m-1";
  auto kinds = every_kind();
  for (size_t i = 0; i < kinds.size(); ++i) r.attributes["v" + std::to_string(i)] = kinds[i];
  r.dependencies = {addr("sim_machine.base"), addr("module.m.t.n[2]")};
  r.create_intents = {{"tok-1", "2026-11-25T07:00:00Z"}};
  s.resources[addr("sim_machine.node[0]")] = r;
  r.status = ResourceStatus::Tainted;
  r.type = "sim_image";
  r.mode = ResourceMode::Data;
  r.create_intents.clear();
  s.resources[addr(R"(module.db["a"].data.sim_image.x)")] = r;
  ResourceState creating;
  creating.type = "sim_task";
  creating.status = ResourceStatus::Creating;
  creating.create_intents = {{"tok-2", ""}};
  s.resources[addr("sim_task.t")] = creating;
  s.outputs["ip"] = OutputState{Value::string("10.0.0.1"), false};
  s.outputs["pw"] = OutputState{Value::string("x").mark_sensitive(), true};
  s.outputs["nested"] =
      OutputState{Value::object({{"k", Value::string("s").mark_sensitive()}}), false};
  return s;
}

void expect_same_state(const State& a, const State& b) {
  EXPECT_EQ(a.lineage, b.lineage);
  EXPECT_EQ(a.serial, b.serial);
  EXPECT_EQ(a.orch_version, b.orch_version);
  ASSERT_EQ(a.resources.size(), b.resources.size());
  for (const auto& [addr, r] : a.resources) {
    ASSERT_TRUE(b.resources.count(addr)) << addr.str();
    const ResourceState& o = b.resources.at(addr);
    EXPECT_EQ(r, o) << addr.str();
    EXPECT_EQ(r.type, o.type);
    EXPECT_EQ(r.mode, o.mode);
    expect_exact(Value::object(r.attributes), Value::object(o.attributes), addr.str());
  }
  ASSERT_EQ(a.outputs.size(), b.outputs.size());
  for (const auto& [name, o] : a.outputs) {
    EXPECT_EQ(o.sensitive, b.outputs.at(name).sensitive);
    expect_exact(o.value, b.outputs.at(name).value, name);
  }
}

TEST(StateJsonTest, SnapshotRoundTripsExactly) {
  State s = sample_state();
  std::string text, e;
  ASSERT_TRUE(state_to_json_text(s, text, &e)) << e;
  State back;
  ASSERT_TRUE(state_from_json_text(text, "state.json", back, &e)) << e;
  expect_same_state(s, back);
  // Sensitive values are stored (the file is 0600) but flagged.
  EXPECT_NE(text.find("\"secret\""), std::string::npos);
  EXPECT_NE(text.find("\"sensitive_attributes\":[[\"v38\"],[\"v39\",\"pw\"]]"), std::string::npos)
      << text;
  // Writing the loaded state again gives the same bytes.
  std::string again;
  ASSERT_TRUE(state_to_json_text(back, again, &e));
  EXPECT_EQ(text, again);
}

TEST(StateJsonTest, OneResourcePerLineInNaturalOrder) {
  State s = State::fresh();
  for (int i : {10, 2, 1}) {
    ResourceState r;
    r.type = "t";
    r.id = std::to_string(i);
    s.resources[addr("t.n[" + std::to_string(i) + "]")] = r;
  }
  std::string text;
  ASSERT_TRUE(state_to_json_text(s, text, nullptr));
  size_t p1 = text.find("\"t.n[1]\""), p2 = text.find("\"t.n[2]\""), p10 = text.find("t.n[10]");
  EXPECT_LT(p1, p2);
  EXPECT_LT(p2, p10);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 12) << text;  // 3 resource lines
}

TEST(StateJsonTest, RefusesUnknownsAndInvalidUtf8) {
  State s = State::fresh();
  ResourceState r;
  r.type = "t";
  r.attributes["x"] = Value::unknown();
  s.resources[addr("t.a")] = r;
  std::string text, e;
  EXPECT_FALSE(state_to_json_text(s, text, &e));
  EXPECT_NE(e.find("t.a.x: an unknown value"), std::string::npos) << e;

  s.resources[addr("t.a")].attributes["x"] = Value::string("bad \xff utf8");
  EXPECT_FALSE(state_to_json_text(s, text, &e));
  EXPECT_NE(e.find("t.a"), std::string::npos) << e;
}

TEST(StateJsonTest, SyntaxErrorsNameFileLineAndColumn) {
  State out;
  std::string e;
  std::string text = "{\n  \"format_version\": 1,\n  \"lineage\": \"x\",\n  oops\n}";
  EXPECT_FALSE(state_from_json_text(text, ".orch/state.json", out, &e));
  EXPECT_EQ(e.rfind(".orch/state.json:4:3: state file is not valid JSON", 0), 0u) << e;

  EXPECT_FALSE(state_from_json_text("{\"format_version\": 1, \"lin", "s.json", out, &e));
  EXPECT_EQ(e.rfind("s.json:1:", 0), 0u) << e;
}

TEST(StateJsonTest, ContentErrorsNameTheResource) {
  State out;
  std::string e;
  auto with_resources = [](const std::string& resources) {
    return R"({"format_version": 1, "lineage": "l", "serial": 1, "resources": [)" + resources +
           "]}";
  };
  EXPECT_FALSE(state_from_json_text(
      with_resources(R"({"address": "t.a", "status": "created", "id": "1", "attributes": {}},
                        {"address": "t.b", "status": "weird", "id": "2", "attributes": {}})"),
      "s.json", out, &e));
  EXPECT_EQ(e, "s.json: resources[1] (\"t.b\"): unknown status \"weird\"");

  EXPECT_FALSE(state_from_json_text(
      with_resources(R"({"address": "t.a[", "status": "created", "id": "1", "attributes": {}})"),
      "s.json", out, &e));
  EXPECT_NE(e.find("resources[0] (\"t.a[\"): invalid address \"t.a[\": column 5"),
            std::string::npos)
      << e;

  EXPECT_FALSE(state_from_json_text(
      with_resources(
          R"({"address": "t.a", "status": "created", "id": "1", "attributes": {"x": {"$map": 3}}})"),
      "s.json", out, &e));
  EXPECT_NE(e.find("attributes.x: expected a JSON object"), std::string::npos) << e;

  EXPECT_FALSE(state_from_json_text(
      with_resources(R"({"address": "t.a", "status": "created", "id": "1", "attributes": {}},
                        {"address": "t.a", "status": "created", "id": "1", "attributes": {}})"),
      "s.json", out, &e));
  EXPECT_NE(e.find("duplicate address"), std::string::npos) << e;

  EXPECT_FALSE(state_from_json_text(R"({"format_version": 2, "lineage": "l", "serial": 1,
                                        "resources": []})",
                                    "s.json", out, &e));
  EXPECT_NE(e.find("format_version 2 is not supported"), std::string::npos) << e;
  EXPECT_FALSE(state_from_json_text("[]", "s.json", out, &e));
  EXPECT_FALSE(state_from_json_text("", "s.json", out, &e));
}

TEST(StateJsonTest, JournalRecordsRoundTrip) {
  State s = sample_state();
  std::vector<StateChange> changes = {
      StateChange::put(addr("sim_machine.node[0]"), s.resources.at(addr("sim_machine.node[0]"))),
      StateChange::remove(addr("t.x[\"k\"]")),
      StateChange::creating(addr("module.m.t.y[3]"), "t", "sim", "tok", "2026-11-25T07:00:00Z"),
      StateChange::intent_done(addr("module.m.t.y[3]"), "tok"),
      StateChange::put_output("pw", s.outputs.at("pw")),
      StateChange::remove_output("ip"),
  };
  State a = State::fresh(), b = State::fresh();
  b.lineage = a.lineage;
  for (const auto& c : changes) {
    json j;
    std::string e;
    ASSERT_TRUE(change_to_json(c, j, &e)) << e;
    EXPECT_EQ(j.dump().find('\n'), std::string::npos);  // one record, one line
    StateChange back;
    ASSERT_TRUE(change_from_json(json::parse(j.dump()), back, &e)) << e << j.dump();
    EXPECT_EQ(back.kind, c.kind);
    EXPECT_EQ(back.address, c.address);
    a.apply(c);
    b.apply(back);
  }
  expect_same_state(a, b);
  StateChange bad;
  std::string e;
  EXPECT_FALSE(change_from_json(json::parse(R"({"op": "explode"})"), bad, &e));
  EXPECT_FALSE(change_from_json(json::parse(R"({"op": "remove"})"), bad, &e));
  EXPECT_FALSE(change_from_json(json::parse(R"([1])"), bad, &e));
}

}  // namespace
}  // namespace orch
