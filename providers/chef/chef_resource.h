// What one Chef resource type, data source or readiness gate implements, and the environment the
// chef provider hands it (the signed API, the run's context, the stack's mark namespace). A new
// type is a file of its own defining a make_*() factory plus one line in chef_types.cc.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/schema.h"
#include "providers/chef/chef_api.h"
#include "providers/chef/chef_json.h"
#include "providers/provider.h"

namespace orch::chef {

// Shared by every type's operations during a run. `api` is null when the provider could not be
// configured for real I/O (a virtual clock): operations then fail with `unavailable`.
struct ChefEnv {
  ChefApi* api = nullptr;
  ProviderContext ctx;
  std::string stack;  // the ownership-mark namespace: normal.orch.<stack>, tag "orch:<stack>"
  std::optional<ProviderError> unavailable;

  // A log line into the run's event stream.
  void log(const std::string& address, const std::string& message) const {
    if (ctx.event) ctx.event("log", address, message);
  }
  // The `orch:<stack>` tag every node orch manages carries.
  std::string mark_tag() const { return "orch:" + stack; }
};

class ChefResourceType {
 public:
  virtual ~ChefResourceType() = default;
  virtual std::string name() const = 0;  // "chef_node"
  virtual Schema schema() const = 0;
  // Plan-time and local: defaults, normalised values (as the server returns them), computed
  // values (prior or unknown) and force-new attributes. The default follows the schema.
  virtual PlanResponse plan(const PlanRequest& request, const Schema& schema) const;
  // Batched refresh: list/search calls in pages, never one GET per object when the API can
  // list. Objects missing from the result are gone.
  virtual void read_many(ChefEnv& env, std::vector<ReadItem> items,
                         std::function<void(ReadResult)> done) = 0;
  virtual void apply(ChefEnv& env, const ApplyRequest& request,
                     std::function<void(ApplyResult)> done) = 0;
};

class ChefDataSourceType {
 public:
  virtual ~ChefDataSourceType() = default;
  virtual std::string name() const = 0;  // "chef_search"
  virtual Schema schema() const = 0;
  virtual void read(
      ChefEnv& env, const ValueMap& config,
      std::function<void(std::optional<ValueMap>, std::optional<ProviderError>)> done) = 0;
};

class ChefGateKind {
 public:
  virtual ~ChefGateKind() = default;
  virtual GateSchema schema() const = 0;  // kind: the attribute name inside ready_when
  virtual void check(ChefEnv& env, const GateRequest& request,
                     std::function<void(GateResult)> done) = 0;
};

// --- Helpers the types share.

// The default plan: the schema's attributes from the configuration (defaults filled, values
// normalised to their types), computed attributes kept from the prior object unless a force-new
// attribute changes (then unknown), and force_new_paths for changed force-new attributes.
PlanResponse plan_from_schema(const PlanRequest& request, const Schema& schema);

const Value* attr(const ValueMap& m, const std::string& name);
// A known, non-null string attribute.
std::optional<std::string> string_attr(const ValueMap& m, const std::string& name);
std::optional<bool> bool_attr(const ValueMap& m, const std::string& name);
// A known list of strings.
std::optional<std::vector<std::string>> strings_attr(const ValueMap& m, const std::string& name);

ProviderError error(std::string summary, std::string detail = {});
// An ApplyResult carrying one error.
ApplyResult failed(ProviderError e);
ApplyResult failed(std::string summary, std::string detail = {});

// Object names the Chef Server accepts for nodes, roles, environments, data bags and items:
// letters, digits, '_', '-', '.', ':' (data bags and items: no ':' and no '.').
bool valid_chef_name(const std::string& name, bool allow_dot_colon = true);

// One path segment: valid object names as they are, anything else percent-encoded.
std::string seg(const std::string& name);

// Splits `names` into Solr `<field>:(a OR b ...)` queries of at most `per_query` names each.
std::vector<std::string> name_queries(const std::string& field,
                                      const std::vector<std::string>& names, size_t per_query);
// Escapes Solr/Lucene special characters in a term.
std::string solr_escape(const std::string& term);

// Runs a paged search: with `keys`, a partial search (POST /search/<index>?q=&rows=&start=, rows'
// "data" objects passed to `row`); without, a full one (GET, whole rows passed). The first page
// tells the total, the rest go up to `parallel` at once. `done` gets the first error, or nullopt,
// and the number of requests made.
struct SearchPaging {
  std::string index;
  std::string query = "*:*";
  Json keys;  // {"name": ["name"], ...}; null: full search
  int page_size = 1000;
  int parallel = 4;
  int64_t limit = 0;        // stop after this many rows (0: all)
  bool missing_ok = false;  // a 404 (no such data bag) is an empty result, not an error
  std::string address;      // for events
  std::function<void(int64_t)> on_total;  // the server's total, once known
};
void paged_search(ChefEnv& env, SearchPaging paging, std::function<void(const Json& data)> row,
                  std::function<void(std::optional<ProviderError>, int requests)> done);

}  // namespace orch::chef
