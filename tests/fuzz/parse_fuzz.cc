// libFuzzer target: any bytes through the lexer and every parser entry point must give
// diagnostics, never a crash, hang or stack overflow.
#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/lex.h"
#include "compiler/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  orch::SourceFile src("fuzz.orch", text);
  orch::Diagnostics diags;
  orch::lex(src);
  orch::File f = orch::parse_file(src, diags);
  // Every diagnostic must point inside the file.
  for (const auto& d : diags.list()) {
    if (d.range.valid() && (d.range.start.byte < 0 || d.range.end.byte > (int64_t)size ||
                            d.range.start.byte > d.range.end.byte)) {
      __builtin_trap();
    }
  }
  orch::Diagnostics d2;
  orch::parse_expression(src, d2);
  orch::Diagnostics d3;
  orch::parse_template(src, d3);
  return 0;
}
