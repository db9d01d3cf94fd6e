// libFuzzer target for the parser and the checker: any bytes through the lexer, every parser
// entry point, the formatter, and (as a one-file module) the config builder and the checker
// must give diagnostics, never a crash, hang, leak or stack overflow.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compiler/check.h"
#include "compiler/format.h"
#include "compiler/lex.h"
#include "compiler/load.h"
#include "compiler/parse.h"

namespace {

// A small provider, so that resource bodies are checked against a schema (names, types,
// nested blocks, did-you-mean) as they are with the real providers.
orch::SchemaRegistry make_schemas() {
  using namespace orch;
  Schema machine;
  machine.attributes.push_back({"name", Type::string()});
  machine.attributes.back().required = true;
  machine.attributes.push_back({"size", Type::string()});
  machine.attributes.back().optional = true;
  machine.attributes.push_back({"tags", Type::map(Type::string())});
  machine.attributes.back().optional = true;
  machine.attributes.push_back({"private_ip", Type::string()});
  machine.attributes.back().computed = true;
  BlockSchema disk;
  disk.type_name = "disk";
  disk.body.attributes.push_back({"size_gb", Type::number()});
  disk.body.attributes.back().required = true;
  machine.blocks.push_back(disk);
  ProviderSchema p;
  p.name = "fz";
  p.config.attributes.push_back({"seed", Type::number()});
  p.config.attributes.back().optional = true;
  p.resources["fz_machine"] = machine;
  p.data_sources["fz_image"] = machine;
  SchemaRegistry r;
  r.add(std::move(p));
  return r;
}

void check_ranges(const orch::Diagnostics& diags, size_t size) {
  // Every diagnostic must point inside the file.
  for (const auto& d : diags.list()) {
    if (d.range.valid() && (d.range.start.byte < 0 || d.range.end.byte > (int64_t)size ||
                            d.range.start.byte > d.range.end.byte)) {
      __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const orch::SchemaRegistry schemas = make_schemas();
  std::string text(reinterpret_cast<const char*>(data), size);
  auto src = std::make_unique<orch::SourceFile>("fuzz.orch", text);
  orch::lex(*src);
  {
    orch::Diagnostics d2, d3;
    orch::parse_expression(*src, d2);
    orch::parse_template(*src, d3);
    check_ranges(d2, size);
    check_ranges(d3, size);
    std::string formatted;
    orch::Diagnostics d4;
    orch::format_source(*src, &formatted, d4);
  }
  orch::Diagnostics diags;
  auto file = std::make_unique<orch::File>(orch::parse_file(*src, diags));
  check_ranges(diags, size);
  std::vector<std::unique_ptr<orch::File>> files;
  files.push_back(std::move(file));
  orch::Config config = orch::build_config(std::move(files), ".", "", diags);
  orch::check_config(config, schemas, diags);
  check_ranges(diags, size);
  return 0;
}
