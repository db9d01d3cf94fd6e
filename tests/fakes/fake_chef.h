// A fake Chef Infra Server for tests and benchmarks, on tests/fakes/http_server.h: one
// organization's API (nodes, roles, environments, data bags, clients and their keys, search with
// partial search) under /organizations/ORG, every request's signature verified the way erchef
// does (401 for a missing, bad or stale signature or an unknown client), erchef's status codes
// and {"error": [...]} bodies (400, 404, 405, 409, 413), injected latency and faults (the
// HttpServer's Faults), and controls for tests: lost replies (a write committed, then a 500),
// chef-client saves racing orch's writes, and counters per route.
//
// Controls over HTTP (unsigned, never faulted) under /_fake/chef/: POST clients {name,
// public_key, validator}, POST race {node, times}, POST lost_replies {rate}, POST save {node,
// automatic, ohai_time}, PUT/DELETE node {name, ...}, POST seed {count, prefix, stack, normal,
// automatic_keys} (many nodes as orch wrote them), GET/DELETE counts, GET dump.
//
// Extensions (Push Jobs): add_extension("pushy/", handler) in a file of its own; requests below
// /organizations/ORG/pushy/ are authenticated, then handed to it with the store.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "providers/chef/chef_signing.h"
#include "tests/fakes/http_server.h"

namespace orch::fakes {

using Json = nlohmann::json;

struct FakeChefClient {
  std::string name;
  std::string public_key;  // SPKI PEM
  bool validator = false;
  std::optional<chef::RsaKey> key;  // parsed public_key
};

// Everything the organization holds. Touched only under FakeChef's lock.
struct FakeChefStore {
  std::map<std::string, Json> nodes, roles, environments;
  std::map<std::string, std::map<std::string, Json>> data;  // bag → item id → item
  std::map<std::string, FakeChefClient> clients;
  // Bumped by every write; search results are cached per (index, query) and generation, so
  // paging through a large result searches once.
  uint64_t generation = 0;
  std::map<std::string, std::pair<uint64_t, std::vector<std::string>>> search_cache;
};

// An authenticated API request, as extensions see it.
struct FakeChefRequest {
  const HttpRequest* http = nullptr;
  std::string rest;       // the path below /organizations/ORG/, e.g. "pushy/jobs/abc"
  std::string requestor;  // the client that signed it
  Json body;              // parsed JSON body (null when empty or not JSON)
};

struct FakeChefOptions {
  std::string org = "orch";
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::optional<ServerTls> tls;
  int max_skew_seconds = 15 * 60;
  size_t max_request_size = 1000000;  // erchef's default; larger bodies get 413
  uint64_t seed = 1;                  // lost replies and race draws
};

class FakeChef {
 public:
  explicit FakeChef(FakeChefOptions options = {});
  ~FakeChef();
  FakeChef(const FakeChef&) = delete;
  FakeChef& operator=(const FakeChef&) = delete;

  // The organization's URL: "http://127.0.0.1:PORT/organizations/ORG".
  std::string url() const;
  HttpServer& server() { return *server_; }

  // A client allowed to call the API (its public key, SPKI PEM).
  void add_client(const std::string& name, const std::string& public_key_pem,
                  bool validator = false);

  // A write (POST/PUT/DELETE) is committed and then answered with a 500 with this probability:
  // the reply is lost, as when a proxy times out after the server acted.
  void set_lost_reply_rate(double rate);
  // The next `times` PUTs of node `name` are each followed at once by a save of the node as it
  // was before that PUT (ohai_time advanced): a chef-client run that loaded the node earlier and
  // saves its whole copy at the end, overwriting the PUT.
  void race_node(const std::string& name, int times);
  // A chef-client run ending on `name`: automatic attributes replaced, ohai_time set to `time`
  // (the node's normal attributes, run list and tags kept). Creates the node if absent.
  void chef_client_save(const std::string& name, const Json& automatic, double ohai_time);

  // Extensions (see the file comment). `handler` returns nullopt for paths it does not serve.
  using Extension =
      std::function<std::optional<HttpResponse>(const FakeChefRequest&, FakeChefStore&)>;
  void add_extension(const std::string& prefix, Extension handler);

  // Runs `fn` with the store under the lock (tests: seed, inspect).
  void with_store(const std::function<void(FakeChefStore&)>& fn);
  std::optional<Json> node(const std::string& name);
  size_t node_count();
  // Requests per route ("POST /nodes", "GET /nodes/:name", "POST /search/:index", ...), counted
  // after authentication; and the number rejected with 401.
  std::map<std::string, uint64_t> counts();
  uint64_t unauthorized();
  void reset_counts();

  // The API handler (for tests that drive it without HTTP).
  HttpResponse handle(const HttpRequest& req);

 private:
  HttpResponse api(const HttpRequest& req, const std::string& rest, const std::string& who);
  HttpResponse control(const HttpRequest& req);
  std::optional<HttpResponse> authenticate(const HttpRequest& req, const std::string& raw_path,
                                           std::string* who);
  void count(const std::string& route);

  FakeChefOptions options_;
  std::mutex mutex_;
  FakeChefStore store_;
  std::map<std::string, int> races_;
  std::vector<std::pair<std::string, Extension>> extensions_;
  std::map<std::string, uint64_t> counts_;
  uint64_t unauthorized_ = 0;
  double lost_reply_rate_ = 0;
  uint64_t rng_state_;
  std::unique_ptr<HttpServer> server_;
};

// --- Pieces shared by the fake's files.

// {"error": [message]} with `status`.
HttpResponse chef_error(int status, const std::string& message);
HttpResponse chef_json(int status, const Json& body);

// The object's search document: a node's attributes deep-merged (default < normal < override
// < automatic) with its top-level fields on top; other objects as they are.
Json index_document(const std::string& index, const Json& object);
// Whether `doc` matches the Solr query `q` (*:*, field:value with * and ? wildcards, escapes,
// quoted phrases, (a OR b) groups, AND / OR / NOT / -, parentheses). nullopt and `error` for a
// query it cannot parse.
std::optional<bool> solr_match(const std::string& q, const Json& doc, std::string* error);

// Handlers of the object endpoints (fake_chef_objects.cc) and of search (fake_chef_search.cc).
// `parts` is the path below the organization split at '/'. nullopt: no such endpoint.
std::optional<HttpResponse> object_endpoint(FakeChefStore& store, const std::string& base_url,
                                            const HttpRequest& req,
                                            const std::vector<std::string>& parts, const Json& body,
                                            std::string* route);
std::optional<HttpResponse> search_endpoint(FakeChefStore& store, const std::string& base_url,
                                            const HttpRequest& req,
                                            const std::vector<std::string>& parts, const Json& body,
                                            std::string* route);

}  // namespace orch::fakes
