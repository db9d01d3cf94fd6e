// Tests of the checker (compiler/check.h) and of the structural checks done while building a
// Config (compiler/load.h): every check with its message and range.
#include "compiler/check.h"

#include <gtest/gtest.h>

#include "compiler/load.h"
#include "tests/support/config_fixture.h"

namespace orch {
namespace {

using testing::find_diag;
using testing::has_diag;
using testing::summaries;

class CheckTest : public ::testing::Test {
 protected:
  // Builds and checks a one-file module; returns the diagnostics of both steps.
  const Diagnostics& check(const std::string& text) {
    diags = Diagnostics();
    configs.push_back(std::make_unique<Config>(
        testing::build_config_from(sources, {{"main.orch", text}}, diags)));
    check_config(*configs.back(), schemas, diags);
    return diags;
  }
  void expect_valid(const std::string& text) {
    check(text);
    EXPECT_FALSE(diags.has_errors()) << summaries(diags);
  }
  // Expects exactly one error, with this summary; returns it.
  const Diagnostic& expect_error(const std::string& text, const std::string& summary) {
    check(text);
    EXPECT_EQ(diags.error_count(), 1) << summaries(diags);
    const Diagnostic* d = find_diag(diags, summary);
    EXPECT_NE(d, nullptr) << "wanted \"" << summary << "\", got:\n" << summaries(diags);
    static const Diagnostic none;
    return d ? *d : none;
  }

