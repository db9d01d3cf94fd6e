// Saved plan files: exact round trip, mode 0600, corrupt input refused, stale-plan messages.
#include "planner/plan_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "planner/plan_json.h"
#include "planner/plan_render.h"
#include "tests/support/plan_fixture.h"

namespace orch {
namespace {

namespace fs = std::filesystem;

class PlanFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("orch_plan_file_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST(PlanFileValues, ExactEncodingKeepsMarksAndKinds) {
  Value v = Value::object({
      {"s", Value::string("x").mark_sensitive()},
      {"u", Value::unknown(Type::string())},
      // Unknowns of collection types: the type is an array in the file.
      {"uo", Value::unknown(Type::object({{"fqdn", Type::string()}, {"n", Type::number()}}))},
      {"ul", Value::unknown(Type::list(Type::string()))},
      {"set", Value::set({Value::string("b"), Value::string("a")})},
      {"list", Value::list({Value::number(1), Value::number(2.5)})},
      {"tuple", Value::tuple({Value::boolean(true), Value()})},
      {"map", Value::map({{"k", Value::string("v")}})},
  });
  std::string err;
  Value back = value_from_json_exact(value_to_json_exact(v), &err);
  EXPECT_TRUE(err.empty()) << err;
  const auto& a = back.attributes();
  EXPECT_TRUE(a.at("s").is_sensitive());
  EXPECT_EQ(a.at("s").unmarked().as_string(), "x");
  EXPECT_TRUE(a.at("u").is_unknown());
  EXPECT_TRUE(a.at("uo").is_unknown());
  EXPECT_EQ(a.at("uo").type(), v.attributes().at("uo").type());
  EXPECT_TRUE(a.at("ul").is_unknown());
  EXPECT_EQ(a.at("ul").type(), Type::list(Type::string()));
  EXPECT_EQ(a.at("set").kind(), ValueKind::Set);
  EXPECT_EQ(a.at("list").kind(), ValueKind::List);
  EXPECT_FALSE(a.at("list").elements()[1].as_number().is_int);
  EXPECT_EQ(a.at("tuple").kind(), ValueKind::Tuple);
  EXPECT_EQ(a.at("map").kind(), ValueKind::Map);
  EXPECT_EQ(back.kind(), ValueKind::Object);
  // Re-encoding gives the same document.
  EXPECT_EQ(value_to_json_exact(back), value_to_json_exact(v));
}

TEST(PlanFileValues, MalformedValueReported) {
  std::string err;
  value_from_json_exact(nlohmann::json::parse(R"({"$bogus": 1})"), &err);
  EXPECT_NE(err.find("bogus"), std::string::npos);
}

TEST_F(PlanFileTest, RoundTripIsExact) {
  PlanFile pf;
  pf.plan = testing::sample_plan();
  ASSERT_FALSE(pf.plan.changes.empty());
  pf.plan.changes[0].gate_condition = Value::string("http://web-0:8080/health");
  pf.config_dir = "/somewhere";
  pf.config_files = {{"main.orch", "resource \"sim_machine\" \"node\" {}\n"}};
  pf.options = {{"parallelism", "4"}};
  std::string err;
  ASSERT_TRUE(write_plan_file(path("p.plan"), pf, &err)) << err;

  struct stat st {};
  ASSERT_EQ(::stat(path("p.plan").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto back = read_plan_file(path("p.plan"), &err);
  ASSERT_TRUE(back) << err;
  EXPECT_EQ(back->config_files, pf.config_files);
  EXPECT_EQ(back->options, pf.options);
  EXPECT_EQ(back->config_dir, "/somewhere");
  EXPECT_EQ(render_plan_text(back->plan), render_plan_text(pf.plan));
  EXPECT_EQ(render_plan_json(back->plan), render_plan_json(pf.plan));
  EXPECT_EQ(plan_file_to_json(*back), plan_file_to_json(pf));
  // The execution graph travels with the plan.
  EXPECT_EQ(back->plan.graph.nodes.size(), pf.plan.graph.nodes.size());
  EXPECT_EQ(back->plan.graph.edges, pf.plan.graph.edges);
  // Sensitive values are kept (apply needs them) but marked.
  const ResourceChange* setup = back->plan.find("sim_task.setup");
  ASSERT_TRUE(setup);
  EXPECT_TRUE(setup->before.attributes().at("token").is_sensitive());
  ASSERT_TRUE(back->plan.changes[0].gate_condition);
  EXPECT_EQ(back->plan.changes[0].gate_condition->as_string(), "http://web-0:8080/health");
}

TEST_F(PlanFileTest, CorruptFilesRefused) {
  std::string err;
  { std::ofstream(path("junk")) << "not json at all"; }
  EXPECT_FALSE(read_plan_file(path("junk"), &err));
  EXPECT_NE(err.find("not an orch plan file"), std::string::npos) << err;

  { std::ofstream(path("other")) << R"({"format_version": "1.0"})"; }
  EXPECT_FALSE(read_plan_file(path("other"), &err));
  EXPECT_NE(err.find("not an orch plan file"), std::string::npos) << err;

  PlanFile pf;
  pf.plan = testing::sample_plan();
  auto j = plan_file_to_json(pf);
  j["graph"]["edges"].push_back({0, 999});
  { std::ofstream(path("edges")) << j.dump(); }
  EXPECT_FALSE(read_plan_file(path("edges"), &err));
  EXPECT_NE(err.find("missing node"), std::string::npos) << err;

  j = plan_file_to_json(pf);
  j["orch_plan_format"] = 99;
  { std::ofstream(path("future")) << j.dump(); }
  EXPECT_FALSE(read_plan_file(path("future"), &err));
  EXPECT_NE(err.find("format 99"), std::string::npos) << err;

  EXPECT_FALSE(read_plan_file(path("absent"), &err));
  EXPECT_NE(err.find("cannot read plan file"), std::string::npos) << err;
}

TEST(PlanFileStale, Messages) {
  Plan p = testing::sample_plan();  // lineage …0001, serial 4
  EXPECT_EQ(stale_plan_message(p, true, p.state_lineage, 4), "");
  EXPECT_EQ(stale_plan_message(p, true, p.state_lineage, 6),
            "Saved plan is stale: the state changed since it was made (serial 4 → 6); run orch "
            "plan again.");
  EXPECT_NE(stale_plan_message(p, true, "other", 4).find("different state"), std::string::npos);
  EXPECT_NE(stale_plan_message(p, false, "", 0).find("no longer exists"), std::string::npos);
  Plan fresh;
  EXPECT_EQ(stale_plan_message(fresh, false, "", 0), "");
  EXPECT_NE(stale_plan_message(fresh, true, "x", 1).find("stale"), std::string::npos);
}

}  // namespace
}  // namespace orch
