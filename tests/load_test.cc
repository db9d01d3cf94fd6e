// Tests of module loading (compiler/load.h) over the directory trees in tests/testdata/load/, and
// of module-level checks (inputs against the child's variables, outputs, cycles in children).
#include "compiler/load.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "compiler/check.h"
#include "tests/support/config_fixture.h"

namespace orch {
namespace {

using testing::find_diag;
using testing::has_diag;
using testing::summaries;

std::string testdata(const std::string& name) {
  return std::string(ORCH_SOURCE_DIR) + "/tests/testdata/load/" + name;
}

TEST(Load, ModuleTree) {
  SourceManager sources;
  Diagnostics diags;
  auto root = load_config(testdata("basic"), sources, diags);
  ASSERT_NE(root, nullptr);
  EXPECT_FALSE(diags.has_errors()) << summaries(diags);
  // Every .orch file of the directory, in name order; other files ignored.
  ASSERT_EQ(root->files.size(), 2u);
  EXPECT_NE(root->files[0]->source->name().find("main.orch"), std::string::npos);
  EXPECT_NE(root->files[1]->source->name().find("outputs.orch"), std::string::npos);
  EXPECT_EQ(root->module_path, "");
  EXPECT_NE(root->output("db_endpoint"), nullptr);
  const ModuleCall* db = root->module("db");
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->source, "./modules/db");
  EXPECT_EQ(db->source_dir, testdata("basic") + "/modules/db");
  ASSERT_EQ(db->inputs.size(), 2u);
  EXPECT_TRUE(db->inputs.count("name"));
  ASSERT_NE(db->child, nullptr);
  EXPECT_EQ(db->child->module_path, "module.db");
  EXPECT_EQ(db->child->address_prefix(), "module.db.");
  EXPECT_EQ(db->child->dir, testdata("basic") + "/modules/db");
  EXPECT_EQ(db->child->root_dir, testdata("basic"));
  EXPECT_NE(db->child->resource("test_machine.db"), nullptr);
  const ModuleCall* inner = db->child->module("inner");
  ASSERT_NE(inner, nullptr);
  ASSERT_NE(inner->child, nullptr);
  EXPECT_EQ(inner->child->module_path, "module.db.module.inner");
  EXPECT_EQ(inner->child->dir, testdata("basic") + "/modules/inner");

  SchemaRegistry schemas = testing::test_schemas();
  EXPECT_TRUE(check_config(*root, schemas, diags)) << summaries(diags);
}

TEST(Load, ModuleErrors) {
  SourceManager sources;
  Diagnostics diags;
  auto root = load_config(testdata("errors"), sources, diags);
  ASSERT_NE(root, nullptr);
  SchemaRegistry schemas = testing::test_schemas();
  check_config(*root, schemas, diags);
  EXPECT_TRUE(has_diag(diags, "Module not found", "module \"missing\"")) << summaries(diags);
  EXPECT_TRUE(has_diag(diags, "Module calls itself")) << summaries(diags);
  const Diagnostic* unknown_input = find_diag(diags, "Unsupported argument");
  ASSERT_NE(unknown_input, nullptr) << summaries(diags);
  EXPECT_NE(unknown_input->detail.find("module \"db\" has no variable \"nmae\"; did you mean "
                                       "\"name\"?"),
            std::string::npos);
  EXPECT_EQ(unknown_input->range.start.line, 3);
  const Diagnostic* missing = find_diag(diags, "Missing required argument");
  ASSERT_NE(missing, nullptr);
  EXPECT_NE(missing->detail.find("variable \"name\""), std::string::npos);
  EXPECT_EQ(missing->range.start.line, 1);
  const Diagnostic* output = find_diag(diags, "Unsupported attribute");
  ASSERT_NE(output, nullptr);
  EXPECT_NE(output->detail.find("did you mean \"endpoint\"?"), std::string::npos);
  EXPECT_EQ(output->range.start.line, 15);
  EXPECT_EQ(diags.error_count(), 5) << summaries(diags);
}

TEST(Load, CycleInChildModuleNamesFullAddresses) {
  SourceManager sources;
  Diagnostics diags;
  auto root = load_config(testdata("cycle"), sources, diags);
  ASSERT_NE(root, nullptr);
  SchemaRegistry schemas = testing::test_schemas();
  check_config(*root, schemas, diags);
  EXPECT_TRUE(has_diag(diags,
                       "Dependency cycle: module.c.local.a → module.c.local.b → "
                       "module.c.local.a"))
      << summaries(diags);
}

TEST(Load, MissingAndEmptyDirectories) {
  SourceManager sources;
  Diagnostics diags;
  EXPECT_EQ(load_config(testdata("does-not-exist"), sources, diags), nullptr);
  EXPECT_TRUE(has_diag(diags, "Cannot read configuration"));

  auto dir = std::filesystem::temp_directory_path() / "orch_load_test_empty";
  std::filesystem::create_directories(dir);
  Diagnostics d2;
  auto c = load_config(dir.string(), sources, d2);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(has_diag(d2, "No configuration files"));
  std::filesystem::remove_all(dir);
}

TEST(Load, SyntaxErrorsStillLoadTheRest) {
  auto dir = std::filesystem::temp_directory_path() / "orch_load_test_syntax";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a.orch") << "locals {\n  a = 1 1\n}\n";
  std::ofstream(dir / "b.orch") << "variable \"v\" {}\n";
  SourceManager sources;
  Diagnostics diags;
  auto c = load_config(dir.string(), sources, diags);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(diags.has_errors());
  EXPECT_NE(c->variable("v"), nullptr);
  std::filesystem::remove_all(dir);
}

TEST(Load, BackendOnlyInRoot) {
  SourceManager sources;
  Diagnostics diags;
  Config c = testing::build_config_from(
      sources, {{"b.orch", "backend \"local\" {\n  path = \"s.json\"\n}\n"}}, diags);
  ASSERT_TRUE(c.backend.has_value());
  EXPECT_EQ(c.backend->type, "local");
  ASSERT_NE(c.backend->body, nullptr);
  EXPECT_NE(c.backend->body->attribute("path"), nullptr);
}

}  // namespace
}  // namespace orch
