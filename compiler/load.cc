// Building a module's Config from its parsed files: top-level block types, labels, duplicates.
#include "compiler/load.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "compiler/load_blocks.h"
#include "compiler/parse.h"
#include "compiler/suggest.h"

namespace orch {

namespace {

struct BlockKind {
  const char* type;
  size_t labels;
  const char* label_names;  // for messages
};

constexpr BlockKind kBlockKinds[] = {
    {"backend", 1, "a backend type"},
    {"data", 2, "a type and a name"},
    {"locals", 0, ""},
    {"module", 1, "a name"},
    {"output", 1, "a name"},
    {"provider", 1, "a provider name"},
    {"resource", 2, "a type and a name"},
    {"simulate", 0, ""},
    {"variable", 1, "a name"},
};

const BlockKind* block_kind(std::string_view type) {
  for (const auto& k : kBlockKinds) {
    if (type == k.type) return &k;
  }
  return nullptr;
}

std::vector<std::string> block_kind_names() {
  std::vector<std::string> out;
  for (const auto& k : kBlockKinds) out.push_back(k.type);
  return out;
}

const Range& type_range_of(const Block& b) {
  return b.type_range.valid() ? b.type_range : b.range;
}

bool labels_ok(const Block& b, const BlockKind& kind, Diagnostics& diags) {
  if (b.labels.size() < kind.labels) {
    diags.error(
        b.labels.empty() ? type_range_of(b) : b.label_ranges.back(),
        fmt::format("Missing {} for {} block", b.labels.empty() ? "label" : "labels", kind.type),
        fmt::format("A {} block needs {} label{}: {}.", kind.type, kind.labels,
                    kind.labels == 1 ? "" : "s", kind.label_names));
    return false;
  }
  if (b.labels.size() > kind.labels) {
    const Range& at = kind.labels < b.label_ranges.size() ? b.label_ranges[kind.labels] : b.range;
    diags.error(at, fmt::format("Extraneous label for {}", kind.type),
                kind.labels == 0
                    ? fmt::format("A {} block takes no labels.", kind.type)
                    : fmt::format("A {} block takes exactly {} label{}: {}.", kind.type,
                                  kind.labels, kind.labels == 1 ? "" : "s", kind.label_names));
    return false;
  }
  for (size_t i = 0; i < b.labels.size(); ++i) {
    if (b.labels[i].empty()) {
      diags.error(i < b.label_ranges.size() ? b.label_ranges[i] : b.range, "Invalid block label",
                  fmt::format("The labels of a {} block must not be empty.", kind.type));
      return false;
    }
  }
  return true;
}

// Reports a second declaration of the same thing, pointing at the first.
template <typename M>
bool insert_unique(M& map, std::string key, typename M::mapped_type&& value, const Range& at,
                   std::string_view what, Diagnostics& diags) {
  auto it = map.find(key);
  if (it != map.end()) {
    auto& d = diags.error(at, fmt::format("Duplicate {}", what),
                          fmt::format("A {} named \"{}\" was already declared. Names must be "
                                      "unique within a module.",
                                      what, key));
    d.notes.push_back({"first declared here", it->second.range});
    return false;
  }
  map.emplace(key, std::move(value));
  return true;
}

}  // namespace

Config build_config(std::vector<std::unique_ptr<File>> files, const std::string& dir,
                    const std::string& module_path, Diagnostics& diags) {
  Config c;
  c.dir = dir;
  c.root_dir = dir;
  c.module_path = module_path;
  c.files = std::move(files);
  std::stable_sort(c.files.begin(), c.files.end(), [](const auto& a, const auto& b) {
    const std::string an = a && a->source ? a->source->name() : "";
    const std::string bn = b && b->source ? b->source->name() : "";
    return an < bn;
  });
  const Range* backend_first = nullptr;
  const Range* simulate_first = nullptr;
  std::map<std::string, const Body*> local_owner;  // which locals block defined each local
  for (const auto& file : c.files) {
    if (!file) continue;
    const Body& body = file->body;
    detail::check_duplicate_attributes(body, diags);
    for (const auto& a : body.attributes) {
      diags.error(a.name_range.valid() ? a.name_range : a.range, "Unsupported argument",
                  fmt::format("An argument named \"{}\" is not expected at the top level of a "
                              "file; attributes belong inside blocks such as locals {{ ... }}.",
                              a.name));
    }
    for (const auto& b : body.blocks) {
      const BlockKind* kind = block_kind(b.type);
      if (!kind) {
        std::string hint = did_you_mean(b.type, block_kind_names());
        diags.error(type_range_of(b), "Unsupported block type",
                    fmt::format("Blocks of type \"{}\" are not expected here{}", b.type,
                                hint.empty() ? "; the block types are variable, locals, "
                                               "provider, resource, data, output, module, "
                                               "backend and simulate."
                                             : hint));
        continue;
      }
      if (!labels_ok(b, *kind, diags)) continue;
      const std::string t = b.type;
      const Range& label_at = b.label_ranges.empty() ? type_range_of(b) : b.label_ranges.back();
      if (t == "variable") {
        if (auto v = detail::build_variable(b, diags)) {
          std::string name = v->name;
          insert_unique(c.variables, name, std::move(*v), label_at, "variable", diags);
        }
      } else if (t == "locals") {
        for (const auto& blk : b.body.blocks) {
          detail::unsupported_block(blk, "a locals block", {}, diags);
        }
        for (const auto& a : b.body.attributes) {
          Local l{a.name, a.value.get(), a.range};
          auto it = c.locals.find(a.name);
          if (it != c.locals.end() && local_owner[a.name] == &b.body) continue;  // reported
          if (it != c.locals.end()) {
            auto& d =
                diags.error(a.name_range.valid() ? a.name_range : a.range, "Duplicate local value",
                            fmt::format("A local value named \"{}\" was already defined. "
                                        "Local value names must be unique within a "
                                        "module.",
                                        a.name));
            d.notes.push_back({"first defined here", it->second.range});
            continue;
          }
          c.locals.emplace(a.name, std::move(l));
          local_owner[a.name] = &b.body;
        }
      } else if (t == "provider") {
        if (auto p = detail::build_provider(b, diags)) {
          std::string key = p->key();
          insert_unique(c.providers, key, std::move(*p), label_at, "provider configuration", diags);
        }
      } else if (t == "resource" || t == "data") {
        auto mode = t == "data" ? ResourceMode::Data : ResourceMode::Managed;
        if (auto r = detail::build_resource(b, mode, diags)) {
          std::string address = r->address();
          insert_unique(c.resources, address, std::move(*r), label_at,
                        t == "data" ? "data source" : "resource", diags);
        }
      } else if (t == "output") {
        if (auto o = detail::build_output(b, diags)) {
          std::string name = o->name;
          insert_unique(c.outputs, name, std::move(*o), label_at, "output", diags);
        }
      } else if (t == "module") {
        if (auto m = detail::build_module_call(b, dir, diags)) {
          std::string name = m->name;
          insert_unique(c.modules, name, std::move(*m), label_at, "module call", diags);
        }
      } else if (t == "backend") {
        if (!module_path.empty()) {
          diags.warning(type_range_of(b), "Backend configuration ignored",
                        "Only the root module's backend is used; this one, in a child module, "
                        "has no effect.");
          continue;
        }
        if (backend_first) {
          auto& d = diags.error(type_range_of(b), "Duplicate backend configuration",
                                "A configuration may have only one backend block.");
          d.notes.push_back({"first given here", *backend_first});
          continue;
        }
        c.backend = BackendBlock{b.labels[0], &b.body, b.range};
        backend_first = &b.range;
      } else if (t == "simulate") {
        if (!module_path.empty()) {
          diags.warning(type_range_of(b), "Simulation settings ignored",
                        "Only the root module's simulate block is used; this one, in a child "
                        "module, has no effect.");
          continue;
        }
        if (simulate_first) {
          auto& d = diags.error(type_range_of(b), "Duplicate simulate block",
                                "A configuration may have only one simulate block.");
          d.notes.push_back({"first given here", *simulate_first});
          continue;
        }
        c.simulate = SimulateBlock{&b.body, b.range};
        simulate_first = &b.range;
      }
    }
  }
  return c;
}

namespace {

constexpr int kMaxModuleNesting = 32;

// Reads and parses every *.orch file of `dir` (sorted by name). False when `dir` is unreadable.
bool parse_directory(const std::string& dir, SourceManager& sources, Diagnostics& diags,
                     std::vector<std::unique_ptr<File>>& files, std::string* error) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    *error = fmt::format("\"{}\" is not a directory", dir);
    return false;
  }
  std::vector<std::string> paths;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.extension() == ".orch" && it->is_regular_file(ec)) paths.push_back(p.string());
  }
  if (ec) {
    *error = fmt::format("cannot list \"{}\": {}", dir, ec.message());
    return false;
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& path : paths) {
    std::string read_error;
    const SourceFile* src = sources.load(path, &read_error);
    if (!src) {
      diags.error(Range{}, "Failed to read file", read_error);
      continue;
    }
    files.push_back(std::make_unique<File>(parse_file(*src, diags)));
  }
  return true;
}

