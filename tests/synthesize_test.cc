// Tests of synthesized values (providers/simtwin/synthesize.h): chosen by name and type,
// deterministic, plausible.
#include "providers/simtwin/synthesize.h"

#include <gtest/gtest.h>

#include <regex>

#include "providers/simtwin/twin_model.h"

namespace orch {
namespace {

SynthContext context(const std::string& address, uint64_t seed = 1) {
  auto model = std::make_shared<TwinModel>(SimProfile{}, seed);
  SynthContext c;
  c.provider = "ec2";
  c.type = "ec2_instance";
  c.address = address;
  c.uniform = [model, address](const std::string& salt) { return model->uniform(address, salt); };
  return c;
}

std::string s(const std::string& name, const SynthContext& c) {
  Value v = synthesize_value(name, Type::string(), c);
  EXPECT_EQ(v.kind(), ValueKind::String) << name;
  return v.kind() == ValueKind::String ? v.as_string() : "";
}

bool matches(const std::string& text, const char* re) {
  return std::regex_match(text, std::regex(re));
}

TEST(SynthesizeTest, AddressLabels) {
  EXPECT_EQ(address_label("ec2_instance.node[3]"), "node-3");
  EXPECT_EQ(address_label("ec2_instance.web"), "web");
  EXPECT_EQ(address_label("module.db.ec2_instance.node[0]"), "db-node-0");
  EXPECT_EQ(address_label("chef_node.member[\"Web 1.example\"]"), "member-web-1-example");
}

TEST(SynthesizeTest, StringsByName) {
  SynthContext c = context("ec2_instance.node[3]");
  EXPECT_TRUE(matches(s("id", c), "instance-[0-9a-f]{12}")) << s("id", c);
  c.id_prefix = "i-";
  EXPECT_TRUE(matches(s("id", c), "i-[0-9a-f]{12}")) << s("id", c);
  EXPECT_TRUE(matches(s("subnet_id", c), "subnet-[0-9a-f]{12}")) << s("subnet_id", c);
  EXPECT_TRUE(matches(s("private_ip", c), R"(10\.\d+\.\d+\.\d+)")) << s("private_ip", c);
  EXPECT_TRUE(matches(s("public_ip", c), R"(198\.1[89]\.\d+\.\d+)")) << s("public_ip", c);
  EXPECT_TRUE(matches(s("ipv6_address", c), "2001:db8:.*")) << s("ipv6_address", c);
  EXPECT_EQ(s("private_dns", c), "node-3.ec2.internal");
  EXPECT_EQ(s("public_dns", c), "node-3.ec2.example.com");
  EXPECT_EQ(s("endpoint", c), "https://node-3.ec2.example.com/");
  EXPECT_EQ(s("name", c), "node-3");
  EXPECT_EQ(s("state", c), "ready");
  EXPECT_TRUE(matches(s("created_at", c), R"(2025-01-01T00:00:00Z)")) << s("created_at", c);
  EXPECT_TRUE(matches(s("fingerprint", c), "[0-9a-f]{32}"));
  EXPECT_TRUE(matches(s("mac_address", c), "02(:[0-9a-f]{2}){5}"));
  EXPECT_TRUE(matches(s("flavour", c), "flavour-[0-9a-f]{8}"));
}

TEST(SynthesizeTest, DeterministicPerSeedAndAddress) {
  EXPECT_EQ(s("private_ip", context("a.b[1]")), s("private_ip", context("a.b[1]")));
  EXPECT_NE(s("private_ip", context("a.b[1]")), s("private_ip", context("a.b[2]")));
  EXPECT_NE(s("id", context("a.b[1]", 1)), s("id", context("a.b[1]", 2)));
  // Different attributes of one object differ.
  EXPECT_NE(s("private_ip", context("a.b[1]")), s("public_ip", context("a.b[1]")));
}

TEST(SynthesizeTest, OtherTypes) {
  SynthContext c = context("ec2_instance.n");
  EXPECT_EQ(synthesize_value("runs", Type::number(), c).as_number().i, 1);
  EXPECT_EQ(synthesize_value("exit_code", Type::number(), c).as_number().i, 0);
  int64_t port = synthesize_value("port", Type::number(), c).as_number().i;
  EXPECT_GE(port, 1024);
  EXPECT_LT(port, 65536);
  EXPECT_TRUE(synthesize_value("healthy", Type::boolean(), c).as_bool());
  EXPECT_FALSE(synthesize_value("deleted", Type::boolean(), c).as_bool());
  Value ips = synthesize_value("private_ips", Type::list(Type::string()), c);
  ASSERT_EQ(ips.kind(), ValueKind::List);
  ASSERT_EQ(ips.length(), 1u);
  EXPECT_TRUE(matches(ips.elements()[0].as_string(), R"(10\.\d+\.\d+\.\d+)"));
  Value tags = synthesize_value("tags", Type::map(Type::string()), c);
  EXPECT_EQ(tags.kind(), ValueKind::Map);
  EXPECT_EQ(tags.length(), 0u);
  Value obj = synthesize_value(
      "endpoint", Type::object({{"host", Type::string()}, {"port", Type::number()}}), c);
  ASSERT_EQ(obj.kind(), ValueKind::Object);
  EXPECT_EQ(obj.attributes().at("host").as_string(), "n.ec2.internal");
  EXPECT_TRUE(obj.is_wholly_known());
}

TEST(SynthesizeTest, Templates) {
  ValueMap attrs = {{"name", Value::string("web")}, {"n", Value::number(int64_t{3})}};
  EXPECT_EQ(expand_template("${name}.sim.internal", attrs), "web.sim.internal");
  EXPECT_EQ(expand_template("${name}-${n}", attrs), "web-3");
  EXPECT_FALSE(expand_template("${missing}.x", attrs));
  attrs["u"] = Value::unknown(Type::string());
  EXPECT_FALSE(expand_template("${u}", attrs));
  EXPECT_EQ(expand_template("plain", attrs), "plain");
}

}  // namespace
}  // namespace orch
