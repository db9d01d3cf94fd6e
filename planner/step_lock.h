// The `lock` meta-argument evaluated for one resource instance: the name the executor serialises
// steps on, and (for `lock = etcd_lock.NAME`) the lock resource whose provider also holds the lock
// across orch processes while the step runs.
#pragma once

#include <optional>
#include <string>

#include "compiler/ast.h"
#include "compiler/eval.h"
#include "compiler/value.h"

namespace orch {

struct StepLockSpec {
  std::string name;          // the executor's lock name: "etcd_lock:/orch/locks/m", "name:db"
  std::string lock_type;     // "etcd_lock"; empty for a plain name (local only)
  std::string lock_address;  // "etcd_lock.maintenance", "etcd_lock.shard[2]", "etcd_lock.n[\"a\"]"
  ValueMap lock;             // the lock resource's attributes as evaluated
};

// `lock = etcd_lock.maintenance` (a lock resource) or `lock = "name"` (a name). nullopt and
// `error` when the value is neither (a number, a list, unknown).
std::optional<StepLockSpec> evaluate_step_lock(const Expr& lock, const EvalScope& scope,
                                               std::string* error);

}  // namespace orch
