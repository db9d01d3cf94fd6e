// Whole-document Chef objects (see chef_document.h): batched refresh through search, create with
// 409 handling, replace, delete.
#include "providers/chef/chef_document.h"

#include <fmt/format.h>

#include <map>
#include <set>

namespace orch::chef {

namespace {

constexpr size_t kNamesPerQuery = 200;  // well under Solr's 1024 boolean clauses

struct Refresh {
  ReadResult result;
  std::vector<ReadItem> items;
  std::map<std::string, Json> found;  // by "<index>/<name>"
  int pending = 0;
  std::function<void(ReadResult)> done;
};

}  // namespace

std::string ChefDocumentType::invalid(const ValueMap&) const {
  return {};
}

std::string ChefDocumentType::object_path(const ValueMap& attrs) const {
  return collection(attrs) + "/" + seg(object_name(attrs));
}

void ChefDocumentType::read_many(ChefEnv& env, std::vector<ReadItem> items,
                                 std::function<void(ReadResult)> done) {
  auto run = std::make_shared<Refresh>();
  run->items = std::move(items);
  run->done = std::move(done);
  // Names per search index (roles: one index; data bag items: one per bag).
  std::map<std::string, std::vector<std::string>> by_index;
  for (const auto& item : run->items) {
    by_index[search_index(item.attributes)].push_back(object_name(item.attributes));
  }
  // After the searches: objects not found are confirmed with a GET each (the search index lags
  // writes by a second or so), then the result is delivered.
  auto confirm = [this, &env, run]() {
    std::vector<const ReadItem*> missing;
    for (const auto& item : run->items) {
      const std::string key = search_index(item.attributes) + "/" + object_name(item.attributes);
      auto it = run->found.find(key);
      if (it != run->found.end())
        run->result.objects[item.address] =
            ObjectState{item.id, attributes(it->second, item.attributes)};
      else
        missing.push_back(&item);
    }
    if (missing.empty() || run->result.error) return run->done(std::move(run->result));
    run->pending = static_cast<int>(missing.size());
    for (const ReadItem* item : missing) {
      ChefCall call;
      call.path = object_path(item->attributes);
      call.accept = {404};
      call.address = item->address;
      ++run->result.requests;
      env.api->call(std::move(call), [this, run, item](ChefReply reply) {
        if (reply.error && !run->result.error) run->result.error = reply.error;
        if (!reply.error && reply.status != 404)
          run->result.objects[item->address] =
              ObjectState{item->id, attributes(reply.body, item->attributes)};
        if (--run->pending == 0) run->done(std::move(run->result));
      });
    }
  };
  if (by_index.empty()) return run->done(std::move(run->result));
  auto searches = std::make_shared<int>(0);
  for (const auto& [index, names] : by_index)
    *searches += static_cast<int>((names.size() + kNamesPerQuery - 1) / kNamesPerQuery);
  for (const auto& [index, names] : by_index) {
    for (const auto& q : name_queries(search_field(), names, kNamesPerQuery)) {
      SearchPaging paging;
      paging.index = index;
      paging.query = q;
      paging.missing_ok = true;  // a data bag deleted outside orch: its items are gone
      paging.keys = search_keys();
      const std::string field = search_field();
      const std::string idx = index;
      paged_search(
          env, paging,
          [this, run, field, idx](const Json& row) {
            Json data = search_row(row);
            const Json* name = get_path(data, {field});
            if (name && name->is_string()) run->found[idx + "/" + name->get<std::string>()] = data;
          },
          [run, searches, confirm](std::optional<ProviderError> err, int requests) {
            run->result.requests += requests;
            if (err && !run->result.error) run->result.error = err;
            if (--*searches == 0) confirm();
          });
    }
  }
}

void ChefDocumentType::apply(ChefEnv& env, const ApplyRequest& req,
                             std::function<void(ApplyResult)> done) {
  if (req.action == ChangeAction::Delete) {
    const ValueMap& attrs = req.prior ? req.prior->attributes : req.planned;
    ChefCall call;
    call.method = "DELETE";
    call.path = object_path(attrs);
    call.accept = {404};
    call.address = req.address;
    return env.api->call(std::move(call), [done](ChefReply reply) {
      if (reply.error) return done(failed(*reply.error));
      done(ApplyResult{});
    });
  }
  for (const auto& [name, v] : req.planned)
    if (!v.is_wholly_known())
      return done(failed(fmt::format("{}: \"{}\" is not known at apply time", req.address, name)));
  if (std::string why = invalid(req.planned); !why.empty())
    return done(failed(fmt::format("{}: {}", req.address, why)));

  const std::string id = object_name(req.planned);
  const std::string full_id = search_field() == "id" ? search_index(req.planned) + "/" + id : id;
  const Json doc = document(req.planned);
  auto result = [this, full_id, planned = req.planned](const Json& written) {
    ApplyResult r;
    r.object = ObjectState{full_id, attributes(written, planned)};
    return r;
  };
  auto put = [this, &env, req, doc, result, done](bool recreate_on_404) {
    ChefCall call;
    call.method = "PUT";
    call.path = object_path(req.planned);
    call.body = doc;
    call.address = req.address;
    if (recreate_on_404) call.accept = {404};
    env.api->call(std::move(call), [this, &env, req, doc, result, done](ChefReply reply) {
      if (reply.error) return done(failed(*reply.error));
      if (reply.status != 404) return done(result(doc));
      // Deleted outside orch since the plan: create it again.
      env.log(req.address,
              fmt::format("the {} was deleted outside orch; creating it again", kind()));
      ChefCall post;
      post.method = "POST";
      post.path = collection(req.planned);
      post.body = doc;
      post.address = req.address;
      env.api->call(std::move(post), [doc, result, done](ChefReply r) {
        if (r.error) return done(failed(*r.error));
        done(result(doc));
      });
    });
  };
  if (req.action == ChangeAction::Update) return put(true);

  ChefCall call;
  call.method = "POST";
  call.path = collection(req.planned);
  call.body = doc;
  call.accept = {409};
  call.address = req.address;
  env.api->call(std::move(call), [this, &env, req, doc, result, put, done, id](ChefReply reply) {
    if (reply.error) return done(failed(*reply.error));
    if (reply.status != 409) return done(result(doc));
    // It exists: ours from an earlier attempt (same content), adoptable, or someone else's.
    ChefCall get;
    get.path = object_path(req.planned);
    get.address = req.address;
    env.api->call(std::move(get), [this, req, doc, put, done, id](ChefReply got) {
      if (got.error) return done(failed(*got.error));
      const bool same = document(attributes(got.body, req.planned)) == doc;
      const bool adopt = bool_attr(req.planned, "adopt").value_or(false);
      if (same) {
        ApplyResult r;
        r.object = ObjectState{search_field() == "id" ? search_index(req.planned) + "/" + id : id,
                               attributes(got.body, req.planned)};
        return done(std::move(r));
      }
      if (adopt) return put(false);
      done(failed(fmt::format("{}: the {} \"{}\" already exists on the Chef Server", req.address,
                              kind(), id),
                  "orch did not create it and will not overwrite it. Set adopt = true to take "
                  "it over (its content becomes this configuration's), or remove it first."));
    });
  });
}

Value normalize_run_list(const Value& run_list) {
  if (!run_list.is_sequence() || !run_list.is_wholly_known()) return run_list;
  ValueList out;
  std::set<std::string> seen;
  for (const Value& e : run_list.elements()) {
    if (e.kind() != ValueKind::String) {
      out.push_back(e);
      continue;
    }
    std::string item = e.as_string();
    if (item.rfind("recipe[", 0) != 0 && item.rfind("role[", 0) != 0) item = "recipe[" + item + "]";
    if (seen.insert(item).second) out.push_back(Value::string(item));
  }
  return Value::list(std::move(out), Type::string());
}

AttributeSchema adopt_attr(const std::string& kind) {
  AttributeSchema a;
  a.name = "adopt";
  a.type = Type::boolean();
  a.optional = true;
  a.default_value = Value::boolean(false);
  a.description = "Take over a " + kind +
                  " of this name that already exists (created outside orch): its content is "
                  "replaced by this configuration's. Without it, orch refuses to overwrite it.";
  return a;
}

}  // namespace orch::chef