  SourceManager sources;
  SchemaRegistry schemas = testing::test_schemas();
  Diagnostics diags;
  std::vector<std::unique_ptr<Config>> configs;
};

constexpr const char* kMachine = R"(
resource "test_machine" "node" {
  count = 3
  name  = "node-${count.index}"
}
)";

TEST_F(CheckTest, ValidConfiguration) {
  expect_valid(std::string(kMachine) + R"(
variable "workers" {
  type    = number
  default = 2
  validation {
    condition     = var.workers >= 0
    error_message = "workers must not be negative"
  }
}
locals {
  names = [for i in range(var.workers) : "w${i}"]
}
data "test_image" "base" {
  name = "debian"
}
resource "test_task" "setup" {
  on         = test_machine.node[*].private_dns
  command    = "echo ${data.test_image.base.id}"
  depends_on = [any(test_machine.node)]
  triggers   = { names = join(",", local.names) }
  ready_when {
    http          = "http://${self.id}:8080/"
    expect_status = 200
    timeout       = "5m"
    interval      = "10s"
  }
}
resource "test_machine" "worker" {
  for_each = toset(local.names)
  name     = each.key
  tags     = { role = "worker", index = each.value }
  disk {
    size = 10
  }
  lifecycle {
    create_before_destroy = true
    ignore_changes        = [tags]
  }
  rollout {
    canary       = 1
    batch        = "50%"
    max_failures = 0
    pause        = "30s"
  }
}
output "ips" {
  value = test_machine.node[*].private_ip
}
)");
}

// --- Structure (build_config) ------------------------------------------------------------------

TEST_F(CheckTest, UnknownBlockType) {
  const Diagnostic& d = expect_error("resourc \"a\" \"b\" {}\n", "Unsupported block type");
  EXPECT_NE(d.detail.find("did you mean \"resource\"?"), std::string::npos);
  EXPECT_EQ(d.range.start.line, 1);
  EXPECT_EQ(d.range.start.column, 1);
  EXPECT_EQ(d.range.end.column, 8);
}

TEST_F(CheckTest, Labels) {
  expect_error("resource \"test_machine\" {}\n", "Missing labels for resource block");
  expect_error("variable {}\n", "Missing label for variable block");
  const Diagnostic& d = expect_error("locals \"x\" {}\n", "Extraneous label for locals");
  EXPECT_EQ(d.range.start.column, 8);
  expect_error("output \"a\" \"b\" { value = 1 }\n", "Extraneous label for output");
}

TEST_F(CheckTest, Duplicates) {
  const Diagnostic& d =
      expect_error("variable \"a\" {}\nvariable \"a\" {}\n", "Duplicate variable");
  EXPECT_EQ(d.range.start.line, 2);
  ASSERT_EQ(d.notes.size(), 1u);
  EXPECT_EQ(d.notes[0].range.start.line, 1);
  expect_error("locals { a = 1 }\nlocals { a = 2 }\n", "Duplicate local value");
  expect_error(std::string(kMachine) + kMachine, "Duplicate resource");
  expect_error("output \"o\" { value = 1 }\noutput \"o\" { value = 2 }\n", "Duplicate output");
  const Diagnostic& a = expect_error("locals {\n  a = 1\n  a = 2\n}\n", "Duplicate argument");
  EXPECT_EQ(a.range.start.line, 3);
  expect_error("resource \"test_machine\" \"m\" {\n  name = \"a\"\n  name = \"b\"\n}\n",
               "Duplicate argument");
  expect_error("backend \"local\" {}\nbackend \"local\" {}\n", "Duplicate backend configuration");
  expect_error("provider \"test\" {}\nprovider \"test\" {}\n", "Duplicate provider configuration");
}

TEST_F(CheckTest, TopLevelAttributesAreNotAllowed) {
  expect_error("x = 1\n", "Unsupported argument");
}

TEST_F(CheckTest, VariableBlocks) {
  expect_error("variable \"v\" {\n  typ = string\n}\n", "Unsupported argument");
  const Diagnostic& d =
      expect_error("variable \"v\" {\n  type = strng\n}\n", "Invalid type specification");
  EXPECT_NE(d.detail.find("did you mean \"string\"?"), std::string::npos);
  EXPECT_EQ(d.range.start.line, 2);
  EXPECT_EQ(d.range.start.column, 10);
  const Diagnostic& def = expect_error("variable \"v\" {\n  type = number\n  default = \"x\"\n}\n",
                                       "Invalid default value for variable");
  EXPECT_EQ(def.range.start.line, 3);
  expect_error("variable \"v\" {\n  type = list(string)\n  default = \"x\"\n}\n",
               "Invalid default value for variable");
  expect_error("variable \"v\" {\n  nullable = false\n  default = null\n}\n",
               "Invalid default value for variable");
  expect_error("variable \"v\" {\n  default = var.other\n}\n", "Variables not allowed");
  expect_error("variable \"v\" {\n  sensitive = \"maybe\"\n}\n", "Incorrect value type");
  expect_error("variable \"v\" {\n  validation {\n    condition = true\n  }\n}\n",
               "Missing required argument");
}

TEST_F(CheckTest, VariableDefaultsConvertToTheirType) {
  check(
      "variable \"n\" {\n  type = number\n  default = \"5\"\n}\n"
      "variable \"o\" {\n  type = object({a = string, b = optional(number)})\n"
      "  default = {a = 1}\n}\n");
  ASSERT_FALSE(diags.has_errors()) << summaries(diags);
  const Config& c = *configs.back();
  EXPECT_EQ(*c.variable("n")->default_value, Value::number(5));
  const Value& o = *c.variable("o")->default_value;
  EXPECT_EQ(o.attributes().at("a"), Value::string("1"));
  EXPECT_TRUE(o.attributes().at("b").is_null());
}

TEST_F(CheckTest, ValidationReferencesOnlyTheVariable) {
  const Diagnostic& d = expect_error(
      "variable \"a\" {\n  default = 1\n  validation {\n    condition = var.a > var.b\n"
      "    error_message = \"no\"\n  }\n}\nvariable \"b\" {\n  default = 0\n}\n",
      "Invalid reference in variable validation");
  EXPECT_EQ(d.range.start.line, 4);
  EXPECT_EQ(d.range.start.column, 25);
  expect_error(
      "variable \"a\" {\n  validation {\n    condition = true\n"
      "    error_message = \"no\"\n  }\n}\n",
      "Invalid variable validation condition");
  expect_error(
      "variable \"a\" {\n  type = number\n  validation {\n    condition = var.a\n"
      "    error_message = \"no\"\n  }\n}\n",
      "Invalid validation condition");
}

TEST_F(CheckTest, Outputs) {
  expect_error("output \"o\" {\n  description = \"x\"\n}\n", "Missing required argument");
  expect_error("output \"o\" {\n  value = 1\n  valeu = 2\n}\n", "Unsupported argument");
  expect_error(
      "variable \"s\" {\n  sensitive = true\n  default = \"x\"\n}\n"
      "output \"o\" {\n  value = var.s\n}\n",
      "Output refers to sensitive values");
  expect_valid(
      "variable \"s\" {\n  sensitive = true\n  default = \"x\"\n}\n"
      "output \"o\" {\n  value = var.s\n  sensitive = true\n}\n");
}

// --- References ---------------------------------------------------------------------------------

TEST_F(CheckTest, UndeclaredReferences) {
  const Diagnostic& d = expect_error("variable \"workers\" {}\nlocals {\n  n = var.worker + 1\n}\n",
                                     "Reference to undeclared input variable");
  EXPECT_NE(d.detail.find("did you mean \"workers\"?"), std::string::npos);
  EXPECT_EQ(d.range.start.line, 3);
  EXPECT_EQ(d.range.start.column, 7);
  EXPECT_EQ(d.range.end.column, 17);
  expect_error("locals {\n  a = local.bb\n  b = 1\n}\n", "Reference to undeclared local value");
  const Diagnostic& r = expect_error(
      std::string(kMachine) + "output \"o\" {\n  value = test_machine.nodes[0].id\n}\n",
      "Reference to undeclared resource");
  EXPECT_NE(r.detail.find("did you mean \"node\"?"), std::string::npos);
  expect_error("output \"o\" {\n  value = module.db.x\n}\n", "Reference to undeclared module");
  expect_error("output \"o\" {\n  value = data.test_image.x.id\n}\n",
               "Reference to undeclared resource");
}

TEST_F(CheckTest, AttributesOfReferencedResourcesFollowTheirSchema) {
  const Diagnostic& d = expect_error(
      std::string(kMachine) + "output \"o\" {\n  value = test_machine.node[0].private_pi\n}\n",
      "Unsupported attribute");
  EXPECT_NE(d.detail.find("did you mean \"private_ip\"?"), std::string::npos);
  expect_error(std::string(kMachine) + "output \"o\" {\n  value = test_machine.node.id\n}\n",
               "Unsupported attribute");
}

TEST_F(CheckTest, ContextualNames) {
  expect_error("resource \"test_machine\" \"m\" {\n  name = \"n${count.index}\"\n}\n",
               "Reference to \"count\" in non-counted context");
  expect_error("resource \"test_machine\" \"m\" {\n  name = each.key\n}\n",
               "Reference to \"each\" in context without for_each");
  expect_error("resource \"test_machine\" \"m\" {\n  name = self.id\n}\n",
               "Invalid \"self\" reference");
  expect_error("locals {\n  x = count.index\n}\n", "Reference to \"count\" in non-counted context");
  // count.index is not available in count itself.
  expect_error("resource \"test_machine\" \"m\" {\n  count = count.index\n  name = \"a\"\n}\n",
               "Reference to \"count\" in non-counted context");
  expect_valid(
      "resource \"test_machine\" \"m\" {\n  for_each = {a = 1}\n  name = "
      "\"${each.key}-${each.value}\"\n}\n");
}

TEST_F(CheckTest, ErrorsDoNotCascade) {
  // A broken local is reported once, not again at every use.
  check(
      "locals {\n  a = var.nope\n  b = local.a + 1\n  c = \"${local.b}\"\n}\n"
      "output \"o\" {\n  value = local.c\n}\n");
  EXPECT_EQ(diags.error_count(), 1) << summaries(diags);
}

TEST_F(CheckTest, ReportsAllErrors) {
  check("locals {\n  a = var.x\n  b = var.y\n}\nresource \"test_machine\" \"m\" {\n  nme = 1\n}\n");
  EXPECT_EQ(diags.error_count(), 4) << summaries(diags);  // 2 refs, unknown attr, missing name
}

// --- Cycles -----------------------------------------------------------------------------------

TEST_F(CheckTest, CycleAmongLocals) {
  const Diagnostic& d = expect_error("locals {\n  a = local.b\n  b = local.a\n}\n",
                                     "Dependency cycle: local.a → local.b → local.a");
  EXPECT_EQ(d.range.start.line, 2);
  ASSERT_EQ(d.notes.size(), 2u);
  EXPECT_EQ(d.notes[0].message, "local.a refers to local.b here");
  EXPECT_EQ(d.notes[0].range.start.line, 2);
  EXPECT_EQ(d.notes[1].message, "local.b refers to local.a here");
  EXPECT_EQ(d.notes[1].range.start.line, 3);
}

TEST_F(CheckTest, LongCycleReportedOnceWithWholePath) {
  expect_error("locals {\n  a = local.b\n  b = local.c\n  c = \"${local.a}\"\n  d = local.a\n}\n",
               "Dependency cycle: local.a → local.b → local.c → local.a");
}

TEST_F(CheckTest, SelfReference) {
  expect_error("locals {\n  a = [local.a]\n}\n", "Dependency cycle: local.a → local.a");
}

TEST_F(CheckTest, CycleThroughResources) {
  check(
      "resource \"test_machine\" \"a\" {\n  name = test_machine.b.id\n}\n"
      "resource \"test_machine\" \"b\" {\n  name = local.x\n}\n"
      "locals {\n  x = test_machine.a.id\n}\n");
  EXPECT_TRUE(
      has_diag(diags, "Dependency cycle: local.x → test_machine.a → test_machine.b → local.x"))
      << summaries(diags);
  EXPECT_EQ(diags.error_count(), 1);
}

TEST_F(CheckTest, CycleThroughDependsOn) {
  check(
      "resource \"test_machine\" \"a\" {\n  name = \"a\"\n  depends_on = [test_machine.b]\n}\n"
      "resource \"test_machine\" \"b\" {\n  name = \"b\"\n  depends_on = "
      "[any(test_machine.a)]\n}\n");
  EXPECT_TRUE(has_diag(diags, "Dependency cycle: test_machine.a → test_machine.b → test_machine.a"))
      << summaries(diags);
}

TEST_F(CheckTest, SelfInReadyWhenIsNotACycle) {
  expect_valid(
      "resource \"test_machine\" \"a\" {\n  name = \"a\"\n"
      "  ready_when {\n    tcp = \"${self.private_ip}:22\"\n  }\n}\n");
}

// --- Meta-arguments ---------------------------------------------------------------------------

TEST_F(CheckTest, Count) {
  const Diagnostic& d =
      expect_error("resource \"test_machine\" \"m\" {\n  count = -1\n  name = \"a\"\n}\n",
                   "Invalid count argument");
  EXPECT_EQ(d.range.start.line, 2);
  EXPECT_EQ(d.range.start.column, 11);
  expect_error("resource \"test_machine\" \"m\" {\n  count = 1.5\n  name = \"a\"\n}\n",
               "Invalid count argument");
  expect_error("resource \"test_machine\" \"m\" {\n  count = \"x\"\n  name = \"a\"\n}\n",
               "Invalid count argument");
  expect_error("resource \"test_machine\" \"m\" {\n  count = null\n  name = \"a\"\n}\n",
               "Invalid count argument");
  expect_valid(
      "variable \"n\" {\n  type = number\n}\nresource \"test_machine\" \"m\" {\n"
      "  count = var.n + 1\n  name = \"a\"\n}\n");
  expect_valid("resource \"test_machine\" \"m\" {\n  count = \"2\"\n  name = \"a\"\n}\n");
  expect_error(
      "resource \"test_machine\" \"m\" {\n  count = 1\n  for_each = {}\n  name = \"a\"\n}\n",
      "Invalid combination of \"count\" and \"for_each\"");
}

TEST_F(CheckTest, ForEach) {
  const Diagnostic& d = expect_error(
      "resource \"test_machine\" \"m\" {\n  for_each = [\"a\", \"b\"]\n  name = each.key\n}\n",
      "Invalid for_each argument");
  EXPECT_NE(d.detail.find("toset("), std::string::npos);
  EXPECT_EQ(d.range.start.line, 2);
  expect_error("resource \"test_machine\" \"m\" {\n  for_each = 3\n  name = \"a\"\n}\n",
               "Invalid for_each argument");
  expect_error("resource \"test_machine\" \"m\" {\n  for_each = toset([1, 2])\n  name = \"a\"\n}\n",
               "Invalid for_each argument");
  expect_error("resource \"test_machine\" \"m\" {\n  for_each = null\n  name = \"a\"\n}\n",
               "Invalid for_each argument");
  expect_error(
      "variable \"s\" {\n  sensitive = true\n  default = {a = 1}\n}\n"
      "resource \"test_machine\" \"m\" {\n  for_each = var.s\n  name = \"a\"\n}\n",
      "Invalid for_each argument");
  expect_valid(
      "resource \"test_machine\" \"m\" {\n  for_each = toset([\"a\"])\n  name = each.key\n}\n");
  expect_valid("resource \"test_machine\" \"m\" {\n  for_each = {a = 1}\n  name = each.key\n}\n");
  expect_valid(
      "variable \"m\" {\n  type = map(string)\n}\n"
      "resource \"test_machine\" \"m\" {\n  for_each = var.m\n  name = each.value\n}\n");
}

TEST_F(CheckTest, DependsOn) {
  expect_valid(std::string(kMachine) +
               "resource \"test_task\" \"t\" {\n  on = []\n  command = \"x\"\n"
               "  depends_on = [test_machine.node, any(test_machine.node)]\n}\n");
  const Diagnostic& d =
      expect_error(std::string(kMachine) +
                       "resource \"test_task\" \"t\" {\n  on = []\n  command = \"x\"\n"
                       "  depends_on = [test_machine.nod]\n}\n",
                   "Reference to undeclared resource");
  EXPECT_NE(d.detail.find("did you mean \"test_machine.node\"?"), std::string::npos);
  expect_error(
      "locals { a = 1 }\nresource \"test_task\" \"t\" {\n  on = []\n  command = \"x\"\n"
      "  depends_on = [local.a]\n}\n",
      "Invalid depends_on entry");
  expect_error(std::string(kMachine) +
                   "resource \"test_task\" \"t\" {\n  on = []\n  command = \"x\"\n"
                   "  depends_on = [test_machine.node[0].id]\n}\n",
               "Invalid depends_on entry");
  expect_error(
      "resource \"test_task\" \"t\" {\n  on = []\n  command = \"x\"\n"
      "  depends_on = \"test_machine.node\"\n}\n",
      "Invalid depends_on");
  expect_error(std::string(kMachine) +
                   "resource \"test_task\" \"t\" {\n  on = []\n  command = \"x\"\n"
                   "  depends_on = [any(test_machine.node, test_machine.node)]\n}\n",
               "Invalid depends_on entry");
  expect_error(std::string(kMachine) + "locals {\n  x = any(test_machine.node)\n}\n",
               "Invalid use of any()");
  check(std::string(kMachine) +
        "resource \"test_task\" \"t\" {\n  on = []\n  command = \"x\"\n"
        "  depends_on = [any(test_machine.node)]\n}\n");
  const Resource* t = configs.back()->resource("test_task.t");
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->depends_on.size(), 1u);
  EXPECT_EQ(t->depends_on[0].address, "test_machine.node");
  EXPECT_TRUE(t->depends_on[0].any_of);
}

