// chef_node's batched refresh: one paged partial search for every node carrying this stack's
// tag, asking only for the fields and attribute paths orch owns. Partial search sees attributes
// merged across precedence levels, so a node whose merged value differs from what orch wrote
// at `normal` is read exactly with a GET, as is a node the search did not return (tag removed,
// search index lag, or deleted). In the steady state that is no GET at all.
#include <fmt/format.h>

#include <map>
#include <set>

#include "providers/chef/chef_node_merge.h"
#include "providers/chef/chef_resource.h"

namespace orch::chef {

namespace {

// More owned paths than this are fetched by their top-level keys instead (a shorter request).
constexpr size_t kMaxPathKeys = 32;

struct NodeRefresh {
  ChefEnv* env;
  std::vector<ReadItem> items;
  std::map<std::string, const ReadItem*> by_name;
  std::vector<JsonPath> keyed_paths;  // what key "p<i>" holds
  std::set<std::string> resolved;     // addresses the search settled
  ReadResult result;
  std::function<void(ReadResult)> done;
  int pending = 0;
};

std::string node_name(const ReadItem& item) {
  return string_attr(item.attributes, "name").value_or(item.id);
}

Json normal_json(const ValueMap& attrs) {
  const Value* v = attr(attrs, "normal");
  if (!v || v->is_null()) return Json::object();
  Json j = to_json(v->unmarked());
  return j.is_object() ? j : Json::object();
}

// A node object from a partial search row, good for node_attributes() when the merged values
// equal what orch wrote. False when the row cannot stand for the node (a GET is needed).
bool node_from_row(const NodeRefresh& run, const Json& row, const ReadItem& item, Json& node) {
  node = Json::object();
  for (const char* k : {"name", "chef_environment", "run_list", "policy_name", "policy_group"})
    if (const Json* v = get_path(row, {k}); v && !v->is_null()) node[k] = *v;
  Json normal = Json::object();
  if (const Json* t = get_path(row, {"tags"}); t && t->is_array()) normal["tags"] = *t;
  const Json want = normal_json(item.attributes);
  for (const auto& path : leaf_paths(want)) {
    const Json* got = nullptr;
    for (size_t i = 0; i < run.keyed_paths.size() && !got; ++i) {
      const JsonPath& kp = run.keyed_paths[i];
      if (kp.size() > path.size() || !std::equal(kp.begin(), kp.end(), path.begin())) continue;
      const Json* base = get_path(row, {"p" + std::to_string(i)});
      if (base) got = get_path(*base, JsonPath(path.begin() + kp.size(), path.end()));
    }
    // The merged value may come from another precedence level: only an exact match is trusted.
    if (!got || *got != *get_path(want, path)) return false;
    set_path(normal, path, *got);
  }
  node["normal"] = std::move(normal);
  Json automatic = Json::object();
  for (const char* k : {"fqdn", "ipaddress", "platform", "platform_version", "ohai_time"})
    if (const Json* v = get_path(row, {k}); v && !v->is_null()) automatic[k] = *v;
  node["automatic"] = std::move(automatic);
  return true;
}

// A search row, turned into the item's attributes as it arrives (rows are not kept: 20,000 of
// them would double the refresh's memory).
void take_row(NodeRefresh& run, const Json& data) {
  const Json* name = get_path(data, {"name"});
  if (!name || !name->is_string()) return;
  auto it = run.by_name.find(name->get<std::string>());
  if (it == run.by_name.end()) return;
  const ReadItem& item = *it->second;
  Json node;
  if (!node_from_row(run, data, item, node)) return;
  run.result.objects[item.address] =
      ObjectState{node_name(item), node_attributes(node, item.attributes)};
  run.resolved.insert(item.address);
}

void finish(std::shared_ptr<NodeRefresh> run) {
  std::vector<const ReadItem*> exact;
  for (const auto& item : run->items)
    if (!run->resolved.count(item.address)) exact.push_back(&item);
  if (exact.empty() || run->result.error) return run->done(std::move(run->result));
  run->pending = static_cast<int>(exact.size());
  for (const ReadItem* item : exact) {
    ChefCall call;
    call.path = "/nodes/" + seg(node_name(*item));
    call.accept = {404};
    call.address = item->address;
    ++run->result.requests;
    run->env->api->call(std::move(call), [run, item](ChefReply reply) {
      if (reply.error && !run->result.error) run->result.error = reply.error;
      if (!reply.error && reply.status != 404)
        run->result.objects[item->address] =
            ObjectState{node_name(*item), node_attributes(reply.body, item->attributes)};
      if (--run->pending == 0) run->done(std::move(run->result));
    });
  }
}

}  // namespace

void read_nodes(ChefEnv& env, std::vector<ReadItem> items, std::function<void(ReadResult)> done) {
  auto run = std::make_shared<NodeRefresh>();
  run->env = &env;
  run->items = std::move(items);
  run->done = std::move(done);
  if (run->items.empty()) return run->done(std::move(run->result));
  for (const auto& item : run->items) run->by_name[node_name(item)] = &item;
  std::set<JsonPath> paths;
  for (const auto& item : run->items)
    for (auto& p : leaf_paths(normal_json(item.attributes))) paths.insert(std::move(p));
  if (paths.size() > kMaxPathKeys) {
    std::set<JsonPath> tops;
    for (const auto& p : paths) tops.insert(JsonPath{p.front()});
    paths = std::move(tops);
  }
  run->keyed_paths.assign(paths.begin(), paths.end());

  SearchPaging paging;
  paging.index = "node";
  paging.query = "tags:" + solr_escape(env.mark_tag());
  paging.keys = Json::object();
  for (const char* k : {"name", "chef_environment", "run_list", "policy_name", "policy_group",
                        "tags", "fqdn", "ipaddress", "platform", "platform_version", "ohai_time"})
    paging.keys[k] = Json::array({k});
  for (size_t i = 0; i < run->keyed_paths.size(); ++i)
    paging.keys["p" + std::to_string(i)] = run->keyed_paths[i];
  paged_search(
      env, paging, [run](const Json& data) { take_row(*run, data); },
      [run](std::optional<ProviderError> err, int requests) {
        run->result.requests += requests;
        if (err) {
          run->result.error = err;
          return run->done(std::move(run->result));
        }
        finish(run);
      });
}

}  // namespace orch::chef
