// `orch fmt`: rewrites .orch files in the canonical style (compiler/format.h), like terraform fmt.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/unified_diff.h"
#include "compiler/format.h"

namespace orch::cli {
namespace {

namespace fs = std::filesystem;

struct FmtOptions {
  bool list = true;
  bool write = true;
  bool diff = false;
  bool check = false;
  bool recursive = false;
  std::vector<std::string> paths;
};

// What happened to the inputs of one run.
struct FmtRun {
  const FmtOptions& opts;
  const GlobalOptions& global;
  SourceManager sources;
  Diagnostics diags;
  bool changed = false;
};

bool is_orch_file(const fs::path& p) {
  return p.extension() == ".orch";
}

// Replaces a file's contents atomically (temporary file in the same directory, then rename),
// keeping its permissions.
bool write_file(const std::string& path, const std::string& text, std::string* error) {
  std::error_code ec;
  fs::perms perms = fs::status(path, ec).permissions();
  std::string tmp = path + ".orchfmt.tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      *error = "cannot write " + tmp;
      return false;
    }
  }
  if (!ec) fs::permissions(tmp, perms, ec);
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    *error = "cannot replace " + path + ": " + ec.message();
    return false;
  }
  return true;
}

// Formats one input; `path` is "-" for stdin.
void process(FmtRun& run, const std::string& path, std::string text) {
  bool stdin_input = path == "-";
  const SourceFile* src = run.sources.add(stdin_input ? "<stdin>" : path, std::move(text));
  std::string formatted;
  if (!format_source(*src, &formatted, run.diags)) return;
  bool changed = formatted != src->text();
  const FmtOptions& o = run.opts;
  if (changed) {
    run.changed = true;
    if (o.list && !stdin_input) std::cout << path << "\n";
    if (o.write && !stdin_input) {
      std::string error;
      if (!write_file(path, formatted, &error)) {
        run.diags.error(Range{}, "Cannot write formatted file", error);
      }
    }
    if (o.diff) {
      std::string label = stdin_input ? "<stdin>" : path;
      std::cout << unified_diff(src->text(), formatted, "old/" + label, "new/" + label,
                                use_color(run.global, stdout));
    }
  }
  // Without anything else to do, the formatted text goes to stdout (always for stdin).
  bool print = stdin_input ? !o.check && !o.diff : !o.list && !o.write && !o.diff && !o.check;
  if (print) std::cout << formatted;
}

void process_file(FmtRun& run, const std::string& path) {
  std::string error;
  SourceManager scratch;
  const SourceFile* file = scratch.load(path, &error);
  if (file == nullptr) {
    run.diags.error(Range{}, "Cannot read file", error);
    return;
  }
  process(run, path, file->text());
}

// The .orch files of a directory (and its subdirectories with -recursive; hidden ones such as
// .orch/ and .git/ are skipped), sorted so that output is deterministic.
std::vector<std::string> files_in(const fs::path& dir, bool recursive) {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    std::string name = p.filename().string();
    if (!name.empty() && name[0] == '.') continue;
    if (it->is_directory(ec)) {
      if (recursive) {
        auto sub = files_in(p, true);
        files.insert(files.end(), sub.begin(), sub.end());
      }
    } else if (is_orch_file(p)) {
      files.push_back(p.string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

int run_fmt(FmtOptions& opts, const GlobalOptions& global) {
  if (opts.check) opts.write = false;
  if (opts.paths.empty()) opts.paths.push_back(".");
  FmtRun run{opts, global, {}, {}};
  for (const std::string& path : opts.paths) {
    if (path == "-") {
      std::string text(std::istreambuf_iterator<char>(std::cin), {});
      process(run, path, std::move(text));
      continue;
    }
    std::error_code ec;
    fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
      run.diags.error(Range{}, "No file or directory at " + path,
                      "orch fmt takes .orch files, directories of them, or - for stdin.");
    } else if (fs::is_directory(st)) {
      // The directory's own name is shown as given: `orch fmt .` lists `main.orch`.
      for (const std::string& f : files_in(path, opts.recursive)) {
        std::string shown = path == "." ? fs::path(f).lexically_relative(".").string() : f;
        process_file(run, shown);
      }
    } else if (!is_orch_file(path)) {
      run.diags.error(Range{}, "Only .orch files can be formatted",
                      fmt::format("{} does not end in .orch.", path));
    } else {
      process_file(run, path);
    }
  }
  print_diagnostics(run.diags, run.sources, global);
  if (run.diags.has_errors()) return kExitFmtInvalid;
  if (opts.check && run.changed) return kExitFmtChanged;
  return kExitOk;
}

}  // namespace

void register_fmt(CLI::App& root, CliContext& ctx) {
  auto opts = std::make_shared<FmtOptions>();
  CLI::App* app = root.add_subcommand(
      "fmt", "Rewrite .orch files in the canonical style (two-space indents, aligned =)");
  app->add_option("PATH", opts->paths,
                  "Files or directories to format (default: the current directory); - reads "
                  "stdin and writes stdout");
  app->add_flag("--list,!--no-list", opts->list,
                "List files whose formatting differs (default true; -list=false turns it off)");
  app->add_flag("--write,!--no-write", opts->write,
                "Write the result back to the files (default true; -write=false turns it off)");
  app->add_flag("--diff", opts->diff, "Print a unified diff of the changes");
  app->add_flag("--check", opts->check,
                "Only check: exit 3 and list the files when any is not formatted (implies "
                "-write=false)");
  app->add_flag("--recursive", opts->recursive, "Also format the subdirectories' files");
  app->footer(
      "Exit status: 0 when done (or, with -check, all files formatted), 2 when an input has "
      "syntax errors\nor cannot be read (it is left untouched), 3 with -check when some file is "
      "not formatted.");
  ctx.add(app, [opts, &ctx] { return run_fmt(*opts, ctx.global); });
}

}  // namespace orch::cli