TEST_F(CheckTest, Lifecycle) {
  expect_error(
      "resource \"test_machine\" \"m\" {\n  name = \"a\"\n  lifecycle {\n"
      "    prevent_destroy = \"yes\"\n  }\n}\n",
      "Incorrect value type");
  const Diagnostic& d = expect_error(
      "resource \"test_machine\" \"m\" {\n  name = \"a\"\n  lifecycle {\n"
      "    prevent_destroi = true\n  }\n}\n",
      "Unsupported argument");
  EXPECT_NE(d.detail.find("did you mean \"prevent_destroy\"?"), std::string::npos);
  const Diagnostic& ic = expect_error(
      "resource \"test_machine\" \"m\" {\n  name = \"a\"\n  lifecycle {\n"
      "    ignore_changes = [tag]\n  }\n}\n",
      "Unsupported attribute in ignore_changes");
  EXPECT_NE(ic.detail.find("did you mean \"tags\"?"), std::string::npos);
  EXPECT_EQ(ic.range.start.line, 4);
  check(
      "resource \"test_machine\" \"m\" {\n  name = \"a\"\n  lifecycle {\n"
      "    ignore_changes = all\n    prevent_destroy = true\n  }\n}\n");
  EXPECT_FALSE(diags.has_errors()) << summaries(diags);
  const Resource* r = configs.back()->resource("test_machine.m");
  EXPECT_TRUE(r->lifecycle.ignore_all_changes);
  EXPECT_TRUE(r->lifecycle.prevent_destroy);
  expect_error(
      "resource \"test_machine\" \"m\" {\n  name = \"a\"\n  lifecycle {}\n  lifecycle {}\n}\n",
      "Duplicate block");
}

