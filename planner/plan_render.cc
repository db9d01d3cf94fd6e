// Renders a Plan as text. Layout follows Terraform's: the action symbol in a three-column gutter,
// attributes aligned per level, nested maps/lists/objects diffed element by element.
#include "planner/plan_render.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "compiler/quote.h"
#include "planner/graph.h"

namespace orch {
namespace {

const char* kReset = "\x1b[0m";
const char* kBold = "\x1b[1m";
const char* kGreen = "\x1b[32m";
const char* kYellow = "\x1b[33m";
const char* kRed = "\x1b[31m";
const char* kCyan = "\x1b[36m";

bool is_ident(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

// Gutter symbol of a change of one attribute or element.
enum class Sym { Same, Add, Change, Remove };

class Renderer {
 public:
  explicit Renderer(const PlanRenderOptions& o) : opt_(o) {}

  std::string out;

  std::string paint(const std::string& s, const char* color) const {
    if (!opt_.color) return s;
    return std::string(color) + s + kReset;
  }
  std::string bold(const std::string& s) const { return paint(s, kBold); }

  std::string sym_text(Sym s) const {
    switch (s) {
      case Sym::Same:
        return " ";
      case Sym::Add:
        return paint("+", kGreen);
      case Sym::Change:
        return paint("~", kYellow);
      case Sym::Remove:
        return paint("-", kRed);
    }
    return " ";
  }

  // A line whose symbol sits at column `col`; unchanged lines leave the symbol blank.
  void line(int col, Sym s, const std::string& text) {
    out += std::string(col, ' ');
    out += s == Sym::Same ? " " : sym_text(s);
    out += " " + text + "\n";
  }

  // Diff of two attribute maps (objects) at symbol column `col`. `show_all`: print unchanged
  // attributes too (creates/deletes print everything that is set).
  void attrs(int col, const Value& before, const Value& after, bool is_object,
             const std::vector<std::string>& forces, bool hide_unchanged,
             const std::set<std::string>& always_show) {
    static const ValueMap kEmpty;
    const ValueMap& b =
        before.is_mapping() && !before.is_sensitive() ? before.attributes() : kEmpty;
    const ValueMap& a = after.is_mapping() && !after.is_sensitive() ? after.attributes() : kEmpty;
    std::set<std::string> keys;
    for (const auto& [k, v] : b)
      if (!v.is_null()) keys.insert(k);
    for (const auto& [k, v] : a)
      if (!v.is_null()) keys.insert(k);
    struct Row {
      std::string label;
      Value b, a;
      bool has_b, has_a;
      bool forces;
    };
    std::vector<Row> rows;
    int hidden = 0;
    for (const auto& k : keys) {
      auto bi = b.find(k);
      auto ai = a.find(k);
      Row r{is_object && is_ident(k) ? k : quote_hcl_string(k),
            bi != b.end() ? bi->second : Value(),
            ai != a.end() ? ai->second : Value(),
            bi != b.end() && !bi->second.is_null(),
            ai != a.end() && !ai->second.is_null(),
            std::find(forces.begin(), forces.end(), k) != forces.end()};
      bool same = r.has_b && r.has_a && same_value(r.b, r.a);
      if (same && hide_unchanged && !always_show.count(k)) {
        ++hidden;
        continue;
      }
      rows.push_back(std::move(r));
    }
    size_t width = 0;
    for (const auto& r : rows) width = std::max(width, r.label.size());
    for (const auto& r : rows) {
      std::string label = r.label + std::string(width - r.label.size(), ' ');
      change(col, label + " = ", r.b, r.a, r.has_b, r.has_a, r.forces, hide_unchanged);
    }
    if (hidden > 0) {
      std::string what = is_object ? "attribute" : "element";
      line(col, Sym::Same,
           paint("# (" + std::to_string(hidden) + " unchanged " + what + (hidden == 1 ? "" : "s") +
                     " hidden)",
                 "\x1b[2m"));
    }
  }

  static bool same_value(const Value& x, const Value& y) {
    if (x.is_sensitive() != y.is_sensitive()) return false;
    if (!x.is_wholly_known() || !y.is_wholly_known()) return false;
    return x.equals(y);
  }

  static bool expandable(const Value& v) {
    return !v.is_sensitive() && !v.is_unknown() && !v.is_null() &&
           (v.is_mapping() || v.is_sequence()) && v.length() > 0;
  }

  // One attribute or element: `prefix` is "name = " (or "" for list elements).
  void change(int col, const std::string& prefix, const Value& b, const Value& a, bool has_b,
              bool has_a, bool forces, bool hide_unchanged) {
    std::string suffix = forces ? paint(" # forces replacement", kRed) : "";
    if (has_b && has_a && same_value(b, a)) {
      line(col, Sym::Same, prefix + render_value_inline(a) + suffix);
      return;
    }
    Sym s = !has_b ? Sym::Add : !has_a ? Sym::Remove : Sym::Change;
    // Nested diff when both sides are the same kind of known collection, or one side is absent.
    const Value& shape = has_a ? a : b;
    bool nested =
        expandable(shape) &&
        (!has_b || !has_a || (expandable(b) && expandable(a) && b.is_mapping() == a.is_mapping()));
    if (!nested) {
      std::string text;
      if (s == Sym::Add)
        text = render_value_inline(a);
      else if (s == Sym::Remove)
        text = render_value_inline(b) + " -> null";
      else if (b.is_sensitive() || a.is_sensitive())
        text = "(sensitive value)";
      else
        text = render_value_inline(b) + " -> " + render_value_inline(a);
      line(col, s, prefix + text + suffix);
      return;
    }
    bool is_seq = shape.is_sequence();
    line(col, s, prefix + (is_seq ? "[" : "{") + suffix);
    if (is_seq) {
      seq(col + 4, has_b ? b : Value(), has_a ? a : Value(), hide_unchanged && s == Sym::Change);
    } else {
      bool obj = shape.kind() == ValueKind::Object;
      attrs(col + 4, has_b ? b : Value(), has_a ? a : Value(), obj, {},
            hide_unchanged && s == Sym::Change, {});
    }
    out += std::string(col + 2, ' ') + (is_seq ? "]" : "}") + (s == Sym::Remove ? " -> null" : "") +
           "\n";
  }

  // Elements of lists/sets/tuples: a longest-common-subsequence diff so that an insertion shows
  // as one `+`, not as every later element changed.
  void seq(int col, const Value& b, const Value& a, bool hide_unchanged) {
    static const ValueList kEmpty;
    const ValueList& x = b.is_sequence() ? b.elements() : kEmpty;
    const ValueList& y = a.is_sequence() ? a.elements() : kEmpty;
    size_t n = x.size(), m = y.size();
    std::vector<std::vector<int>> lcs(n + 1, std::vector<int>(m + 1, 0));
    if (n * m <= 250000) {
      for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;)
          lcs[i][j] = same_value(x[i], y[j]) ? lcs[i + 1][j + 1] + 1
                                             : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
    size_t i = 0, j = 0;
    int hidden = 0;
    auto flush_hidden = [&] {
      if (hidden > 0)
        line(col, Sym::Same,
             "# (" + std::to_string(hidden) + " unchanged element" + (hidden == 1 ? "" : "s") +
                 " hidden)");
      hidden = 0;
    };
    while (i < n || j < m) {
      if (i < n && j < m && same_value(x[i], y[j])) {
        if (hide_unchanged)
          ++hidden;
        else
          line(col, Sym::Same, render_value_inline(y[j]) + ",");
        ++i, ++j;
      } else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) {
        flush_hidden();
        element(col, Value(), y[j], false, true);
        ++j;
      } else {
        flush_hidden();
        element(col, x[i], Value(), true, false);
        ++i;
      }
    }
    flush_hidden();
  }

  void element(int col, const Value& b, const Value& a, bool has_b, bool has_a) {
    Sym s = has_a ? Sym::Add : Sym::Remove;
    const Value& v = has_a ? a : b;
    if (expandable(v)) {
      change(col, "", b, a, has_b, has_a, false, false);
      return;
    }
    line(col, s, render_value_inline(v) + ",");
  }

 private:
  PlanRenderOptions opt_;
};

std::string header_text(const ResourceChange& rc) {
  const std::string& a = rc.address;
  if (!rc.adopt_id.empty()) {
    if (rc.action == PlanAction::NoOp) return a + " will be adopted (" + rc.adopt_id + ")";
    if (rc.action == PlanAction::Update)
      return a + " will be adopted (" + rc.adopt_id + ") and updated in-place";
  }
  switch (rc.action) {
    case PlanAction::Create:
      return a + " will be created";
    case PlanAction::Read:
      return a + " will be read during apply";
    case PlanAction::Update:
      return a + " will be updated in-place";
    case PlanAction::DeleteThenCreate:
    case PlanAction::CreateThenDelete:
      if (rc.reason == ChangeReason::ReplaceByRequest) return a + " will be replaced, as requested";
      if (rc.reason == ChangeReason::ReplaceBecauseTainted)
        return a + " is tainted, so must be replaced";
      return a + " must be replaced";
    case PlanAction::Delete:
      return a + " will be destroyed";
    case PlanAction::NoOp:
      if (rc.gate_pending) return a + " is unchanged, but its readiness gate is checked again";
      return a + " is unchanged";
  }
  return a;
}

std::string reason_note(const ResourceChange& rc) {
  switch (rc.reason) {
    case ChangeReason::DeleteBecauseNoResourceConfig:
      return "(because " + rc.block() + " is not in configuration)";
    case ChangeReason::DeleteBecauseCountIndex:
      return "(because index " + rc.addr.key.str() + " is out of range for count)";
    case ChangeReason::DeleteBecauseEachKey:
      return "(because key " + rc.addr.key.str() + " is not in for_each map)";
    case ChangeReason::ReadBecauseConfigUnknown:
      return "(config refers to values not yet known)";
    case ChangeReason::ReadBecauseDependencyPending:
      return "(because it depends on resources with changes in this plan)";
    case ChangeReason::UpdateBecauseTriggers:
      return "(because a trigger value changed)";
    default:
      return "";
  }
}

// `summary`: the block's line in "Readiness gates:", which names per-instance conditions as such.
std::string gate_text(const PlanGate& g, bool summary = false) {
  std::string s = g.kind + " = " + render_value_inline(g.condition);
  if (summary && g.per_instance)
    s = g.kind + " per instance, the first: " + render_value_inline(g.condition);
  std::vector<std::string> opts;
  if (g.timeout.count() > 0) opts.push_back("timeout " + format_duration(g.timeout));
  if (g.interval.count() > 0) opts.push_back("every " + format_duration(g.interval));
  if (g.simulate_after) opts.push_back("simulated after " + format_duration(*g.simulate_after));
  if (!opts.empty()) {
    s += " (";
    for (size_t i = 0; i < opts.size(); ++i) s += (i ? ", " : "") + opts[i];
    s += ")";
  }
  return s;
}

std::string rollout_text(const PlanRollout& r, bool deferred) {
  std::string s;
  if (r.canary > 0) s += "canary " + std::to_string(r.canary) + ", then ";
  if (r.batch.empty())
    s += "all at once";
  else if (deferred)
    s += "batches of " + r.batch;
  else {
    s += "batches of " + std::to_string(r.batch_size);
    if (r.batch.find('%') != std::string::npos) s += " (" + r.batch + ")";
  }
  s += "; max_failures " + std::to_string(r.max_failures);
  if (r.pause.count() > 0) s += "; pause " + format_duration(r.pause);
  if (deferred) return s + "; waves known after apply";
  s += "; " + std::to_string(r.waves.size()) + " wave" + (r.waves.size() == 1 ? "" : "s");
  if (!r.waves.empty()) {
    s += " (";
    for (size_t i = 0; i < r.waves.size(); ++i)
      s += (i ? ", " : "") + std::to_string(r.waves[i].size());
    s += ")";
  }
  return s;
}

// What holds a step back besides its dependencies: its provider's limits and -parallelism.
std::string limits_text(const Plan& plan, const std::string& provider_key) {
  std::string provider = provider_key.substr(0, provider_key.find('.'));
  std::vector<std::string> parts;
  for (const auto& l : plan.limits) {
    if (l.provider != provider) continue;
    if (l.max_concurrency > 0)
      parts.push_back("at most " + std::to_string(l.max_concurrency) + " at once (provider " +
                      l.provider + ")");
    if (l.requests_per_second > 0)
      parts.push_back(format_number(Number::of(l.requests_per_second)) +
                      " requests per second (provider " + l.provider + ")");
  }
  if (plan.parallelism > 0) parts.push_back("-parallelism=" + std::to_string(plan.parallelism));
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : "") + parts[i];
  return s;
}

std::string limits_section(const Plan& plan) {
  std::string s;
  if (plan.parallelism > 0)
    s += "  -parallelism=" + std::to_string(plan.parallelism) + ": at most " +
         std::to_string(plan.parallelism) + " operations in flight at once\n";
  for (const auto& l : plan.limits) {
    std::vector<std::string> parts;
    if (l.max_concurrency > 0)
      parts.push_back("at most " + std::to_string(l.max_concurrency) + " operations at once" +
                      l.exempt_note(plan));
    if (l.requests_per_second > 0)
      parts.push_back(format_number(Number::of(l.requests_per_second)) + " requests per second");
    if (parts.empty()) continue;
    s += "  provider " + l.provider + ": ";
    for (size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : "") + parts[i];
    s += "\n";
  }
  return s;
}

}  // namespace

