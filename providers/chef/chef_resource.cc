// Helpers shared by the chef resource types (see chef_resource.h): schema-driven planning,
// attribute access, names, Solr queries and paged partial search.
#include "providers/chef/chef_resource.h"

#include <fmt/format.h>

#include <algorithm>

#include "providers/force_new.h"
#include "providers/http/request.h"

namespace orch::chef {

PlanResponse ChefResourceType::plan(const PlanRequest& request, const Schema& schema) const {
  return plan_from_schema(request, schema);
}

PlanResponse plan_from_schema(const PlanRequest& req, const Schema& schema) {
  PlanResponse resp;
  ValueMap& planned = resp.planned;
  for (const auto& a : schema.attributes) {
    const Value* v = attr(req.config, a.name);
    const bool set = v && !v->is_null();
    if (a.computed && !a.optional && !a.required) continue;
    if (!set && a.default_value)
      planned[a.name] = normalize(*a.default_value, a.type);
    else if (set)
      planned[a.name] = normalize(*v, a.type);
    else if (!a.computed)
      planned[a.name] = Value::null(a.type);
  }
  const ValueMap* prior = req.prior ? &req.prior->attributes : nullptr;
  resp.force_new_paths = changed_force_new(schema, planned, prior);
  const bool keeps = prior && resp.force_new_paths.empty();
  for (const auto& a : schema.attributes) {
    if (!a.computed || planned.count(a.name)) continue;
    const Value* was = keeps ? attr(*prior, a.name) : nullptr;
    planned[a.name] = was ? *was : Value::unknown(a.type);
  }
  return resp;
}

const Value* attr(const ValueMap& m, const std::string& name) {
  auto it = m.find(name);
  return it == m.end() ? nullptr : &it->second;
}

std::optional<std::string> string_attr(const ValueMap& m, const std::string& name) {
  const Value* v = attr(m, name);
  if (!v || v->kind() != ValueKind::String) return std::nullopt;
  return v->as_string();
}

std::optional<bool> bool_attr(const ValueMap& m, const std::string& name) {
  const Value* v = attr(m, name);
  if (!v || v->kind() != ValueKind::Bool) return std::nullopt;
  return v->as_bool();
}

std::optional<std::vector<std::string>> strings_attr(const ValueMap& m, const std::string& name) {
  const Value* v = attr(m, name);
  if (!v || !v->is_sequence() || !v->is_wholly_known()) return std::nullopt;
  std::vector<std::string> out;
  for (const Value& e : v->elements()) {
    if (e.kind() != ValueKind::String) return std::nullopt;
    out.push_back(e.as_string());
  }
  return out;
}

ProviderError error(std::string summary, std::string detail) {
  return ProviderError{std::move(summary), std::move(detail), false, std::nullopt};
}

ApplyResult failed(ProviderError e) {
  ApplyResult r;
  r.error = std::move(e);
  return r;
}

ApplyResult failed(std::string summary, std::string detail) {
  return failed(error(std::move(summary), std::move(detail)));
}

bool valid_chef_name(const std::string& name, bool allow_dot_colon) {
  if (name.empty() || name.size() > 255) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || (allow_dot_colon && (c == '.' || c == ':'));
  });
}

std::string seg(const std::string& name) {
  // Valid Chef names need no encoding (':' is allowed in a path segment): the path signed is
  // then the path the server sees, with no doubt about decoding. Anything else is encoded.
  std::string out;
  for (char c : name) {
    if (c == ':') {
      out += c;
    } else {
      out += http::url_encode(std::string(1, c));
    }
  }
  return out;
}

std::string solr_escape(const std::string& term) {
  static const std::string special = "+-&|!(){}[]^\"~*?:\\/ ";
  std::string out;
  for (char c : term) {
    if (special.find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

std::vector<std::string> name_queries(const std::string& field,
                                      const std::vector<std::string>& names, size_t per_query) {
  std::vector<std::string> out;
  for (size_t i = 0; i < names.size(); i += per_query) {
    std::string q = field + ":(";
    for (size_t j = i; j < std::min(names.size(), i + per_query); ++j)
      q += (j == i ? "" : " OR ") + solr_escape(names[j]);
    out.push_back(q + ")");
  }
  return out;
}

namespace {

struct SearchRun {
  ChefEnv* env;
  SearchPaging paging;
  std::function<void(const Json&)> row;
  std::function<void(std::optional<ProviderError>, int)> done;
  int requests = 0;
  int64_t total = -1;
  int64_t next_start = 0;
  int in_flight = 0;
  std::optional<ProviderError> failure;
  bool finished = false;
};

void fetch(std::shared_ptr<SearchRun> run, int64_t start);

void launch_more(const std::shared_ptr<SearchRun>& run) {
  while (!run->failure && run->total >= 0 && run->next_start < run->total &&
         run->in_flight < std::max(1, run->paging.parallel)) {
    int64_t start = run->next_start;
    run->next_start += run->paging.page_size;
    fetch(run, start);
  }
  if (run->in_flight == 0 && !run->finished &&
      (run->failure || (run->total >= 0 && run->next_start >= run->total))) {
    run->finished = true;
    run->done(run->failure, run->requests);
  }
}

void fetch(std::shared_ptr<SearchRun> run, int64_t start) {
  const bool partial = !run->paging.keys.is_null();
  ChefCall call;
  call.method = partial ? "POST" : "GET";
  call.path = fmt::format("/search/{}?q={}&rows={}&start={}", seg(run->paging.index),
                          http::url_encode(run->paging.query), run->paging.page_size, start);
  if (partial) call.body = run->paging.keys;
  if (run->paging.missing_ok) call.accept = {404};
  call.address = run->paging.address;
  ++run->in_flight;
  ++run->requests;
  run->env->api->call(std::move(call), [run, start, partial](ChefReply reply) {
    --run->in_flight;
    if (reply.error) {
      if (!run->failure) run->failure = reply.error;
    } else if (reply.status == 404) {
      run->total = 0;
    } else {
      const Json& body = reply.body;
      if (run->total < 0) {
        auto t = body.find("total");
        run->total = t != body.end() && t->is_number_integer() ? t->get<int64_t>() : 0;
        if (run->paging.on_total) run->paging.on_total(run->total);
        if (run->paging.limit > 0) run->total = std::min(run->total, run->paging.limit);
        run->next_start = std::max<int64_t>(run->next_start, start + run->paging.page_size);
      }
      if (auto rows = body.find("rows"); rows != body.end() && rows->is_array()) {
        for (const auto& r : *rows) {
          auto d = partial && r.is_object() ? r.find("data") : r.end();
          run->row(partial && d != r.end() ? *d : r);
        }
      }
    }
    launch_more(run);
  });
}

}  // namespace

void paged_search(ChefEnv& env, SearchPaging paging, std::function<void(const Json&)> row,
                  std::function<void(std::optional<ProviderError>, int)> done) {
  if (!env.api) return done(env.unavailable, 0);
  auto run = std::make_shared<SearchRun>();
  run->env = &env;
  run->paging = std::move(paging);
  if (run->paging.page_size <= 0) run->paging.page_size = 1000;
  run->row = std::move(row);
  run->done = std::move(done);
  // The first page tells the total; the rest go `parallel` at a time.
  fetch(run, 0);
}

}  // namespace orch::chef
