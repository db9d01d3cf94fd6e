// Tests of schema lookups and the provider schema registry (compiler/schema.h).
#include "compiler/schema.h"

#include <gtest/gtest.h>

#include "tests/support/config_fixture.h"

namespace orch {
namespace {

TEST(Schema, AttributeAndBlockLookups) {
  SchemaRegistry r = testing::test_schemas();
  const Schema* m = r.resource("test_machine");
  ASSERT_NE(m, nullptr);
  ASSERT_NE(m->attribute("name"), nullptr);
  EXPECT_TRUE(m->attribute("name")->required);
  EXPECT_EQ(m->attribute("nope"), nullptr);
  ASSERT_NE(m->block("disk"), nullptr);
  EXPECT_EQ(m->block("name"), nullptr);
  std::vector<std::string> names = m->names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_NE(std::find(names.begin(), names.end(), "disk"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "private_ip"), names.end());
}

TEST(Schema, RegistryFindsByPrefix) {
  SchemaRegistry r = testing::test_schemas();
  EXPECT_EQ(SchemaRegistry::provider_of("test_machine"), "test");
  EXPECT_EQ(SchemaRegistry::provider_of("sim_task_x"), "sim");
  EXPECT_EQ(SchemaRegistry::provider_of("plain"), "plain");
  ASSERT_NE(r.provider("test"), nullptr);
  EXPECT_EQ(r.provider("sim"), nullptr);
  EXPECT_NE(r.resource("test_task"), nullptr);
  EXPECT_EQ(r.resource("test_image"), nullptr);  // a data source, not a resource
  EXPECT_NE(r.data_source("test_image"), nullptr);
  EXPECT_EQ(r.resource("other_machine"), nullptr);
  EXPECT_EQ(r.resource_types(), (std::vector<std::string>{"test_machine", "test_task"}));
  EXPECT_EQ(r.data_source_types(), (std::vector<std::string>{"test_image"}));
  EXPECT_EQ(r.gate_kinds(), (std::vector<std::string>{"test_ready"}));
  ASSERT_NE(r.gate("test_ready"), nullptr);
  EXPECT_EQ(r.gate("test_ready")->type, Type::string());
  EXPECT_EQ(r.gate("http"), nullptr);
}

TEST(Schema, SeveralProvidersSortedAndReplaceable) {
  SchemaRegistry r = testing::test_schemas();
  ProviderSchema other;
  other.name = "alpha";
  other.resources["alpha_thing"] = Schema{};
  other.gates.push_back(GateSchema{"alpha_gate", Type::boolean(), ""});
  other.gates.push_back(GateSchema{"test_ready", Type::number(), ""});
  r.add(other);
  EXPECT_EQ(r.resource_types(),
            (std::vector<std::string>{"alpha_thing", "test_machine", "test_task"}));
  EXPECT_EQ(r.gate_kinds(), (std::vector<std::string>{"alpha_gate", "test_ready"}));
  // A kind offered twice resolves to the provider first by name.
  EXPECT_EQ(r.gate("test_ready")->type, Type::number());
  // Adding a provider again replaces its schema.
  other.resources.clear();
  r.add(other);
  EXPECT_EQ(r.resource("alpha_thing"), nullptr);
}

}  // namespace
}  // namespace orch
