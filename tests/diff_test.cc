// Instance diffs on hand-built inputs: every action, unknowns, sensitivity, lifecycle rules.
#include "planner/diff.h"

#include <gtest/gtest.h>

namespace orch {
namespace {

Schema machine_schema() {
  Schema s;
  auto attr = [](std::string name, Type t, bool required, bool optional, bool computed,
                 bool force_new, bool sensitive = false) {
    AttributeSchema a;
    a.name = std::move(name);
    a.type = t;
    a.required = required;
    a.optional = optional;
    a.computed = computed;
    a.force_new = force_new;
    a.sensitive = sensitive;
    return a;
  };
  s.attributes = {
      attr("id", Type::string(), false, false, true, false),
      attr("name", Type::string(), true, false, false, true),
      attr("image", Type::string(), false, true, true, true),
      attr("size", Type::string(), false, true, true, false),
      attr("private_ip", Type::string(), false, false, true, false),
      attr("password", Type::string(), false, true, false, false, true),
  };
  return s;
}

struct DiffTest : ::testing::Test {
  Schema schema = machine_schema();
  ResourceState prior;
  InstanceDiffInput in;

  void SetUp() override {
    in.addr = *parse_address("sim_machine.node[1]").address;
    in.provider = "sim";
    in.schema = &schema;
    prior.type = "sim_machine";
    prior.provider = "sim";
    prior.id = "m-1";
    prior.attributes = existing();
  }
  static ValueMap existing() {
    return {{"id", Value::string("m-1")},
            {"name", Value::string("node-1")},
            {"image", Value::string("debian-12")},
            {"size", Value::string("small")},
            {"private_ip", Value::string("10.0.0.2")}};
  }
  void with_object() {
    in.prior = &prior;
    in.current = ObjectState{"m-1", existing()};
  }
  ResourceChange run() {
    diags = Diagnostics();
    return diff_instance(in, diags);
  }
  Diagnostics diags;
};

TEST_F(DiffTest, CreateWhenAbsentWithUnknownComputed) {
  in.config = ValueMap{{"name", Value::string("node-1")}};
  PlanResponse pr;
  pr.planned = {{"name", Value::string("node-1")},
                {"id", Value::unknown(Type::string())},
                {"image", Value::string("debian-12")}};
  in.planned = pr;
  auto rc = run();
  EXPECT_EQ(rc.action, PlanAction::Create);
  EXPECT_TRUE(rc.before.is_null());
  EXPECT_TRUE(rc.after.attributes().at("id").is_unknown());
  EXPECT_EQ(rc.address, "sim_machine.node[1]");
}

TEST_F(DiffTest, NoOpWhenEqualKeepsComputedValues) {
  with_object();
  in.config = ValueMap{{"name", Value::string("node-1")}, {"size", Value::string("small")}};
  auto rc = run();
  EXPECT_EQ(rc.action, PlanAction::NoOp);
  EXPECT_EQ(rc.after.attributes().at("private_ip").as_string(), "10.0.0.2");
}

TEST_F(DiffTest, InPlaceUpdate) {
  with_object();
  in.config = ValueMap{{"name", Value::string("node-1")}, {"size", Value::string("large")}};
  auto rc = run();
  EXPECT_EQ(rc.action, PlanAction::Update);
  EXPECT_EQ(rc.prior_id, "m-1");
  EXPECT_EQ(rc.after.attributes().at("size").as_string(), "large");
  EXPECT_EQ(rc.after.attributes().at("id").as_string(), "m-1");
}

TEST_F(DiffTest, ForceNewReplacesAndNamesAttribute) {
  with_object();
  in.config = ValueMap{{"name", Value::string("node-1")}, {"image", Value::string("debian-13")}};
  auto rc = run();
  EXPECT_EQ(rc.action, PlanAction::DeleteThenCreate);
  EXPECT_EQ(rc.reason, ChangeReason::ReplaceBecauseCannotUpdate);
  EXPECT_EQ(rc.replace_paths, std::vector<std::string>{"image"});
  EXPECT_TRUE(rc.after.attributes().at("id").is_unknown());
  EXPECT_TRUE(rc.after.attributes().at("private_ip").is_unknown());
}

TEST_F(DiffTest, UnknownForceNewValueReplaces) {
  with_object();
  in.config = ValueMap{{"name", Value::unknown(Type::string())}};
  auto rc = run();
  EXPECT_TRUE(is_replace(rc.action));
  EXPECT_EQ(rc.replace_paths, std::vector<std::string>{"name"});
}

TEST_F(DiffTest, CreateBeforeDestroy) {
  with_object();
  in.lifecycle.create_before_destroy = true;
  in.config = ValueMap{{"name", Value::string("node-9")}};
  auto rc = run();
  EXPECT_EQ(rc.action, PlanAction::CreateThenDelete);
  EXPECT_TRUE(rc.create_before_destroy);
}

TEST_F(DiffTest, ReplaceRequestedAndTainted) {
  with_object();
  in.config = ValueMap{{"name", Value::string("node-1")}};
  in.replace_requested = true;
  auto rc = run();
  EXPECT_EQ(rc.action, PlanAction::DeleteThenCreate);
  EXPECT_EQ(rc.reason, ChangeReason::ReplaceByRequest);
  in.replace_requested = false;
  prior.status = ResourceStatus::Tainted;
  rc = run();
  EXPECT_EQ(rc.reason, ChangeReason::ReplaceBecauseTainted);
}

TEST_F(DiffTest, OrphanDeletedAndPreventDestroyIsError) {
  with_object();
  in.orphan_reason = ChangeReason::DeleteBecauseCountIndex;
  auto rc = run();
  EXPECT_EQ(rc.action, PlanAction::Delete);
  EXPECT_EQ(rc.reason, ChangeReason::DeleteBecauseCountIndex);
  EXPECT_TRUE(rc.after.is_null());
  EXPECT_FALSE(diags.has_errors());

  in.lifecycle.prevent_destroy = true;
  rc = run();
  ASSERT_TRUE(diags.has_errors());
  EXPECT_EQ(diags.list()[0].summary, "Instance cannot be destroyed");
  EXPECT_NE(diags.list()[0].detail.find("sim_machine.node[1]"), std::string::npos);

  // prevent_destroy also refuses a replacement.
  in.config = ValueMap{{"name", Value::string("other")}};
  rc = run();
  EXPECT_TRUE(diags.has_errors());
}

TEST_F(DiffTest, DestroyMode) {
  with_object();
  in.config = ValueMap{{"name", Value::string("node-1")}};
  in.destroy_mode = true;
  auto rc = run();
  EXPECT_EQ(rc.action, PlanAction::Delete);
  EXPECT_EQ(rc.reason, ChangeReason::DeleteBecauseDestroyMode);
}

TEST_F(DiffTest, OrphanAlreadyGoneIsNoOp) {
  in.prior = &prior;
  in.refreshed = true;
  auto rc = run();
  EXPECT_EQ(rc.action, PlanAction::NoOp);
}

TEST_F(DiffTest, IgnoreChanges) {
  with_object();
  in.config = ValueMap{{"name", Value::string("node-1")}, {"size", Value::string("large")}};
  in.lifecycle.ignore_changes = {"size"};
  EXPECT_EQ(run().action, PlanAction::NoOp);
  in.lifecycle.ignore_changes = {};
  in.lifecycle.ignore_all_changes = true;
  in.config = ValueMap{{"name", Value::string("node-1")}, {"size", Value::string("huge")}};
  EXPECT_EQ(run().action, PlanAction::NoOp);
}

TEST_F(DiffTest, DriftDeletedIsRecreated) {
  in.prior = &prior;
  in.refreshed = true;  // the live object is gone
  in.config = ValueMap{{"name", Value::string("node-1")}};
  auto rc = run();
  EXPECT_EQ(rc.action, PlanAction::Create);
  EXPECT_EQ(rc.drift, "has been deleted outside orch");
}

TEST_F(DiffTest, DriftChangedIsRepaired) {
  with_object();
  in.refreshed = true;
  in.current->attributes["size"] = Value::string("huge");
  in.config = ValueMap{{"name", Value::string("node-1")}, {"size", Value::string("small")}};
  auto rc = run();
  EXPECT_EQ(rc.action, PlanAction::Update);
  EXPECT_EQ(rc.drift, "has changed outside orch");
}

TEST_F(DiffTest, ComputedOnlyChangesAreNotDrift) {
  with_object();
  in.refreshed = true;
  AttributeSchema reported;
  reported.name = "reported_at";
  reported.type = Type::number();
  reported.computed = true;
  schema.attributes.push_back(reported);
  prior.attributes["reported_at"] = Value::number(1);
  in.current->attributes["reported_at"] = Value::number(2);
  in.config = ValueMap{{"name", Value::string("node-1")}};
  auto rc = run();
  EXPECT_EQ(rc.drift, "");
}

TEST_F(DiffTest, SensitiveSchemaAttributesMarked) {
  with_object();
  in.config = ValueMap{{"name", Value::string("node-1")}, {"password", Value::string("pw")}};
  auto rc = run();
  EXPECT_EQ(rc.action, PlanAction::Update);
  EXPECT_TRUE(rc.after.attributes().at("password").is_sensitive());
}

TEST_F(DiffTest, DataSources) {
  in.addr = *parse_address("data.sim_image.base").address;
  in.config = ValueMap{{"family", Value::unknown(Type::string())}};
  auto rc = run();
  EXPECT_EQ(rc.action, PlanAction::Read);
  EXPECT_EQ(rc.reason, ChangeReason::ReadBecauseConfigUnknown);
  in.config = ValueMap{{"family", Value::string("debian")}};
  in.current = ObjectState{"img", {{"family", Value::string("debian")}}};
  rc = run();
  EXPECT_EQ(rc.action, PlanAction::NoOp);
}

}  // namespace
}  // namespace orch
