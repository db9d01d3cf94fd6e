// chef_node: a node on the Chef Server, of which orch owns only what it declares (see
// chef_node_merge.h). Writes are read-modify-write with a read-back: a save by someone else
// (a chef-client run ending) between orch's read and its read-back is detected, and orch merges
// and writes again, up to kWriteRounds times, then fails with an error saying so.
#include <fmt/format.h>

#include "providers/chef/chef_document.h"
#include "providers/chef/chef_node_merge.h"
#include "providers/chef/chef_types.h"

namespace orch::chef {

void read_nodes(ChefEnv& env, std::vector<ReadItem> items, std::function<void(ReadResult)> done);

namespace {

constexpr int kWriteRounds = 3;

struct NodeWrite {
  ChefEnv* env;
  ApplyRequest req;
  NodeIntent intent;
  NodeMarks marks;
  std::function<void(ApplyResult)> done;
  bool adopting = false;  // create that met an existing node
  bool adopted = false;
  int round = 0;
  std::string last_conflict;
};

std::string node_path(const std::string& name) {
  return "/nodes/" + seg(name);
}

ValueMap with_adopted(ValueMap planned, bool adopted) {
  planned["adopted"] = Value::boolean(adopted);
  return planned;
}

ApplyResult node_result(const NodeWrite& w, const Json& node) {
  ApplyResult r;
  r.object =
      ObjectState{w.intent.name, node_attributes(node, with_adopted(w.req.planned, w.adopted))};
  return r;
}

void write_node(std::shared_ptr<NodeWrite> w);

void create_node(std::shared_ptr<NodeWrite> w) {
  ChefCall call;
  call.method = "POST";
  call.path = "/nodes";
  call.body = new_node(w->intent, w->marks);
  call.accept = {409};
  call.address = w->req.address;
  Json body = *call.body;
  w->env->api->call(std::move(call), [w, body](ChefReply reply) {
    if (reply.error) return w->done(failed(*reply.error));
    if (reply.status == 409) {
      w->adopting = true;
      return write_node(w);
    }
    w->done(node_result(*w, body));
  });
}

void read_back(std::shared_ptr<NodeWrite> w) {
  ChefCall get;
  get.path = node_path(w->intent.name);
  get.address = w->req.address;
  w->env->api->call(std::move(get), [w](ChefReply got) {
    if (got.error) return w->done(failed(*got.error));
    std::string why;
    if (holds_intent(got.body, w->intent, &why)) return w->done(node_result(*w, got.body));
    // Another writer saved the node after orch read it: orch's write was overwritten.
    w->last_conflict = why;
    if (++w->round >= kWriteRounds)
      return w->done(failed(
          fmt::format("{}: node \"{}\" was overwritten by another writer {} times while orch "
                      "wrote it ({})",
                      w->req.address, w->intent.name, w->round, why),
          "Something saved the whole node right after each of orch's writes, most likely "
          "chef-client runs that loaded the node before orch changed it. orch's change is not "
          "on the node. Run apply again when those runs are over (or stop chef-client's "
          "daemon while orch writes); the next plan shows what is missing."));
    w->env->log(w->req.address,
                fmt::format("node \"{}\" was saved by another writer while orch wrote it ({}); "
                            "merging and writing again",
                            w->intent.name, why));
    write_node(w);
  });
}

// GET, merge orch's intent into what is there, PUT, read back.
void write_node(std::shared_ptr<NodeWrite> w) {
  ChefCall get;
  get.path = node_path(w->intent.name);
  get.accept = {404};
  get.address = w->req.address;
  w->env->api->call(std::move(get), [w](ChefReply got) {
    if (got.error) return w->done(failed(*got.error));
    if (got.status == 404) {
      // Gone (deleted outside orch, or between a 409 and now): create it.
      w->env->log(w->req.address,
                  fmt::format("node \"{}\" does not exist; creating it", w->intent.name));
      w->adopting = false;
      w->adopted = false;
      return create_node(w);
    }
    if (w->adopting && w->round == 0) {
      std::string owner = other_owner(got.body, w->marks);
      if (!owner.empty())
        return w->done(failed(
            fmt::format("{}: node \"{}\" already exists and belongs to {}", w->req.address,
                        w->intent.name, owner),
            fmt::format("orch adopts an existing node only when no other owner has marked it "
                        "(normal.orch.<stack> and \"orch:<stack>\" tags). Remove the other "
                        "stack's resource, or its marks from the node, if it is really yours.")));
      // Our own mark: an earlier attempt created it. Otherwise it registered itself: adopted.
      w->adopted = !marked_by(got.body, w->marks);
    }
    ChefCall put;
    put.method = "PUT";
    put.path = node_path(w->intent.name);
    put.body = merge_into(got.body, w->intent, w->marks);
    put.address = w->req.address;
    w->env->api->call(std::move(put), [w](ChefReply r) {
      if (r.error) return w->done(failed(*r.error));
      read_back(w);
    });
  });
}

class ChefNode final : public ChefResourceType {
 public:
  std::string name() const override { return "chef_node"; }

