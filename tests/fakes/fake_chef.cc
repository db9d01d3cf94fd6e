// The fake Chef Server (see fake_chef.h): routing, request authentication as erchef does it,
// test controls (in-process and under /_fake/chef/), lost replies and racing saves.
#include "tests/fakes/fake_chef.h"

#include <chrono>
#include <sstream>

namespace orch::fakes {

namespace {

std::vector<std::string> split_path(const std::string& rest) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : rest) {
    if (c == '/') {
      if (!cur.empty()) parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) parts.push_back(cur);
  return parts;
}

std::string decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool is_write(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "DELETE";
}

}  // namespace

HttpResponse chef_error(int status, const std::string& message) {
  return HttpResponse::json(status, Json{{"error", Json::array({message})}}.dump());
}

HttpResponse chef_json(int status, const Json& body) {
  return HttpResponse::json(status, body.dump());
}

FakeChef::FakeChef(FakeChefOptions options)
    : options_(std::move(options)), rng_state_(options_.seed * 2654435761u + 1) {
  Json def = {{"name", "_default"},
              {"description", "The default Chef environment"},
              {"json_class", "Chef::Environment"},
              {"chef_type", "environment"},
              {"cookbook_versions", Json::object()},
              {"default_attributes", Json::object()},
              {"override_attributes", Json::object()}};
  store_.environments["_default"] = def;
  server_ = std::make_unique<HttpServer>(
      HttpServer::sync([this](const HttpRequest& r) { return handle(r); }), options_.host,
      options_.port, options_.tls);
}

FakeChef::~FakeChef() {
  server_.reset();  // stops the thread before the store goes away
}

std::string FakeChef::url() const {
  return server_->url() + "/organizations/" + options_.org;
}

void FakeChef::add_client(const std::string& name, const std::string& public_key_pem,
                          bool validator) {
  std::string err;
  FakeChefClient c{name, public_key_pem, validator, chef::RsaKey::from_pem(public_key_pem, &err)};
  std::lock_guard<std::mutex> lock(mutex_);
  store_.clients[name] = std::move(c);
}

void FakeChef::set_lost_reply_rate(double rate) {
  std::lock_guard<std::mutex> lock(mutex_);
  lost_reply_rate_ = rate;
}

void FakeChef::race_node(const std::string& name, int times) {
  std::lock_guard<std::mutex> lock(mutex_);
  races_[name] = times;
}

void FakeChef::chef_client_save(const std::string& name, const Json& automatic, double ohai_time) {
  std::lock_guard<std::mutex> lock(mutex_);
  Json& node = store_.nodes[name];
  if (!node.is_object() || node.empty()) {
    node = {{"name", name},
            {"chef_environment", "_default"},
            {"json_class", "Chef::Node"},
            {"chef_type", "node"},
            {"run_list", Json::array()},
            {"normal", Json::object()},
            {"default", Json::object()},
            {"override", Json::object()}};
  }
  node["automatic"] = automatic.is_object() ? automatic : Json::object();
  node["automatic"]["ohai_time"] = ohai_time;
  ++store_.generation;
}

void FakeChef::add_extension(const std::string& prefix, Extension handler) {
  std::lock_guard<std::mutex> lock(mutex_);
  extensions_.emplace_back(prefix, std::move(handler));
}

void FakeChef::with_store(const std::function<void(FakeChefStore&)>& fn) {
  std::lock_guard<std::mutex> lock(mutex_);
  fn(store_);
  ++store_.generation;
}

std::optional<Json> FakeChef::node(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = store_.nodes.find(name);
  if (it == store_.nodes.end()) return std::nullopt;
  return it->second;
}

size_t FakeChef::node_count() {
  std::lock_guard<std::mutex> lock(mutex_);
  return store_.nodes.size();
}

std::map<std::string, uint64_t> FakeChef::counts() {
  std::lock_guard<std::mutex> lock(mutex_);
  return counts_;
}

uint64_t FakeChef::unauthorized() {
  std::lock_guard<std::mutex> lock(mutex_);
  return unauthorized_;
}

void FakeChef::reset_counts() {
  std::lock_guard<std::mutex> lock(mutex_);
  counts_.clear();
  unauthorized_ = 0;
}

void FakeChef::count(const std::string& route) {
  ++counts_[route];
}

