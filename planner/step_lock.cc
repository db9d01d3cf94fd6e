// The `lock` meta-argument for one instance (see step_lock.h).
#include "planner/step_lock.h"

#include "compiler/config.h"
#include "compiler/diagnostic.h"

namespace orch {

std::optional<StepLockSpec> evaluate_step_lock(const Expr& lock, const EvalScope& scope,
                                               std::string* error) {
  Diagnostics diags;
  Value v = evaluate(lock, scope, diags).unmarked();
  auto fail = [&](std::string m) -> std::optional<StepLockSpec> {
    if (error) *error = std::move(m);
    return std::nullopt;
  };
  if (diags.has_errors()) return fail(diags.list()[0].summary);
  StepLockSpec spec;
  if (v.kind() == ValueKind::String) {
    spec.name = "name:" + v.as_string();
    return spec;
  }
  std::vector<Reference> refs;
  for (const Reference& r : references(lock))  // count.index / each.key in an index are fine
    if (r.kind != RefKind::Count && r.kind != RefKind::Each) refs.push_back(r);
  if (v.is_mapping() && refs.size() == 1 && refs[0].kind == RefKind::Resource &&
      refs[0].attribute.empty() && !refs[0].splat) {
    spec.lock_type = refs[0].type;
    spec.lock_address = refs[0].address();
    // One instance of a counted lock (`etcd_lock.shard[count.index]`) is a lock of its own.
    if (refs[0].index) {
      Diagnostics index_diags;
      Value key = evaluate(*refs[0].index, scope, index_diags).unmarked();
      if (key.kind() == ValueKind::String)
        spec.lock_address += "[\"" + key.as_string() + "\"]";
      else if (key.kind() == ValueKind::Number)
        spec.lock_address += "[" + key.to_display() + "]";
      else
        return fail("the lock's index is not known before apply");
    }
    spec.lock = v.attributes();
    // The lock's identity: its id when known (the same lock in every orch), else its address.
    auto id = spec.lock.find("id");
    spec.name = spec.lock_type + ":" +
                (id != spec.lock.end() && id->second.unmarked().kind() == ValueKind::String
                     ? id->second.unmarked().as_string()
                     : spec.lock_address);
    return spec;
  }
  if (v.is_unknown()) return fail("the lock is not known before apply");
  return fail("`lock` takes a lock resource (lock = etcd_lock.maintenance) or a lock name");
}

}  // namespace orch
