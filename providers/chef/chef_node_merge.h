// chef_node's ownership rules as pure functions on node JSON: orch writes only what it declares
// (normal attribute paths, tags, and the fields it sets) plus its marks (normal.orch.<stack>,
// tag "orch:<stack>"), removes what it declared before and no longer does, and reads back only
// what it owns. Everything else on the node — what chef-client saves — passes through untouched.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/value.h"
#include "providers/chef/chef_json.h"

namespace orch::chef {

struct NodeMarks {
  std::string stack;    // this run's stack
  std::string address;  // the resource instance writing the node
  std::string lineage;  // the state's lineage (recorded, for people)
};

// What orch declares about a node (from planned attributes) and what it declared last time
// (from the prior state), as JSON.
struct NodeIntent {
  std::string name;
  std::optional<std::string> chef_environment, policy_name, policy_group;  // nullopt: not managed
  std::optional<Json> run_list;                                            // array
  Json normal = Json::object();        // the declared paths' values
  std::vector<std::string> tags;       // tags orch ensures
  Json prior_normal = Json::object();  // what it declared before
  std::vector<std::string> prior_tags;
};

NodeIntent node_intent(const ValueMap& planned, const ValueMap* prior);

// A new node's body for POST /nodes.
Json new_node(const NodeIntent& intent, const NodeMarks& marks);

// `node` (as read from the server) with orch's intent applied: declared paths set, paths
// declared before and no longer removed, tags added/removed, marks set. Nothing else changes.
Json merge_into(Json node, const NodeIntent& intent, const NodeMarks& marks);

// `node` with everything orch put there removed (for destroying an adopted node): declared
// paths, declared tags, and this stack's marks.
Json release(Json node, const NodeIntent& intent, const NodeMarks& marks);

// Whether `node` (as read back) holds everything `intent` declares. When not, `why` names the
// first difference ("normal.app.port is 8080, orch wrote 80").
bool holds_intent(const Json& node, const NodeIntent& intent, std::string* why);

// Another owner's mark on `node`: a mark of another stack, or of this stack for another
// address. "" when none; else a description ("stack \"prod\" (chef_node.db[0])").
std::string other_owner(const Json& node, const NodeMarks& marks);
// Whether `node` carries this stack's mark for `marks.address`.
bool marked_by(const Json& node, const NodeMarks& marks);

// The chef_node attributes orch reports for a node read from the server (a full node object):
// owned fields and paths only, as `prior` declared them; `automatic` summarised.
ValueMap node_attributes(const Json& node, const ValueMap& prior);
// The `automatic` summary of a node: fqdn, ipaddress, platform, platform_version, ohai_time.
Value automatic_summary(const Json& automatic);
Type automatic_type();

}  // namespace orch::chef
