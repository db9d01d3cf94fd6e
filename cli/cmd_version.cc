// `orch version` (also `orch -version`): the version and how this binary was built.
#include <RuntimeMetaData.h>

#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"

namespace orch::cli {
namespace {

std::string compiler_name() {
#if defined(__clang__)
  return fmt::format("clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  return fmt::format("gcc {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

std::string platform() {
#if defined(__x86_64__)
  const char* arch = "amd64";
#elif defined(__aarch64__)
  const char* arch = "arm64";
#else
  const char* arch = "unknown";
#endif
#if defined(__linux__)
  const char* os = "linux";
#elif defined(__APPLE__)
  const char* os = "darwin";
#else
  const char* os = "unknown";
#endif
  return fmt::format("{}_{}", os, arch);
}

int run_version(const GlobalOptions& global) {
  const std::string antlr = antlr4::RuntimeMetaData::VERSION;
  if (global.json) {
    nlohmann::ordered_json j;
    j["orch_version"] = ORCH_VERSION;
    j["platform"] = platform();
    j["compiler"] = compiler_name();
    j["cxx_standard"] = __cplusplus;
    j["antlr4_runtime"] = antlr;
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "orch v" << ORCH_VERSION << "\n"
            << "on " << platform() << ", built with " << compiler_name() << " (C++"
            << (__cplusplus / 100) % 100 << "), ANTLR4 runtime " << antlr << "\n";
  return kExitOk;
}

}  // namespace

void register_version(CLI::App& root, CliContext& ctx) {
  CLI::App* app = root.add_subcommand("version", "Show the orch version and build information");
  add_json_flag(app, ctx, "Print the version information as JSON");
  ctx.add(app, [&ctx] { return run_version(ctx.global); });
}

}  // namespace orch::cli