TEST_F(CheckTest, Rollout) {
  const std::string head =
      "resource \"test_machine\" \"m\" {\n  count = 4\n  name = \"a\"\n  rollout {\n";
  expect_valid(
      head +
      "    canary = 1\n    batch = 2\n    max_failures = 1\n    pause = \"1h30m\"\n  }\n}\n");
  expect_error(head + "    canary = -1\n  }\n}\n", "Invalid rollout canary");
  expect_error(head + "    batch = 0\n  }\n}\n", "Invalid rollout batch");
  expect_error(head + "    batch = \"0%\"\n  }\n}\n", "Invalid rollout batch");
  expect_error(head + "    batch = \"101%\"\n  }\n}\n", "Invalid rollout batch");
  expect_error(head + "    max_failures = -2\n  }\n}\n", "Invalid rollout max_failures");
  const Diagnostic& p =
      expect_error(head + "    pause = \"30 seconds\"\n  }\n}\n", "Invalid rollout pause");
  EXPECT_EQ(p.range.start.line, 5);
  expect_error(head + "    bach = 2\n  }\n}\n", "Unsupported argument");
  expect_error(
      "resource \"test_machine\" \"m\" {\n  name = \"a\"\n  rollout {\n    canary = 1\n  }\n}\n",
      "Rollout on a single instance");
  expect_error("data \"test_image\" \"i\" {\n  name = \"a\"\n  rollout {}\n}\n",
               "Invalid meta-argument for a data source");
}

