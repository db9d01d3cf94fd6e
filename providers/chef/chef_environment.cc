// chef_environment: a Chef environment (cookbook version constraints, default and override
// attributes), owned whole by orch; refreshed by partial search of the environment index.
#include "providers/chef/chef_document.h"
#include "providers/chef/chef_types.h"

namespace orch::chef {
namespace {

class ChefEnvironment final : public ChefDocumentType {
 public:
  std::string name() const override { return "chef_environment"; }

  Schema schema() const override {
    const Type str = Type::string();
    Schema s;
    s.description = "An environment on the Chef Server, owned whole by orch.";
    s.attributes = {
        required_attr("name", str, "The environment's name (not \"_default\").", true),
        optional_attr("description", str, Value::string(""), "Free text."),
        optional_attr("cookbook_versions", Type::map(str), Value::map({}, str),
                      "Cookbook version constraints, e.g. { nginx = \"= 2.7.6\" }."),
        optional_attr("default_attributes", Type::any(), Value::object({}),
                      "Default-precedence attributes (an object)."),
        optional_attr("override_attributes", Type::any(), Value::object({}),
                      "Override-precedence attributes (an object)."),
        adopt_attr("environment"),
    };
    return s;
  }

  PlanResponse plan(const PlanRequest& req, const Schema& schema) const override {
    PlanResponse resp = plan_from_schema(req, schema);
    if (auto n = string_attr(resp.planned, "name")) {
      if (*n == "_default")
        resp.diagnostics.error({}, req.address + ": the \"_default\" environment cannot be managed",
                               "The Chef Server does not allow changing it; use another name.");
      else if (!valid_chef_name(*n))
        resp.diagnostics.error({}, req.address + ": invalid environment name \"" + *n + "\"",
                               "Environment names use letters, digits, '_', '-', '.' and ':'.");
    }
    return resp;
  }

 protected:
  std::string kind() const override { return "environment"; }
  std::string collection(const ValueMap&) const override { return "/environments"; }
  std::string object_name(const ValueMap& a) const override {
    return string_attr(a, "name").value_or("");
  }
  std::string search_index(const ValueMap&) const override { return "environment"; }
  Json search_keys() const override {
    return Json{{"name", {"name"}},
                {"description", {"description"}},
                {"cookbook_versions", {"cookbook_versions"}},
                {"default_attributes", {"default_attributes"}},
                {"override_attributes", {"override_attributes"}}};
  }

  Json document(const ValueMap& p) const override {
    Json d = Json::object();
    d["name"] = object_name(p);
    d["description"] = string_attr(p, "description").value_or("");
    d["json_class"] = "Chef::Environment";
    d["chef_type"] = "environment";
    for (const char* k : {"cookbook_versions", "default_attributes", "override_attributes"}) {
      const Value* v = attr(p, k);
      d[k] = v && !v->is_null() ? to_json(*v) : Json::object();
    }
    return d;
  }

  ValueMap attributes(const Json& doc, const ValueMap& prior) const override {
    auto field = [&](const char* k) {
      const Json* v = get_path(doc, {k});
      return v && v->is_object() ? *v : Json::object();
    };
    const Json* name = get_path(doc, {"name"});
    const Json* desc = get_path(doc, {"description"});
    ValueMap a;
    a["name"] = Value::string(name && name->is_string() ? name->get<std::string>() : "");
    a["description"] = Value::string(desc && desc->is_string() ? desc->get<std::string>() : "");
    a["cookbook_versions"] = from_json(field("cookbook_versions"), Type::map(Type::string()));
    a["default_attributes"] = from_json(field("default_attributes"));
    a["override_attributes"] = from_json(field("override_attributes"));
    a["adopt"] = Value::boolean(bool_attr(prior, "adopt").value_or(false));
    return a;
  }
};

}  // namespace

std::unique_ptr<ChefResourceType> make_chef_environment() {
  return std::make_unique<ChefEnvironment>();
}

}  // namespace orch::chef
