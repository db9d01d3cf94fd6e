// The chef provider's readiness gates for ready_when:
//   chef_node = NAME                             the node is registered (GET /nodes/NAME is 200)
//   chef_tag = TAG | { node = NAME, tag = TAG }  the node (self's, or NAME) carries TAG
//   chef_attribute = { node, path, value }       the node's merged attribute at the dotted path
//                                                equals value (exists, without value)
// Tags and attributes are read with a partial search (the server's own merge of precedence
// levels, one small request); a transient server failure means "not yet", others fail the gate.
#include <fmt/format.h>

#include "providers/chef/chef_types.h"

namespace orch::chef {
namespace {

GateResult not_yet(std::string message) {
  GateResult r;
  r.message = std::move(message);
  return r;
}

GateResult gate_error(const ProviderError& e) {
  GateResult r;
  r.message = e.summary;
  if (!e.retryable) r.error = e;  // transient: keep polling
  return r;
}

// The node name a gate on `self` means: chef_node's name, or a machine's node_name or DNS name.
std::optional<std::string> self_node(const ValueMap& self) {
  for (const char* k : {"node_name", "name", "private_dns", "fqdn", "hostname"})
    if (auto v = string_attr(self, k); v && !v->empty()) return v;
  return std::nullopt;
}

JsonPath dotted(const std::string& path) {
  JsonPath parts;
  std::string cur;
  for (char c : path) {
    if (c == '.') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

// Partial search of one node by name for `keys`; `done` gets the row's data or nullptr when the
// node is not (yet) in the index.
void search_node(ChefEnv& env, const std::string& node, Json keys, const std::string& address,
                 std::function<void(std::optional<ProviderError>, std::optional<Json>)> done) {
  SearchPaging paging;
  paging.index = "node";
  paging.query = "name:" + solr_escape(node);
  paging.keys = std::move(keys);
  paging.page_size = 10;
  paging.address = address;
  auto found = std::make_shared<std::optional<Json>>();
  paged_search(
      env, paging, [found](const Json& row) { *found = row; },
      [found, done](std::optional<ProviderError> err, int) {
        if (err) return done(err, std::nullopt);
        done(std::nullopt, *found);
      });
}

class NodeGate final : public ChefGateKind {
 public:
  GateSchema schema() const override {
    return {"chef_node", Type::string(),
            "Holds when the named node is registered with the Chef "
            "Server."};
  }
  void check(ChefEnv& env, const GateRequest& req, std::function<void(GateResult)> done) override {
    Value v = req.value.unmarked();
    if (v.kind() != ValueKind::String || v.as_string().empty()) {
      GateResult r;
      r.message = "chef_node needs a node name";
      r.error = error(r.message);
      return done(r);
    }
    const std::string name = v.as_string();
    ChefCall call;
    call.path = "/nodes/" + seg(name);
    call.accept = {404};
    call.address = req.address;
    call.retry = false;  // the gate polls again anyway
    env.api->call(std::move(call), [name, done](ChefReply reply) {
      if (reply.error) return done(gate_error(*reply.error));
      if (reply.status == 404)
        return done(not_yet(fmt::format("node \"{}\" is not registered yet", name)));
      GateResult r;
      r.holds = true;
      r.message = fmt::format("node \"{}\" is registered", name);
      done(r);
    });
  }
};

class TagGate final : public ChefGateKind {
 public:
  GateSchema schema() const override {
    return {"chef_tag", Type::any(),
            "Holds when a node carries a tag: chef_tag = \"TAG\" (the node of self) or "
            "chef_tag = { node = NAME, tag = TAG }."};
  }
  void check(ChefEnv& env, const GateRequest& req, std::function<void(GateResult)> done) override {
    Value v = req.value.unmarked();
    std::optional<std::string> node, tag;
    if (v.kind() == ValueKind::String) {
      tag = v.as_string();
      node = self_node(req.self);
    } else if (v.is_mapping()) {
      tag = string_attr(v.attributes(), "tag");
      node = string_attr(v.attributes(), "node");
      if (!node) node = self_node(req.self);
    }
    if (!tag || tag->empty() || !node) {
      GateResult r;
      r.message = !node ? "chef_tag: no node to check (self has no name; write { node = NAME, "
                          "tag = TAG })"
                        : "chef_tag needs a tag";
      r.error = error(r.message);
      return done(r);
    }
    search_node(env, *node, Json{{"tags", {"tags"}}}, req.address,
                [node = *node, tag = *tag, done](std::optional<ProviderError> err,
                                                 std::optional<Json> row) {
                  if (err) return done(gate_error(*err));
                  if (!row)
                    return done(not_yet(fmt::format("node \"{}\" is not registered yet", node)));
                  const Json* tags = get_path(*row, {"tags"});
                  if (tags && tags->is_array())
                    for (const auto& t : *tags)
                      if (t == tag) {
                        GateResult r;
                        r.holds = true;
                        r.message = fmt::format("node \"{}\" has tag \"{}\"", node, tag);
                        return done(r);
                      }
                  done(not_yet(fmt::format("node \"{}\" does not have tag \"{}\" yet", node, tag)));
                });
  }
};

class AttributeGate final : public ChefGateKind {
 public:
  GateSchema schema() const override {
    return {"chef_attribute", Type::any(),
            "Holds when a node's attribute (merged, dotted path) equals value: chef_attribute = "
            "{ node = NAME, path = \"a.b\", value = X }; without value, when it exists."};
  }
  void check(ChefEnv& env, const GateRequest& req, std::function<void(GateResult)> done) override {
    Value v = req.value.unmarked();
    std::optional<std::string> node, path;
    const Value* want = nullptr;
    if (v.is_mapping()) {
      node = string_attr(v.attributes(), "node");
      path = string_attr(v.attributes(), "path");
      want = attr(v.attributes(), "value");
      if (want && want->is_null()) want = nullptr;
    }
    if (!node) node = self_node(req.self);
    if (!node || !path || path->empty()) {
      GateResult r;
      r.message = "chef_attribute needs { node = NAME, path = \"a.b\", value = X }";
      r.error = error(r.message);
      return done(r);
    }
    std::optional<Json> expected;
    if (want) expected = to_json(*want);
    search_node(
        env, *node, Json{{"v", dotted(*path)}}, req.address,
        [node = *node, path = *path, expected, done](std::optional<ProviderError> err,
                                                     std::optional<Json> row) {
          if (err) return done(gate_error(*err));
          if (!row) return done(not_yet(fmt::format("node \"{}\" is not registered yet", node)));
          const Json* got = get_path(*row, {"v"});
          const bool present = got && !got->is_null();
          if (present && (!expected || *got == *expected)) {
            GateResult r;
            r.holds = true;
            r.message = fmt::format("node \"{}\": {} = {}", node, path, got->dump());
            return done(r);
          }
          done(not_yet(present ? fmt::format("node \"{}\": {} is {}, waiting for {}", node, path,
                                             got->dump(), expected->dump())
                               : fmt::format("node \"{}\": {} is not set yet", node, path)));
        });
  }
};

}  // namespace

std::unique_ptr<ChefGateKind> make_chef_node_gate() {
  return std::make_unique<NodeGate>();
}
std::unique_ptr<ChefGateKind> make_chef_tag_gate() {
  return std::make_unique<TagGate>();
}
std::unique_ptr<ChefGateKind> make_chef_attribute_gate() {
  return std::make_unique<AttributeGate>();
}

}  // namespace orch::chef
