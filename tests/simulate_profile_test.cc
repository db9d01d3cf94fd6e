// Tests of simulation profiles (compiler/simulate_profile.h): the `simulate` block (loading,
// checking, values) and YAML profiles, with the same settings and errors, and their merging.
#include "compiler/simulate_profile.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "compiler/check.h"
#include "tests/support/config_fixture.h"
#include "tests/support/peer_schemas.h"
#include "tests/support/temp_dir.h"

namespace orch {
namespace {

using namespace std::chrono_literals;
using testing::has_diag;
using testing::summaries;

class SimulateProfileTest : public ::testing::Test {
 protected:
  SimProfile from_block(const std::string& text) {
    diags = Diagnostics();
    configs.push_back(std::make_unique<Config>(
        testing::build_config_from(sources, {{"main.orch", text}}, diags)));
    const Config& c = *configs.back();
    if (!c.simulate) return {};
    return simulate_profile_from_block(*c.simulate, &schemas, diags);
  }
  std::optional<SimProfile> from_yaml(const std::string& text) {
    diags = Diagnostics();
    const std::string path = (std::filesystem::path(dir.path()) / "p.yaml").string();
    std::ofstream(path) << text;
    return read_simulate_profile(path, sources, &schemas, diags);
  }

  testing::TempDir dir;
  SourceManager sources;
  Diagnostics diags;
  SchemaRegistry schemas = testing::peer_schemas();
  std::vector<std::unique_ptr<Config>> configs;
};

TEST_F(SimulateProfileTest, BlockSettings) {
  SimProfile p = from_block(R"orch(
simulate {
  seed = 7
  default {
    create = "30s"
    fail_rate = 0.01
  }
  resource "ec2_instance" {
    create         = "lognormal(90s, 0.3)"
    delete         = "uniform(30s, 60s)"
    fail_rate      = 0.02
    transient_rate = 0.1
    gate           = "normal(2m, 20s)"
  }
  resource "chef_converge" {
    duration = "normal(4m, 30s)"
  }
  provider "ec2" {
    max_concurrency     = 50
    requests_per_second = 20
  }
}
)orch");
  ASSERT_FALSE(diags.has_errors()) << summaries(diags);
  EXPECT_EQ(p.seed, 7u);
  EXPECT_EQ(p.defaults.latency.at("create").a, 30s);
  const SimRule ec2 = p.rule_for("ec2_instance");
  EXPECT_EQ(ec2.latency_of("create")->kind, Distribution::Kind::LogNormal);
  EXPECT_EQ(ec2.latency_of("delete")->kind, Distribution::Kind::Uniform);
  EXPECT_FALSE(ec2.latency_of("update"));  // neither the type nor the default sets it
  EXPECT_DOUBLE_EQ(*ec2.fail_rate, 0.02);
  EXPECT_DOUBLE_EQ(*ec2.transient_rate, 0.1);
  EXPECT_EQ(ec2.gate->a, 2min);
  const SimRule converge = p.rule_for("chef_converge");
  EXPECT_EQ(converge.latency_of("update")->a, 4min);  // `duration` covers every operation
  EXPECT_EQ(converge.latency_of("create")->a, 4min);  // the type's own beats the default
  EXPECT_DOUBLE_EQ(*converge.fail_rate, 0.01);        // from the default
  EXPECT_EQ(p.providers.at("ec2").max_concurrency, 50);
  EXPECT_DOUBLE_EQ(*p.providers.at("ec2").requests_per_second, 20);
}

TEST_F(SimulateProfileTest, BlockErrorsNameTheProblem) {
  from_block("simulate {\n  resource \"ec2_instanse\" {\n    create = \"1m\"\n  }\n}\n");
  EXPECT_TRUE(has_diag(diags, "Unknown resource type in simulation settings",
                       "did you mean \"ec2_instance\"?"))
      << summaries(diags);

  from_block("simulate {\n  resource \"ec2_instance\" {\n    create = \"soon\"\n  }\n}\n");
  EXPECT_TRUE(has_diag(diags, "Invalid simulated duration", "\"soon\" is not a duration"))
      << summaries(diags);

  from_block("simulate {\n  default {\n    fail_rate = 2\n  }\n}\n");
  EXPECT_TRUE(has_diag(diags, "Invalid simulated failure rate", "from 0 to 1")) << summaries(diags);

  from_block("simulate {\n  default {\n    craete = \"1s\"\n  }\n}\n");
  EXPECT_TRUE(has_diag(diags, "Unsupported simulation setting", "did you mean \"create\"?"))
      << summaries(diags);

  from_block("simulate {\n  sead = 3\n}\n");
  EXPECT_TRUE(has_diag(diags, "Unsupported argument", "did you mean \"seed\"?"))
      << summaries(diags);

  from_block("simulate {\n  seed = -1\n}\n");
  EXPECT_TRUE(has_diag(diags, "Invalid simulation seed")) << summaries(diags);

  from_block("simulate {\n  resource {\n  }\n}\n");
  EXPECT_TRUE(has_diag(diags, "Wrong number of labels")) << summaries(diags);

  from_block("simulate {\n  provider \"ec3\" {\n  }\n}\n");
  EXPECT_TRUE(has_diag(diags, "Unknown provider in simulation settings", "\"ec2\""))
      << summaries(diags);

  from_block("simulate {\n  timing {\n  }\n}\n");
  EXPECT_TRUE(has_diag(diags, "Unsupported block type")) << summaries(diags);
}

TEST_F(SimulateProfileTest, ErrorsPointAtTheSetting) {
  from_block("simulate {\n  default {\n    create = 5\n  }\n}\n");
  ASSERT_EQ(diags.error_count(), 1) << summaries(diags);
  const Diagnostic& d = diags.list()[0];
  EXPECT_EQ(d.summary, "Invalid simulated duration");
  EXPECT_EQ(d.range.start.line, 3);
}

TEST_F(SimulateProfileTest, OneBlockInTheRootModule) {
  from_block("simulate {\n  seed = 1\n}\nsimulate {\n  seed = 2\n}\n");
  EXPECT_TRUE(has_diag(diags, "Duplicate simulate block")) << summaries(diags);
  from_block("simulate \"x\" {\n}\n");
  EXPECT_TRUE(diags.has_errors());
}

TEST_F(SimulateProfileTest, CheckConfigReportsBlockErrors) {
  diags = Diagnostics();
  configs.push_back(std::make_unique<Config>(testing::build_config_from(
      sources, {{"main.orch", "simulate {\n  default {\n    create = \"x\"\n  }\n}\n"}}, diags)));
  check_config(*configs.back(), schemas, diags);
  EXPECT_TRUE(has_diag(diags, "Invalid simulated duration")) << summaries(diags);
}

TEST_F(SimulateProfileTest, YamlSettings) {
  auto p = from_yaml(R"orch(
seed: 11
default:
  create: 30s
resources:
  ec2_instance:
    create: "lognormal(90s, 0.3)"
    fail_rate: 0.05
  etcd_election:
    duration: 200ms
providers:
  ec2:
    max_concurrency: 10
)orch");
  ASSERT_TRUE(p) << summaries(diags);
  EXPECT_EQ(p->seed, 11u);
  EXPECT_EQ(p->defaults.latency.at("create").a, 30s);
  EXPECT_EQ(p->rule_for("ec2_instance").latency_of("create")->kind, Distribution::Kind::LogNormal);
  EXPECT_DOUBLE_EQ(*p->rule_for("ec2_instance").fail_rate, 0.05);
  EXPECT_EQ(p->rule_for("etcd_election").latency_of("delete")->a, 200ms);
  EXPECT_EQ(p->providers.at("ec2").max_concurrency, 10);
}

TEST_F(SimulateProfileTest, YamlErrorsHaveLocations) {
  auto p = from_yaml("resources:\n  ec2_instance:\n    create: later\n");
  EXPECT_FALSE(p);
  ASSERT_TRUE(has_diag(diags, "Invalid simulated duration")) << summaries(diags);
  EXPECT_EQ(diags.list()[0].range.start.line, 3);

  EXPECT_FALSE(from_yaml("resources: [1, 2]\n"));
  EXPECT_TRUE(has_diag(diags, "Invalid simulation profile", "must be a mapping"));

  EXPECT_FALSE(from_yaml("sed: 1\n"));
  EXPECT_TRUE(has_diag(diags, "Unsupported simulation setting", "did you mean \"seed\"?"));

  EXPECT_FALSE(from_yaml("seed: [1\n"));
  EXPECT_TRUE(has_diag(diags, "Invalid simulation profile"));

  EXPECT_FALSE(from_yaml("resources:\n  chef_nod:\n    create: 1s\n"));
  EXPECT_TRUE(has_diag(diags, "Unknown resource type in simulation settings",
                       "did you mean \"chef_node\"?"));

  diags = Diagnostics();
  EXPECT_FALSE(read_simulate_profile("/nonexistent/p.yaml", sources, &schemas, diags));
  EXPECT_TRUE(has_diag(diags, "Cannot read the simulation profile"));
}

TEST_F(SimulateProfileTest, QuotedNumbersStayStrings) {
  auto p = from_yaml("seed: \"3\"\n");
  EXPECT_FALSE(p);
  EXPECT_TRUE(has_diag(diags, "Invalid simulation seed"));
}

TEST_F(SimulateProfileTest, FileOverridesBlockKeyByKey) {
  SimProfile block = from_block(R"orch(
simulate {
  seed = 1
  resource "ec2_instance" {
    create    = "1m"
    delete    = "30s"
    fail_rate = 0.5
  }
}
)orch");
  auto file = from_yaml("seed: 2\nresources:\n  ec2_instance:\n    create: 2m\n");
  ASSERT_TRUE(file);
  block.merge(*file);
  EXPECT_EQ(block.seed, 2u);
  const SimRule r = block.rule_for("ec2_instance");
  EXPECT_EQ(r.latency_of("create")->a, 2min);
  EXPECT_EQ(r.latency_of("delete")->a, 30s);
  EXPECT_DOUBLE_EQ(*r.fail_rate, 0.5);
}

}  // namespace
}  // namespace orch
