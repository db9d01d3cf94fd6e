// Tests of the simulation model (providers/simtwin/twin_model.h): where durations come from,
// determinism per seed, failures, gates and limits.
#include "providers/simtwin/twin_model.h"

#include <gtest/gtest.h>

#include "providers/sim/sim_provider.h"
#include "tests/support/peer_schemas.h"

namespace orch {
namespace {

using namespace std::chrono_literals;

Distribution dist(const std::string& text) {
  return *parse_distribution(text, nullptr);
}

TEST(TwinModelTest, DurationSourcesInOrder) {
  const ProviderSchema sim = sim_schema();
  const Schema& machine = sim.resources.at("sim_machine");
  const ValueMap attrs = {{"boot_time", Value::string("45s")}};
  std::string source;

  // The schema's duration attribute.
  TwinModel plain;
  EXPECT_EQ(plain.distribution("sim_machine", &machine, "create", attrs, &source).a, 45s);
  EXPECT_EQ(source, "attribute");
  EXPECT_EQ(plain.latency("sim_machine", &machine, "create", attrs, "sim_machine.a"), 45s);
  // The schema's latency hint for operations without one.
  EXPECT_EQ(plain.distribution("sim_machine", &machine, "update", attrs, &source).a, 5s);
  EXPECT_EQ(source, "schema");

  // The profile's rule for the type beats them.
  SimProfile p;
  p.resources["sim_machine"].latency["create"] = dist("2m");
  p.defaults.latency["update"] = dist("9s");
  TwinModel over(p);
  EXPECT_EQ(over.distribution("sim_machine", &machine, "create", attrs, &source).a, 2min);
  EXPECT_EQ(source, "profile");
  // The profile's default is below the schema's hint.
  EXPECT_EQ(over.distribution("sim_machine", &machine, "update", attrs, &source).a, 5s);
  // ... and above the guess.
  EXPECT_EQ(over.distribution("ec2_volume", nullptr, "update", {}, &source).a, 9s);
  EXPECT_EQ(source, "profile default");
  EXPECT_EQ(over.distribution("ec2_volume", nullptr, "create", {}, &source).kind,
            Distribution::Kind::LogNormal);
  EXPECT_EQ(source, "guess");
}

TEST(TwinModelTest, GuessesFromTheTypeName) {
  EXPECT_EQ(guessed_latency("ec2_instance", "create").a, 75s);
  EXPECT_EQ(guessed_latency("gce_vm", "create").a, 75s);
  EXPECT_EQ(guessed_latency("chef_converge", "create").a, 2min);
  EXPECT_EQ(guessed_latency("chef_converge", "update").a, 2min);
  EXPECT_EQ(guessed_latency("chef_node", "create").a, 300ms);
  EXPECT_EQ(guessed_latency("etcd_election", "create").a, 300ms);
  EXPECT_EQ(guessed_latency("rds_cluster", "create").a, 8min);
  EXPECT_EQ(guessed_latency("ec2_volume", "create").a, 8s);
  EXPECT_EQ(guessed_latency("ec2_instance", "read").a, 200ms);
}

TEST(TwinModelTest, DrawsAreDeterministicPerSeedAndAddress) {
  SimProfile p;
  p.resources["ec2_instance"].latency["create"] = dist("lognormal(90s, 0.5)");
  TwinModel a(p, 1), b(p, 1), c(p, 2);
  const auto x = a.latency("ec2_instance", nullptr, "create", {}, "ec2_instance.n[0]");
  EXPECT_EQ(x, b.latency("ec2_instance", nullptr, "create", {}, "ec2_instance.n[0]"));
  EXPECT_NE(x, c.latency("ec2_instance", nullptr, "create", {}, "ec2_instance.n[0]"));
  EXPECT_NE(x, a.latency("ec2_instance", nullptr, "create", {}, "ec2_instance.n[1]"));
  // A retry is another draw.
  EXPECT_NE(x, a.latency("ec2_instance", nullptr, "create", {}, "ec2_instance.n[0]", 2));
  // The profile's seed wins over the default one.
  p.seed = 9;
  EXPECT_EQ(TwinModel(p, 1).seed(), 9u);
}

TEST(TwinModelTest, FailureRates) {
  SimProfile p;
  p.resources["ec2_instance"].fail_rate = 0.3;
  TwinModel m(p, 4);
  int failed = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string a = "ec2_instance.n[" + std::to_string(i) + "]";
    const SimFailure f = m.failure("ec2_instance", nullptr, "create", {}, a, 1);
    failed += f == SimFailure::Permanent;
    // Permanent failures are drawn once per address and operation, not per attempt.
    EXPECT_EQ(f, m.failure("ec2_instance", nullptr, "create", {}, a, 3));
  }
  EXPECT_NEAR(failed, 300, 50);
  EXPECT_EQ(m.failure("chef_node", nullptr, "create", {}, "chef_node.x", 1), SimFailure::None);

  // The schema's fail-rate attribute (sim_task's fail_rate).
  const ProviderSchema sim = sim_schema();
  const Schema& task = sim.resources.at("sim_task");
  TwinModel plain;
  EXPECT_EQ(plain.failure("sim_task", &task, "create", {{"fail_rate", Value::number(1.0)}},
                          "sim_task.t", 1),
            SimFailure::Permanent);
  EXPECT_EQ(plain.failure("sim_task", &task, "create", {{"fail_rate", Value::number(0.0)}},
                          "sim_task.t", 1),
            SimFailure::None);
}

TEST(TwinModelTest, TransientFailuresAreDrawnPerAttempt) {
  SimProfile p;
  p.defaults.transient_rate = 0.5;
  TwinModel m(p, 1);
  int transient = 0, recovered = 0;
  for (int i = 0; i < 400; ++i) {
    const std::string a = "x_y.z[" + std::to_string(i) + "]";
    if (m.failure("x_y", nullptr, "create", {}, a, 1) != SimFailure::Transient) continue;
    ++transient;
    for (int attempt = 2; attempt <= 5; ++attempt)
      if (m.failure("x_y", nullptr, "create", {}, a, attempt) == SimFailure::None) {
        ++recovered;
        break;
      }
  }
  EXPECT_NEAR(transient, 200, 40);
  EXPECT_GT(recovered, transient * 8 / 10);
}

TEST(TwinModelTest, GatesAndLimits) {
  SimProfile p;
  p.resources["chef_converge"].gate = dist("uniform(1m, 2m)");
  p.providers["ec2"].max_concurrency = 20;
  TwinModel m(p);
  auto g = m.gate_latency("chef_converge", "chef_converge.m");
  ASSERT_TRUE(g);
  EXPECT_GE(*g, 1min);
  EXPECT_LE(*g, 2min);
  EXPECT_FALSE(m.gate_latency("ec2_instance", "ec2_instance.n"));
  EXPECT_EQ(m.limits("ec2", {5, 3.0, {}}).max_concurrency, 20);
  EXPECT_DOUBLE_EQ(m.limits("ec2", {5, 3.0, {}}).requests_per_second, 3.0);
  EXPECT_EQ(m.limits("chef", {5, 0, {}}).max_concurrency, 5);
}

}  // namespace
}  // namespace orch