TEST_F(CheckTest, ReadyWhen) {
  const std::string head = "resource \"test_machine\" \"m\" {\n  name = \"a\"\n  ready_when {\n";
  expect_valid(head + "    tcp = \"${self.private_ip}:22\"\n    timeout = \"1m\"\n  }\n}\n");
  expect_valid(head + "    command = \"true\"\n    simulate_after = \"20s\"\n  }\n}\n");
  expect_valid(head + "    test_ready = self.id\n  }\n}\n");  // a provider's gate kind
  const Diagnostic& d =
      expect_error(head + "    htp = \"http://x/\"\n  }\n}\n", "Unknown readiness condition");
  EXPECT_NE(d.detail.find("did you mean \"http\"?"), std::string::npos);
  EXPECT_NE(d.detail.find("command, http, tcp, test_ready"), std::string::npos);
  EXPECT_EQ(d.range.start.line, 4);
  expect_error(head + "    timeout = \"1m\"\n  }\n}\n", "Missing readiness condition");
  expect_error(head + "    http = \"http://x/\"\n    tcp = \"x:1\"\n  }\n}\n",
               "Multiple readiness conditions");
  expect_error(head + "    http = \"http://x/\"\n    timeout = \"forever\"\n  }\n}\n",
               "Invalid ready_when timeout");
  expect_error(head + "    http = \"http://x/\"\n    interval = 5\n  }\n}\n",
               "Invalid ready_when interval");
  expect_error(head + "    tcp = \"x:1\"\n    expect_status = 200\n  }\n}\n",
               "Invalid ready_when argument");
  expect_error(head + "    http = \"http://x/\"\n    expect_status = 42\n  }\n}\n",
               "Invalid ready_when expect_status");
  expect_error(head + "    http = [1]\n  }\n}\n", "Incorrect value type");
  expect_error(head + "    http = self.nope\n  }\n}\n", "Unsupported attribute");
  expect_error(head + "    http = \"x\"\n    retries = 3\n  }\n}\n", "Unsupported argument");
}

