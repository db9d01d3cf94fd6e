// Test stand-ins for providers that are not compiled into this tree: schemas shaped like the
// ec2, chef and etcd providers' (attribute names from their issues), and a "trap" provider with
// such a schema whose every operation fails and is counted, to prove that -simulate never uses
// a real provider.
#pragma once

#include <memory>
#include <string>

#include "compiler/schema.h"
#include "providers/provider.h"

namespace orch::testing {

ProviderSchema ec2_like_schema();   // ec2_instance (+ computed id, private_ip, private_dns, ...)
ProviderSchema chef_like_schema();  // chef_node, chef_converge, data chef_search
ProviderSchema etcd_like_schema();  // etcd_key, etcd_election (leader: a first_ready hint)

// Calls that reached a trap provider (shared by every trap made from one counter).
struct TrapCalls {
  int configure = 0, read = 0, plan = 0, apply = 0, gate = 0;
  int total() const { return configure + read + plan + apply + gate; }
};

// A provider with `schema` that fails (and counts) everything except schema() and limits().
std::unique_ptr<Provider> make_trap_provider(ProviderSchema schema,
                                             std::shared_ptr<TrapCalls> calls);

// A SchemaRegistry with the three schemas above plus the sim provider's.
SchemaRegistry peer_schemas();

}  // namespace orch::testing
