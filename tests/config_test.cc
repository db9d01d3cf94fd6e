// Tests of the configuration model (compiler/config.h): references of expressions, addresses,
// lookups, rollout batch sizes.
#include "compiler/config.h"

#include <gtest/gtest.h>

#include "compiler/parse.h"
#include "tests/support/config_fixture.h"

namespace orch {
namespace {

class ReferencesTest : public ::testing::Test {
 protected:
  std::vector<Reference> refs(const std::string& text) {
    Diagnostics d;
    exprs.push_back(parse_expression(*sources.add("r.orch", text), d));
    EXPECT_FALSE(d.has_errors()) << text;
    return references(*exprs.back());
  }
  std::string addresses(const std::string& text) {
    std::string out;
    for (const auto& r : refs(text)) out += (out.empty() ? "" : " ") + r.address();
    return out;
  }
  SourceManager sources;
  std::vector<ExprPtr> exprs;
};

TEST_F(ReferencesTest, Kinds) {
  EXPECT_EQ(addresses("var.x"), "var.x");
  EXPECT_EQ(addresses("local.y.z[0]"), "local.y");
  EXPECT_EQ(addresses("sim_machine.node"), "sim_machine.node");
  EXPECT_EQ(addresses("data.sim_image.base.id"), "data.sim_image.base");
  EXPECT_EQ(addresses("module.db.endpoint"), "module.db");
  EXPECT_EQ(addresses("count.index"), "count.index");
  EXPECT_EQ(addresses("each.key"), "each.key");
  EXPECT_EQ(addresses("self.private_dns"), "self");
  EXPECT_EQ(addresses("path.module"), "path.module");
  EXPECT_EQ(addresses("\"${var.a}-${local.b}\""), "var.a local.b");
  EXPECT_EQ(addresses("f(var.a, [local.b], {k = sim_x.y.id})"), "var.a local.b sim_x.y");
  EXPECT_EQ(addresses("var.c ? var.a : -var.b"), "var.c var.a var.b");
  EXPECT_EQ(addresses("1 + 2"), "");
}

TEST_F(ReferencesTest, Details) {
  auto r = refs("module.db.endpoint");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].kind, RefKind::Module);
  EXPECT_EQ(r[0].name, "db");
  EXPECT_EQ(r[0].attribute, "endpoint");
  EXPECT_EQ(r[0].range.start.column, 1);
  EXPECT_EQ(r[0].range.end.column, 19);
  r = refs("sim_machine.node[2].private_ip");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].kind, RefKind::Resource);
  EXPECT_EQ(r[0].type, "sim_machine");
  EXPECT_EQ(r[0].name, "node");
  ASSERT_NE(r[0].index, nullptr);
  EXPECT_EQ(r[0].index->literal, Value::number(2));
  EXPECT_EQ(r[0].attribute, "private_ip");
  EXPECT_FALSE(r[0].splat);
  EXPECT_TRUE(r[0].is_object());
  r = refs("sim_machine.node[*].id");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].splat);
  EXPECT_EQ(r[0].index, nullptr);
  r = refs("data.t.n[var.i]");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].kind, RefKind::DataSource);
  EXPECT_EQ(r[0].type, "t");
  EXPECT_EQ(r[1].address(), "var.i");
  r = refs("count.index");
  EXPECT_FALSE(r[0].is_object());
  r = refs("sim_machine");
  EXPECT_EQ(r[0].kind, RefKind::Invalid);
}

TEST_F(ReferencesTest, IndexExpressionsAreVisited) {
  EXPECT_EQ(addresses("sim_machine.node[local.i].id"), "sim_machine.node local.i");
  EXPECT_EQ(addresses("var.m[each.key]"), "var.m each.key");
  EXPECT_EQ(addresses("f(var.a)[var.b]"), "var.a var.b");
}