void load_children(Config& config, const std::string& root_dir, SourceManager& sources,
                   Diagnostics& diags, std::vector<std::string>& stack) {
  for (auto& [name, call] : config.modules) {
    if (call.source_dir.empty()) continue;  // invalid source, already reported
    const std::string canonical =
        std::filesystem::weakly_canonical(call.source_dir).lexically_normal().string();
    if (std::find(stack.begin(), stack.end(), canonical) != stack.end()) {
      diags.error(call.source_range, "Module calls itself",
                  fmt::format("The module \"{}\" has the source \"{}\", which is one of the "
                              "modules calling it: modules cannot be recursive.",
                              name, call.source));
      continue;
    }
    if (static_cast<int>(stack.size()) >= kMaxModuleNesting) {
      diags.error(call.source_range, "Modules nested too deeply",
                  fmt::format("Modules may nest at most {} levels deep.", kMaxModuleNesting));
      continue;
    }
    std::vector<std::unique_ptr<File>> files;
    std::string error;
    if (!parse_directory(call.source_dir, sources, diags, files, &error)) {
      diags.error(call.source_range, "Module not found",
                  fmt::format("The source of module \"{}\" cannot be loaded: {}.", name, error));
      continue;
    }
    const std::string path = config.address_prefix() + "module." + name;
    auto child =
        std::make_unique<Config>(build_config(std::move(files), call.source_dir, path, diags));
    child->root_dir = root_dir;
    stack.push_back(canonical);
    load_children(*child, root_dir, sources, diags, stack);
    stack.pop_back();
    call.child = std::move(child);
  }
}

}  // namespace

std::unique_ptr<Config> load_config(const std::string& dir, SourceManager& sources,
                                    Diagnostics& diags) {
  std::vector<std::unique_ptr<File>> files;
  std::string error;
  if (!parse_directory(dir, sources, diags, files, &error)) {
    diags.error(Range{}, "Cannot read configuration", error + ".");
    return nullptr;
  }
  auto config = std::make_unique<Config>(build_config(std::move(files), dir, "", diags));
  if (config->files.empty()) {
    diags.error(Range{}, "No configuration files",
                fmt::format("The directory \"{}\" contains no .orch files.", dir));
  }
  std::vector<std::string> stack = {
      std::filesystem::weakly_canonical(dir).lexically_normal().string()};
  load_children(*config, dir, sources, diags, stack);
  return config;
}

}  // namespace orch
