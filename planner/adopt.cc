// Idempotency tokens and adoption (see adopt.h).
#include "planner/adopt.h"

namespace orch {

std::string create_token(const State& state, const ResourceAddress& addr, uint64_t generation,
                         bool resume) {
  if (const ResourceState* r = state.find(addr); resume && r && !r->create_intents.empty())
    return r->create_intents.back().token;
  return state.lineage + "/" + addr.str() + "#" + std::to_string(generation);
}

std::map<std::string, ObjectState> find_owned(
    const std::vector<std::pair<Provider*, std::string>>& types, Clock& clock, Diagnostics& diags) {
  std::map<std::string, ObjectState> out;
  for (const auto& [provider, type] : types) {
    if (!provider) continue;
    provider->list_owned(type, [&, type = type](OwnedResult r) {
      if (r.error) {
        diags.warning({}, "Cannot look for " + type + " objects to adopt: " + r.error->summary,
                      r.error->detail);
        return;
      }
      for (auto& [address, object] : r.objects) out.emplace(address, std::move(object));
    });
  }
  clock.run();
  return out;
}

void mark_adoption(ResourceChange& rc, const std::string& id) {
  rc.adopt_id = id;
  if (rc.prior_id.empty()) rc.prior_id = id;
}

bool is_pure_adoption(const ResourceChange& rc) {
  return !rc.adopt_id.empty() && rc.action == PlanAction::NoOp;
}

PlanAction graph_action(const ResourceChange& rc) {
  return is_pure_adoption(rc) ? PlanAction::Update : rc.action;
}

}  // namespace orch
