// chef_converge's view of the nodes on the Chef Server: facts before a run (ohai_time, push
// whitelist) and the check afterwards that each run saved its node (see chef_converge.h).
#include <fmt/format.h>

#include <cmath>
#include <set>

#include "providers/chef/chef_converge.h"

namespace orch::chef {

namespace {

constexpr size_t kNamesPerQuery = 100;

std::optional<double> number_of(const Json* j) {
  if (!j || !j->is_number()) return std::nullopt;
  double d = j->get<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

NodeFacts facts_of_row(const Json& row) {
  NodeFacts f;
  f.found = true;
  f.ohai_time = number_of(get_path(row, {"ohai_time"}));
  if (const Json* w = get_path(row, {"whitelist"}); w && w->is_object()) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : w->items()) keys.push_back(k);
    f.whitelist = keys;
  }
  return f;
}

std::string format_time(double epoch) {
  return fmt::format("{:.3f}", epoch);
}

}  // namespace

void read_node_facts(ChefEnv& env, const std::string& address,
                     const std::vector<std::string>& nodes,
                     std::function<void(NodeFactsMap, std::optional<ProviderError>)> done) {
  auto facts = std::make_shared<NodeFactsMap>();
  auto queries = name_queries("name", nodes, kNamesPerQuery);
  if (queries.empty()) return done({}, std::nullopt);
  struct Pending {
    size_t left;
    std::optional<ProviderError> error;
    std::function<void(NodeFactsMap, std::optional<ProviderError>)> done;
  };
  auto pending = std::make_shared<Pending>(Pending{queries.size(), std::nullopt, std::move(done)});
  const std::set<std::string> wanted(nodes.begin(), nodes.end());
  for (const auto& q : queries) {
    SearchPaging paging;
    paging.index = "node";
    paging.query = q;
    paging.keys = Json{{"name", {"name"}},
                       {"ohai_time", {"ohai_time"}},
                       {"whitelist", {"push_jobs", "whitelist"}}};
    paging.address = address;
    paged_search(
        env, paging,
        [facts, wanted](const Json& row) {
          const Json* name = get_path(row, {"name"});
          if (name && name->is_string() && wanted.count(name->get<std::string>()))
            (*facts)[name->get<std::string>()] = facts_of_row(row);
        },
        [facts, pending](std::optional<ProviderError> e, int) {
          if (e && !pending->error) pending->error = e;
          if (--pending->left == 0) pending->done(std::move(*facts), pending->error);
        });
  }
}

bool converged_since(const NodeFacts& before, std::optional<double> after, double step_start) {
  if (!after) return false;
  if (before.ohai_time) return *after > *before.ohai_time;
  return *after >= step_start - kClockSkewAllowance;
}

void verify_converged(ChefEnv& env, const std::string& address, const NodeFactsMap& before,
                      double step_start, std::shared_ptr<std::vector<HostOutcome>> outcomes,
                      std::function<void(std::optional<ProviderError>)> done) {
  std::vector<std::string> ran;
  for (const auto& o : *outcomes)
    if (o.ok()) ran.push_back(o.host);
  if (ran.empty()) return done(std::nullopt);
  auto before_of = [before](const std::string& node) {
    auto it = before.find(node);
    return it == before.end() ? NodeFacts{} : it->second;
  };
  read_node_facts(
      env, address, ran,
      [&env, address, step_start, outcomes, before_of, done](NodeFactsMap now,
                                                             std::optional<ProviderError> e) {
        if (e) return done(e);
        // What the search does not show converged is read exactly.
        std::vector<size_t> recheck;
        for (size_t i = 0; i < outcomes->size(); ++i) {
          const HostOutcome& o = (*outcomes)[i];
          if (!o.ok()) continue;
          auto it = now.find(o.host);
          if (it == now.end() ||
              !converged_since(before_of(o.host), it->second.ohai_time, step_start))
            recheck.push_back(i);
        }
        if (recheck.empty()) return done(std::nullopt);
        struct Pending {
          size_t left;
          std::optional<ProviderError> error;
          std::function<void(std::optional<ProviderError>)> done;
        };
        auto pending = std::make_shared<Pending>(Pending{recheck.size(), std::nullopt, done});
        for (size_t i : recheck) {
          ChefCall call;
          call.path = "/nodes/" + seg((*outcomes)[i].host);
          call.accept = {404};
          call.address = address;
          const NodeFacts was = before_of((*outcomes)[i].host);
          env.api->call(std::move(call), [outcomes, i, was, step_start, pending](ChefReply reply) {
            HostOutcome& o = (*outcomes)[i];
            if (reply.error) {
              if (!pending->error) pending->error = reply.error;
            } else if (reply.status == 404) {
              o.problem = "the run succeeded but there is no node \"" + o.host +
                          "\" on the Chef Server: did chef-client register under another name?";
            } else {
              auto after = number_of(get_path(reply.body, {"automatic", "ohai_time"}));
              if (!converged_since(was, after, step_start)) {
                std::string seen = after ? "ohai_time " + format_time(*after) : "no ohai_time";
                std::string bound = was.ohai_time
                                        ? "its value before the run, " + format_time(*was.ohai_time)
                                        : "the step's start, " + format_time(step_start);
                o.problem = fmt::format(
                    "the run exited 0 but the node was not saved: {} is not past {} (is the "
                    "command chef-client, and does it reach this Chef Server?)",
                    seen, bound);
              }
            }
            if (--pending->left == 0) pending->done(pending->error);
          });
        }
      });
}

}  // namespace orch::chef
