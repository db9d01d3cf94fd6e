// Golden tests of the human, JSON and markdown renderings of a plan, and their determinism.
#include "planner/plan_render.h"

#include <gtest/gtest.h>

#include "planner/plan_json.h"
#include "planner/plan_markdown.h"
#include "tests/support/plan_fixture.h"

namespace orch {
namespace {

using testing::golden;
using testing::sample_plan;

TEST(PlanRender, TextMatchesGolden) {
  std::string text = render_plan_text(sample_plan());
  EXPECT_EQ(text, golden("plan/sample.txt", text));
}

TEST(PlanRender, JsonMatchesGolden) {
  std::string text = render_plan_json(sample_plan());
  EXPECT_EQ(text, golden("plan/sample.json", text));
}

TEST(PlanRender, MarkdownMatchesGolden) {
  std::string text = render_plan_markdown(sample_plan());
  EXPECT_EQ(text, golden("plan/sample.md", text));
}

TEST(PlanRender, NoChanges) {
  std::string text = render_plan_text(testing::empty_plan());
  EXPECT_EQ(text, golden("plan/empty.txt", text));
  EXPECT_NE(text.find("No changes. Your infrastructure matches the configuration."),
            std::string::npos);
  EXPECT_NE(render_plan_markdown(testing::empty_plan()).find("no changes"), std::string::npos);
}

TEST(PlanRender, SummaryLineCountsReplacementsAsAddAndDestroy) {
  // sample: 4 creates (node[2] + 3 workers), 2 replacements, 1 update, 1 delete.
  EXPECT_EQ(render_plan_summary(sample_plan()), "Plan: 6 to add, 1 to change, 3 to destroy.");
}

TEST(PlanRender, SensitiveValuesNeverAppear) {
  Plan p = sample_plan();
  for (const std::string& out :
       {render_plan_text(p), render_plan_json(p), render_plan_markdown(p)}) {
    EXPECT_EQ(out.find("s3cr3t"), std::string::npos) << out;
  }
  EXPECT_NE(render_plan_text(p).find("~ admin_token = (sensitive value)"), std::string::npos);
  auto j = plan_to_json(p);
  for (const auto& rc : j["resource_changes"]) {
    if (rc["address"] != "sim_task.setup") continue;
    EXPECT_TRUE(rc["change"]["before"]["token"].is_null());
    EXPECT_EQ(rc["change"]["before_sensitive"]["token"], true);
    EXPECT_EQ(rc["change"]["after_sensitive"]["token"], true);
  }
}

TEST(PlanRender, SymbolsAndReasons) {
  std::string text = render_plan_text(sample_plan());
  EXPECT_NE(text.find("-/+ resource \"sim_machine\" \"node\" {"), std::string::npos);
  EXPECT_NE(text.find("+/- resource \"sim_task\" \"setup\" {"), std::string::npos);
  EXPECT_NE(text.find(" <= data \"sim_image\" \"base\" {"), std::string::npos);
  EXPECT_NE(text.find("~ image      = \"debian-12\" -> \"debian-13\" # forces replacement"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# (because module.old.sim_machine.extra is not in configuration)"),
            std::string::npos);
  EXPECT_NE(text.find("+ id         = (known after apply)"), std::string::npos);
  EXPECT_NE(text.find("# rollout: wave 1 of 3 (canary)"), std::string::npos);
}

TEST(PlanRender, ColourOnlyWhenAsked) {
  Plan p = sample_plan();
  EXPECT_EQ(render_plan_text(p).find('\x1b'), std::string::npos);
  EXPECT_NE(render_plan_text(p, PlanRenderOptions{true}).find("\x1b[32m+"), std::string::npos);
}

TEST(PlanRender, Deterministic) {
  // Built twice from scratch, in a different insertion order: byte-identical output.
  Plan a = sample_plan();
  Plan b = sample_plan();
  std::reverse(b.changes.begin(), b.changes.end());
  std::reverse(b.outputs.begin(), b.outputs.end());
  b.normalize();
  EXPECT_EQ(render_plan_text(a), render_plan_text(b));
  EXPECT_EQ(render_plan_json(a), render_plan_json(b));
  EXPECT_EQ(render_plan_markdown(a), render_plan_markdown(b));
}

TEST(PlanJson, TerraformShape) {
  auto j = plan_to_json(sample_plan());
  EXPECT_EQ(j["format_version"], "1.0");
  const auto& rcs = j["resource_changes"];
  ASSERT_TRUE(rcs.is_array());
  const nlohmann::json* create = nullptr;
  const nlohmann::json* replace = nullptr;
  for (const auto& rc : rcs) {
    if (rc["address"] == "sim_machine.node[2]") create = &rc;
    if (rc["address"] == "sim_machine.node[0]") replace = &rc;
  }
  ASSERT_TRUE(create && replace);
  EXPECT_EQ((*create)["index"], 2);
  EXPECT_EQ((*create)["mode"], "managed");
  EXPECT_EQ((*create)["change"]["actions"], nlohmann::json::array({"create"}));
  EXPECT_EQ((*create)["change"]["after_unknown"]["id"], true);
  EXPECT_FALSE((*create)["change"]["after"].contains("id"));
  EXPECT_EQ((*replace)["change"]["actions"], nlohmann::json::array({"delete", "create"}));
  EXPECT_EQ((*replace)["action_reason"], "replace_because_cannot_update");
  EXPECT_EQ((*replace)["change"]["replace_paths"], nlohmann::json::parse(R"([["image"]])"));
  EXPECT_TRUE(j["variables"]["token"]["sensitive"].get<bool>());
  EXPECT_FALSE(j["variables"]["token"].contains("value"));
  EXPECT_EQ(j["graph"]["edges"].size(), 4u);
  // Rollouts sorted by block: the deferred block's has no waves yet.
  EXPECT_EQ(j["rollouts"][0]["block"], "sim_task.join");
  EXPECT_EQ(j["rollouts"][0]["waves"].size(), 0u);
  EXPECT_EQ(j["rollouts"][1]["waves"].size(), 3u);
  // Deferred blocks in Terraform's deferred_changes shape, with orch's bound and inputs.
  ASSERT_EQ(j["deferred_changes"].size(), 1u);
  const auto& d = j["deferred_changes"][0];
  EXPECT_EQ(d["reason"], "instance_count_unknown");
  EXPECT_EQ(d["resource_change"]["address"], "sim_task.join[*]");
  EXPECT_EQ(d["resource_change"]["change"]["actions"], nlohmann::json::array({"create"}));
  EXPECT_EQ(d["resource_change"]["change"]["after_unknown"]["command"], true);
  EXPECT_EQ(d["max_instances"], 3);
  EXPECT_EQ(d["waiting_for"], "sim_election.master.leader");
  EXPECT_EQ(j["limits"]["parallelism"], 4);
  EXPECT_EQ(j["limits"]["providers"][0]["max_concurrency"], 10);
}

TEST(PlanRender, LimitsSayWhichTypesTheyDoNotHoldBack) {
  Plan p;
  ResourceChange rc;
  rc.addr = *parse_address("chef_converge.web").address;
  rc.address = rc.addr.str();
  rc.provider = "chef";
  rc.action = PlanAction::Create;
  rc.after = Value::object({{"nodes", Value::list({Value::string("web-1")})}});
  p.changes.push_back(rc);
  p.limits.push_back({"chef", 16, 0, {"chef_converge", "chef_node"}});
  p.limits.push_back({"ec2", 0, 10, {"ec2_instance"}});
  PlanRenderOptions ro;
  const std::string text = render_plan_text(p, ro);
  EXPECT_NE(text.find("provider chef: at most 16 operations at once (chef_converge steps not "
                      "counted)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("provider ec2: 10 requests per second\n"), std::string::npos) << text;
  EXPECT_NE(render_plan_markdown(p).find("(chef_converge steps not counted)"), std::string::npos);
  auto j = nlohmann::json::parse(render_plan_json(p));
  EXPECT_EQ(j["limits"]["providers"][0]["not_counted_types"],
            nlohmann::json::array({"chef_converge"}));
  EXPECT_FALSE(j["limits"]["providers"][1].contains("not_counted_types"));
}

TEST(PlanRender, EachInstanceShowsItsOwnGate) {
  Plan p;
  for (int i = 0; i < 2; ++i) {
    ResourceChange rc;
    rc.addr = *parse_address("sim_task.web[" + std::to_string(i) + "]").address;
    rc.address = rc.addr.str();
    rc.provider = "sim";
    rc.action = PlanAction::Create;
    rc.after = Value::object({{"command", Value::string("deploy")}});
    rc.gate_condition = Value::string("http://web-" + std::to_string(i) + ":8080/health");
    p.changes.push_back(rc);
  }
  PlanGate g;
  g.block = "sim_task.web";
  g.kind = "http";
  g.condition = Value::string("http://web-0:8080/health");
  g.per_instance = true;
  p.gates.push_back(g);
  const std::string text = render_plan_text(p);
  EXPECT_NE(text.find("# ready when http = \"http://web-1:8080/health\""), std::string::npos)
      << text;
  EXPECT_NE(text.find("sim_task.web: ready when http per instance, the first: "
                      "\"http://web-0:8080/health\""),
            std::string::npos)
      << text;
  EXPECT_NE(render_plan_markdown(p).find("http per instance, the first"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(render_plan_json(p))["gates"][0]["per_instance"], true);
}

TEST(PlanRender, NestedListDiff) {
  Plan p;
  ResourceChange rc;
  rc.addr = *parse_address("sim_task.t").address;
  rc.address = rc.addr.str();
  rc.action = PlanAction::Update;
  rc.before = Value::object(
      {{"id", Value::string("t")},
       {"on", Value::list({Value::string("a"), Value::string("b"), Value::string("c")})}});
  rc.after = Value::object(
      {{"id", Value::string("t")},
       {"on", Value::list({Value::string("a"), Value::string("x"), Value::string("c")})}});
  p.changes.push_back(rc);
  std::string text = render_plan_text(p);
  EXPECT_NE(text.find("      ~ on = [\n"
                      "            # (1 unchanged element hidden)\n"
                      "          + \"x\",\n"
                      "          - \"b\",\n"
                      "            # (1 unchanged element hidden)\n"
                      "        ]\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace orch
