// Idempotency tokens and adoption in the planner (planner/adopt.h), and how adoptions and
// provider notes show in plans (text, JSON, markdown) and survive a saved plan file.
#include "planner/adopt.h"

#include <gtest/gtest.h>

#include "planner/plan_file.h"
#include "planner/plan_json.h"
#include "planner/plan_markdown.h"
#include "planner/plan_render.h"
#include "planner/virtual_clock.h"

namespace orch {
namespace {

ResourceAddress addr(const std::string& s) {
  return *parse_address(s).address;
}

TEST(Adopt, CreateTokensCarryAGenerationAndResumeIntents) {
  State st;
  st.lineage = "L";
  EXPECT_EQ(create_token(st, addr("ec2_instance.a[1]"), 7), "L/ec2_instance.a[1]#7");
  EXPECT_NE(create_token(st, addr("ec2_instance.a[1]"), 8),
            create_token(st, addr("ec2_instance.a[1]"), 7));
  st.apply(StateChange::creating(addr("ec2_instance.a[1]"), "ec2_instance", "ec2",
                                 "L/ec2_instance.a[1]#3", "2026-01-01T00:00:00Z"));
  // An interrupted create is resumed with its own token...
  EXPECT_EQ(create_token(st, addr("ec2_instance.a[1]"), 9), "L/ec2_instance.a[1]#3");
  // ...unless the object it made was found and is being replaced.
  EXPECT_EQ(create_token(st, addr("ec2_instance.a[1]"), 9, false), "L/ec2_instance.a[1]#9");
}

// A provider that reports marked objects.
class OwningProvider : public Provider {
 public:
  ProviderSchema s;
  const ProviderSchema& schema() const override { return s; }
  void configure(const ValueMap&, const ProviderContext&, Diagnostics&) override {}
  void read_many(const std::string&, std::vector<ReadItem>,
                 std::function<void(ReadResult)> d) override {
    d({});
  }
  void read_data(
      const std::string&, const ValueMap&,
      std::function<void(std::optional<ValueMap>, std::optional<ProviderError>)> d) override {
    d(std::nullopt, std::nullopt);
  }
  PlanResponse plan(const PlanRequest&) override { return {}; }
  void apply(const ApplyRequest&, std::function<void(ApplyResult)> d) override { d({}); }
  void check_gate(const GateRequest&, std::function<void(GateResult)> d) override { d({}); }
  void list_owned(const std::string& type, std::function<void(OwnedResult)> done) override {
    OwnedResult r;
    if (type == "x_thing")
      r.objects["x_thing.a"] = ObjectState{"id-1", {}};
    else
      r.error = ProviderError{"listing failed", "", false, std::nullopt};
    done(r);
  }
};

TEST(Adopt, FindOwnedAsksEachTypeAndWarnsOnErrors) {
  OwningProvider p;
  VirtualClock clock;
  Diagnostics d;
  auto owned = find_owned({{&p, "x_thing"}, {&p, "x_other"}, {nullptr, "y"}}, clock, d);
  ASSERT_EQ(owned.size(), 1u);
  EXPECT_EQ(owned.at("x_thing.a").id, "id-1");
  EXPECT_FALSE(d.has_errors());
  EXPECT_EQ(d.warning_count(), 1);
}

Plan adoption_plan() {
  Plan plan;
  plan.orch_version = "test";
  ResourceChange pure;
  pure.addr = addr("ec2_instance.web[0]");
  pure.address = pure.addr.str();
  pure.provider = "ec2";
  pure.action = PlanAction::NoOp;
  pure.after = Value::object(
      {{"id", Value::string("i-0abc")}, {"instance_type", Value::string("t3.micro")}});
  pure.before = pure.after;
  mark_adoption(pure, "i-0abc");
  ResourceChange upd;
  upd.addr = addr("ec2_instance.web[1]");
  upd.address = upd.addr.str();
  upd.provider = "ec2";
  upd.action = PlanAction::Update;
  upd.before = Value::object({{"instance_type", Value::string("t3.micro")}});
  upd.after = Value::object({{"instance_type", Value::string("t3.large")}});
  upd.notes = {"instance_type \"t3.micro\" -> \"t3.large\": stop, modify, start"};
  mark_adoption(upd, "i-0def");
  plan.changes = {pure, upd};
  plan.normalize();
  return plan;
}

TEST(Adopt, PureAdoptionsRunAsUpdatesAndCount) {
  Plan plan = adoption_plan();
  EXPECT_TRUE(is_pure_adoption(plan.changes[0]));
  EXPECT_EQ(graph_action(plan.changes[0]), PlanAction::Update);
  EXPECT_FALSE(is_pure_adoption(plan.changes[1]));
  EXPECT_EQ(plan.changes[0].prior_id, "i-0abc");
  EXPECT_TRUE(plan.has_changes());
  EXPECT_EQ(plan.counts().adopt, 2);
  EXPECT_EQ(plan.counts().change, 1);
  EXPECT_EQ(render_plan_summary(plan), "Plan: 0 to add, 1 to change, 0 to destroy, 2 to adopt.");
}

TEST(Adopt, RenderedInTextJsonAndMarkdown) {
  Plan plan = adoption_plan();
  std::string text = render_plan_text(plan);
  EXPECT_NE(text.find(" <- adopt (exists, marked for this stack"), std::string::npos) << text;
  EXPECT_NE(text.find("# ec2_instance.web[0] will be adopted (i-0abc)"), std::string::npos) << text;
  EXPECT_NE(text.find(" <- resource \"ec2_instance\" \"web\" {"), std::string::npos) << text;
  EXPECT_NE(text.find("# ec2_instance.web[1] will be adopted (i-0def) and updated in-place"),
            std::string::npos);
  EXPECT_NE(text.find("# note: instance_type \"t3.micro\" -> \"t3.large\": stop, modify, start"),
            std::string::npos);
  auto j = plan_to_json(plan);
  EXPECT_EQ(j["resource_changes"][0]["change"]["importing"]["id"], "i-0abc");
  EXPECT_EQ(j["resource_changes"][0]["change"]["actions"][0], "no-op");
  EXPECT_EQ(j["resource_changes"][1]["notes"][0], plan.changes[1].notes[0]);
  std::string md = render_plan_markdown(plan);
  EXPECT_NE(md.find("2 to adopt"), std::string::npos) << md;
  EXPECT_NE(md.find("<summary>Adopt (1)</summary>"), std::string::npos) << md;
  EXPECT_NE(md.find("adopts `i-0def`"), std::string::npos) << md;
}

TEST(Adopt, SurvivesASavedPlan) {
  PlanFile pf;
  pf.plan = adoption_plan();
  std::string error;
  auto back = plan_file_from_json(plan_file_to_json(pf), &error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->plan.changes[0].adopt_id, "i-0abc");
  EXPECT_EQ(back->plan.changes[1].notes, pf.plan.changes[1].notes);
}

}  // namespace
}  // namespace orch
