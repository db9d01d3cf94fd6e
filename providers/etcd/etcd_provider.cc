// The etcd provider (see etcd_provider.h): configuration, batched reads, the etcd_prefix data
// source and plan-time values. Operations are in etcd_provider_apply.cc, gates in etcd_gates.cc,
// step locks in etcd_step_locks.cc.
#include "providers/etcd/etcd_provider.h"

#include <charconv>
#include <cstdlib>

#include <fmt/format.h>

#include "compiler/duration.h"
#include "providers/etcd/etcd_codec.h"
#include "providers/etcd/etcd_provider_util.h"
#include "providers/etcd/lease_keeper.h"
#include "providers/force_new.h"

namespace orch::etcd {

using nlohmann::json;

namespace {

constexpr size_t kReadsPerTxn = 64;  // etcd's default --max-txn-ops is 128

}  // namespace

EtcdProvider::EtcdProvider() : schema_(etcd_schema()) {}

EtcdProvider::~EtcdProvider() {
  // Step locks still held (an interrupted run): free them now rather than after their TTL.
  if (sync_ || async_) {
    SyncClient sync(config_);
    for (const auto& [handle, held] : step_locks_)
      (void)sync.call_once("/v3/lease/revoke", {{"ID", int64_value(held.lease)}}, Duration(2000));
  }
  async_.reset();
  keeper_.reset();
}

void EtcdProvider::configure(const ValueMap& config, const ProviderContext& ctx,
                             Diagnostics& diags) {
  ctx_ = ctx;
  ValueMap settings;
  for (const auto& [k, v] : config)
    if (!v.is_null()) settings[k] = v;
  if (!settings.count("endpoints")) {
    if (const char* env = std::getenv("ETCDCTL_ENDPOINTS"); env && *env)
      settings["endpoints"] = Value::string(env);
  }
  std::set<std::string> used;
  std::string e;
  if (!parse_client_settings(settings, config_, used, &e)) {
    diags.error(
        Range{}, "Invalid etcd provider configuration",
        e + (settings.count("endpoints") ? std::string()
                                         : " (or set ETCDCTL_ENDPOINTS in the environment)"));
    return;
  }
  if (auto p = string_setting(settings, "prefix", &e)) prefix_ = *p;
  if (prefix_.empty() || prefix_[0] != '/') {
    diags.error(Range{}, "Invalid etcd provider configuration",
                "`prefix` must start with \"/\" (e.g. \"/orch\")");
    return;
  }
  while (prefix_.size() > 1 && prefix_.back() == '/') prefix_.pop_back();
  config_.seed = ctx.seed;
  if (ctx.clock && ctx.clock->io_context())
    async_ = std::make_unique<AsyncClient>(*ctx.clock, config_);
  else
    sync_ = std::make_unique<SyncClient>(config_);
  configured_ = true;
}

ProviderLimits EtcdProvider::limits() const {
  ProviderLimits l;
  l.max_concurrency = 64;  // requests in flight at once: plenty for etcd, few connections
  return l;
}

void EtcdProvider::call(const std::string& path, json body, std::function<void(Result)> done,
                        Duration request_timeout, Duration budget) {
  if (async_) return async_->call(path, std::move(body), std::move(done), request_timeout, budget);
  if (sync_) return done(sync_->call(path, body, request_timeout));
  Result r;
  r.error = Error{};
  r.error->kind = Error::Kind::Rejected;
  r.error->message = "the etcd provider is not configured (no endpoints)";
  done(std::move(r));
}

void EtcdProvider::call_for(const std::string& address, const std::string& path, json body,
                            std::function<void(Result)> done) {
  if (!async_ || !ctx_.retry) return call(path, std::move(body), std::move(done));
  auto report = ctx_.retry;
  async_->call(path, std::move(body), std::move(done), Duration(0), Duration(0),
               [report, address](const std::string& message, Duration delay) {
                 report(address, message, delay);
               });
}

LeaseKeeper& EtcdProvider::keeper() {
  if (!keeper_) keeper_ = std::make_unique<LeaseKeeper>(config_);
  return *keeper_;
}

void EtcdProvider::grant(Duration ttl,
                         std::function<void(int64_t, std::optional<ProviderError>)> done) {
  const int64_t seconds = std::max<int64_t>(2, ttl / std::chrono::seconds(1));
  std::weak_ptr<char> alive = alive_;
  call("/v3/lease/grant", {{"TTL", int64_value(seconds)}}, [this, alive, ttl, done](Result r) {
    if (alive.expired()) return;
    if (!r.ok()) return done(0, provider_error(*r.error, "cannot grant an etcd lease"));
    int64_t id = int64_field(r.body, "ID");
    if (id == 0) return done(0, ProviderError{"etcd granted no lease", "", false, {}});
    keeper().keep(id, std::chrono::seconds(std::max<int64_t>(2, ttl / std::chrono::seconds(1))));
    done(id, std::nullopt);
  });
}

bool EtcdProvider::kept_alive(int64_t lease) const {
  if (lease == 0 || !keeper_ || keeper_->lost(lease)) return false;
  for (const auto& [address, l] : ttl_leases_)
    if (l == lease) return true;
  return false;
}

void EtcdProvider::revoke(int64_t lease) {
  if (lease == 0) return;
  if (keeper_) keeper_->forget(lease);
  call("/v3/lease/revoke", {{"ID", int64_value(lease)}}, [](Result) {});
}

// --- reads --------------------------------------------------------------------------------------

void EtcdProvider::read_many(const std::string& type, std::vector<ReadItem> items,
                             std::function<void(ReadResult)> done) {
  if (type == "etcd_lock" || items.empty()) {
    // A lock is a declaration: nothing in etcd to read until a step takes it.
    ReadResult r;
    for (auto& item : items) r.objects[item.address] = ObjectState{item.id, item.attributes};
    return done(std::move(r));
  }
  if (type != "etcd_key" && type != "etcd_election") {
    ReadResult r;
    r.error = ProviderError{
        fmt::format("the etcd provider has no resource type \"{}\"", type), "", false, {}};
    return done(std::move(r));
  }
  struct Pending {
    ReadResult result;
    size_t left = 0;
    std::function<void(ReadResult)> done;
  };
  auto p = std::make_shared<Pending>();
  p->done = std::move(done);
  const bool election = type == "etcd_election";
  const size_t per_txn = election ? kReadsPerTxn / 2 : kReadsPerTxn;
  auto items_ptr = std::make_shared<std::vector<ReadItem>>(std::move(items));
  p->left = (items_ptr->size() + per_txn - 1) / per_txn;
  std::weak_ptr<char> alive = alive_;
  for (size_t start = 0; start < items_ptr->size(); start += per_txn) {
    size_t end = std::min(items_ptr->size(), start + per_txn);
    std::vector<json> ops;
    for (size_t i = start; i < end; ++i) {
      const ReadItem& it = (*items_ptr)[i];
      if (election) {
        std::string name = known_string(it.attributes, "name").value_or("");
        ops.push_back(op_range(election_key(prefix_, name, "leader")));
        ops.push_back(op_range(election_key(prefix_, name, "epoch")));
      } else {
        ops.push_back(op_range(known_string(it.attributes, "key").value_or(it.id)));
      }
    }
    ++p->result.requests;
    call("/v3/kv/txn", txn_request({}, std::move(ops)),
         [this, alive, p, items_ptr, start, end, election](Result r) {
           if (alive.expired()) return;
           if (!r.ok()) {
             if (!p->result.error) p->result.error = provider_error(*r.error, "cannot read etcd");
           } else {
             TxnResponse t = parse_txn(r.body);
             for (size_t i = start; i < end; ++i) {
               const ReadItem& it = (*items_ptr)[i];
               size_t k = election ? 2 * (i - start) : i - start;
               std::vector<KeyValue> kvs, epoch;
               std::string e;
               if (k >= t.responses.size() || !parse_kvs(t.responses[k], kvs, &e)) continue;
               if (kvs.empty()) continue;  // gone: deleted outside orch (or a TTL key expired)
               if (election) {
                 if (k + 1 < t.responses.size()) (void)parse_kvs(t.responses[k + 1], epoch, &e);
                 ValueMap a = it.attributes;
                 a["leader"] = Value::string(kvs[0].value);
                 int64_t n = 0;
                 if (!epoch.empty())
                   (void)std::from_chars(epoch[0].value.data(),
                                         epoch[0].value.data() + epoch[0].value.size(), n);
                 a["epoch"] = Value::number(n);
                 p->result.objects[it.address] = ObjectState{it.id, a};
               } else {
                 const KeyValue& kv = kvs[0];
                 bool ttl = it.attributes.count("ttl") && !it.attributes.at("ttl").is_null();
                 // A TTL key whose lease this process does not keep alive belongs to a run that
                 // ended: it expires within its TTL, so this run puts it again.
                 if (ttl && kv.lease != 0 && !kept_alive(kv.lease)) continue;
                 p->result.objects[it.address] =
                     ObjectState{it.id, key_attributes(kv, it.attributes)};
               }
             }
           }
           if (--p->left == 0) p->done(std::move(p->result));
         });
  }
}

void EtcdProvider::read_data(
    const std::string& type, const ValueMap& config,
    std::function<void(std::optional<ValueMap>, std::optional<ProviderError>)> done) {
  if (type != "etcd_prefix")
    return done(
        std::nullopt,
        ProviderError{
            fmt::format("the etcd provider has no data source \"{}\"", type), "", false, {}});
  auto prefix = known_string(config, "prefix");
  if (!prefix || prefix->empty())
    return done(std::nullopt, ProviderError{"data \"etcd_prefix\": `prefix` must be a non-empty "
                                            "string",
                                            "",
                                            false,
                                            {}});
  struct Acc {
    ValueList keys;
    ValueMap values;
    int64_t revision = 0;
  };
  auto acc = std::make_shared<Acc>();
  auto page = std::make_shared<std::function<void(std::string)>>();
  std::weak_ptr<char> alive = alive_;
  const std::string end = prefix_end(*prefix);
  *page = [this, alive, acc, page, end, done](std::string from) {
    RangeOptions ro;
    ro.range_end = end;
    ro.limit = 1000;
    ro.revision = acc->revision;  // every page at the first page's revision
    call("/v3/kv/range", range_request(from, ro), [alive, acc, page, done](Result r) {
      if (alive.expired()) return;
      if (!r.ok()) {
        done(std::nullopt, provider_error(*r.error, "cannot read the etcd prefix"));
        *page = nullptr;  // breaks the self-reference
        return;
      }
      if (acc->revision == 0) acc->revision = header_revision(r.body);
      std::vector<KeyValue> kvs;
      std::string e;
      if (!parse_kvs(r.body, kvs, &e)) {
        done(std::nullopt, ProviderError{e, "", false, {}});
        *page = nullptr;
        return;
      }
      for (const auto& kv : kvs) {
        acc->keys.push_back(Value::string(kv.key));
        acc->values[kv.key] = Value::string(kv.value);
      }
      if (bool_field(r.body, "more") && !kvs.empty()) {
        auto next = *page;
        return next(kvs.back().key + std::string(1, '\0'));
      }
      ValueMap out;
      out["keys"] = Value::list(acc->keys, Type::string());
      out["values"] = Value::map(acc->values, Type::string());
      out["revision"] = Value::number(acc->revision);
      done(out, std::nullopt);
      *page = nullptr;
    });
  };
  auto first = *page;
  first(*prefix);
  (void)config;
}

// --- plan ---------------------------------------------------------------------------------------

PlanResponse EtcdProvider::plan(const PlanRequest& req) {
  PlanResponse resp;
  auto it = schema_.resources.find(req.type);
  if (it == schema_.resources.end()) {
    resp.diagnostics.error(Range{},
                           fmt::format("The etcd provider has no resource type \"{}\"", req.type));
    return resp;
  }
  const Schema& schema = it->second;
  ValueMap& planned = resp.planned;
  for (const auto& a : schema.attributes) {
    if (a.computed) continue;
    const Value* v = attr(req.config, a.name);
    if ((!v || v->is_null()) && a.default_value)
      planned[a.name] = *a.default_value;
    else if (v)
      planned[a.name] = *v;
  }
  const ValueMap* prior = req.prior ? &req.prior->attributes : nullptr;
  resp.force_new_paths = changed_force_new(schema, planned, prior);
  const bool keeps = prior && resp.force_new_paths.empty();
  auto prior_or_unknown = [&](const std::string& name, Type t, bool keep) {
    const Value* v = keep && prior ? attr(*prior, name) : nullptr;
    planned[name] = v ? *v : Value::unknown(t);
  };
  auto invalid = [&](std::string summary, std::string detail) {
    resp.diagnostics.error(Range{}, fmt::format("{}: {}", req.address, summary), detail);
  };
  auto check_duration = [&](const std::string& name, bool lease) {
    const Value* v = attr(planned, name);
    if (!v || v->is_null() || v->kind() != ValueKind::String) return;
    std::string why;
    auto d = parse_duration(v->as_string(), &why);
    if (!d)
      return invalid(fmt::format("`{}` is not a duration: {}", name, why),
                     "Write a duration such as \"30s\".");
    if (lease && *d < std::chrono::seconds(2))
      invalid(fmt::format("`{}` must be at least \"2s\" (etcd's shortest lease)", name), "");
  };

  if (req.type == "etcd_key") {
    auto key = known_string(planned, "key");
    if (key && key->empty()) invalid("`key` must not be empty", "");
    planned["id"] = key ? Value::string(*key) : Value::unknown(Type::string());
    check_duration("ttl", true);
    bool same = keeps;
    for (const char* name : {"value", "ttl"}) {
      const Value* now = attr(planned, name);
      const Value* was = prior ? attr(*prior, name) : nullptr;
      bool now_null = !now || now->is_null(), was_null = !was || was->is_null();
      if (now_null != was_null || (!now_null && (!now->is_wholly_known() || !now->equals(*was))))
        same = false;
    }
    prior_or_unknown("create_revision", Type::number(), keeps);
    prior_or_unknown("mod_revision", Type::number(), same);
    prior_or_unknown("version", Type::number(), same);
    const Value* ttl = attr(planned, "ttl");
    if (!ttl || ttl->is_null())
      planned["lease"] = Value::string("");
    else
      prior_or_unknown("lease", Type::string(), same);
  } else if (req.type == "etcd_election") {
    auto name = known_string(planned, "name");
    if (name && name->empty()) invalid("`name` must not be empty", "");
    Value k = name ? Value::string(election_key(prefix_, *name, "leader"))
                   : Value::unknown(Type::string());
    planned["id"] = k;
    planned["key"] = k;
    auto candidates = known_strings(planned, "candidates");
    if (candidates && candidates->empty()) invalid("`candidates` must not be empty", "");
    auto leader = keeps ? known_string(*prior, "leader") : std::nullopt;
    bool stays = leader && candidates &&
                 std::find(candidates->begin(), candidates->end(), *leader) != candidates->end();
    prior_or_unknown("leader", Type::string(), stays);
    prior_or_unknown("epoch", Type::number(), stays);
    if (keeps && leader && candidates && !stays)
      resp.notes.push_back(
          fmt::format("leader \"{}\" is no longer a candidate: a new election", *leader));
  } else if (req.type == "etcd_lock") {
    auto name = known_string(planned, "name");
    if (name && name->empty()) invalid("`name` must not be empty", "");
    Value k = name ? Value::string(lock_name(prefix_, *name)) : Value::unknown(Type::string());
    planned["id"] = k;
    planned["key"] = k;
    check_duration("ttl", true);
    check_duration("timeout", false);
  }
  return resp;
}

}  // namespace orch::etcd