TEST_F(CheckTest, Triggers) {
  expect_valid(
      "resource \"test_task\" \"t\" {\n  on = []\n  command = \"x\"\n"
      "  triggers = { v = \"1\" }\n}\n");
  expect_error(
      "resource \"test_task\" \"t\" {\n  on = []\n  command = \"x\"\n  triggers = \"v1\"\n}\n",
      "Invalid triggers");
}

TEST_F(CheckTest, Providers) {
  expect_valid("provider \"test\" {\n  region = \"eu\"\n}\n");
  const Diagnostic& d =
      expect_error("provider \"test\" {\n  regoin = \"eu\"\n}\n", "Unsupported argument");
  EXPECT_NE(d.detail.find("did you mean \"region\"?"), std::string::npos);
  expect_error("provider \"nope\" {}\n", "Unknown provider");
  expect_valid(
      "provider \"test\" {\n  alias = \"east\"\n}\n"
      "resource \"test_machine\" \"m\" {\n  provider = test.east\n  name = \"a\"\n}\n");
  expect_error("resource \"test_machine\" \"m\" {\n  provider = test.west\n  name = \"a\"\n}\n",
               "Reference to undeclared provider configuration");
  expect_error("resource \"test_machine\" \"m\" {\n  provider = other\n  name = \"a\"\n}\n",
               "Invalid provider reference");
  expect_error("resource \"test_machine\" \"m\" {\n  provider = \"test\"\n  name = \"a\"\n}\n",
               "Invalid provider reference");
}

