// Diff of one resource instance: desired configuration (as planned by its provider) against the
// state and the refreshed live object → one ResourceChange (create, update in place, replace,
// delete, read, no-op), honouring lifecycle rules and -replace.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/diagnostic.h"
#include "compiler/schema.h"
#include "planner/plan.h"
#include "planner/state.h"
#include "providers/provider.h"

namespace orch {

struct LifecycleRules {
  bool create_before_destroy = false;
  bool prevent_destroy = false;
  bool ignore_all_changes = false;          // ignore_changes = all
  std::vector<std::string> ignore_changes;  // top-level attribute names
  Range prevent_destroy_range;              // for the diagnostic
};

struct InstanceDiffInput {
  ResourceAddress addr;
  std::string provider;  // provider configuration name: "sim"
  const Schema* schema = nullptr;
  // State entry (nullptr: never applied). Its status decides tainted / half-created objects.
  const ResourceState* prior = nullptr;
  // The object as it exists now: the refreshed live object, or (with -refresh=false) the state's.
  // nullopt: it does not exist.
  std::optional<ObjectState> current;
  bool refreshed = false;  // `current` came from the provider (drift can be reported)
  // Desired: nullopt when the instance is not in the configuration (orphan) or in destroy mode.
  std::optional<ValueMap> config;
  // The provider's answer to plan(config): defaults and computed values filled in (unknown where
  // they are known only after apply) and force-new attribute names. Empty: use config.
  std::optional<PlanResponse> planned;
  LifecycleRules lifecycle;
  bool replace_requested = false;  // -replace=ADDR
  bool destroy_mode = false;
  // Data sources: a dependency has changes in this plan, so the read waits for them (apply).
  bool defer_read = false;
  ChangeReason orphan_reason = ChangeReason::DeleteBecauseNoResourceConfig;
  Range range;  // the block, for diagnostics
};

// Computes the change. Errors (prevent_destroy) go to `diags`; the change is still returned.
ResourceChange diff_instance(const InstanceDiffInput& in, Diagnostics& diags);

// The values of `attrs` marked sensitive where the schema says so.
ValueMap mark_schema_sensitive(const Schema* schema, ValueMap attrs);

}  // namespace orch
