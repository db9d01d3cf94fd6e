// chef_data_bag: a data bag (the container of items). Refreshed by one GET /data listing every
// bag; created with POST /data; deleting it deletes its items on the server.
#include <fmt/format.h>

#include "providers/chef/chef_document.h"
#include "providers/chef/chef_types.h"

namespace orch::chef {
namespace {

class ChefDataBag final : public ChefResourceType {
 public:
  std::string name() const override { return "chef_data_bag"; }

  Schema schema() const override {
    Schema s;
    s.description =
        "A data bag. Destroying it deletes it with every item in it (items orch manages are "
        "deleted first, as they depend on it).";
    s.attributes = {
        required_attr("name", Type::string(), "The data bag's name.", true),
        adopt_attr("data bag holding items"),
    };
    return s;
  }

  PlanResponse plan(const PlanRequest& req, const Schema& schema) const override {
    PlanResponse resp = plan_from_schema(req, schema);
    if (auto n = string_attr(resp.planned, "name"); n && !valid_chef_name(*n, false))
      resp.diagnostics.error({}, fmt::format("{}: invalid data bag name \"{}\"", req.address, *n),
                             "Data bag names use letters, digits, '_' and '-'.");
    return resp;
  }

  void read_many(ChefEnv& env, std::vector<ReadItem> items,
                 std::function<void(ReadResult)> done) override {
    ChefCall call;
    call.path = "/data";
    env.api->call(std::move(call), [items = std::move(items), done](ChefReply reply) {
      ReadResult res;
      res.requests = reply.attempts;
      if (reply.error) {
        res.error = reply.error;
        return done(std::move(res));
      }
      for (const auto& item : items) {
        auto name = string_attr(item.attributes, "name").value_or(item.id);
        if (reply.body.is_object() && reply.body.contains(name))
          res.objects[item.address] = ObjectState{name, item.attributes};
      }
      done(std::move(res));
    });
  }

  void apply(ChefEnv& env, const ApplyRequest& req,
             std::function<void(ApplyResult)> done) override {
    const ValueMap& attrs =
        req.action == ChangeAction::Delete && req.prior ? req.prior->attributes : req.planned;
    const std::string bag = string_attr(attrs, "name").value_or("");
    auto result = [bag, planned = req.planned]() {
      ApplyResult r;
      r.object = ObjectState{bag, planned};
      return r;
    };
    if (req.action == ChangeAction::Delete) {
      ChefCall call;
      call.method = "DELETE";
      call.path = "/data/" + seg(bag);
      call.accept = {404};
      call.address = req.address;
      return env.api->call(std::move(call), [done](ChefReply reply) {
        done(reply.error ? failed(*reply.error) : ApplyResult{});
      });
    }
    if (req.action == ChangeAction::Update) return done(result());  // only `adopt` changed
    ChefCall call;
    call.method = "POST";
    call.path = "/data";
    call.body = Json{{"name", bag}};
    call.accept = {409};
    call.address = req.address;
    env.api->call(std::move(call), [&env, req, bag, result, done](ChefReply reply) {
      if (reply.error) return done(failed(*reply.error));
      if (reply.status != 409) return done(result());
      // It exists. An empty bag is taken over (an earlier attempt of this create, or nothing to
      // lose); one holding items only with adopt = true.
      ChefCall get;
      get.path = "/data/" + seg(bag);
      get.address = req.address;
      env.api->call(std::move(get), [req, bag, result, done](ChefReply got) {
        if (got.error) return done(failed(*got.error));
        const bool empty = !got.body.is_object() || got.body.empty();
        if (empty || bool_attr(req.planned, "adopt").value_or(false)) return done(result());
        done(failed(fmt::format("{}: the data bag \"{}\" already exists and holds {} items",
                                req.address, bag, got.body.size()),
                    "orch did not create it. Set adopt = true to manage it (destroying it then "
                    "deletes its items), or remove it first."));
      });
    });
  }
};

}  // namespace

std::unique_ptr<ChefResourceType> make_chef_data_bag() {
  return std::make_unique<ChefDataBag>();
}

}  // namespace orch::chef