TEST_F(ReferencesTest, ForBoundNamesAreNotReferences) {
  EXPECT_EQ(addresses("[for x in var.list : x.id]"), "var.list");
  EXPECT_EQ(addresses("{for k, v in var.m : k => v if v != local.skip}"), "var.m local.skip");
  EXPECT_EQ(addresses("[for x in var.a : [for y in x : y + var.b]]"), "var.a var.b");
  EXPECT_EQ(addresses("\"%{for s in var.l}${s}${local.sep}%{endfor}\""), "var.l local.sep");
  // The bound name is not visible in the collection expression itself.
  EXPECT_EQ(addresses("[for x in x.y : x]"), "x.y");
}

TEST_F(ReferencesTest, CollectFromBody) {
  Diagnostics d;
  File f = parse_file(*sources.add("b.orch",
                                   "resource \"a\" \"b\" {\n"
                                   "  x = var.one\n"
                                   "  inner {\n"
                                   "    y = local.two\n"
                                   "  }\n"
                                   "}\n"),
                      d);
  ASSERT_FALSE(d.has_errors());
  std::vector<Reference> out;
  collect_references(f.body, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].address(), "var.one");
  EXPECT_EQ(out[1].address(), "local.two");
}

TEST(ConfigModel, AddressesAndLookups) {
  SourceManager sources;
  Diagnostics d;
  Config c = testing::build_config_from(sources,
                                        {{"main.orch",
                                          "variable \"v\" {}\n"
                                          "locals { l = 1 }\n"
                                          "resource \"test_machine\" \"m\" { name = \"a\" }\n"
                                          "data \"test_image\" \"i\" { name = \"b\" }\n"
                                          "output \"o\" { value = 1 }\n"
                                          "provider \"test\" { alias = \"east\" }\n"}},
                                        d);
  ASSERT_FALSE(d.has_errors()) << testing::summaries(d);
  ASSERT_NE(c.variable("v"), nullptr);
  EXPECT_TRUE(c.variable("v")->required());
  ASSERT_NE(c.local("l"), nullptr);
  ASSERT_NE(c.resource("test_machine.m"), nullptr);
  EXPECT_EQ(c.resource("test_machine.m")->address(), "test_machine.m");
  EXPECT_EQ(c.resource("test_machine.m")->provider_key, "test");
  ASSERT_NE(c.resource("data.test_image.i"), nullptr);
  EXPECT_TRUE(c.resource("data.test_image.i")->is_data());
  ASSERT_NE(c.output("o"), nullptr);
  ASSERT_NE(c.provider("test.east"), nullptr);
  EXPECT_EQ(c.provider("test.east")->key(), "test.east");
  EXPECT_EQ(c.variable("nope"), nullptr);
  EXPECT_EQ(c.address_prefix(), "");
  c.module_path = "module.db";
  EXPECT_EQ(c.address_prefix(), "module.db.");
  // Moving a Config keeps every AST pointer valid.
  const Expr* before = c.local("l")->value;
  Config moved = std::move(c);
  EXPECT_EQ(moved.local("l")->value, before);
  EXPECT_EQ(moved.local("l")->value->literal, Value::number(1));
}

TEST(ConfigModel, MetaArgumentNames) {
  for (const char* n : {"count", "for_each", "depends_on", "provider", "lifecycle", "rollout",
                        "ready_when", "triggers", "lock"}) {
    EXPECT_TRUE(is_resource_meta_argument(n)) << n;
  }
  EXPECT_FALSE(is_resource_meta_argument("name"));
  EXPECT_EQ(core_gate_kinds(), (std::vector<std::string>{"command", "http", "tcp"}));
}

TEST(ConfigModel, RolloutBatchSize) {
  RolloutSpec s;
  EXPECT_EQ(s.batch_size(10), 10);
  EXPECT_EQ(s.batch_size(0), 1);
  s.batch_percent = 50;
  EXPECT_EQ(s.batch_size(10), 5);
  EXPECT_EQ(s.batch_size(11), 6);  // rounds up
  EXPECT_EQ(s.batch_size(1), 1);
  s.batch_percent = 1;
  EXPECT_EQ(s.batch_size(10), 1);  // at least one
  s.batch_percent = 0;
  s.batch = 3;
  EXPECT_EQ(s.batch_size(10), 3);
}

}  // namespace
}  // namespace orch
