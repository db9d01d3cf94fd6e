// Idempotent creation and adoption. Every create carries a token derived from the state's
// lineage, the address and a generation; an object that a provider finds marked for this stack
// (EC2: tags orch:stack and orch:address) at an address whose state entry holds no object — left
// by an interrupted apply, or by a lost state — is adopted: recorded in state, not created again.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "compiler/diagnostic.h"
#include "planner/clock.h"
#include "planner/plan.h"
#include "planner/state.h"
#include "providers/provider.h"

namespace orch {

// The idempotency token of a create of `addr`: "<lineage>/<address>#<generation>". The
// generation is the serial of the state the apply started from: every apply that may create
// ends with a higher serial, so a replace, or a create after a destroy, never reuses a token,
// while retries within the apply do. A create that an earlier, interrupted apply announced (a
// pending intent in state) reuses that intent's token when `resume` is set, so the provider finds
// what it created; a replacement of an object that was found must not (it would find the object
// being replaced).
std::string create_token(const State& state, const ResourceAddress& addr, uint64_t generation,
                         bool resume = true);

// Objects marked for this stack that no state entry claims, by address: one list_owned per
// (provider, type), run on `clock`. Errors become warnings (adoption is best effort; refresh
// errors are reported by refresh itself).
std::map<std::string, ObjectState> find_owned(
    const std::vector<std::pair<Provider*, std::string>>& types, Clock& clock, Diagnostics& diags);

// Marks a change as the adoption of the existing object `id` (kept when a replace follows).
void mark_adoption(ResourceChange& rc, const std::string& id);

// The action the execution graph runs for a change: an adoption that changes nothing still has
// a step (it records the object in state), so it runs as an update.
PlanAction graph_action(const ResourceChange& rc);

// True when the change only records an existing object in state.
bool is_pure_adoption(const ResourceChange& rc);

}  // namespace orch