  Schema schema() const override {
    const Type str = Type::string();
    Schema s;
    s.description =
        "A node on the Chef Server. orch owns only what it declares: the normal attribute paths "
        "in `normal`, the tags in `tags`, and the fields it sets; everything else on the node "
        "(what chef-client saves) is kept on every write and ignored by diffs.";
    s.attributes = {
        required_attr("name", str, "The node's name.", true),
        optional_attr("chef_environment", str, std::nullopt,
                      "Its environment; unset: not managed (a new node gets \"_default\")."),
        optional_attr("run_list", Type::list(str), std::nullopt,
                      "Its run list; unset: not managed. A bare \"x\" means \"recipe[x]\"."),
        optional_attr("normal", Type::any(), Value::object({}),
                      "Normal attributes orch owns: each leaf path (objects are followed) is "
                      "set; paths removed from here are removed from the node."),
        optional_attr("tags", Type::list(str), Value::list({}, str),
                      "Tags orch ensures on the node (others' tags are kept)."),
        optional_attr("policy_name", str, std::nullopt, "Policyfile name; unset: not managed."),
        optional_attr("policy_group", str, std::nullopt, "Policy group; unset: not managed."),
        computed_attr("automatic", automatic_type(),
                      "What ohai last reported: fqdn, ipaddress, platform, platform_version, "
                      "ohai_time (null before the first chef-client run)."),
        computed_attr("adopted", Type::boolean(),
                      "The node existed when orch created it (it registered itself): destroying "
                      "the resource then removes only orch's attributes, tags and marks."),
    };
    return s;
  }

  PlanResponse plan(const PlanRequest& req, const Schema& schema) const override {
    PlanResponse resp = plan_from_schema(req, schema);
    ValueMap& p = resp.planned;
    if (const Value* rl = attr(p, "run_list"); rl && !rl->is_null())
      p["run_list"] = normalize_run_list(*rl);
    if (auto n = string_attr(p, "name"); n && !valid_chef_name(*n))
      resp.diagnostics.error({}, fmt::format("{}: invalid node name \"{}\"", req.address, *n),
                             "Node names use letters, digits, '_', '-', '.' and ':'.");
    const Value* normal = attr(p, "normal");
    if (normal && normal->is_wholly_known() && !normal->is_null() &&
        !normal->unmarked().is_mapping())
      resp.diagnostics.error({}, req.address + ": normal must be an object",
                             "Write normal = { app = { port = 80 } }.");
    if (normal && normal->is_wholly_known() && normal->unmarked().is_mapping() &&
        normal->unmarked().attributes().count("orch"))
      resp.diagnostics.error({}, req.address + ": normal.orch is orch's own namespace",
                             "orch keeps its ownership marks there; use another top-level key.");
    if (auto tags = strings_attr(p, "tags"))
      for (const auto& t : *tags)
        if (t.rfind("orch:", 0) == 0)
          resp.diagnostics.error({},
                                 fmt::format("{}: tag \"{}\" uses orch's prefix", req.address, t),
                                 "Tags starting with \"orch:\" are orch's ownership marks.");
    if (req.prior) {
      for (const char* k : {"run_list", "chef_environment", "policy_name", "policy_group"}) {
        const Value* was = attr(req.prior->attributes, k);
        const Value* now = attr(p, k);
        if (was && !was->is_null() && (!now || now->is_null()))
          resp.notes.push_back(fmt::format("{} is no longer managed: the node keeps its value", k));
      }
    }
    return resp;
  }

  void read_many(ChefEnv& env, std::vector<ReadItem> items,
                 std::function<void(ReadResult)> done) override {
    read_nodes(env, std::move(items), std::move(done));
  }

  void apply(ChefEnv& env, const ApplyRequest& req,
             std::function<void(ApplyResult)> done) override {
    auto w = std::make_shared<NodeWrite>();
    w->env = &env;
    w->req = req;
    w->done = std::move(done);
    w->marks = NodeMarks{env.stack, req.address, env.ctx.state_lineage};
    const ValueMap* prior = req.prior ? &req.prior->attributes : nullptr;
    if (req.action == ChangeAction::Delete) {
      w->intent = node_intent(prior ? *prior : req.planned, nullptr);
      return delete_node(w, prior && bool_attr(*prior, "adopted").value_or(false));
    }
    for (const auto& [name, v] : req.planned)
      if (!v.is_wholly_known() && name != "automatic" && name != "adopted")
        return w->done(
            failed(fmt::format("{}: \"{}\" is not known at apply time", req.address, name)));
    w->intent = node_intent(req.planned, prior);
    if (req.action == ChangeAction::Create) return create_node(w);
    w->adopted = prior && bool_attr(*prior, "adopted").value_or(false);
    write_node(w);
  }

 private:
  static void delete_node(std::shared_ptr<NodeWrite> w, bool adopted) {
    if (!adopted) {
      ChefCall call;
      call.method = "DELETE";
      call.path = node_path(w->intent.name);
      call.accept = {404};
      call.address = w->req.address;
      return w->env->api->call(std::move(call), [w](ChefReply reply) {
        w->done(reply.error ? failed(*reply.error) : ApplyResult{});
      });
    }
    // Adopted: the node belongs to its machine; take back only what orch put there.
    ChefCall get;
    get.path = node_path(w->intent.name);
    get.accept = {404};
    get.address = w->req.address;
    w->env->api->call(std::move(get), [w](ChefReply got) {
      if (got.error) return w->done(failed(*got.error));
      if (got.status == 404) return w->done(ApplyResult{});
      ChefCall put;
      put.method = "PUT";
      put.path = node_path(w->intent.name);
      put.body = release(got.body, w->intent, w->marks);
      put.address = w->req.address;
      w->env->api->call(std::move(put),
                        [w](ChefReply r) { w->done(r.error ? failed(*r.error) : ApplyResult{}); });
    });
  }
};

}  // namespace

std::unique_ptr<ChefResourceType> make_chef_node() {
  return std::make_unique<ChefNode>();
}

}  // namespace orch::chef
