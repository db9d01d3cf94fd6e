// Tests of input variables (compiler/vars.h): sources, precedence, parsing by type, YAML and
// .orch variable files, conversion, nullability, validation and sensitivity.
#include "compiler/vars.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <stdlib.h>
#include <unistd.h>

#include "tests/support/config_fixture.h"

namespace orch {
namespace {

using testing::has_diag;
using testing::summaries;

constexpr const char* kVariables = R"(
variable "region" {
  type    = string
  default = "eu"
}
variable "count" {
  type    = number
  default = 1
}
variable "tags" {
  type    = map(string)
  default = {}
}
variable "zones" {
  type = list(string)
  default = ["a"]
}
variable "enabled" {
  type    = bool
  default = false
}
variable "anything" {
  default = null
}
variable "required" {
  type = string
}
variable "password" {
  type      = string
  sensitive = true
  default   = "pw"
}
variable "port" {
  type     = number
  nullable = false
  default  = 80
  validation {
    condition     = var.port > 0 && var.port < 65536
    error_message = "port must be between 1 and 65535"
  }
}
)";

class VarsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config = std::make_unique<Config>(
        testing::build_config_from(sources, {{"vars.orch", kVariables}}, diags));
    ASSERT_FALSE(diags.has_errors()) << summaries(diags);
    dir = std::filesystem::temp_directory_path() / ("orch_vars_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  std::string write(const std::string& name, const std::string& text) {
    auto p = dir / name;
    std::ofstream(p) << text;
    return p.string();
  }

  ValueMap resolve(const VarInputs& in, bool allow_missing = false) {
    auto inputs = collect_inputs(in, *config, sources, diags);
    return resolve_variables(*config, inputs, diags, allow_missing);
  }

  SourceManager sources;
  Diagnostics diags;
  std::unique_ptr<Config> config;
  std::filesystem::path dir;
};

TEST_F(VarsTest, DefaultsAndRequired) {
  VarInputs in;
  ValueMap v = resolve(in);
  EXPECT_EQ(v.at("region"), Value::string("eu"));
  EXPECT_EQ(v.at("count"), Value::number(1));
  ASSERT_EQ(diags.error_count(), 1) << summaries(diags);
  EXPECT_EQ(diags.list()[0].summary, "No value for required variable");
  EXPECT_NE(diags.list()[0].detail.find("ORCH_VAR_required"), std::string::npos);
  EXPECT_TRUE(v.at("required").is_unknown());
  diags = Diagnostics();
  v = resolve(in, /*allow_missing=*/true);
  EXPECT_FALSE(diags.has_errors());
  EXPECT_TRUE(v.at("required").is_unknown());
  EXPECT_EQ(v.at("required").type(), Type::string());
}

TEST_F(VarsTest, CommandLineValuesParseByType) {
  VarInputs in;
  in.vars = {"required=x",   "count=5",          "tags={a = \"b\"}", "zones=[\"x\", \"y\"]",
             "enabled=true", "region=us = east", "anything=[1, 2]"};
  ValueMap v = resolve(in);
  ASSERT_FALSE(diags.has_errors()) << summaries(diags);
  EXPECT_EQ(v.at("count"), Value::number(5));
  EXPECT_EQ(v.at("tags").attributes().at("a"), Value::string("b"));
  EXPECT_EQ(v.at("zones").length(), 2u);
  EXPECT_EQ(v.at("zones").kind(), ValueKind::List);
  EXPECT_EQ(v.at("enabled"), Value::boolean(true));
  EXPECT_EQ(v.at("region"), Value::string("us = east"));  // split at the first '='
  EXPECT_EQ(v.at("anything"), Value::string("[1, 2]"));   // untyped: a string, like Terraform
}

TEST_F(VarsTest, Precedence) {
  std::string f1 = write("a.orch", "region = \"file1\"\ncount = 2\n");
  std::string f2 = write("b.yaml", "region: file2\n");
  VarInputs in;
  in.env = {{"ORCH_VAR_region", "env"},
            {"ORCH_VAR_count", "7"},
            {"ORCH_VAR_required", "r"},
            {"PATH", "/bin"},
            {"ORCH_VAR_undeclared", "ignored"}};
  ValueMap v = resolve(in);
  ASSERT_FALSE(diags.has_errors()) << summaries(diags);
  EXPECT_EQ(v.at("region"), Value::string("env"));  // env beats default
  EXPECT_EQ(v.at("count"), Value::number(7));
  in.var_files = {f1, f2};
  v = resolve(in);
  EXPECT_EQ(v.at("region"), Value::string("file2"));  // later file beats earlier file and env
  EXPECT_EQ(v.at("count"), Value::number(2));         // file beats env
  in.vars = {"region=cli1", "region=cli2"};
  v = resolve(in);
  EXPECT_EQ(v.at("region"), Value::string("cli2"));  // -var beats files; last -var wins
  EXPECT_FALSE(diags.has_errors()) << summaries(diags);
}

