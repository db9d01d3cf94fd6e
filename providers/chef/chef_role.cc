// chef_role: a Chef role (run list, per-environment run lists, default and override attributes),
// owned whole by orch; refreshed by partial search of the role index.
#include "providers/chef/chef_document.h"
#include "providers/chef/chef_types.h"

namespace orch::chef {
namespace {

class ChefRole final : public ChefDocumentType {
 public:
  std::string name() const override { return "chef_role"; }

  Schema schema() const override {
    const Type str = Type::string();
    Schema s;
    s.description = "A role on the Chef Server, owned whole by orch.";
    s.attributes = {
        required_attr("name", str, "The role's name.", true),
        optional_attr("description", str, Value::string(""), "Free text."),
        optional_attr("run_list", Type::list(str), Value::list({}, str),
                      "Run list: \"recipe[x]\", \"role[y]\" (a bare \"x\" means \"recipe[x]\")."),
        optional_attr("env_run_lists", Type::map(Type::list(str)), Value::map({}, Type::list(str)),
                      "Run lists per environment, replacing run_list there."),
        optional_attr("default_attributes", Type::any(), Value::object({}),
                      "Default-precedence attributes (an object)."),
        optional_attr("override_attributes", Type::any(), Value::object({}),
                      "Override-precedence attributes (an object)."),
        adopt_attr("role"),
    };
    return s;
  }

  PlanResponse plan(const PlanRequest& req, const Schema& schema) const override {
    PlanResponse resp = plan_from_schema(req, schema);
    resp.planned["run_list"] = normalize_run_list(resp.planned["run_list"]);
    if (const Value* e = attr(resp.planned, "env_run_lists"); e && e->is_wholly_known()) {
      ValueMap lists;
      for (const auto& [env, list] : e->attributes()) lists[env] = normalize_run_list(list);
      resp.planned["env_run_lists"] = Value::map(std::move(lists), Type::list(Type::string()));
    }
    if (auto n = string_attr(resp.planned, "name"); n && !valid_chef_name(*n))
      resp.diagnostics.error({}, req.address + ": invalid role name \"" + *n + "\"",
                             "Role names use letters, digits, '_', '-', '.' and ':'.");
    return resp;
  }

 protected:
  std::string kind() const override { return "role"; }
  std::string collection(const ValueMap&) const override { return "/roles"; }
  std::string object_name(const ValueMap& a) const override {
    return string_attr(a, "name").value_or("");
  }
  std::string search_index(const ValueMap&) const override { return "role"; }
  Json search_keys() const override {
    return Json{{"name", {"name"}},
                {"description", {"description"}},
                {"run_list", {"run_list"}},
                {"env_run_lists", {"env_run_lists"}},
                {"default_attributes", {"default_attributes"}},
                {"override_attributes", {"override_attributes"}}};
  }

  Json document(const ValueMap& p) const override {
    Json d = Json::object();
    d["name"] = object_name(p);
    d["description"] = string_attr(p, "description").value_or("");
    d["json_class"] = "Chef::Role";
    d["chef_type"] = "role";
    d["run_list"] = to_json(*attr(p, "run_list"));
    d["env_run_lists"] = to_json(*attr(p, "env_run_lists"));
    d["default_attributes"] = to_json(*attr(p, "default_attributes"));
    d["override_attributes"] = to_json(*attr(p, "override_attributes"));
    for (const char* k : {"run_list", "env_run_lists", "default_attributes", "override_attributes"})
      if (d[k].is_null()) d[k] = std::string(k) == "run_list" ? Json::array() : Json::object();
    return d;
  }

  ValueMap attributes(const Json& doc, const ValueMap& prior) const override {
    const Type str = Type::string();
    auto field = [&](const char* k, Json def) {
      const Json* v = get_path(doc, {k});
      return v && !v->is_null() ? *v : def;
    };
    ValueMap a;
    a["name"] = Value::string(field("name", "").get<std::string>());
    Json desc = field("description", "");
    a["description"] = Value::string(desc.is_string() ? desc.get<std::string>() : "");
    a["run_list"] = from_json(field("run_list", Json::array()), Type::list(str));
    a["env_run_lists"] =
        from_json(field("env_run_lists", Json::object()), Type::map(Type::list(str)));
    a["default_attributes"] = from_json(field("default_attributes", Json::object()));
    a["override_attributes"] = from_json(field("override_attributes", Json::object()));
    a["adopt"] = Value::boolean(bool_attr(prior, "adopt").value_or(false));
    return a;
  }
};

}  // namespace

std::unique_ptr<ChefResourceType> make_chef_role() {
  return std::make_unique<ChefRole>();
}

}  // namespace orch::chef
