// count / for_each expansion: instances and keys, errors, deferral of unknown values, the bound
// on a deferred block's instances and what it waits for.
#include "planner/expand.h"

#include <gtest/gtest.h>

#include "compiler/parse.h"
#include "compiler/source.h"

namespace orch {
namespace {

// Parses one expression.
class ExprHolder {
 public:
  explicit ExprHolder(const std::string& text) {
    Diagnostics d;
    file_ = parse_file(*sources_.add("t.orch", "x = " + text + "\n"), d);
    EXPECT_FALSE(d.has_errors()) << text;
  }
  const Expr& expr() const { return *file_.body.attributes.at(0).value; }

 private:
  SourceManager sources_;
  File file_;
};

// A scope where machines' DNS names are known and the election's leader is not.
BasicScope cluster_scope() {
  BasicScope s;
  ValueList nodes;
  for (int i = 0; i < 4; ++i)
    nodes.push_back(Value::object({{"private_dns", Value::string("n" + std::to_string(i))},
                                   {"id", Value::unknown(Type::string())}}));
  s.set("sim_machine", "node", Value::tuple(nodes));
  s.set("sim_election", "master", Value::object({{"leader", Value::unknown(Type::string())}}));
  s.set("var", "n", Value::number(3));
  s.set("var", "names", Value::unknown(Type::list(Type::string())));
  return s;
}

TEST(ExpandBound, FiltersOfAKnownCollectionAreBoundedByIt) {
  BasicScope s = cluster_scope();
  auto bound = [&](const std::string& text) { return instance_bound(ExprHolder(text).expr(), s); };
  EXPECT_EQ(
      bound("setsubtract(toset(sim_machine.node[*].private_dns), [sim_election.master.leader])"),
      4);
  EXPECT_EQ(bound("toset([for n in sim_machine.node : n.id])"), 4);
  EXPECT_EQ(bound("setunion(toset(sim_machine.node[*].id), [sim_election.master.leader])"), 5);
  EXPECT_EQ(bound("sim_election.master.leader == \"x\" ? [1, 2] : [1]"), 2);
  EXPECT_EQ(bound("length(sim_machine.node[*].id)"), 4);
  EXPECT_EQ(bound("var.n + 1"), 4);
  EXPECT_EQ(bound("toset(var.names)"), std::nullopt);
}

TEST(ExpandBound, UnknownReferencesNameWhatTheExpansionWaitsFor) {
  BasicScope s = cluster_scope();
  auto waits = [&](const std::string& text) {
    return unknown_references(ExprHolder(text).expr(), s);
  };
  // The DNS names are known: only the leader is waited for.
  EXPECT_EQ(waits("setsubtract(toset(sim_machine.node[*].private_dns), "
                  "[sim_election.master.leader])"),
            (std::vector<std::string>{"sim_election.master.leader"}));
  EXPECT_EQ(waits("toset(sim_machine.node[*].id)"),
            (std::vector<std::string>{"sim_machine.node[*].id"}));
  EXPECT_TRUE(waits("var.n").empty());
}

}  // namespace
}  // namespace orch