// --- Bodies against schemas -------------------------------------------------------------------

TEST_F(CheckTest, UnknownResourceType) {
  const Diagnostic& d =
      expect_error("resource \"test_machin\" \"m\" {}\n", "Invalid resource type");
  EXPECT_NE(d.detail.find("did you mean \"test_machine\"?"), std::string::npos);
  EXPECT_NE(d.detail.find("test_machine, test_task"), std::string::npos);
  EXPECT_EQ(d.range.start.column, 10);
  const Diagnostic& p =
      expect_error("resource \"aws_instance\" \"m\" {}\n", "Invalid resource type");
  EXPECT_NE(p.detail.find("no provider \"aws\""), std::string::npos);
  EXPECT_NE(p.detail.find("test_machine, test_task"), std::string::npos);
  expect_error("data \"test_img\" \"i\" {}\n", "Invalid data source");
}

TEST_F(CheckTest, BodiesAgainstSchemas) {
  const Diagnostic& u =
      expect_error("resource \"test_machine\" \"m\" {\n  name = \"a\"\n  sise = \"big\"\n}\n",
                   "Unsupported argument");
  EXPECT_NE(u.detail.find("did you mean \"size\"?"), std::string::npos);
  EXPECT_EQ(u.range.start.line, 3);
  EXPECT_EQ(u.range.start.column, 3);
  EXPECT_EQ(u.range.end.column, 7);
  const Diagnostic& m = expect_error("resource \"test_machine\" \"m\" {\n  size = \"big\"\n}\n",
                                     "Missing required argument");
  EXPECT_NE(m.detail.find("\"name\""), std::string::npos);
  const Diagnostic& t =
      expect_error("resource \"test_machine\" \"m\" {\n  name = \"a\"\n  tags = [\"x\"]\n}\n",
                   "Incorrect attribute value type");
  EXPECT_EQ(t.range.start.line, 3);
  EXPECT_EQ(t.range.start.column, 10);
  expect_error("resource \"test_machine\" \"m\" {\n  name = \"a\"\n  id = \"i-1\"\n}\n",
               "Invalid argument");
  check("resource \"test_machine\" \"m\" {\n  name = \"a\"\n  disk {\n    sise = 1\n  }\n}\n");
  EXPECT_TRUE(has_diag(diags, "Unsupported argument", "did you mean \"size\"?"));
  EXPECT_TRUE(has_diag(diags, "Missing required argument", "\"size\" is required in a disk block"));
  expect_error("resource \"test_machine\" \"m\" {\n  name = \"a\"\n  disk {}\n}\n",
               "Missing required argument");
  expect_error(
      "resource \"test_machine\" \"m\" {\n  name = \"a\"\n  disc {\n    size = 1\n  }\n}\n",
      "Unsupported block type");
  expect_error(
      "resource \"test_machine\" \"m\" {\n  name = \"a\"\n"
      "  disk {\n    size = 1\n  }\n  disk {\n    size = 2\n  }\n  disk {\n    size = 3\n  }\n}\n",
      "Too many blocks");
  expect_error("resource \"test_machine\" \"m\" {\n  name = \"a\"\n  disk = {}\n}\n",
               "Unsupported argument");
  expect_error("resource \"test_machine\" \"m\" {\n  name = \"a\"\n  tags {}\n}\n",
               "Unsupported block type");
  expect_valid("resource \"test_machine\" \"m\" {\n  name = 42\n}\n");  // number → string converts
}