std::string render_value_inline(const Value& v) {
  if (v.is_sensitive()) return "(sensitive value)";
  switch (v.kind()) {
    case ValueKind::Unknown:
      return "(known after apply)";
    case ValueKind::Null:
      return "null";
    case ValueKind::Bool:
      return v.as_bool() ? "true" : "false";
    case ValueKind::Number:
      return format_number(v.as_number());
    case ValueKind::String:
      return quote_hcl_string(v.as_string());
    case ValueKind::List:
    case ValueKind::Set:
    case ValueKind::Tuple: {
      std::string s = "[";
      bool first = true;
      for (const auto& e : v.elements()) {
        s += (first ? "" : ", ") + render_value_inline(e);
        first = false;
      }
      return s + "]";
    }
    case ValueKind::Map:
    case ValueKind::Object: {
      if (v.length() == 0) return "{}";
      std::string s = "{ ";
      bool first = true;
      bool obj = v.kind() == ValueKind::Object;
      for (const auto& [k, e] : v.attributes()) {
        s += (first ? "" : ", ") + (obj && is_ident(k) ? k : quote_hcl_string(k)) + " = " +
             render_value_inline(e);
        first = false;
      }
      return s + " }";
    }
  }
  return "null";
}

std::string render_plan_summary(const Plan& plan) {
  auto c = plan.counts();
  if (plan.destroy_mode && c.add == 0 && c.change == 0)
    return "Plan: 0 to add, 0 to change, " + std::to_string(c.destroy) + " to destroy.";
  std::string adopt = c.adopt > 0 ? ", " + std::to_string(c.adopt) + " to adopt" : "";
  return "Plan: " + std::to_string(c.add) + " to add, " + std::to_string(c.change) +
         " to change, " + std::to_string(c.destroy) + " to destroy" + adopt + ".";
}

