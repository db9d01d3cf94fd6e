// chef_node's ownership rules (see chef_node_merge.h).
#include "providers/chef/chef_node_merge.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "providers/chef/chef_resource.h"

namespace orch::chef {

namespace {

std::optional<std::string> opt_string(const ValueMap& m, const char* name) {
  return string_attr(m, name);
}

std::vector<std::string> tags_of(const ValueMap& m) {
  return strings_attr(m, "tags").value_or(std::vector<std::string>{});
}

Json normal_of(const ValueMap& m) {
  const Value* v = attr(m, "normal");
  if (!v || v->is_null()) return Json::object();
  Json j = to_json(v->unmarked());
  return j.is_object() ? j : Json::object();
}

std::string mark_tag(const NodeMarks& marks) {
  return "orch:" + marks.stack;
}

Json mark_value(const NodeMarks& marks) {
  return Json{{"address", marks.address}, {"lineage", marks.lineage}};
}

Json& normal_object(Json& node) {
  Json& n = node["normal"];
  if (!n.is_object()) n = Json::object();
  return n;
}

void set_tags(Json& node, const NodeIntent& intent, const NodeMarks& marks, bool keep_ours) {
  Json& normal = normal_object(node);
  std::vector<std::string> tags;
  if (normal.contains("tags") && normal["tags"].is_array())
    for (const auto& t : normal["tags"])
      if (t.is_string()) tags.push_back(t.get<std::string>());
  std::set<std::string> drop(intent.prior_tags.begin(), intent.prior_tags.end());
  std::set<std::string> want;
  if (keep_ours) {
    want.insert(intent.tags.begin(), intent.tags.end());
    want.insert(mark_tag(marks));
  } else {
    drop.insert(intent.tags.begin(), intent.tags.end());
    drop.insert(mark_tag(marks));
  }
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& t : tags)
    if ((!drop.count(t) || want.count(t)) && seen.insert(t).second) out.push_back(t);
  if (keep_ours) {
    for (const auto& t : intent.tags)
      if (seen.insert(t).second) out.push_back(t);
    if (seen.insert(mark_tag(marks)).second) out.push_back(mark_tag(marks));
  }
  normal["tags"] = out;
}

}  // namespace

NodeIntent node_intent(const ValueMap& planned, const ValueMap* prior) {
  NodeIntent in;
  in.name = opt_string(planned, "name").value_or("");
  in.chef_environment = opt_string(planned, "chef_environment");
  in.policy_name = opt_string(planned, "policy_name");
  in.policy_group = opt_string(planned, "policy_group");
  if (const Value* rl = attr(planned, "run_list"); rl && !rl->is_null())
    in.run_list = to_json(rl->unmarked());
  in.normal = normal_of(planned);
  in.tags = tags_of(planned);
  if (prior) {
    in.prior_normal = normal_of(*prior);
    in.prior_tags = tags_of(*prior);
  }
  return in;
}

Json new_node(const NodeIntent& intent, const NodeMarks& marks) {
  Json node = Json::object();
  node["name"] = intent.name;
  node["chef_environment"] = intent.chef_environment.value_or("_default");
  node["json_class"] = "Chef::Node";
  node["chef_type"] = "node";
  node["run_list"] = intent.run_list.value_or(Json::array());
  node["normal"] = Json::object();
  node["default"] = Json::object();
  node["override"] = Json::object();
  node["automatic"] = Json::object();
  if (intent.policy_name) node["policy_name"] = *intent.policy_name;
  if (intent.policy_group) node["policy_group"] = *intent.policy_group;
  return merge_into(std::move(node), intent, marks);
}

Json merge_into(Json node, const NodeIntent& intent, const NodeMarks& marks) {
  if (!node.is_object()) node = Json::object();
  node["name"] = intent.name;
  if (intent.chef_environment) node["chef_environment"] = *intent.chef_environment;
  if (intent.run_list) node["run_list"] = *intent.run_list;
  if (intent.policy_name) node["policy_name"] = *intent.policy_name;
  if (intent.policy_group) node["policy_group"] = *intent.policy_group;
  Json& normal = normal_object(node);
  // Paths declared before and no longer: orch's own cruft, removed.
  const auto now = leaf_paths(intent.normal);
  const std::set<JsonPath> declared(now.begin(), now.end());
  for (const auto& p : leaf_paths(intent.prior_normal))
    if (!declared.count(p)) erase_path(normal, p);
  for (const auto& p : now) set_path(normal, p, *get_path(intent.normal, p));
  set_path(normal, {"orch", marks.stack}, mark_value(marks));
  set_tags(node, intent, marks, true);
  return node;
}

Json release(Json node, const NodeIntent& intent, const NodeMarks& marks) {
  if (!node.is_object()) return node;
  Json& normal = normal_object(node);
  for (const auto& p : leaf_paths(intent.prior_normal)) erase_path(normal, p);
  for (const auto& p : leaf_paths(intent.normal)) erase_path(normal, p);
  erase_path(normal, {"orch", marks.stack});
  set_tags(node, intent, marks, false);
  return node;
}

