// The Plan model: names of actions and reasons, address formatting and ordering, counts.
#include "planner/plan.h"

#include <algorithm>
#include <tuple>

namespace orch {

std::vector<std::string> action_names(PlanAction a) {
  switch (a) {
    case PlanAction::NoOp:
      return {"no-op"};
    case PlanAction::Create:
      return {"create"};
    case PlanAction::Read:
      return {"read"};
    case PlanAction::Update:
      return {"update"};
    case PlanAction::DeleteThenCreate:
      return {"delete", "create"};
    case PlanAction::CreateThenDelete:
      return {"create", "delete"};
    case PlanAction::Delete:
      return {"delete"};
  }
  return {"no-op"};
}

std::string action_word(PlanAction a) {
  switch (a) {
    case PlanAction::NoOp:
      return "no-op";
    case PlanAction::Create:
      return "create";
    case PlanAction::Read:
      return "read";
    case PlanAction::Update:
      return "update";
    case PlanAction::DeleteThenCreate:
    case PlanAction::CreateThenDelete:
      return "replace";
    case PlanAction::Delete:
      return "delete";
  }
  return "no-op";
}

bool is_replace(PlanAction a) {
  return a == PlanAction::DeleteThenCreate || a == PlanAction::CreateThenDelete;
}

std::string reason_name(ChangeReason r) {
  switch (r) {
    case ChangeReason::None:
      return "";
    case ChangeReason::ReplaceBecauseCannotUpdate:
      return "replace_because_cannot_update";
    case ChangeReason::ReplaceByRequest:
      return "replace_by_request";
    case ChangeReason::ReplaceBecauseTainted:
      return "replace_because_tainted";
    case ChangeReason::DeleteBecauseNoResourceConfig:
      return "delete_because_no_resource_config";
    case ChangeReason::DeleteBecauseCountIndex:
      return "delete_because_count_index";
    case ChangeReason::DeleteBecauseEachKey:
      return "delete_because_each_key";
    case ChangeReason::DeleteBecauseDestroyMode:
      return "delete_because_destroy_mode";
    case ChangeReason::ReadBecauseConfigUnknown:
      return "read_because_config_unknown";
    case ChangeReason::ReadBecauseDependencyPending:
      return "read_because_dependency_pending";
    case ChangeReason::UpdateBecauseTriggers:
      return "update_because_triggers";
  }
  return "";
}

std::string node_kind_name(NodeKind k) {
  switch (k) {
    case NodeKind::Instance:
      return "instance";
    case NodeKind::Aggregate:
      return "aggregate";
    case NodeKind::AnyOf:
      return "any_of";
    case NodeKind::Expand:
      return "expand";
  }
  return "instance";
}

std::string node_op_name(NodeOp op) {
  switch (op) {
    case NodeOp::None:
      return "";
    case NodeOp::Create:
      return "create";
    case NodeOp::Update:
      return "update";
    case NodeOp::Delete:
      return "delete";
    case NodeOp::Read:
      return "read";
    case NodeOp::NoOp:
      return "no-op";
  }
  return "";
}

int PlanGraph::find(const std::string& id) const {
  auto it = std::lower_bound(nodes.begin(), nodes.end(), id,
                             [](const PlanNode& n, const std::string& k) { return n.id < k; });
  if (it != nodes.end() && it->id == id) return static_cast<int>(it - nodes.begin());
  // Graphs built by hand may be unsorted: fall back to a scan.
  for (size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].id == id) return static_cast<int>(i);
  return -1;
}

PlanCounts Plan::counts() const {
  PlanCounts c;
  for (const auto& rc : changes) {
    if (!rc.adopt_id.empty()) ++c.adopt;
    switch (rc.action) {
      case PlanAction::Create:
        ++c.add;
        break;
      case PlanAction::Update:
        ++c.change;
        break;
      case PlanAction::Delete:
        ++c.destroy;
        break;
      case PlanAction::DeleteThenCreate:
      case PlanAction::CreateThenDelete:
        ++c.add;
        ++c.destroy;
        break;
      case PlanAction::Read:
        ++c.read;
        break;
      case PlanAction::NoOp:
        break;
    }
  }
  return c;
}

int Plan::gates_to_check() const {
  int n = 0;
  for (const auto& rc : changes) n += rc.gate_pending ? 1 : 0;
  return n;
}

bool Plan::has_changes() const {
  if (!deferred.empty() || gates_to_check() > 0) return true;
  for (const auto& rc : changes)
    if ((rc.action != PlanAction::NoOp && rc.action != PlanAction::Read) || !rc.adopt_id.empty())
      return true;
  for (const auto& oc : outputs)
    if (oc.action != PlanAction::NoOp) return true;
  return false;
}

const ResourceChange* Plan::find(const std::string& address) const {
  for (const auto& rc : changes)
    if (rc.address == address) return &rc;
  return nullptr;
}

const PlanRollout* Plan::rollout(const std::string& block) const {
  for (const auto& r : rollouts)
    if (r.block == block) return &r;
  return nullptr;
}

const PlanDeferred* Plan::deferred_block(const std::string& block) const {
  for (const auto& d : deferred)
    if (d.block == block) return &d;
  return nullptr;
}

std::vector<const PlanGate*> Plan::gates_of(const std::string& block) const {
  std::vector<const PlanGate*> out;
  for (const auto& g : gates)
    if (g.block == block) out.push_back(&g);
  return out;
}

void Plan::normalize() {
  for (auto& rc : changes) rc.address = rc.addr.str();
  auto by_addr = [](const ResourceChange& a, const ResourceChange& b) { return a.addr < b.addr; };
  // Planned in block and instance order, the changes are usually sorted already.
  if (!std::is_sorted(changes.begin(), changes.end(), by_addr))
    std::stable_sort(changes.begin(), changes.end(), by_addr);
  std::stable_sort(outputs.begin(), outputs.end(),
                   [](const OutputChange& a, const OutputChange& b) { return a.name < b.name; });
  std::stable_sort(variables.begin(), variables.end(),
                   [](const PlanVariable& a, const PlanVariable& b) { return a.name < b.name; });
  std::stable_sort(rollouts.begin(), rollouts.end(),
                   [](const PlanRollout& a, const PlanRollout& b) { return a.block < b.block; });
  std::stable_sort(gates.begin(), gates.end(), [](const PlanGate& a, const PlanGate& b) {
    return std::tie(a.block, a.kind) < std::tie(b.block, b.kind);
  });
  std::stable_sort(deferred.begin(), deferred.end(),
                   [](const PlanDeferred& a, const PlanDeferred& b) { return a.block < b.block; });
  std::stable_sort(limits.begin(), limits.end(),
                   [](const PlanLimit& a, const PlanLimit& b) { return a.provider < b.provider; });
}

std::vector<std::string> PlanLimit::exempt_in(const Plan& plan) const {
  std::vector<std::string> out;
  for (const auto& t : exempt_types)
    for (const auto& rc : plan.changes)
      if (rc.addr.type == t && rc.action != PlanAction::NoOp) {
        out.push_back(t);
        break;
      }
  return out;
}

std::string PlanLimit::exempt_note(const Plan& plan) const {
  auto types = exempt_in(plan);
  if (types.empty()) return "";
  std::string s = " (";
  for (size_t i = 0; i < types.size(); ++i) s += (i ? ", " : "") + types[i];
  return s + " steps not counted)";
}

}  // namespace orch
