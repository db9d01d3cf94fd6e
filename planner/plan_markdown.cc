// Plan → GitHub-flavoured markdown. Deterministic: sections in a fixed order, addresses sorted.
#include "planner/plan_markdown.h"

#include "planner/plan_render.h"

namespace orch {
namespace {

struct Section {
  const char* title;
  std::vector<PlanAction> actions;
};

std::string code(const std::string& s) {
  // Backticks inside an address (only possible in for_each keys) need a longer fence.
  if (s.find('`') != std::string::npos) return "`` " + s + " ``";
  return "`" + s + "`";
}

}  // namespace

std::string render_plan_markdown(const Plan& plan) {
  std::string out;
  auto c = plan.counts();
  if (!plan.has_changes()) {
    out += "### orch plan: no changes\n\nYour infrastructure matches the configuration.\n";
    return out;
  }
  out += "### orch plan: " + std::to_string(c.add) + " to add, " + std::to_string(c.change) +
         " to change, " + std::to_string(c.destroy) + " to destroy" +
         (c.adopt > 0 ? ", " + std::to_string(c.adopt) + " to adopt" : std::string());
  if (!plan.deferred.empty())
    out += ", " + std::to_string(plan.deferred.size()) + " block" +
           (plan.deferred.size() == 1 ? "" : "s") + " known after apply";
  out += "\n\n";

  const Section sections[] = {
      {"Create", {PlanAction::Create}},
      {"Update in place", {PlanAction::Update}},
      {"Replace", {PlanAction::DeleteThenCreate, PlanAction::CreateThenDelete}},
      {"Destroy", {PlanAction::Delete}},
      {"Read", {PlanAction::Read}},
      {"Adopt", {PlanAction::NoOp}},  // only adoptions: plain no-ops are left out below
  };
  out += "| Action | Resources |\n|---|---:|\n";
  std::vector<std::pair<const Section*, std::vector<const ResourceChange*>>> groups;
  for (const auto& s : sections) {
    std::vector<const ResourceChange*> list;
    for (const auto& rc : plan.changes)
      for (auto a : s.actions)
        if (rc.action == a && (a != PlanAction::NoOp || !rc.adopt_id.empty())) list.push_back(&rc);
    if (list.empty()) continue;
    out += std::string("| ") + s.title + " | " + std::to_string(list.size()) + " |\n";
    groups.emplace_back(&s, std::move(list));
  }
  if (!plan.deferred.empty())
    out += "| Known after apply | " + std::to_string(plan.deferred.size()) + " block" +
           (plan.deferred.size() == 1 ? "" : "s") + " |\n";
  for (const auto& [s, list] : groups) {
    out += "\n<details><summary>" + std::string(s->title) + " (" + std::to_string(list.size()) +
           ")</summary>\n\n";
    for (const ResourceChange* rc : list) {
      out += "- " + code(rc->address);
      if (rc->action == PlanAction::CreateThenDelete) out += " (create before destroy)";
      if (!rc->replace_paths.empty()) {
        out += " — forced by ";
        for (size_t i = 0; i < rc->replace_paths.size(); ++i)
          out += (i ? ", " : "") + code(rc->replace_paths[i]);
      }
      if (rc->reason == ChangeReason::ReplaceByRequest) out += " — as requested";
      if (rc->reason == ChangeReason::DeleteBecauseNoResourceConfig)
        out += " — not in configuration";
      if (!rc->drift.empty()) out += " — " + rc->drift;
      if (!rc->adopt_id.empty()) out += " — adopts " + code(rc->adopt_id);
      for (const auto& n : rc->notes) out += " — " + n;
      out += "\n";
    }
    out += "\n</details>\n";
  }

  if (!plan.deferred.empty()) {
    out += "\n<details><summary>Known after apply (" + std::to_string(plan.deferred.size()) +
           ")</summary>\n\n";
    for (const auto& d : plan.deferred) {
      out +=
          "- " + code(d.block + "[*]") + ": " + d.meta + " depends on " +
          (d.waiting_for.empty() ? std::string("values known after apply") : code(d.waiting_for));
      if (d.max_instances) out += "; at most " + std::to_string(*d.max_instances);
      if (!d.existing.empty()) out += "; " + std::to_string(d.existing.size()) + " existing";
      out += "\n";
    }
    out += "\n</details>\n";
  }

  bool outputs = false;
  for (const auto& oc : plan.outputs)
    if (oc.action != PlanAction::NoOp) outputs = true;
  if (outputs) {
    out += "\n<details><summary>Outputs</summary>\n\n";
    for (const auto& oc : plan.outputs) {
      if (oc.action == PlanAction::NoOp) continue;
      Value a = oc.sensitive ? oc.after.mark_sensitive() : oc.after;
      out += "- " + code(oc.name) + " (" + action_word(oc.action) + ")";
      if (oc.action != PlanAction::Delete) out += ": " + code(render_value_inline(a));
      out += "\n";
    }
    out += "\n</details>\n";
  }

  std::string orchestration;
  for (const auto& r : plan.rollouts) {
    bool deferred = plan.deferred_block(r.block) != nullptr;
    if (r.waves.empty() && !deferred) continue;
    orchestration += "- rollout " + code(r.block) + ": ";
    if (r.canary > 0) orchestration += "canary " + std::to_string(r.canary) + ", then ";
    orchestration += r.batch.empty() ? std::string("the rest at once")
                     : deferred      ? "batches of " + r.batch
                                     : "batches of " + std::to_string(r.batch_size);
    orchestration += deferred ? " (waves known after apply, max_failures " +
                                    std::to_string(r.max_failures) + ")\n"
                              : " (" + std::to_string(r.waves.size()) + " waves, max_failures " +
                                    std::to_string(r.max_failures) + ")\n";
  }
  for (const auto& g : plan.gates)
    orchestration += "- gate on " + code(g.block) + ": " + g.kind +
                     (g.per_instance ? " per instance, the first " : " ") +
                     code(render_value_inline(g.condition)) + "\n";
  if (plan.parallelism > 0)
    orchestration +=
        "- at most " + std::to_string(plan.parallelism) + " operations at once (-parallelism)\n";
  for (const auto& l : plan.limits) {
    if (l.max_concurrency > 0)
      orchestration += "- provider " + code(l.provider) + ": at most " +
                       std::to_string(l.max_concurrency) + " operations at once" +
                       l.exempt_note(plan) + "\n";
    if (l.requests_per_second > 0)
      orchestration += "- provider " + code(l.provider) + ": " +
                       format_number(Number::of(l.requests_per_second)) + " requests per second\n";
  }
  if (!orchestration.empty())
    out += "\n<details><summary>Orchestration</summary>\n\n" + orchestration + "\n</details>\n";
  return out;
}

}  // namespace orch
