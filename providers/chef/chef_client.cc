// chef_client: an API client of the organization. Either it is given a public key (nothing secret
// passes through orch), or the server generates a key pair and orch writes the private key to
// `key_file` (mode 0600) — never into state, plans or output. Refreshed by partial search.
#include <fmt/format.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "providers/chef/chef_document.h"
#include "providers/chef/chef_types.h"

namespace orch::chef {
namespace {

namespace fs = std::filesystem;

// Writes `text` to `path` with mode 0600 through a temporary file and a rename.
bool write_private_file(const std::string& path, const std::string& text, std::string* error) {
  const std::string tmp = path + ".orch-tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      *error = "cannot create " + tmp;
      return false;
    }
    ::chmod(tmp.c_str(), 0600);
    out << text;
    out.flush();
    if (!out) {
      *error = "cannot write " + tmp;
      return false;
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    *error = "cannot move the key into " + path;
    return false;
  }
  return true;
}

class ChefClient final : public ChefResourceType {
 public:
  std::string name() const override { return "chef_client"; }

  Schema schema() const override {
    const Type str = Type::string();
    AttributeSchema pub = optional_attr(
        "public_key", str, std::nullopt,
        "The client's public key (PEM). Unset: the server generates a key pair and orch writes "
        "its private key to key_file.",
        true);
    pub.computed = true;
    Schema s;
    s.description = "An API client of the organization (for a machine or a tool).";
    s.attributes = {
        required_attr("name", str, "The client's name.", true),
        optional_attr("validator", Type::boolean(), Value::boolean(false),
                      "A validator client (may register other clients).", true),
        pub,
        optional_attr("key_file", str, std::nullopt,
                      "Where orch writes the generated private key (mode 0600); required without "
                      "public_key. The key never enters state or output."),
    };
    return s;
  }

  PlanResponse plan(const PlanRequest& req, const Schema& schema) const override {
    PlanResponse resp = plan_from_schema(req, schema);
    const Value* pub = attr(req.config, "public_key");
    const Value* file = attr(req.config, "key_file");
    if ((!pub || pub->is_null()) && (!file || file->is_null()) && !req.prior)
      resp.diagnostics.error({}, req.address + ": set public_key or key_file",
                             "Without a public key the server generates a key pair; orch needs "
                             "key_file to put its private half somewhere only you can read.");
    if (auto n = string_attr(resp.planned, "name"); n && !valid_chef_name(*n))
      resp.diagnostics.error({}, fmt::format("{}: invalid client name \"{}\"", req.address, *n));
    return resp;
  }

  void read_many(ChefEnv& env, std::vector<ReadItem> items,
                 std::function<void(ReadResult)> done) override {
    auto res = std::make_shared<ReadResult>();
    auto rows = std::make_shared<std::map<std::string, Json>>();
    std::vector<std::string> names;
    for (const auto& i : items) names.push_back(string_attr(i.attributes, "name").value_or(i.id));
    auto queries = name_queries("name", names, 200);
    if (queries.empty()) return done(ReadResult{});
    auto left = std::make_shared<size_t>(queries.size());
    for (const auto& q : queries) {
      SearchPaging paging;
      paging.index = "client";
      paging.query = q;
      paging.keys =
          Json{{"name", {"name"}}, {"validator", {"validator"}}, {"public_key", {"public_key"}}};
      paged_search(
          env, paging,
          [rows](const Json& d) {
            if (const Json* n = get_path(d, {"name"}); n && n->is_string())
              (*rows)[n->get<std::string>()] = d;
          },
          [res, rows, left, items, done](std::optional<ProviderError> err, int requests) {
            res->requests += requests;
            if (err && !res->error) res->error = err;
            if (--*left > 0) return;
            if (!res->error) {
              for (const auto& item : items) {
                auto name = string_attr(item.attributes, "name").value_or(item.id);
                auto it = rows->find(name);
                if (it == rows->end()) continue;
                ValueMap a = item.attributes;
                if (const Json* v = get_path(it->second, {"validator"}); v && v->is_boolean())
                  a["validator"] = Value::boolean(v->get<bool>());
                if (const Json* k = get_path(it->second, {"public_key"}); k && k->is_string())
                  a["public_key"] = Value::string(k->get<std::string>());
                res->objects[item.address] = ObjectState{name, a};
              }
            }
            done(std::move(*res));
          });
    }
  }