TEST_F(VarsTest, YamlFiles) {
  std::string f = write("v.yml",
                        "required: \"007\"\ncount: 3\nenabled: true\nzones: [a, b]\n"
                        "tags:\n  team: web\n  tier: \"1\"\nanything: ~\n");
  VarInputs in;
  in.var_files = {f};
  ValueMap v = resolve(in);
  ASSERT_FALSE(diags.has_errors()) << summaries(diags);
  EXPECT_EQ(v.at("required"), Value::string("007"));
  EXPECT_EQ(v.at("count"), Value::number(3));
  EXPECT_EQ(v.at("enabled"), Value::boolean(true));
  EXPECT_EQ(v.at("zones").length(), 2u);
  EXPECT_EQ(v.at("tags").attributes().at("tier"), Value::string("1"));
  EXPECT_TRUE(v.at("anything").is_null());
}

TEST_F(VarsTest, FileErrors) {
  VarInputs in;
  in.var_files = {write("bad.yaml", "region: [unclosed\n")};
  resolve(in, true);
  EXPECT_TRUE(has_diag(diags, "Invalid YAML variables file")) << summaries(diags);
  diags = Diagnostics();
  in.var_files = {write("list.yaml", "- a\n- b\n")};
  resolve(in, true);
  EXPECT_TRUE(has_diag(diags, "Invalid YAML variables file"));
  diags = Diagnostics();
  in.var_files = {write("typo.orch", "regoin = \"x\"\n")};
  resolve(in, true);
  ASSERT_TRUE(has_diag(diags, "Value for undeclared variable", "did you mean \"region\"?"))
      << summaries(diags);
  EXPECT_EQ(diags.list()[0].range.start.line, 1);
  diags = Diagnostics();
  in.var_files = {write("typo.yaml", "\nregoin: x\n")};
  resolve(in, true);
  ASSERT_TRUE(has_diag(diags, "Value for undeclared variable", "did you mean \"region\"?"));
  EXPECT_EQ(diags.list()[0].range.start.line, 2);
  diags = Diagnostics();
  in.var_files = {write("refs.orch", "region = var.other\n")};
  resolve(in, true);
  EXPECT_TRUE(has_diag(diags, "Variables not allowed"));
  diags = Diagnostics();
  in.var_files = {(dir / "missing.orch").string()};
  resolve(in, true);
  EXPECT_TRUE(has_diag(diags, "Failed to read variables file"));
  diags = Diagnostics();
  in.var_files = {write("block.orch", "locals {}\n")};
  resolve(in, true);
  EXPECT_TRUE(has_diag(diags, "Unexpected block"));
}

TEST_F(VarsTest, CommandLineErrors) {
  VarInputs in;
  in.vars = {"novalue", "regon=x", "count=abc", "zones=[unclosed"};
  resolve(in, true);
  EXPECT_TRUE(has_diag(diags, "Invalid -var option")) << summaries(diags);
  EXPECT_TRUE(has_diag(diags, "Value for undeclared variable", "did you mean \"region\"?"));
  EXPECT_TRUE(has_diag(diags, "Invalid value for input variable", "a -var option"));
  EXPECT_GE(diags.error_count(), 4);
}

TEST_F(VarsTest, ConversionNullabilityValidationSensitivity) {
  VarInputs in;
  in.vars = {"required=x", "port=70000"};
  resolve(in);
  ASSERT_TRUE(has_diag(diags, "Invalid value for variable", "port must be between 1 and 65535"))
      << summaries(diags);
  diags = Diagnostics();
  in.vars = {"required=x", "port=8080"};
  ValueMap v = resolve(in);
  EXPECT_FALSE(diags.has_errors()) << summaries(diags);
  EXPECT_EQ(v.at("port"), Value::number(8080));
  EXPECT_TRUE(v.at("password").is_sensitive());
  EXPECT_FALSE(v.at("region").is_sensitive());
  // null for a non-nullable variable with a default: the default applies.
  std::map<std::string, InputValue> inputs;
  inputs["port"] = InputValue{Value::null(), VarSource::File, {}};
  inputs["required"] = InputValue{Value::string("x"), VarSource::File, {}};
  v = resolve_variables(*config, inputs, diags);
  EXPECT_EQ(v.at("port"), Value::number(80));
  // Structural conversion errors name the variable and the type.
  inputs["tags"] = InputValue{Value::tuple({Value::string("x")}), VarSource::File, {}};
  diags = Diagnostics();
  resolve_variables(*config, inputs, diags);
  ASSERT_TRUE(has_diag(diags, "Invalid value for input variable", "map(string)"))
      << summaries(diags);
}

TEST_F(VarsTest, ModuleVariables) {
  ValueMap inputs = {{"required", Value::string("x")}, {"count", Value::string("4")}};
  ValueMap v = resolve_module_variables(*config, inputs, Range{}, diags);
  EXPECT_FALSE(diags.has_errors()) << summaries(diags);
  EXPECT_EQ(v.at("count"), Value::number(4));
  EXPECT_EQ(v.at("region"), Value::string("eu"));
  resolve_module_variables(*config, {}, Range{}, diags);
  EXPECT_TRUE(has_diag(diags, "Missing required argument", "\"required\""));
}

TEST(VarsEnvironment, SnapshotOfTheProcessEnvironment) {
  ::setenv("ORCH_VAR_vars_test_probe", "a=b", 1);
  auto env = environment_variables();
  ASSERT_TRUE(env.count("ORCH_VAR_vars_test_probe"));
  EXPECT_EQ(env.at("ORCH_VAR_vars_test_probe"), "a=b");
  ::unsetenv("ORCH_VAR_vars_test_probe");
}

}  // namespace
}  // namespace orch
