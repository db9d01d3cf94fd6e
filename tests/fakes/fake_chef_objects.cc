// The fake Chef Server's object endpoints: nodes, roles, environments, data bags and items,
// clients and their keys — with erchef's validation, autofilled fields, run-list normalisation,
// status codes and error messages.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <regex>
#include <set>

#include "tests/fakes/fake_chef.h"

namespace orch::fakes {

namespace {

const std::regex kNodeName("^[A-Za-z0-9_.:-]+$");
const std::regex kObjectName("^[A-Za-z0-9_.-]+$");
const std::regex kBagName("^[A-Za-z0-9_-]+$");
const std::regex kRunListItem("^(recipe|role)\\[[A-Za-z0-9_.:@-]+\\]$");

// Normalises a run list as erchef does; false when an item is invalid.
bool normalize_run_list(Json& list) {
  if (list.is_null()) list = Json::array();
  if (!list.is_array()) return false;
  Json out = Json::array();
  std::set<std::string> seen;
  for (const auto& e : list) {
    if (!e.is_string()) return false;
    std::string item = e.get<std::string>();
    if (item.rfind("recipe[", 0) != 0 && item.rfind("role[", 0) != 0) item = "recipe[" + item + "]";
    if (!std::regex_match(item, kRunListItem)) return false;
    if (seen.insert(item).second) out.push_back(item);
  }
  list = out;
  return true;
}

std::optional<HttpResponse> check_keys(const Json& body, std::initializer_list<const char*> valid) {
  for (const auto& [k, v] : body.items()) {
    bool ok = false;
    for (const char* name : valid) ok = ok || k == name;
    if (!ok) return chef_error(400, "Invalid key " + k + " in request body");
  }
  return std::nullopt;
}

// Validates and fills a node body; an error response or nullopt.
std::optional<HttpResponse> valid_node(Json& node) {
  if (!node.is_object()) return chef_error(400, "invalid JSON");
  if (auto bad = check_keys(
          node, {"name", "chef_environment", "json_class", "chef_type", "normal", "default",
                 "override", "automatic", "run_list", "policy_name", "policy_group"}))
    return bad;
  if (!node.contains("name") || !node["name"].is_string() ||
      !std::regex_match(node["name"].get<std::string>(), kNodeName))
    return chef_error(400, "Field 'name' invalid");
  if (!node.contains("chef_environment")) node["chef_environment"] = "_default";
  if (!node["chef_environment"].is_string() ||
      !std::regex_match(node["chef_environment"].get<std::string>(), kObjectName))
    return chef_error(400, "Field 'chef_environment' invalid");
  node["json_class"] = node.value("json_class", "Chef::Node");
  node["chef_type"] = node.value("chef_type", "node");
  if (node["json_class"] != "Chef::Node") return chef_error(400, "Field 'json_class' invalid");
  for (const char* k : {"normal", "default", "override", "automatic"}) {
    if (!node.contains(k) || node[k].is_null()) node[k] = Json::object();
    if (!node[k].is_object())
      return chef_error(400, std::string("Field '") + k + "' is not a hash");
  }
  if (!node.contains("run_list")) node["run_list"] = Json::array();
  if (!normalize_run_list(node["run_list"]))
    return chef_error(400, "Field 'run_list' is not a valid run list");
  for (const char* k : {"policy_name", "policy_group"})
    if (node.contains(k) && !node[k].is_null() &&
        (!node[k].is_string() || !std::regex_match(node[k].get<std::string>(), kObjectName)))
      return chef_error(400, std::string("Field '") + k + "' invalid");
  return std::nullopt;
}

std::optional<HttpResponse> valid_role(Json& role) {
  if (!role.is_object()) return chef_error(400, "invalid JSON");
  if (auto bad =
          check_keys(role, {"name", "description", "json_class", "chef_type", "default_attributes",
                            "override_attributes", "run_list", "env_run_lists"}))
    return bad;
  if (!role.contains("name") || !role["name"].is_string() ||
      !std::regex_match(role["name"].get<std::string>(), kObjectName))
    return chef_error(400, "Field 'name' invalid");
  role["description"] = role.value("description", "");
  role["json_class"] = "Chef::Role";
  role["chef_type"] = "role";
  for (const char* k : {"default_attributes", "override_attributes", "env_run_lists"}) {
    if (!role.contains(k) || role[k].is_null()) role[k] = Json::object();
    if (!role[k].is_object())
      return chef_error(400, std::string("Field '") + k + "' is not a hash");
  }
  if (!role.contains("run_list")) role["run_list"] = Json::array();
  if (!normalize_run_list(role["run_list"]))
    return chef_error(400, "Field 'run_list' is not a valid run list");
  for (auto& [env, list] : role["env_run_lists"].items())
    if (!normalize_run_list(list))
      return chef_error(400, "Field 'env_run_lists' contains invalid run lists");
  return std::nullopt;
}

std::optional<HttpResponse> valid_environment(Json& env) {
  if (!env.is_object()) return chef_error(400, "invalid JSON");
  if (auto bad =
          check_keys(env, {"name", "description", "json_class", "chef_type", "default_attributes",
                           "override_attributes", "cookbook_versions"}))
    return bad;
  if (!env.contains("name") || !env["name"].is_string() ||
      !std::regex_match(env["name"].get<std::string>(), kObjectName))
    return chef_error(400, "Field 'name' invalid");
  env["description"] = env.value("description", "");
  env["json_class"] = "Chef::Environment";
  env["chef_type"] = "environment";
  for (const char* k : {"default_attributes", "override_attributes", "cookbook_versions"}) {
    if (!env.contains(k) || env[k].is_null()) env[k] = Json::object();
    if (!env[k].is_object()) return chef_error(400, std::string("Field '") + k + "' is not a hash");
  }
  for (const auto& [cb, constraint] : env["cookbook_versions"].items())
    if (!constraint.is_string()) return chef_error(400, "Invalid value for cookbook " + cb);
  return std::nullopt;
}

Json uri_list(const std::map<std::string, Json>& objects, const std::string& base) {
  Json out = Json::object();
  for (const auto& [name, o] : objects) out[name] = base + "/" + name;
  return out;
}

// A named collection (nodes, roles, environments): list, create, read, replace, delete.
struct Collection {
  std::map<std::string, Json>& objects;
  std::string path;  // "nodes"
  std::string kind;  // "node", "role", "environment" (messages)
  std::function<std::optional<HttpResponse>(Json&)> validate;
  std::string conflict;  // "Node already exists"
  std::function<std::string(const std::string&)> not_found;
  std::string mismatch;  // "Node name mismatch."
};

std::optional<HttpResponse> collection(Collection c, const std::string& base,
                                       const HttpRequest& req,
                                       const std::vector<std::string>& parts, Json body,
                                       std::string* route) {
  const std::string& m = req.method;
  const std::string url = base + "/" + c.path;
  if (parts.size() == 1) {
    *route = m + " /" + c.path;
    if (m == "GET") return chef_json(200, uri_list(c.objects, url));
    if (m != "POST") return chef_error(405, "Method not allowed");
    if (auto bad = c.validate(body)) return bad;
    std::string name = body["name"].get<std::string>();
    if (c.objects.count(name)) return chef_error(409, c.conflict);
    c.objects[name] = body;
    return chef_json(201, Json{{"uri", url + "/" + name}});
  }
  if (parts.size() != 2) return std::nullopt;
  *route = m + " /" + c.path + "/:name";
  const std::string& name = parts[1];
  auto it = c.objects.find(name);
  if (m == "GET" || m == "HEAD") {
    if (it == c.objects.end()) return chef_error(404, c.not_found(name));
    return chef_json(200, it->second);
  }
  if (c.kind == "environment" && name == "_default" && (m == "PUT" || m == "DELETE"))
    return chef_error(405, "The '_default' environment cannot be modified.");
  if (m == "DELETE") {
    if (it == c.objects.end()) return chef_error(404, c.not_found(name));
    Json old = it->second;
    c.objects.erase(it);
    return chef_json(200, old);
  }
  if (m == "PUT") {
    if (!body.is_object()) return chef_error(400, "invalid JSON");
    if (body.contains("name") && body["name"] != name) return chef_error(400, c.mismatch);
    body["name"] = name;
    if (auto bad = c.validate(body)) return bad;
    if (it == c.objects.end()) return chef_error(404, c.not_found(name));
    it->second = body;
    return chef_json(200, body);
  }
  return chef_error(405, "Method not allowed");
}

std::optional<HttpResponse> data_endpoint(FakeChefStore& store, const std::string& base,
                                          const HttpRequest& req,
                                          const std::vector<std::string>& parts, Json body,
                                          std::string* route) {
  const std::string& m = req.method;
  const std::string url = base + "/data";
  if (parts.size() == 1) {
    *route = m + " /data";
    if (m == "GET") {
      Json out = Json::object();
      for (const auto& [bag, items] : store.data) out[bag] = url + "/" + bag;
      return chef_json(200, out);
    }
    if (m != "POST") return chef_error(405, "Method not allowed");
    if (!body.is_object() || !body.contains("name") || !body["name"].is_string() ||
        !std::regex_match(body["name"].get<std::string>(), kBagName))
      return chef_error(400, "Field 'name' invalid");
    std::string name = body["name"].get<std::string>();
    if (store.data.count(name)) return chef_error(409, "Data bag already exists");
    store.data[name];
    return chef_json(201, Json{{"uri", url + "/" + name}});
  }
  const std::string& bag = parts[1];
  auto b = store.data.find(bag);
  if (parts.size() == 2) {
    *route = m + " /data/:bag";
    if (m == "GET") {
      if (b == store.data.end()) return chef_error(404, "Cannot load data bag " + bag);
      return chef_json(200, uri_list(b->second, url + "/" + bag));
    }
    if (m == "DELETE") {
      if (b == store.data.end()) return chef_error(404, "Cannot load data bag " + bag);
      store.data.erase(b);
      return chef_json(
          200, Json{{"name", bag}, {"json_class", "Chef::DataBag"}, {"chef_type", "data_bag"}});
    }
    if (m != "POST") return chef_error(405, "Method not allowed");
    if (b == store.data.end())
      return chef_error(404, "No data bag '" + bag +
                                 "' could be found. Please create this data bag before adding "
                                 "items to it.");
    if (body.is_object() && body.contains("raw_data")) body = body["raw_data"];
    if (!body.is_object() || !body.contains("id")) return chef_error(400, "Field 'id' missing");
    if (!body["id"].is_string() || !std::regex_match(body["id"].get<std::string>(), kBagName))
      return chef_error(400, "Field 'id' invalid");
    std::string id = body["id"].get<std::string>();
    if (b->second.count(id))
      return chef_error(409,
                        "Data Bag Item '" + id + "' already exists in Data Bag '" + bag + "'.");
    b->second[id] = body;
    Json out = body;
    out["chef_type"] = "data_bag_item";
    out["data_bag"] = bag;
    return chef_json(201, out);
  }
  if (parts.size() != 3) return std::nullopt;
  *route = m + " /data/:bag/:item";
  const std::string& id = parts[2];
  auto not_found = [&] {
    return chef_error(404, "Cannot load data bag item " + id + " for data bag " + bag);
  };
  if (b == store.data.end()) return not_found();
  auto it = b->second.find(id);
  if (m == "GET") return it == b->second.end() ? not_found() : chef_json(200, it->second);
  if (m == "DELETE") {
    if (it == b->second.end()) return not_found();
    Json old = it->second;
    b->second.erase(it);
    return chef_json(200, old);
  }
  if (m == "PUT") {
    if (body.is_object() && body.contains("raw_data")) body = body["raw_data"];
    if (!body.is_object()) return chef_error(400, "invalid JSON");
    if (body.contains("id") && body["id"] != id)
      return chef_error(400, "DataBagItem name mismatch.");
    body["id"] = id;
    if (it == b->second.end()) return not_found();
    it->second = body;
    return chef_json(200, body);
  }
  return chef_error(405, "Method not allowed");
}

// A new RSA key pair as PEM: (private, public).
std::pair<std::string, std::string> generate_key_pair() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  auto pem = [](auto write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(n));
    BIO_free(bio);
    return out;
  };
  std::string priv =
      pem([&](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
  std::string pub = pem([&](BIO* b) { PEM_write_bio_PUBKEY(b, key); });
  EVP_PKEY_free(key);
  return {priv, pub};
}

std::optional<HttpResponse> clients_endpoint(FakeChefStore& store, const std::string& base,
                                             const HttpRequest& req,
                                             const std::vector<std::string>& parts, Json body,
                                             std::string* route) {
  const std::string& m = req.method;
  const std::string url = base + "/clients";
  const bool v0 = req.header("X-Ops-Server-API-Version") == "0";
  if (parts.size() == 1) {
    *route = m + " /clients";
    if (m == "GET") {
      Json out = Json::object();
      for (const auto& [name, c] : store.clients) out[name] = url + "/" + name;
      return chef_json(200, out);
    }
    if (m != "POST") return chef_error(405, "Method not allowed");
    if (!body.is_object() || !body.contains("name") || !body["name"].is_string() ||
        !std::regex_match(body["name"].get<std::string>(), kNodeName))
      return chef_error(400, "Field 'name' invalid");
    std::string name = body["name"].get<std::string>();
    if (store.clients.count(name)) return chef_error(409, "Client already exists");
    FakeChefClient c;
    c.name = name;
    c.validator = body.value("validator", false);
    std::string priv;
    if (body.contains("public_key") && body["public_key"].is_string()) {
      c.public_key = body["public_key"].get<std::string>();
    } else if (body.value("create_key", false) || v0) {
      std::tie(priv, c.public_key) = generate_key_pair();
    } else {
      return chef_error(400,
                        "Since Server API v1, a client must be created with either a "
                        "public_key or create_key: true");
    }
    std::string err;
    c.key = chef::RsaKey::from_pem(c.public_key, &err);
    if (!c.key) return chef_error(400, "Invalid public key");
    store.clients[name] = c;
    Json out{{"uri", url + "/" + name}};
    if (v0) {
      out["public_key"] = c.public_key;
      if (!priv.empty()) out["private_key"] = priv;
    } else {
      Json key{{"name", "default"},
               {"public_key", c.public_key},
               {"expiration_date", "infinity"},
               {"uri", url + "/" + name + "/keys/default"}};
      if (!priv.empty()) key["private_key"] = priv;
      out["chef_key"] = key;
    }
    return chef_json(201, out);
  }
  const std::string& name = parts[1];
  auto it = store.clients.find(name);
  auto not_found = [&] { return chef_error(404, "Cannot load client " + name); };
  if (parts.size() == 2) {
    *route = m + " /clients/:name";
    if (it == store.clients.end()) return not_found();
    if (m == "GET") {
      Json out{{"name", name},
               {"clientname", name},
               {"validator", it->second.validator},
               {"json_class", "Chef::ApiClient"},
               {"chef_type", "client"}};
      if (v0) out["public_key"] = it->second.public_key;
      return chef_json(200, out);
    }
    if (m == "DELETE") {
      store.clients.erase(it);
      return chef_json(200, Json{{"name", name}});
    }
    return chef_error(405, "Method not allowed");
  }
  if (parts.size() >= 3 && parts[2] == "keys") {
    *route = m + " /clients/:name/keys";
    if (it == store.clients.end()) return not_found();
    if (parts.size() == 3 && m == "GET")
      return chef_json(200, Json::array({Json{{"name", "default"},
                                              {"uri", url + "/" + name + "/keys/default"},
                                              {"expired", false}}}));
    if (parts.size() == 4 && parts[3] == "default" && m == "GET")
      return chef_json(200, Json{{"name", "default"},
                                 {"public_key", it->second.public_key},
                                 {"expiration_date", "infinity"}});
    return chef_error(404, "Cannot load key " + (parts.size() > 3 ? parts[3] : ""));
  }
  return std::nullopt;
}

}  // namespace

std::optional<HttpResponse> object_endpoint(FakeChefStore& store, const std::string& base,
                                            const HttpRequest& req,
                                            const std::vector<std::string>& parts, const Json& body,
                                            std::string* route) {
  if (parts.empty()) return std::nullopt;
  const std::string& top = parts[0];
  if (top == "nodes")
    return collection(
        {store.nodes, "nodes", "node", valid_node, "Node already exists",
         [](const std::string& n) { return "node '" + n + "' not found"; }, "Node name mismatch."},
        base, req, parts, body, route);
  if (top == "roles")
    return collection(
        {store.roles, "roles", "role", valid_role, "Role already exists",
         [](const std::string& n) { return "Cannot load role " + n; }, "Role name mismatch."},
        base, req, parts, body, route);
  if (top == "environments")
    return collection({store.environments, "environments", "environment", valid_environment,
                       "Environment already exists",
                       [](const std::string& n) { return "Cannot load environment " + n; },
                       "Environment name mismatch."},
                      base, req, parts, body, route);
  if (top == "data") return data_endpoint(store, base, req, parts, body, route);
  if (top == "clients") return clients_endpoint(store, base, req, parts, body, route);
  return std::nullopt;
}

}  // namespace orch::fakes