  void apply(ChefEnv& env, const ApplyRequest& req,
             std::function<void(ApplyResult)> done) override {
    const ValueMap& attrs =
        req.action == ChangeAction::Delete && req.prior ? req.prior->attributes : req.planned;
    const std::string name = string_attr(attrs, "name").value_or("");
    const std::string key_file = string_attr(attrs, "key_file").value_or("");
    if (req.action == ChangeAction::Delete) {
      ChefCall call;
      call.method = "DELETE";
      call.path = "/clients/" + seg(name);
      call.accept = {404};
      call.address = req.address;
      return env.api->call(std::move(call), [done, key_file](ChefReply reply) {
        if (reply.error) return done(failed(*reply.error));
        std::error_code ec;
        if (!key_file.empty()) fs::remove(key_file, ec);
        done(ApplyResult{});
      });
    }
    if (req.action == ChangeAction::Update) {  // only key_file can change in place
      ApplyResult r;
      r.object = ObjectState{name, req.planned};
      if (req.prior)
        if (const Value* k = attr(req.prior->attributes, "public_key"))
          r.object->attributes["public_key"] = *k;
      return done(std::move(r));
    }
    const auto given = string_attr(req.planned, "public_key");
    Json body{{"name", name}, {"validator", bool_attr(req.planned, "validator").value_or(false)}};
    if (given)
      body["public_key"] = *given;
    else
      body["create_key"] = true;
    ChefCall call;
    call.method = "POST";
    call.path = "/clients";
    call.body = body;
    call.accept = {409};
    call.address = req.address;
    // A generated key exists only in the answer: never send that request twice.
    call.retry = given.has_value();
    env.api->call(std::move(call), [&env, req, name, key_file, given, done](ChefReply reply) {
      if (reply.error) return done(failed(*reply.error));
      if (reply.status == 409)
        return done(
            failed(fmt::format("{}: the client \"{}\" already exists", req.address, name),
                   "orch cannot learn an existing client's private key. Delete it (knife client "
                   "delete " +
                       name + ") and apply again, or give this resource its public_key."));
      ValueMap a = req.planned;
      if (given) {
        a["public_key"] = Value::string(*given);
      } else {
        const Json& b = reply.body;
        const Json* priv = get_path(b, {"chef_key", "private_key"});
        if (!priv) priv = get_path(b, {"private_key"});
        const Json* pub = get_path(b, {"chef_key", "public_key"});
        if (!pub) pub = get_path(b, {"public_key"});
        std::string err;
        if (!priv || !priv->is_string()) {
          err = "the server's answer holds no private key";
        } else if (!write_private_file(key_file, priv->get<std::string>(), &err)) {
          // The key cannot be kept: remove the client so a rerun creates it anew.
        }
        if (!err.empty()) {
          ChefCall undo;
          undo.method = "DELETE";
          undo.path = "/clients/" + seg(name);
          undo.accept = {404};
          undo.address = req.address;
          return env.api->call(std::move(undo), [req, name, err, done](ChefReply) {
            done(failed(fmt::format("{}: cannot keep the private key of client \"{}\": {}",
                                    req.address, name, err),
                        "The client was deleted again so that the next apply can create it."));
          });
        }
        a["public_key"] = pub && pub->is_string() ? Value::string(pub->get<std::string>())
                                                  : Value::null(Type::string());
      }
      ApplyResult r;
      r.object = ObjectState{name, a};
      done(std::move(r));
    });
  }
};

}  // namespace

std::unique_ptr<ChefResourceType> make_chef_client() {
  return std::make_unique<ChefClient>();
}

}  // namespace orch::chef