std::optional<HttpResponse> FakeChef::authenticate(const HttpRequest& req,
                                                   const std::string& raw_path, std::string* who) {
  std::vector<std::string> missing;
  for (const char* h : {"X-Ops-UserId", "X-Ops-Timestamp", "X-Ops-Sign", "X-Ops-Content-Hash"})
    if (req.header(h).empty()) missing.push_back(h);
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "'" : ", '") + m + "'";
    return chef_error(401, "missing required authentication header(s) " + list);
  }
  const std::string user = req.header("X-Ops-UserId");
  *who = user;
  auto t = chef::parse_chef_timestamp(req.header("X-Ops-Timestamp"));
  const auto now = std::chrono::system_clock::now();
  if (!t || std::chrono::abs(now - *t) > std::chrono::seconds(options_.max_skew_seconds))
    return chef_error(
        401, "Failed to authenticate as " + user + ". Synchronize the clock on your host.");
  const std::string sign = req.header("X-Ops-Sign");
  if (sign.find("version=1.3") == std::string::npos &&
      sign.find("version=1.0") == std::string::npos)
    return chef_error(400, "Unsupported authentication protocol version");
  auto it = store_.clients.find(user);
  if (it == store_.clients.end() || !it->second.key)
    return chef_error(401, "Failed to authenticate as '" + user +
                               "'. Ensure that your node_name and client key are correct.");
  std::string why;
  chef::VerifyInput in{req.method, raw_path, req.body, &req.headers};
  if (!chef::verify_request(in, *it->second.key, &why))
    return chef_error(401, "Invalid signature for user or client '" + user + "'");
  return std::nullopt;
}

HttpResponse FakeChef::handle(const HttpRequest& req) {
  if (req.path.rfind("/_fake/chef/", 0) == 0) return control(req);
  const std::string raw_path = req.target.substr(0, req.target.find('?'));
  const std::string org_prefix = "/organizations/" + options_.org;
  if (raw_path.rfind("/organizations/", 0) == 0 && raw_path.rfind(org_prefix, 0) != 0) {
    std::string org = split_path(raw_path.substr(15)).front();
    return chef_error(404, "organization '" + org + "' does not exist.");
  }
  if (raw_path.rfind(org_prefix, 0) != 0 ||
      (raw_path.size() > org_prefix.size() && raw_path[org_prefix.size()] != '/'))
    return chef_error(404, "not found: " + raw_path);
  std::lock_guard<std::mutex> lock(mutex_);
  std::string who;
  if (auto denied = authenticate(req, raw_path, &who)) {
    ++unauthorized_;
    return *denied;
  }
  std::string rest = raw_path.substr(org_prefix.size());
  while (!rest.empty() && rest.front() == '/') rest.erase(0, 1);
  return api(req, rest, who);
}

HttpResponse FakeChef::api(const HttpRequest& req, const std::string& rest,
                           const std::string& who) {
  if (req.body.size() > options_.max_request_size)
    return chef_error(
        413, "JSON must be no more than " + std::to_string(options_.max_request_size) + " bytes.");
  Json body;
  if (!req.body.empty()) {
    body = Json::parse(req.body, nullptr, false);
    if (body.is_discarded()) return chef_error(400, "invalid JSON");
  }
  for (const auto& [prefix, ext] : extensions_) {
    if (rest.rfind(prefix, 0) != 0) continue;
    FakeChefRequest fr{&req, rest, who, body};
    if (auto r = ext(fr, store_)) {
      count(req.method + " " + prefix);
      if (is_write(req.method)) ++store_.generation;
      return *r;
    }
  }
  std::vector<std::string> parts;
  for (auto& p : split_path(rest)) parts.push_back(decode(p));
  const std::string base = server_->url() + "/organizations/" + options_.org;
  std::string route;
  // A racing chef-client save needs the node as it was before this PUT.
  std::optional<Json> before;
  const bool node_put = req.method == "PUT" && parts.size() == 2 && parts[0] == "nodes";
  if (node_put && races_.count(parts[1]) && races_[parts[1]] > 0)
    if (auto it = store_.nodes.find(parts[1]); it != store_.nodes.end()) before = it->second;
  std::optional<HttpResponse> res;
  if (!parts.empty() && parts[0] == "search")
    res = search_endpoint(store_, base, req, parts, body, &route);
  else
    res = object_endpoint(store_, base, req, parts, body, &route);
  if (!res) return chef_error(404, "no such endpoint: " + req.method + " /" + rest);
  const bool search = !parts.empty() && parts[0] == "search";  // POST, but a read
  if (is_write(req.method) && !search) ++store_.generation;
  count(route.empty() ? req.method + " /" + rest : route);
  if (before && res->status == 200) {
    --races_[parts[1]];
    Json stale = *before;
    double t = stale["automatic"].value("ohai_time", 0.0);
    stale["automatic"]["ohai_time"] = t + 1;
    store_.nodes[parts[1]] = stale;
    ++store_.generation;
    count("race save");
  }
  if (is_write(req.method) && !search && res->status < 300 && lost_reply_rate_ > 0) {
    rng_state_ ^= rng_state_ << 13;
    rng_state_ ^= rng_state_ >> 7;
    rng_state_ ^= rng_state_ << 17;
    double u = static_cast<double>(rng_state_ >> 11) * 0x1.0p-53;
    if (u < lost_reply_rate_) {
      count("lost reply");
      return chef_error(500, "injected fault: committed, reply lost");
    }
  }
  return *res;
}