bool holds_intent(const Json& node, const NodeIntent& intent, std::string* why) {
  auto differs = [&](const std::string& what, const Json* live, const Json& want) {
    if (live && *live == want) return false;
    *why = live ? fmt::format("{} is {}, orch wrote {}", what, live->dump(), want.dump())
                : fmt::format("{} is missing, orch wrote {}", what, want.dump());
    return true;
  };
  if (intent.chef_environment &&
      differs("chef_environment", get_path(node, {"chef_environment"}), *intent.chef_environment))
    return false;
  if (intent.run_list && differs("run_list", get_path(node, {"run_list"}), *intent.run_list))
    return false;
  if (intent.policy_name &&
      differs("policy_name", get_path(node, {"policy_name"}), *intent.policy_name))
    return false;
  if (intent.policy_group &&
      differs("policy_group", get_path(node, {"policy_group"}), *intent.policy_group))
    return false;
  const Json* normal = get_path(node, {"normal"});
  static const Json empty = Json::object();
  if (!normal) normal = &empty;
  for (const auto& p : leaf_paths(intent.normal))
    if (differs("normal." + path_string(p), get_path(*normal, p), *get_path(intent.normal, p)))
      return false;
  std::set<std::string> live;
  if (const Json* t = get_path(*normal, {"tags"}); t && t->is_array())
    for (const auto& e : *t)
      if (e.is_string()) live.insert(e.get<std::string>());
  for (const auto& t : intent.tags) {
    if (!live.count(t)) {
      *why = fmt::format("tag \"{}\" is missing", t);
      return false;
    }
  }
  return true;
}

std::string other_owner(const Json& node, const NodeMarks& marks) {
  const Json* orch = get_path(node, {"normal", "orch"});
  if (orch && orch->is_object()) {
    for (const auto& [stack, mark] : orch->items()) {
      std::string address = mark.is_object() ? mark.value("address", std::string()) : "";
      if (stack != marks.stack)
        return fmt::format("stack \"{}\"{}", stack, address.empty() ? "" : " (" + address + ")");
      if (address != marks.address)
        return fmt::format("{} of this stack", address.empty() ? "another resource" : address);
    }
  }
  if (const Json* t = get_path(node, {"normal", "tags"}); t && t->is_array()) {
    for (const auto& e : *t) {
      if (!e.is_string()) continue;
      const std::string tag = e.get<std::string>();
      if (tag.rfind("orch:", 0) == 0 && tag != mark_tag(marks))
        return fmt::format("stack \"{}\" (tag \"{}\")", tag.substr(5), tag);
    }
  }
  return {};
}

bool marked_by(const Json& node, const NodeMarks& marks) {
  const Json* m = get_path(node, {"normal", "orch", marks.stack});
  return m && m->is_object() && m->value("address", std::string()) == marks.address;
}

Type automatic_type() {
  const Type str = Type::string();
  return Type::object({{"fqdn", str},
                       {"ipaddress", str},
                       {"platform", str},
                       {"platform_version", str},
                       {"ohai_time", Type::number()}});
}

Value automatic_summary(const Json& automatic) {
  ValueMap m;
  for (const char* k : {"fqdn", "ipaddress", "platform", "platform_version"}) {
    const Json* v = get_path(automatic, {k});
    m[k] = v && v->is_string() ? Value::string(v->get<std::string>()) : Value::null(Type::string());
  }
  const Json* t = get_path(automatic, {"ohai_time"});
  m["ohai_time"] = t && t->is_number() ? from_json(*t) : Value::null(Type::number());
  return Value::object(std::move(m));
}

ValueMap node_attributes(const Json& node, const ValueMap& prior) {
  const Type str = Type::string();
  ValueMap a;
  const Json* name = get_path(node, {"name"});
  a["name"] = Value::string(name && name->is_string() ? name->get<std::string>()
                                                      : string_attr(prior, "name").value_or(""));
  auto managed = [&](const char* k) {
    const Value* v = attr(prior, k);
    return v && !v->is_null();
  };
  for (const char* k : {"chef_environment", "policy_name", "policy_group"}) {
    const Json* v = get_path(node, {k});
    a[k] =
        managed(k) && v && v->is_string() ? Value::string(v->get<std::string>()) : Value::null(str);
  }
  const Json* rl = get_path(node, {"run_list"});
  a["run_list"] = managed("run_list") ? from_json(rl ? *rl : Json::array(), Type::list(str))
                                      : Value::null(Type::list(str));
  const Json* normal = get_path(node, {"normal"});
  Json owned = Json::object();
  if (normal)
    for (const auto& p : leaf_paths(normal_of(prior)))
      if (const Json* v = get_path(*normal, p)) set_path(owned, p, *v);
  Value nv = from_json(owned);
  const Value* pn = attr(prior, "normal");
  a["normal"] = pn && pn->contains_sensitive() ? nv.mark_sensitive() : nv;
  std::set<std::string> live;
  if (normal)
    if (const Json* t = get_path(*normal, {"tags"}); t && t->is_array())
      for (const auto& e : *t)
        if (e.is_string()) live.insert(e.get<std::string>());
  ValueList tags;
  for (const auto& t : tags_of(prior))
    if (live.count(t)) tags.push_back(Value::string(t));
  a["tags"] = Value::list(std::move(tags), str);
  const Json* automatic = get_path(node, {"automatic"});
  a["automatic"] = automatic_summary(automatic ? *automatic : Json::object());
  a["adopted"] = Value::boolean(bool_attr(prior, "adopted").value_or(false));
  return a;
}

}  // namespace orch::chef
