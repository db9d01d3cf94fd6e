// The etcd provider's operations: etcd_key (create-if-absent, compare-and-swap updates, TTL keys
// on leases), etcd_election (create-if-absent leader key, stable leaders, re-election on CAS),
// etcd_lock (a declaration). Every operation is safe to retry (see etcd_provider.h).
#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "compiler/duration.h"
#include "providers/etcd/etcd_provider.h"
#include "providers/etcd/etcd_provider_util.h"
#include "providers/etcd/lease_keeper.h"

namespace orch::etcd {

using nlohmann::json;

namespace {

ProviderError fail(std::string summary, std::string detail = {}) {
  return ProviderError{std::move(summary), std::move(detail), false, {}};
}

// The configured (non-computed) attributes, all known by now.
bool stored_attributes(const ApplyRequest& req, const Schema& schema, ValueMap& out,
                       std::string* err) {
  for (const auto& a : schema.attributes) {
    if (a.computed) continue;
    const Value* v = attr(req.planned, a.name);
    if (!v) continue;
    if (!v->is_wholly_known()) {
      *err = fmt::format("{}: \"{}\" is not known at apply time", req.address, a.name);
      return false;
    }
    out[a.name] = *v;
  }
  return true;
}

int64_t number_of(const std::string& text) {
  int64_t n = 0;
  (void)std::from_chars(text.data(), text.data() + text.size(), n);
  return n;
}

std::optional<KeyValue> first_kv(const json& range_response) {
  std::vector<KeyValue> kvs;
  std::string e;
  if (!parse_kvs(range_response, kvs, &e) || kvs.empty()) return std::nullopt;
  return kvs[0];
}

}  // namespace

std::optional<std::string> elect(const std::vector<std::string>& candidates,
                                 const std::vector<SatisfiedDependency>& satisfied_by) {
  for (const auto& dep : satisfied_by) {
    for (const auto& c : candidates) {
      if (c == dep.address) return c;
      for (const auto& [name, v] : dep.attributes)
        if (v.unmarked().kind() == ValueKind::String && v.unmarked().as_string() == c) return c;
    }
  }
  if (candidates.empty()) return std::nullopt;
  return candidates.front();
}

void EtcdProvider::apply(const ApplyRequest& req, std::function<void(ApplyResult)> done) {
  if (!configured_)
    return done({std::nullopt, fail("the etcd provider is not configured (no endpoints)")});
  if (req.type == "etcd_key") return apply_key(req, std::move(done));
  if (req.type == "etcd_election") return apply_election(req, std::move(done));
  if (req.type == "etcd_lock") {
    if (req.action == ChangeAction::Delete) return done({});
    ValueMap attrs;
    std::string err;
    if (!stored_attributes(req, schema_.resources.at("etcd_lock"), attrs, &err))
      return done({std::nullopt, fail(err)});
    std::string k = lock_name(prefix_, known_string(attrs, "name").value_or(""));
    attrs["id"] = Value::string(k);
    attrs["key"] = Value::string(k);
    return done({ObjectState{k, attrs}, std::nullopt});
  }
  done(
      {std::nullopt, fail(fmt::format("the etcd provider has no resource type \"{}\"", req.type))});
}

// --- etcd_key -----------------------------------------------------------------------------------

void EtcdProvider::apply_key(const ApplyRequest& req, std::function<void(ApplyResult)> done) {
  std::weak_ptr<char> alive = alive_;
  if (req.action == ChangeAction::Delete) {
    std::string k = req.prior ? known_string(req.prior->attributes, "key").value_or(req.prior->id)
                              : std::string();
    if (k.empty()) return done({});
    std::string address = req.address;
    return call_for(address, "/v3/kv/deleterange", delete_request(k),
                    [this, alive, address, k, done](Result r) {
                      if (alive.expired()) return;
                      if (!r.ok())
                        return done({std::nullopt, provider_error(*r.error, "cannot delete " + k)});
                      if (auto it = ttl_leases_.find(address); it != ttl_leases_.end()) {
                        revoke(it->second);
                        ttl_leases_.erase(it);
                      }
                      done({});
                    });
  }
  ValueMap attrs;
  std::string err;
  if (!stored_attributes(req, schema_.resources.at("etcd_key"), attrs, &err))
    return done({std::nullopt, fail(err)});
  const Value* ttl = attr(attrs, "ttl");
  if (!ttl || ttl->is_null()) return put_key(req, attrs, 0, std::move(done));
  auto d = parse_duration(ttl->unmarked().as_string(), &err);
  if (!d) return done({std::nullopt, fail(req.address + ": `ttl`: " + err)});
  // A lease of our own for this key, kept alive while this orch runs.
  auto kept = ttl_leases_.find(req.address);
  if (kept != ttl_leases_.end() && req.action == ChangeAction::Update && req.prior &&
      attr(req.prior->attributes, "ttl") && attr(req.prior->attributes, "ttl")->equals(*ttl) &&
      kept_alive(kept->second))
    return put_key(req, attrs, kept->second, std::move(done));
  grant(*d, [this, alive, req, attrs, done](int64_t lease, std::optional<ProviderError> e) {
    if (alive.expired()) return;
    if (e) return done({std::nullopt, e});
    put_key(req, attrs, lease, done);
  });
}

void EtcdProvider::put_key(const ApplyRequest& req, ValueMap attrs, int64_t lease,
                           std::function<void(ApplyResult)> done) {
  const std::string k = known_string(attrs, "key").value_or("");
  const std::string value = known_string(attrs, "value").value_or("");
  const bool create = req.action == ChangeAction::Create;
  const int64_t prior_mod = !create && req.prior && attr(req.prior->attributes, "mod_revision")
                                ? attr(req.prior->attributes, "mod_revision")->as_number().i
                                : 0;
  std::weak_ptr<char> alive = alive_;
  auto finish = [this, alive, req, attrs, lease, done](const KeyValue& kv) {
    if (lease != 0) {
      auto it = ttl_leases_.find(req.address);
      if (it != ttl_leases_.end() && it->second != lease) revoke(it->second);
      ttl_leases_[req.address] = lease;
    }
    done({ObjectState{kv.key, key_attributes(kv, attrs)}, std::nullopt});
  };
  auto give_up = [this, alive, lease, done](ProviderError e) {
    if (lease != 0 && !kept_alive(lease)) revoke(lease);
    done({std::nullopt, std::move(e)});
  };
  json compare = create ? compare_create_revision(k, 0) : compare_mod_revision(k, prior_mod);
  json txn = txn_request({compare}, {op_put(k, value, lease), op_range(k)}, {op_range(k)});
  call_for(req.address, "/v3/kv/txn", txn,
           [this, alive, req, k, value, lease, create, finish, give_up](Result r) {
             if (alive.expired()) return;
             if (!r.ok()) return give_up(provider_error(*r.error, "cannot write " + k));
             TxnResponse t = parse_txn(r.body);
             std::optional<KeyValue> kv =
                 t.responses.empty() ? std::nullopt : first_kv(t.responses.back());
             if (t.succeeded) {
               if (!kv) return give_up(fail("etcd did not return " + k + " after writing it"));
               return finish(*kv);
             }
             // The compare failed. Our own earlier attempt, or a key written by someone else?
             if (kv && kv->value == value && kv->lease == lease) return finish(*kv);
             if (create && kv && (kv->value == value || kv->lease != 0)) {
               // The same value (a rerun after a crash), or a TTL key of an ended run: take it
               // over.
               json cas = txn_request({compare_mod_revision(k, kv->mod_revision)},
                                      {op_put(k, value, lease), op_range(k)});
               return call("/v3/kv/txn", cas, [alive, k, finish, give_up](Result r2) {
                 if (alive.expired()) return;
                 if (!r2.ok()) return give_up(provider_error(*r2.error, "cannot write " + k));
                 TxnResponse t2 = parse_txn(r2.body);
                 auto kv2 = t2.responses.empty() ? std::nullopt : first_kv(t2.responses.back());
                 if (!t2.succeeded || !kv2)
                   return give_up(ProviderError{
                       k + " changed in etcd while orch was writing it", "", true, {}});
                 finish(*kv2);
               });
             }
             if (create)
               return give_up(fail(
                   fmt::format("etcd key \"{}\" exists already with another value (not written by "
                               "this configuration)",
                               k),
                   "Delete it (etcdctl del " + k + "), or choose another `key`."));
             if (!kv)
               return give_up(fail(fmt::format("etcd key \"{}\" was deleted since orch read it", k),
                                   "Run plan again: orch will create it."));
             give_up(fail(fmt::format("etcd key \"{}\" changed in etcd since orch read it "
                                      "(mod_revision {}); not overwriting it",
                                      k, kv->mod_revision),
                          "Run plan again to see the change."));
           });
}

// --- etcd_election ------------------------------------------------------------------------------

void EtcdProvider::apply_election(const ApplyRequest& req, std::function<void(ApplyResult)> done) {
  std::weak_ptr<char> alive = alive_;
  if (req.action == ChangeAction::Delete) {
    std::string name = req.prior ? known_string(req.prior->attributes, "name").value_or("") : "";
    if (name.empty()) return done({});
    std::string dir = election_key(prefix_, name, "");
    return call("/v3/kv/deleterange", delete_request(dir, prefix_end(dir)),
                [alive, dir, done](Result r) {
                  if (alive.expired()) return;
                  if (!r.ok())
                    return done({std::nullopt, provider_error(*r.error, "cannot delete " + dir)});
                  done({});
                });
  }
  // With depends_on = [any(x)] the election runs the moment the first instance of x is done,
  // when the other instances' values are usually still unknown: it elects among the candidates
  // known by then (the first ready one among them) and records those; the next plan adds the rest.
  ApplyRequest known = req;
  if (auto it = known.planned.find("candidates");
      it != known.planned.end() && it->second.is_sequence() && !it->second.is_unknown() &&
      !it->second.is_wholly_known()) {
    const Value& all = it->second;
    ValueList kept;
    for (const Value& c : all.elements())
      if (c.is_wholly_known()) kept.push_back(c);
    // Of the same kind as planned, so that the next plan compares like with like.
    it->second = all.kind() == ValueKind::Tuple ? Value::tuple(std::move(kept))
                 : all.kind() == ValueKind::Set
                     ? Value::set(std::move(kept), all.type().element())
                     : Value::list(std::move(kept), all.type().element());
  }
  ValueMap attrs;
  std::string err;
  if (!stored_attributes(known, schema_.resources.at("etcd_election"), attrs, &err))
    return done({std::nullopt, fail(err)});
  auto candidates = known_strings(attrs, "candidates");
  if (!candidates || candidates->empty())
    return done({std::nullopt, fail(req.address + ": no candidates to elect a leader from")});
  elect_in(req, std::move(attrs), std::move(*candidates), 0, std::move(done));
}

void EtcdProvider::elect_in(const ApplyRequest& req, ValueMap attrs,
                            std::vector<std::string> candidates, int attempt,
                            std::function<void(ApplyResult)> done) {
  const std::string name = known_string(attrs, "name").value_or("");
  const std::string leader_key = election_key(prefix_, name, "leader");
  const std::string epoch_key = election_key(prefix_, name, "epoch");
  std::weak_ptr<char> alive = alive_;
  auto result = [leader_key, attrs](const std::string& leader, int64_t epoch) {
    ValueMap a = attrs;
    a["id"] = Value::string(leader_key);
    a["key"] = Value::string(leader_key);
    a["leader"] = Value::string(leader);
    a["epoch"] = Value::number(epoch);
    return ApplyResult{ObjectState{leader_key, a}, std::nullopt};
  };
  call_for(
      req.address, "/v3/kv/txn", txn_request({}, {op_range(leader_key), op_range(epoch_key)}),
      [this, alive, req, attrs, candidates, attempt, done, leader_key, epoch_key,
       result](Result r) {
        if (alive.expired()) return;
        if (!r.ok())
          return done({std::nullopt, provider_error(*r.error, "cannot read " + leader_key)});
        TxnResponse t = parse_txn(r.body);
        std::optional<KeyValue> cur, ep;
        if (t.responses.size() == 2) {
          cur = first_kv(t.responses[0]);
          ep = first_kv(t.responses[1]);
        }
        const int64_t epoch = ep ? number_of(ep->value) : 0;
        // A leader that is still a candidate stays leader: no flapping, and a retry (or another
        // orch that got there first) finds the election already decided.
        if (cur && std::find(candidates.begin(), candidates.end(), cur->value) != candidates.end())
          return done(result(cur->value, std::max<int64_t>(epoch, 1)));
        if (attempt >= 3)
          return done({std::nullopt, ProviderError{"the election at " + leader_key +
                                                       " keeps changing while orch writes it",
                                                   "",
                                                   true,
                                                   {}}});
        std::string choice = *elect(candidates, req.satisfied_by);
        // First election: create-if-absent. A new one: compare-and-swap on the old leader.
        json guard = cur ? compare_mod_revision(leader_key, cur->mod_revision)
                         : compare_create_revision(leader_key, 0);
        json txn = txn_request(
            {guard}, {op_put(leader_key, choice), op_put(epoch_key, std::to_string(epoch + 1))});
        call_for(
            req.address, "/v3/kv/txn", txn,
            [this, alive, req, attrs, candidates, attempt, done, choice, epoch, result](Result w) {
              if (alive.expired()) return;
              if (!w.ok())
                return done({std::nullopt, provider_error(*w.error, "cannot write the leader")});
              if (parse_txn(w.body).succeeded) return done(result(choice, epoch + 1));
              // Someone else wrote it meanwhile (or our earlier attempt did): read again.
              elect_in(req, attrs, candidates, attempt + 1, done);
            });
      });
}

}  // namespace orch::etcd
