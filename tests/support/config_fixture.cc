// Test support for configuration tests (see config_fixture.h).
#include "tests/support/config_fixture.h"

#include "compiler/load.h"
#include "compiler/parse.h"

namespace orch::testing {

Config build_config_from(SourceManager& sources, const std::map<std::string, std::string>& files,
                         Diagnostics& diags, const std::string& dir) {
  std::vector<std::unique_ptr<File>> parsed;
  for (const auto& [name, text] : files) {
    const SourceFile* src = sources.add(name, text);
    parsed.push_back(std::make_unique<File>(parse_file(*src, diags)));
  }
  return build_config(std::move(parsed), dir, "", diags);
}

namespace {
AttributeSchema attr(std::string name, Type type, bool required, bool computed = false) {
  AttributeSchema a;
  a.name = std::move(name);
  a.type = std::move(type);
  a.required = required;
  a.optional = !required && !computed;
  a.computed = computed;
  return a;
}
}  // namespace

SchemaRegistry test_schemas() {
  ProviderSchema p;
  p.name = "test";
  p.config.attributes.push_back(attr("region", Type::string(), false));
  Schema machine;
  machine.attributes = {attr("name", Type::string(), true),
                        attr("size", Type::string(), false),
                        attr("tags", Type::map(Type::string()), false),
                        attr("id", Type::string(), false, true),
                        attr("private_ip", Type::string(), false, true),
                        attr("private_dns", Type::string(), false, true)};
  BlockSchema disk;
  disk.type_name = "disk";
  disk.nesting = BlockNesting::List;
  disk.max_items = 2;
  disk.body.attributes = {attr("size", Type::number(), true)};
  machine.blocks.push_back(disk);
  p.resources["test_machine"] = machine;
  Schema task;
  task.attributes = {attr("on", Type::list(Type::string()), true),
                     attr("command", Type::string(), true),
                     attr("id", Type::string(), false, true)};
  p.resources["test_task"] = task;
  Schema image;
  image.attributes = {attr("name", Type::string(), true), attr("id", Type::string(), false, true)};
  p.data_sources["test_image"] = image;
  p.gates.push_back(GateSchema{"test_ready", Type::string(), "a test gate"});
  SchemaRegistry r;
  r.add(std::move(p));
  return r;
}

std::string summaries(const Diagnostics& diags) {
  std::string out;
  for (const auto& d : diags.list()) out += d.summary + " | " + d.detail + "\n";
  return out;
}

const Diagnostic* find_diag(const Diagnostics& diags, const std::string& summary) {
  for (const auto& d : diags.list()) {
    if (d.summary == summary) return &d;
  }
  return nullptr;
}

bool has_diag(const Diagnostics& diags, const std::string& summary,
              const std::string& detail_part) {
  for (const auto& d : diags.list()) {
    if (d.summary == summary && d.detail.find(detail_part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace orch::testing
