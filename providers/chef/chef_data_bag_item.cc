// chef_data_bag_item: one item of a data bag (a JSON object with an "id"), owned whole by orch;
// its content is sensitive when the configuration says so (`sensitive = true`, or a value
// already marked sensitive). Refreshed by search of the bag's index.
#include <fmt/format.h>

#include "providers/chef/chef_document.h"
#include "providers/chef/chef_types.h"

namespace orch::chef {
namespace {

class ChefDataBagItem final : public ChefDocumentType {
 public:
  std::string name() const override { return "chef_data_bag_item"; }

  Schema schema() const override {
    const Type str = Type::string();
    Schema s;
    s.description =
        "An item of a data bag, owned whole by orch. Mark its content sensitive with "
        "sensitive = true to keep it out of plans and output.";
    s.attributes = {
        required_attr("data_bag", str, "The data bag's name.", true),
        required_attr("item_id", str, "The item's id (its \"id\" key).", true),
        optional_attr("content", Type::any(), Value::object({}),
                      "The item's other keys (an object); an \"id\" key, if present, must equal "
                      "item_id."),
        optional_attr("sensitive", Type::boolean(), Value::boolean(false),
                      "Treat content as sensitive: shown as (sensitive) in plans and output."),
        adopt_attr("data bag item"),
    };
    return s;
  }

  PlanResponse plan(const PlanRequest& req, const Schema& schema) const override {
    PlanResponse resp = plan_from_schema(req, schema);
    if (bool_attr(resp.planned, "sensitive").value_or(false))
      resp.planned["content"] = resp.planned["content"].mark_sensitive();
    auto check = [&](const char* what, const std::string& name) {
      if (!valid_chef_name(name, false))
        resp.diagnostics.error({}, fmt::format("{}: invalid {} \"{}\"", req.address, what, name),
                               "Data bag and item names use letters, digits, '_' and '-'.");
    };
    if (auto b = string_attr(resp.planned, "data_bag")) check("data bag name", *b);
    if (auto i = string_attr(resp.planned, "item_id")) check("item id", *i);
    const Value* c = attr(resp.planned, "content");
    if (c && c->is_wholly_known() && !c->is_null() && !c->unmarked().is_mapping())
      resp.diagnostics.error({}, req.address + ": content must be an object",
                             "Write content = { key = value, ... }.");
    return resp;
  }

 protected:
  std::string kind() const override { return "data bag item"; }
  std::string collection(const ValueMap& a) const override {
    return "/data/" + seg(string_attr(a, "data_bag").value_or(""));
  }
  std::string object_name(const ValueMap& a) const override {
    return string_attr(a, "item_id").value_or("");
  }
  std::string search_index(const ValueMap& a) const override {
    return string_attr(a, "data_bag").value_or("");
  }
  Json search_keys() const override { return nullptr; }  // full search: items have any keys
  std::string search_field() const override { return "id"; }
  Json search_row(const Json& row) const override {
    // Full search rows wrap the item: {"name": "data_bag_item_B_I", "raw_data": {...}, ...}.
    if (row.is_object() && row.contains("raw_data")) return row["raw_data"];
    return row;
  }

  std::string invalid(const ValueMap& p) const override {
    const Value* c = attr(p, "content");
    if (!c || c->is_null()) return {};
    Json content = to_json(c->unmarked());
    if (!content.is_object()) return "content must be an object";
    if (content.contains("id") && content["id"] != object_name(p))
      return fmt::format("content's \"id\" differs from item_id \"{}\"", object_name(p));
    return {};
  }

  Json document(const ValueMap& p) const override {
    const Value* c = attr(p, "content");
    Json d = c && !c->is_null() ? to_json(c->unmarked()) : Json::object();
    if (!d.is_object()) d = Json::object();
    d["id"] = object_name(p);
    return d;
  }

  ValueMap attributes(const Json& doc, const ValueMap& prior) const override {
    ValueMap a;
    Json content = doc.is_object() ? doc : Json::object();
    const std::string id = content.value("id", std::string());
    content.erase("id");
    a["data_bag"] = Value::string(string_attr(prior, "data_bag").value_or(""));
    a["item_id"] = Value::string(id.empty() ? object_name(prior) : id);
    const bool secret = bool_attr(prior, "sensitive").value_or(false) ||
                        (attr(prior, "content") && attr(prior, "content")->contains_sensitive());
    Value v = from_json(content);
    a["content"] = secret ? v.mark_sensitive() : v;
    a["sensitive"] = Value::boolean(bool_attr(prior, "sensitive").value_or(false));
    a["adopt"] = Value::boolean(bool_attr(prior, "adopt").value_or(false));
    return a;
  }
};

}  // namespace

std::unique_ptr<ChefResourceType> make_chef_data_bag_item() {
  return std::make_unique<ChefDataBagItem>();
}

}  // namespace orch::chef