std::string render_plan_text(const Plan& plan, const PlanRenderOptions& options) {
  Renderer r(options);
  std::string& out = r.out;

  // Drift found by refresh comes first, as in Terraform.
  bool any_drift = false;
  for (const auto& rc : plan.changes)
    if (!rc.drift.empty()) any_drift = true;
  if (any_drift) {
    out += r.bold("Note: Objects have changed outside of orch") + "\n\n";
    out += "orch detected the following changes made outside of orch since the last apply:\n\n";
    for (const auto& rc : plan.changes)
      if (!rc.drift.empty()) out += "  # " + rc.address + " " + rc.drift + "\n";
    out += "\n";
  }

  std::vector<const ResourceChange*> shown;
  for (const auto& rc : plan.changes)
    if (rc.action != PlanAction::NoOp || rc.gate_pending || !rc.adopt_id.empty())
      shown.push_back(&rc);
  const bool any_deferred = !plan.deferred.empty();
  bool outputs_change = false;
  for (const auto& oc : plan.outputs)
    if (oc.action != PlanAction::NoOp) outputs_change = true;

  if (shown.empty() && !outputs_change && !any_deferred) {
    out += r.bold("No changes.") + " " + r.bold("Your infrastructure matches the configuration.") +
           "\n\n";
    out +=
        "orch has compared your real infrastructure against your configuration and found no\n"
        "differences, so no changes are needed.\n";
    return out;
  }

  if (!shown.empty() || any_deferred) {
    std::set<PlanAction> used;
    bool adopts = false;
    for (auto* rc : shown) {
      used.insert(rc->action);
      // A no-op is shown when adopted, or when its readiness gate is checked again.
      adopts |= rc->action == PlanAction::NoOp && !rc->adopt_id.empty();
    }
    if (any_deferred) used.insert(PlanAction::Create);
    out +=
        "orch used the selected providers to generate the following execution plan. Resource\n"
        "actions are indicated with the following symbols:\n";
    if (used.count(PlanAction::Create)) out += "  " + r.paint("+", kGreen) + " create\n";
    if (used.count(PlanAction::Update)) out += "  " + r.paint("~", kYellow) + " update in-place\n";
    if (used.count(PlanAction::Delete)) out += "  " + r.paint("-", kRed) + " destroy\n";
    if (used.count(PlanAction::DeleteThenCreate))
      out += r.paint("-/+", kRed) + " destroy and then create replacement\n";
    if (used.count(PlanAction::CreateThenDelete))
      out += r.paint("+/-", kGreen) + " create replacement and then destroy\n";
    if (used.count(PlanAction::Read))
      out += " " + r.paint("<=", kCyan) + " read (data resources)\n";
    if (adopts)
      out += " " + r.paint("<-", kCyan) +
             " adopt (exists, marked for this stack: recorded in state, not created)\n";
    out += "\norch will perform the following actions:\n";

    // Where each instance sits in its block's rollout (one pass, not a search per instance).
    std::map<std::string, std::pair<const PlanRollout*, int>> wave_of;
    for (const auto& ro : plan.rollouts)
      for (size_t w = 0; w < ro.waves.size(); ++w)
        for (const auto& a : ro.waves[w]) wave_of[a] = {&ro, static_cast<int>(w)};
    // Deferred blocks go among the changes, in address order (a block before its instances).
    std::vector<std::pair<ResourceAddress, const PlanDeferred*>> deferred;
    for (const auto& d : plan.deferred)
      if (auto a = parse_address(d.block); a.ok()) deferred.push_back({*a.address, &d});
    size_t next_deferred = 0;
    auto show_deferred = [&](const PlanDeferred& d) {
      out += "\n";
      out += "  " +
             r.bold("# " + aggregate_node_id(d.block) +
                    " will be created: its instances are known after apply") +
             "\n";
      std::string why = "#   (" + d.meta + " depends on " +
                        (d.waiting_for.empty() ? std::string("values") : d.waiting_for) +
                        ", known after apply";
      if (d.max_instances)
        why += "; at most " + std::to_string(*d.max_instances) + " instance" +
               (*d.max_instances == 1 ? "" : "s");
      out += "  " + why + ")\n";
      if (!d.existing.empty())
        out += "  #   " + std::to_string(d.existing.size()) + " existing instance" +
               (d.existing.size() == 1 ? " is" : "s are") +
               " kept, updated or destroyed once it is known\n";
      if (const PlanRollout* ro = plan.rollout(d.block))
        out += "  # rollout: " + rollout_text(*ro, true) + "\n";
      std::string holds = limits_text(plan, d.provider);
      if (!holds.empty()) out += "  # limits: " + holds + "\n";
      for (const PlanGate* g : plan.gates_of(d.block))
        out += "  # ready when " + gate_text(*g) + "\n";
      auto a = parse_address(d.block);
      std::string kw = a.ok() && a.address->mode == ResourceMode::Data ? "data" : "resource";
      out += "  " + r.paint("+", kGreen) + " " + kw + " " +
             quote_hcl_string(a.ok() ? a.address->type : "") + " " +
             quote_hcl_string(a.ok() ? a.address->name : "") + " {\n";
      r.attrs(6, Value(), d.after, true, {}, false, {});
      out += "    }\n";
    };

    for (auto* rc : shown) {
      while (next_deferred < deferred.size() && deferred[next_deferred].first < rc->addr)
        show_deferred(*deferred[next_deferred++].second);
      out += "\n";
      out += "  " + r.bold("# " + header_text(*rc)) + "\n";
      std::string note = reason_note(*rc);
      if (!note.empty()) out += "  # " + note + "\n";
      if (!rc->adopt_id.empty() && rc->action != PlanAction::NoOp &&
          rc->action != PlanAction::Update)
        out += "  # (adopts " + rc->adopt_id + ", marked for this stack, to replace it)\n";
      for (const auto& n : rc->notes) out += "  # note: " + n + "\n";
      if (is_replace(rc->action) && !rc->replace_paths.empty() &&
          rc->reason == ChangeReason::ReplaceBecauseCannotUpdate) {
        std::string paths;
        for (size_t i = 0; i < rc->replace_paths.size(); ++i)
          paths += (i ? ", " : "") + rc->replace_paths[i];
        out += "  # (forced by " + paths + ")\n";
      }
      std::string block = rc->block();
      if (auto w = wave_of.find(rc->address);
          w != wave_of.end() && rc->action != PlanAction::Delete) {
        const PlanRollout& ro = *w->second.first;
        int wave = w->second.second;
        std::string which = (wave == 0 && ro.canary > 0) ? "canary" : "batch";
        std::string line = "  # rollout: wave " + std::to_string(wave + 1) + " of " +
                           std::to_string(ro.waves.size()) + " (" + which + ")";
        if (wave > 0) line += ", after wave " + std::to_string(wave) + " is done";
        if (wave > 0 && !plan.gates_of(block).empty()) line += " and its gates hold";
        if (wave > 0 && ro.pause.count() > 0)
          line += " and a pause of " + format_duration(ro.pause);
        out += line + "\n";
      }
      if (rc->action != PlanAction::NoOp) {
        std::string holds = limits_text(plan, rc->provider);
        if (!holds.empty()) out += "  # limits: " + holds + "\n";
      }
      if (rc->action != PlanAction::Delete)
        for (const PlanGate* g : plan.gates_of(block)) {
          PlanGate own = *g;
          if (rc->gate_condition) own.condition = *rc->gate_condition;
          out += "  # ready when " + gate_text(own) + "\n";
        }

      std::string gutter, kw = rc->addr.mode == ResourceMode::Data ? "data" : "resource";
      switch (rc->action) {
        case PlanAction::Create:
          gutter = "  " + r.paint("+", kGreen);
          break;
        case PlanAction::Update:
          gutter = "  " + r.paint("~", kYellow);
          break;
        case PlanAction::Delete:
          gutter = "  " + r.paint("-", kRed);
          break;
        case PlanAction::DeleteThenCreate:
          gutter = r.paint("-/+", kRed);
          break;
        case PlanAction::CreateThenDelete:
          gutter = r.paint("+/-", kGreen);
          break;
        case PlanAction::Read:
          gutter = " " + r.paint("<=", kCyan);
          break;
        case PlanAction::NoOp:
          // An adoption; otherwise an unchanged object whose gate is checked again.
          gutter = rc->adopt_id.empty() ? "   " : " " + r.paint("<-", kCyan);
          break;
      }
      out += gutter + " " + kw + " " + quote_hcl_string(rc->addr.type) + " " +
             quote_hcl_string(rc->addr.name) + " {\n";
      const bool adoption = rc->action == PlanAction::NoOp && !rc->adopt_id.empty();
      // A gate checked again on an unchanged object: only what identifies it.
      bool hide = rc->action == PlanAction::Update || is_replace(rc->action) ||
                  (rc->action == PlanAction::NoOp && !adoption);
      // An adoption (NoOp) lists the object as it is, without change symbols.
      Value before = rc->action == PlanAction::Create || rc->action == PlanAction::Read ? Value()
                     : rc->action == PlanAction::NoOp                                   ? rc->after
                                                      : rc->before;
      Value after = rc->action == PlanAction::Delete ? Value() : rc->after;
      r.attrs(6, before, after, true, rc->replace_paths, hide, {"id", "name"});
      out += "    }\n";
    }
    while (next_deferred < deferred.size()) show_deferred(*deferred[next_deferred++].second);
  }

  if (outputs_change) {
    out += "\nChanges to Outputs:\n";
    size_t width = 0;
    for (const auto& oc : plan.outputs)
      if (oc.action != PlanAction::NoOp) width = std::max(width, oc.name.size());
    for (const auto& oc : plan.outputs) {
      if (oc.action == PlanAction::NoOp) continue;
      std::string label = oc.name + std::string(width - oc.name.size(), ' ') + " = ";
      Value b = oc.sensitive ? oc.before.mark_sensitive() : oc.before;
      Value a = oc.sensitive ? oc.after.mark_sensitive() : oc.after;
      bool has_b = oc.action != PlanAction::Create && !b.is_null();
      bool has_a = oc.action != PlanAction::Delete && !a.is_null();
      if (!has_b && !has_a) continue;
      r.change(2, label, b, a, has_b, has_a, false, false);
    }
  }

  bool orchestration = false;
  for (const auto& ro : plan.rollouts)
    if (!ro.waves.empty() || plan.deferred_block(ro.block)) orchestration = true;
  if (orchestration) {
    out += "\nRollouts:\n";
    for (const auto& ro : plan.rollouts) {
      bool deferred = plan.deferred_block(ro.block) != nullptr;
      if (!ro.waves.empty() || deferred)
        out += "  " + ro.block + ": " + rollout_text(ro, deferred) + "\n";
    }
  }
  if (!plan.gates.empty()) {
    out += "\nReadiness gates:\n";
    for (const auto& g : plan.gates)
      out += "  " + g.block + ": ready when " + gate_text(g, true) + "\n";
  }
  if (std::string limits = limits_section(plan); !limits.empty() && !shown.empty())
    out += "\nLimits:\n" + limits;

  if (!shown.empty() || !plan.deferred.empty()) {
    out += "\n" + r.bold(render_plan_summary(plan)) + "\n";
    if (int gates = plan.gates_to_check(); gates > 0)
      out += "Readiness gates to check again: " + std::to_string(gates) +
             " (an earlier apply stopped before they held).\n";
    if (!plan.deferred.empty()) {
      int64_t bound = 0;
      bool bounded = true;
      for (const auto& d : plan.deferred) {
        if (d.max_instances)
          bound += *d.max_instances;
        else
          bounded = false;
      }
      std::string blocks =
          std::to_string(plan.deferred.size()) + " block" + (plan.deferred.size() == 1 ? "" : "s");
      out += "Known after apply: the instances of " + blocks +
             (bounded ? " (at most " + std::to_string(bound) + " to add)" : "") + ".\n";
    }
  }
  return out;
}

}  // namespace orch