// --- Modules ----------------------------------------------------------------------------------

TEST_F(CheckTest, ModuleSources) {
  expect_error("module \"m\" {\n  source = \"git::https://x\"\n}\n", "Invalid module source");
  expect_error("module \"m\" {\n}\n", "Missing required argument");
  expect_error("module \"m\" {\n  source = \"./m\"\n  count = -1\n}\n", "Invalid count argument");
  expect_error("module \"m\" {\n  source = \"./m\"\n  for_each = [\"a\"]\n}\n",
               "Invalid for_each argument");
  expect_error("module \"m\" {\n  source = \"./m\"\n  providers = {}\n}\n", "Unsupported argument");
}

TEST_F(CheckTest, ValidationScopeForConsole) {
  check("variable \"n\" {\n  default = 2\n}\nvariable \"r\" {\n  type = string\n}\n"
        "locals {\n  twice = var.n * 2\n}\n" + std::string(kMachine));
  auto scope = make_validation_scope(*configs.back(), schemas, {{"r", Value::string("x")}}, diags);
  BasicScope probe;
  probe.parent = scope.get();
  EXPECT_EQ(probe.lookup(RefKey{"local", "", "twice", {}}), Value::number(4));
  EXPECT_EQ(probe.lookup(RefKey{"var", "", "r", {}}), Value::string("x"));
  auto node = scope->lookup(RefKey{"test_machine", "", "node", {}});
  ASSERT_TRUE(node.has_value());
  EXPECT_TRUE(node->is_unknown());
  EXPECT_EQ(node->type().kind, TypeKind::List);
  EXPECT_FALSE(scope->lookup(RefKey{"local", "", "nope", {}}).has_value());
  EXPECT_EQ(scope->candidates(RefKey{"local", "", "x", {}}), std::vector<std::string>{"twice"});
}

TEST(CheckUnknowns, UnknownInstanceFollowsSchema) {
  SchemaRegistry s = testing::test_schemas();
  Value v = unknown_instance(*s.resource("test_machine"));
  ASSERT_EQ(v.kind(), ValueKind::Object);
  EXPECT_TRUE(v.attributes().at("private_ip").is_unknown());
  EXPECT_EQ(v.attributes().at("private_ip").type(), Type::string());
  EXPECT_EQ(v.attributes().at("tags").type(), Type::map(Type::string()));
  EXPECT_EQ(v.attributes().at("disk").type().kind, TypeKind::List);
}

}  // namespace
}  // namespace orch
