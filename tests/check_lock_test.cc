// Tests of the `lock` meta-argument: the checker (compiler/check_resource.cc) accepts one lock
// resource instance or a name, and refuses anything else with its range; the loader refuses it on
// data sources; planner/step_lock.h turns it into the executor's lock name.
#include <gtest/gtest.h>

#include "compiler/check.h"
#include "compiler/eval.h"
#include "compiler/load.h"
#include "planner/step_lock.h"
#include "providers/registry.h"
#include "tests/support/config_fixture.h"

namespace orch {
namespace {

using testing::find_diag;
using testing::summaries;

class CheckLockTest : public ::testing::Test {
 protected:
  const Diagnostics& check(const std::string& text) {
    diags = Diagnostics();
    configs.push_back(std::make_unique<Config>(
        testing::build_config_from(sources, {{"main.orch", text}}, diags)));
    check_config(*configs.back(), schemas, diags);
    return diags;
  }

  SourceManager sources;
  SchemaRegistry schemas = builtin_schemas();
  Diagnostics diags;
  std::vector<std::unique_ptr<Config>> configs;
};

constexpr const char* kLocks = R"(
resource "etcd_lock" "maintenance" {
  name = "maintenance"
}
resource "etcd_lock" "shard" {
  count = 2
  name  = "shard-${count.index}"
}
)";

TEST_F(CheckLockTest, LockResourceOrNameIsValid) {
  check(std::string(kLocks) + R"(
resource "etcd_key" "a" {
  key   = "/a"
  value = "1"
  lock  = etcd_lock.maintenance
}
resource "etcd_key" "b" {
  count = 2
  key   = "/b${count.index}"
  value = "1"
  lock  = etcd_lock.shard[count.index]
}
resource "etcd_key" "c" {
  key   = "/c"
  value = "1"
  lock  = "local-only"
}
)");
  EXPECT_FALSE(diags.has_errors()) << summaries(diags) << diags.list()[0].detail;
}

TEST_F(CheckLockTest, CollectionsAndOtherTypesAreRefused) {
  check(std::string(kLocks) + R"(
resource "etcd_key" "a" {
  key   = "/a"
  value = "1"
  lock  = etcd_lock.shard
}
)");
  const Diagnostic* d = find_diag(diags, "Invalid lock");
  ASSERT_NE(d, nullptr) << summaries(diags);
  EXPECT_NE(d->detail.find("name one, e.g. etcd_lock.shard[0]"), std::string::npos) << d->detail;
  EXPECT_EQ(d->range.start.line, 13);

  check(std::string(kLocks) + R"(
resource "etcd_key" "a" {
  key   = "/a"
  value = "1"
  lock  = 42
}
)");
  d = find_diag(diags, "Invalid lock");
  ASSERT_NE(d, nullptr) << summaries(diags);
  EXPECT_NE(d->detail.find("of type number"), std::string::npos) << d->detail;

  check(R"(
resource "etcd_key" "a" {
  key   = "/a"
  value = "1"
  lock  = etcd_lock.nope
}
)");
  EXPECT_TRUE(diags.has_errors()) << "an undeclared lock resource is an error";
}

TEST_F(CheckLockTest, NotOnDataSources) {
  check(R"(
data "etcd_prefix" "p" {
  prefix = "/x/"
  lock   = "l"
}
)");
  EXPECT_NE(find_diag(diags, "Invalid meta-argument for a data source"), nullptr)
      << summaries(diags);
}

// A scope that knows one resource instance.
class OneResource : public EvalScope {
 public:
  std::optional<Value> lookup(const RefKey& key) const override {
    if (key.root == "etcd_lock" && key.name == "m")
      return Value::object({{"id", Value::string("/orch/locks/m")}, {"name", Value::string("m")}});
    // Per-node locks whose ids are not known yet (planned, not created).
    if (key.root == "etcd_lock" && key.name == "node")
      return Value::object({{"a", Value::object({{"name", Value::string("node/a")}})},
                            {"b", Value::object({{"name", Value::string("node/b")}})}});
    if (key.root == "etcd_lock" && key.name == "shard")
      return Value::tuple({Value::object({{"name", Value::string("s0")}}),
                           Value::object({{"name", Value::string("s1")}})});
    return std::nullopt;
  }
};

TEST_F(CheckLockTest, StepLockNames) {
  check(R"(
locals {
  a = etcd_lock.m
  b = "db"
  c = 3
}
)");
  const Config& c = *configs.back();
  OneResource scope;
  std::string e;
  auto spec = evaluate_step_lock(*c.locals.at("a").value, scope, &e);
  ASSERT_TRUE(spec) << e;
  EXPECT_EQ(spec->name, "etcd_lock:/orch/locks/m");
  EXPECT_EQ(spec->lock_type, "etcd_lock");
  EXPECT_EQ(spec->lock_address, "etcd_lock.m");
  spec = evaluate_step_lock(*c.locals.at("b").value, scope, &e);
  ASSERT_TRUE(spec) << e;
  EXPECT_EQ(spec->name, "name:db");
  EXPECT_TRUE(spec->lock_type.empty());
  EXPECT_FALSE(evaluate_step_lock(*c.locals.at("c").value, scope, &e));
  EXPECT_NE(e.find("takes a lock resource"), std::string::npos) << e;
}

TEST_F(CheckLockTest, EachInstanceOfALockResourceIsALockOfItsOwn) {
  check(R"(
locals {
  a = etcd_lock.node["a"]
  b = etcd_lock.node["b"]
  s = etcd_lock.shard[1]
}
)");
  const Config& c = *configs.back();
  OneResource scope;
  std::string e;
  auto a = evaluate_step_lock(*c.locals.at("a").value, scope, &e);
  auto b = evaluate_step_lock(*c.locals.at("b").value, scope, &e);
  auto s = evaluate_step_lock(*c.locals.at("s").value, scope, &e);
  ASSERT_TRUE(a && b && s) << e;
  EXPECT_EQ(a->lock_address, "etcd_lock.node[\"a\"]");
  EXPECT_EQ(a->name, "etcd_lock:etcd_lock.node[\"a\"]");
  EXPECT_NE(a->name, b->name);
  EXPECT_EQ(s->lock_address, "etcd_lock.shard[1]");
  EXPECT_EQ(a->lock.at("name").as_string(), "node/a");
}

}  // namespace
}  // namespace orch