HttpResponse FakeChef::control(const HttpRequest& req) {
  Json body = req.body.empty() ? Json::object() : Json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return chef_error(400, "invalid JSON");
  const std::string what = req.path.substr(std::string("/_fake/chef/").size());
  if (what == "clients" && req.method == "POST") {
    add_client(body.value("name", ""), body.value("public_key", ""),
               body.value("validator", false));
    return chef_json(201, Json{{"name", body.value("name", "")}});
  }
  if (what == "race" && req.method == "POST") {
    race_node(body.value("node", ""), body.value("times", 1));
    return chef_json(200, body);
  }
  if (what == "lost_replies" && req.method == "POST") {
    set_lost_reply_rate(body.value("rate", 0.0));
    return chef_json(200, body);
  }
  if (what == "save" && req.method == "POST") {
    chef_client_save(body.value("node", ""), body.value("automatic", Json::object()),
                     body.value("ohai_time", 0.0));
    return chef_json(200, body);
  }
  if (what == "node" && req.method == "PUT") {  // replace a node as someone else would
    with_store([&](FakeChefStore& s) { s.nodes[body.value("name", "")] = body; });
    return chef_json(200, body);
  }
  if (what == "node" && req.method == "DELETE") {
    with_store([&](FakeChefStore& s) { s.nodes.erase(body.value("name", "")); });
    return chef_json(200, body);
  }
  if (what == "seed" && req.method == "POST") {
    // Many nodes at once, as orch would have written them for `stack`, each with an ohai-like
    // automatic section (benchmarks): {count, prefix, stack, normal, automatic_keys}.
    const int n = body.value("count", 0);
    const std::string prefix = body.value("prefix", "node-");
    const std::string stack = body.value("stack", "bench");
    const Json normal = body.value("normal", Json::object());
    const int keys = body.value("automatic_keys", 40);
    with_store([&](FakeChefStore& s) {
      for (int i = 0; i < n; ++i) {
        const std::string name = prefix + std::to_string(i);
        Json node = {{"name", name},
                     {"chef_environment", "_default"},
                     {"json_class", "Chef::Node"},
                     {"chef_type", "node"},
                     {"run_list", {"role[web]"}},
                     {"default", Json::object()},
                     {"override", Json::object()}};
        node["normal"] = normal;
        node["normal"]["orch"][stack] = {{"address", "chef_node.n[" + std::to_string(i) + "]"}};
        node["normal"]["tags"] = {"orch:" + stack};
        Json automatic = {
            {"fqdn", name + ".example.com"},
            {"ipaddress", "10." + std::to_string(i / 65536 % 256) + "." +
                              std::to_string(i / 256 % 256) + "." + std::to_string(i % 256)},
            {"platform", "debian"},
            {"platform_version", "12"},
            {"ohai_time", 1700000000 + i}};
        for (int k = 0; k < keys; ++k)
          automatic["ohai_plugin_" + std::to_string(k)] = {{"value", std::string(40, 'x')},
                                                           {"index", k}};
        node["automatic"] = std::move(automatic);
        s.nodes[name] = std::move(node);
      }
    });
    return chef_json(200, Json{{"seeded", n}});
  }
  if (what == "counts" && req.method == "DELETE") {
    reset_counts();
    return chef_json(200, Json::object());
  }
  if (what == "counts" && req.method == "GET") {
    Json out = Json::object();
    for (const auto& [k, v] : counts()) out[k] = v;
    out["nodes"] = node_count();
    out["unauthorized"] = unauthorized();
    return chef_json(200, out);
  }
  if (what == "dump" && req.method == "GET") {
    Json out;
    with_store([&](FakeChefStore& s) {
      out["nodes"] = s.nodes;
      out["roles"] = s.roles;
      out["environments"] = s.environments;
      out["data"] = s.data;
      Json clients = Json::object();
      for (const auto& [n, c] : s.clients) clients[n] = {{"validator", c.validator}};
      out["clients"] = clients;
    });
    return chef_json(200, out);
  }
  return chef_error(404, "no such control: " + req.method + " " + req.path);
}

}  // namespace orch::fakes
