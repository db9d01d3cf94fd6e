// Building Resource objects from resource and data blocks: meta-arguments (count, for_each,
// depends_on, provider, lifecycle) and the orchestration blocks (rollout, ready_when, triggers).
#include <fmt/format.h>

#include "compiler/load_blocks.h"
#include "compiler/schema.h"

namespace orch::detail {

namespace {

const Range& name_range_of(const Attribute& a) {
  return a.name_range.valid() ? a.name_range : a.range;
}
const Range& type_range_of(const Block& b) {
  return b.type_range.valid() ? b.type_range : b.range;
}

// `provider = sim` or `provider = sim.east` → "sim" / "sim.east".
std::optional<std::string> provider_ref(const Attribute& a, Diagnostics& diags) {
  const Expr* e = a.value.get();
  if (e && e->kind == ExprKind::Variable) return e->name;
  if (e && e->kind == ExprKind::GetAttr && !e->children.empty() && e->children[0] &&
      e->children[0]->kind == ExprKind::Variable) {
    return e->children[0]->name + "." + e->name;
  }
  diags.error(e ? e->range : a.range, "Invalid provider reference",
              "The provider argument takes a provider name, optionally with its alias, written "
              "without quotes: provider = sim or provider = sim.east.");
  return std::nullopt;
}

void build_lifecycle(const Block& b, Lifecycle& lc, Diagnostics& diags) {
  static const std::vector<std::string> allowed = {"create_before_destroy", "ignore_changes",
                                                   "prevent_destroy"};
  lc.range = b.range;
  for (const auto& a : b.body.attributes) {
    if (a.name == "create_before_destroy") {
      if (auto v = constant_bool(a, diags)) lc.create_before_destroy = *v;
    } else if (a.name == "prevent_destroy") {
      if (auto v = constant_bool(a, diags)) lc.prevent_destroy = *v;
    } else if (a.name == "ignore_changes") {
      const Expr* e = a.value.get();
      if (e && e->kind == ExprKind::Variable && e->name == "all") {
        lc.ignore_all_changes = true;
        continue;
      }
      if (!e || e->kind != ExprKind::Tuple) {
        diags.error(e ? e->range : a.range, "Invalid ignore_changes",
                    "ignore_changes takes a list of attribute names, such as [tags, size], or "
                    "the keyword all.");
        continue;
      }
      for (const auto& item : e->children) {
        if (!item) continue;
        if (item->kind == ExprKind::Variable) {
          lc.ignore_changes.push_back(item->name);
        } else if (item->kind == ExprKind::Literal && item->literal.kind() == ValueKind::String) {
          lc.ignore_changes.push_back(item->literal.as_string());
        } else {
          diags.error(item->range, "Invalid ignore_changes entry",
                      "Each entry of ignore_changes names a top-level attribute of the "
                      "resource, such as tags.");
        }
      }
    } else {
      unsupported_attribute(a, "a lifecycle block", allowed, diags);
    }
  }
  for (const auto& nested : b.body.blocks)
    unsupported_block(nested, "a lifecycle block", {}, diags);
}

void build_rollout(const Block& b, Rollout& r, Diagnostics& diags) {
  static const std::vector<std::string> allowed = {"batch", "canary", "max_failures", "pause"};
  r.range = b.range;
  for (const auto& a : b.body.attributes) {
    if (a.name == "canary")
      r.canary = a.value.get();
    else if (a.name == "batch")
      r.batch = a.value.get();
    else if (a.name == "max_failures")
      r.max_failures = a.value.get();
    else if (a.name == "pause")
      r.pause = a.value.get();
    else
      unsupported_attribute(a, "a rollout block", allowed, diags);
  }
  for (const auto& nested : b.body.blocks) unsupported_block(nested, "a rollout block", {}, diags);
}

void build_ready_when(const Block& b, ReadyWhen& g, Diagnostics& diags) {
  g.range = b.range;
  for (const auto& a : b.body.attributes) {
    if (a.name == "timeout") {
      g.timeout = a.value.get();
    } else if (a.name == "interval") {
      g.interval = a.value.get();
    } else if (a.name == "expect_status" || a.name == "simulate_after" || !g.kind.empty()) {
      // The first other attribute is the condition; the checker rejects extra conditions.
      g.args.emplace(a.name, &a);
    } else {
      g.kind = a.name;
      g.kind_range = name_range_of(a);
      g.value = a.value.get();
    }
  }
  for (const auto& nested : b.body.blocks)
    unsupported_block(nested, "a ready_when block", {}, diags);
  if (g.kind.empty()) {
    diags.error(type_range_of(b), "Missing readiness condition",
                "A ready_when block needs one condition, such as http = \"http://host/health\", "
                "tcp = \"host:port\" or command = \"...\", plus optional timeout and interval.");
  }
}

}  // namespace

std::optional<Resource> build_resource(const Block& b, ResourceMode mode, Diagnostics& diags) {
  const bool data = mode == ResourceMode::Data;
  Resource r;
  r.mode = mode;
  r.type = b.labels[0];
  r.name = b.labels[1];
  r.type_range = b.label_ranges.size() > 0 ? b.label_ranges[0] : b.range;
  r.name_range = b.label_ranges.size() > 1 ? b.label_ranges[1] : b.range;
  r.range = b.range;
  r.body = &b.body;
  r.provider_key = SchemaRegistry::provider_of(r.type);
  auto not_for_data = [&](const Range& at, std::string_view name) {
    diags.error(at, "Invalid meta-argument for a data source",
                fmt::format("\"{}\" is only meaningful on managed resources: data sources are "
                            "read, not created.",
                            name));
  };
  for (const auto& a : b.body.attributes) {
    if (a.name == "count") {
      r.count = a.value.get();
    } else if (a.name == "for_each") {
      r.for_each = a.value.get();
    } else if (a.name == "depends_on") {
      r.depends_on = parse_depends_on(a, diags);
    } else if (a.name == "provider") {
      r.provider_range = a.value ? a.value->range : a.range;
      if (auto p = provider_ref(a, diags)) r.provider_key = *p;
    } else if (a.name == "triggers" || a.name == "lock") {
      if (data) {
        not_for_data(name_range_of(a), a.name);
        continue;
      }
      (a.name == "triggers" ? r.triggers : r.lock) = a.value.get();
    } else if (a.name == "lifecycle" || a.name == "rollout" || a.name == "ready_when") {
      diags.error(name_range_of(a), "Unsupported argument",
                  fmt::format("\"{}\" is a block, not an argument: write {} {{ ... }} without "
                              "the equals sign.",
                              a.name, a.name));
    } else {
      r.attributes.push_back(&a);
    }
  }
  for (const auto& blk : b.body.blocks) {
    const bool meta = blk.type == "lifecycle" || blk.type == "rollout" || blk.type == "ready_when";
    if (!meta) {
      r.blocks.push_back(&blk);
      continue;
    }
    if (data) {
      not_for_data(type_range_of(blk), blk.type);
      continue;
    }
    if (!blk.labels.empty()) {
      diags.error(blk.label_ranges.empty() ? blk.range : blk.label_ranges[0], "Extraneous label",
                  fmt::format("A {} block takes no labels.", blk.type));
    }
    auto duplicate = [&](const Range& first) {
      auto& d = diags.error(type_range_of(blk), "Duplicate block",
                            fmt::format("Only one {} block is allowed per resource.", blk.type));
      d.notes.push_back({"first given here", first});
    };
    if (blk.type == "lifecycle") {
      if (r.lifecycle.range.valid()) {
        duplicate(r.lifecycle.range);
        continue;
      }
      build_lifecycle(blk, r.lifecycle, diags);
    } else if (blk.type == "rollout") {
      if (r.rollout) {
        duplicate(r.rollout->range);
        continue;
      }
      r.rollout.emplace();
      build_rollout(blk, *r.rollout, diags);
    } else {
      if (r.ready_when) {
        duplicate(r.ready_when->range);
        continue;
      }
      r.ready_when.emplace();
      build_ready_when(blk, *r.ready_when, diags);
    }
  }
  if (r.count && r.for_each) {
    diags.error(r.for_each->range, "Invalid combination of \"count\" and \"for_each\"",
                "The \"count\" and \"for_each\" meta-arguments are mutually exclusive: only one "
                "may be used.");
  }
  return r;
}

}  // namespace orch::detail
