// The etcd provider's schema: provider config, etcd_key, etcd_election, etcd_lock, the
// etcd_prefix data source and the etcd_key / etcd_value readiness gates (see docs/etcd.md).
#include "providers/etcd/etcd_provider.h"
#include "providers/schema_attributes.h"

namespace orch::etcd {

ProviderSchema etcd_schema() {
  const Type str = Type::string();
  const Type num = Type::number();
  ProviderSchema p;
  p.name = "etcd";
  p.config.description = "An etcd v3 cluster, through its JSON gateway.";
  p.config.attributes = {
      optional_attr("endpoints", Type::list(str), std::nullopt,
                    "Client URLs (http:// or https://); several for failover. Default: "
                    "$ETCDCTL_ENDPOINTS (comma-separated)."),
      optional_attr("prefix", str, Value::string("/orch"),
                    "Where orch keeps its own keys: elections under <prefix>/<name>/, locks under "
                    "<prefix>/locks/<name>/."),
      optional_attr("ca_file", str, std::nullopt,
                    "PEM bundle of CAs that sign etcd's certificate."),
      optional_attr("cert_file", str, std::nullopt, "Client certificate (PEM) for mutual TLS."),
      optional_attr("key_file", str, std::nullopt, "Its private key (PEM)."),
      optional_attr("timeout", str, Value::string("30s"),
                    "How long one operation may take, retries on other endpoints included."),
      optional_attr("request_timeout", str, Value::string("10s"),
                    "How long one HTTP request may take."),
  };

  Schema key;
  key.description =
      "A key and its value. With `ttl` the key is put on a lease that orch keeps alive only "
      "while it runs: it disappears within `ttl` after orch exits, and the next apply puts it "
      "back.";
  key.attributes = {
      required_attr("key", str, "The full etcd key, e.g. \"/cluster/cdh/config\".", true),
      required_attr("value", str, "The value."),
      optional_attr(
          "ttl", str, std::nullopt,
          "A duration (at least \"2s\"): put the key on a lease kept alive while orch runs."),
      computed_attr("id", str, "The key."),
      computed_attr("create_revision", num, "etcd revision that created the key."),
      computed_attr("mod_revision", num, "etcd revision of the last change."),
      computed_attr("version", num, "Number of changes since creation."),
      computed_attr("lease", str, "Lease ID (hex) with `ttl`; \"\" without."),
  };
  key.simulation.latency = {{"duration", "10ms"}};
  key.simulation.templates = {{"id", "${key}"}};
  p.resources["etcd_key"] = key;

  Schema election;
  election.description =
      "A leader election among `candidates`. With depends_on = [any(x)] the leader is the "
      "candidate whose instance of x became ready first (it stands for an instance when it equals "
      "its address or one of its string attributes); otherwise the first candidate. Written with "
      "a create-if-absent transaction to <prefix>/<name>/leader (and the epoch to "
      "<prefix>/<name>/epoch) for nodes to read. A leader that is still a candidate stays leader; "
      "one that left the candidates is replaced by a new election (epoch + 1).";
  election.attributes = {
      required_attr("name", str, "Election name; its keys are <prefix>/<name>/leader and /epoch.",
                    true),
      required_attr("candidates", Type::list(str), "Candidate values (e.g. private DNS names)."),
      computed_attr("id", str, "The leader key."),
      computed_attr("key", str, "<prefix>/<name>/leader: where nodes read the leader."),
      computed_attr("leader", str, "The elected candidate."),
      computed_attr("epoch", num, "1 for the first leader, + 1 at each new election."),
  };
  // The simulated twin (providers/simtwin): the leader is the first ready of `candidates`
  // (kept while still a candidate) and the epoch counts changes of leader.
  election.simulation.first_ready = {{"leader", "candidates"}};
  election.simulation.counters = {{"epoch", "leader"}};
  election.simulation.latency = {{"duration", "20ms"}};
  election.simulation.templates = {{"key", "/orch/${name}/leader"}};
  p.resources["etcd_election"] = election;

  Schema lock;
  lock.description =
      "A named mutual exclusion for steps: resources with `lock = etcd_lock.NAME` never run at "
      "the same time, in this orch or any other (the lock is etcd's /v3/lock on "
      "<prefix>/locks/<name>, so `etcdctl lock` takes the same lock). Creates nothing in etcd "
      "until a step takes it.";
  lock.attributes = {
      required_attr("name", str, "Lock name.", true),
      optional_attr(
          "ttl", str, Value::string("30s"),
          "TTL of the lease a holder keeps alive: a killed holder's lock frees within it."),
      optional_attr("timeout", str, Value::string("30m"),
                    "How long a step waits for the lock before it fails."),
      computed_attr("id", str, "The lock's key prefix."),
      computed_attr("key", str, "<prefix>/locks/<name>"),
  };
  lock.simulation.latency = {{"duration", "10ms"}};
  lock.simulation.templates = {{"key", "/orch/locks/${name}"}};
  p.resources["etcd_lock"] = lock;

  Schema prefix;
  prefix.description = "Every key under a prefix and its value, read at one revision.";
  prefix.attributes = {
      required_attr("prefix", str, "The key prefix, e.g. \"/cluster/cdh/\"."),
      computed_attr("keys", Type::list(str), "Every key under the prefix, sorted."),
      computed_attr("values", Type::map(str), "Key → value."),
      computed_attr("revision", num, "The etcd revision the keys were read at."),
  };
  p.data_sources["etcd_prefix"] = prefix;

  p.gates = {
      {"etcd_key", str, "Holds when the etcd key exists (watched, not polled)."},
      {"etcd_value", Type::object({{"key", str}, {"value", str}}),
       "Holds when the etcd key has this value (watched, not polled)."},
  };
  return p;
}

}  // namespace orch::etcd
