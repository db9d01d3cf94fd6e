// Which force-new attributes a planned change alters.
#include "providers/force_new.h"

namespace orch {

std::vector<std::string> changed_force_new(const Schema& schema, const ValueMap& planned,
                                           const ValueMap* prior) {
  std::vector<std::string> out;
  if (!prior) return out;
  for (const auto& a : schema.attributes) {
    if (!a.force_new) continue;
    auto now = planned.find(a.name);
    auto was = prior->find(a.name);
    if (now == planned.end() || was == prior->end()) continue;
    if (!now->second.is_wholly_known() || !now->second.equals(was->second)) out.push_back(a.name);
  }
  return out;
}

}  // namespace orch
