// ec2_security_group: plan-time normalisation of rules (a set of canonical rule objects, so
// order and splitting never show as changes), refresh through one paged DescribeSecurityGroups
// over the stack's tag, create (tagged; a retry finds its own group by name and marks),
// in-place rule changes (revoke what went away, authorize what is new) and delete.
#include <fmt/format.h>

#include <set>
#include <tuple>

#include "providers/ec2/describe.h"
#include "providers/ec2/ec2_provider.h"

namespace orch {

using ec2::add_filter;
using ec2::ApiError;
using ec2::ApiResult;
using ec2::describe_all;
using ec2::Params;

namespace {

// One permission for one CIDR: the unit rules are compared and changed in.
struct Atom {
  std::string protocol;
  int64_t from = 0, to = 0;
  std::string cidr, description;
  auto key() const { return std::tie(protocol, from, to, cidr, description); }
  bool operator<(const Atom& o) const { return key() < o.key(); }
  bool operator==(const Atom& o) const { return key() == o.key(); }
};

std::string norm_protocol(std::string p) {
  for (auto& c : p) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (p == "all" || p == "-1") return "-1";
  if (p == "6") return "tcp";
  if (p == "17") return "udp";
  if (p == "1") return "icmp";
  return p;
}

int64_t num(const Value& v) {
  Value u = v.unmarked();
  if (u.kind() != ValueKind::Number) return 0;
  return u.as_number().is_int ? u.as_number().i : static_cast<int64_t>(u.as_number().d);
}

// Atoms of a configured or stored rule set (a list or set of rule objects). Unknown values make
// the whole set unknown: nullopt.
std::optional<std::set<Atom>> atoms_of(const Value* rules) {
  std::set<Atom> out;
  if (!rules || rules->is_null()) return out;
  if (!rules->is_wholly_known()) return std::nullopt;
  Value u = rules->unmarked();
  if (!u.is_sequence()) return out;
  for (const Value& r : u.elements()) {
    if (!r.unmarked().is_mapping()) continue;
    const ValueMap& m = r.unmarked().attributes();
    auto get = [&](const char* k) -> const Value* {
      auto it = m.find(k);
      return it == m.end() || it->second.is_null() ? nullptr : &it->second;
    };
    Atom a;
    if (const Value* p = get("protocol")) a.protocol = norm_protocol(p->unmarked().as_string());
    if (a.protocol != "-1") {
      if (const Value* f = get("from_port")) a.from = num(*f);
      if (const Value* t = get("to_port")) a.to = num(*t);
    }
    if (const Value* d = get("description")) a.description = d->unmarked().as_string();
    if (const Value* c = get("cidr_blocks"); c && c->unmarked().is_sequence())
      for (const Value& e : c->unmarked().elements()) {
        a.cidr = e.unmarked().as_string();
        out.insert(a);
      }
  }
  return out;
}

// The canonical value: one object per (protocol, ports, description) with its CIDRs sorted.
Value rules_value(const std::set<Atom>& atoms) {
  const Type str = Type::string();
  std::map<std::tuple<std::string, int64_t, int64_t, std::string>, ValueList> grouped;
  for (const Atom& a : atoms)
    grouped[{a.protocol, a.from, a.to, a.description}].push_back(Value::string(a.cidr));
  ValueList rules;
  for (auto& [k, cidrs] : grouped) {
    ValueMap r;
    r["protocol"] = Value::string(std::get<0>(k));
    r["from_port"] = Value::number(std::get<1>(k));
    r["to_port"] = Value::number(std::get<2>(k));
    r["description"] = Value::string(std::get<3>(k));
    r["cidr_blocks"] = Value::list(std::move(cidrs), str);
    rules.push_back(Value::object(std::move(r)));
  }
  return Value::set(std::move(rules));
}

std::set<Atom> atoms_from_xml(const pugi::xml_node& perms) {
  std::set<Atom> out;
  for (pugi::xml_node p : perms.children("item")) {
    Atom a;
    a.protocol = norm_protocol(p.child_value("ipProtocol"));
    if (a.protocol != "-1") {
      a.from = std::atoll(p.child_value("fromPort"));
      a.to = std::atoll(p.child_value("toPort"));
    }
    for (pugi::xml_node r : p.child("ipRanges").children("item")) {
      a.cidr = r.child_value("cidrIp");
      a.description = r.child_value("description");
      out.insert(a);
    }
  }
  return out;
}

struct Group {
  std::string id, name, description, vpc_id;
  std::map<std::string, std::string> tags;
  std::set<Atom> ingress, egress;
};

Group parse_group(const pugi::xml_node& n) {
  Group g;
  g.id = n.child_value("groupId");
  g.name = n.child_value("groupName");
  g.description = n.child_value("groupDescription");
  g.vpc_id = n.child_value("vpcId");
  for (pugi::xml_node t : n.child("tagSet").children("item"))
    g.tags[t.child_value("key")] = t.child_value("value");
  g.ingress = atoms_from_xml(n.child("ipPermissions"));
  g.egress = atoms_from_xml(n.child("ipPermissionsEgress"));
  return g;
}

std::vector<Group> parse_groups(const pugi::xml_node& root) {
  std::vector<Group> out;
  for (pugi::xml_node n : root.child("securityGroupInfo").children("item"))
    out.push_back(parse_group(n));
  return out;
}

ValueMap group_attributes(const Group& g) {
  const Type str = Type::string();
  ValueMap a;
  a["id"] = Value::string(g.id);
  a["name"] = Value::string(g.name);
  a["description"] = Value::string(g.description);
  a["vpc_id"] = g.vpc_id.empty() ? Value::null(str) : Value::string(g.vpc_id);
  ValueMap tags;
  for (const auto& [k, v] : ec2::user_tags(g.tags)) tags[k] = Value::string(v);
  a["tags"] = Value::map(std::move(tags), str);
  a["ingress"] = rules_value(g.ingress);
  a["egress"] = rules_value(g.egress);
  return a;
}

std::string tag_of(const Group& g, const char* key) {
  auto it = g.tags.find(key);
  return it == g.tags.end() ? "" : it->second;
}

// Authorize/Revoke parameters for atoms sharing protocol and ports.
std::vector<Params> permission_calls(const std::string& group_id, const std::set<Atom>& atoms,
                                     bool with_description) {
  std::map<std::tuple<std::string, int64_t, int64_t>, std::vector<const Atom*>> by_ports;
  for (const Atom& a : atoms) by_ports[{a.protocol, a.from, a.to}].push_back(&a);
  std::vector<Params> out;
  for (const auto& [k, list] : by_ports) {
    Params p{{"GroupId", group_id}, {"IpPermissions.1.IpProtocol", std::get<0>(k)}};
    if (std::get<0>(k) != "-1") {
      p.emplace_back("IpPermissions.1.FromPort", std::to_string(std::get<1>(k)));
      p.emplace_back("IpPermissions.1.ToPort", std::to_string(std::get<2>(k)));
    }
    for (size_t i = 0; i < list.size(); ++i) {
      std::string prefix = fmt::format("IpPermissions.1.IpRanges.{}.", i + 1);
      p.emplace_back(prefix + "CidrIp", list[i]->cidr);
      if (with_description && !list[i]->description.empty())
        p.emplace_back(prefix + "Description", list[i]->description);
    }
    out.push_back(std::move(p));
  }
  return out;
}

const Value* find(const ValueMap& m, const std::string& name) {
  auto it = m.find(name);
  return it == m.end() || it->second.is_null() ? nullptr : &it->second;
}

std::optional<std::string> str_attr(const ValueMap& m, const std::string& name) {
  const Value* v = find(m, name);
  if (!v || !v->is_wholly_known() || v->unmarked().kind() != ValueKind::String) return std::nullopt;
  return v->unmarked().as_string();
}

std::map<std::string, std::string> string_map(const ValueMap& m, const std::string& name) {
  std::map<std::string, std::string> out;
  const Value* v = find(m, name);
  if (!v || !v->unmarked().is_mapping()) return out;
  for (const auto& [k, e] : v->unmarked().attributes())
    if (e.unmarked().kind() == ValueKind::String) out[k] = e.unmarked().as_string();
  return out;
}

}  // namespace

PlanResponse Ec2Provider::plan_group(const PlanRequest& req) {
  PlanResponse resp;
  const Schema& schema = schema_.resources.at("ec2_security_group");
  ValueMap& planned = resp.planned;
  const ValueMap* prior = req.prior ? &req.prior->attributes : nullptr;
  for (const auto& a : schema.attributes) {
    if (a.computed && !a.optional) continue;
    const Value* v = find(req.config, a.name);
    if (v)
      planned[a.name] = *v;
    else if (a.default_value)
      planned[a.name] = *a.default_value;
  }
  if (planned.count("tags")) planned["tags"] = ec2::as_string_map(planned["tags"]);
  for (const char* dir : {"ingress", "egress"}) {
    auto atoms = atoms_of(find(req.config, dir));
    planned[dir] = atoms ? rules_value(*atoms) : Value::unknown();
    if (atoms)
      for (const Atom& a : *atoms)
        if (a.protocol != "-1" && a.protocol != "tcp" && a.protocol != "udp" &&
            a.protocol != "icmp")
          resp.diagnostics.error(
              Range{}, fmt::format("{}: unknown {} protocol \"{}\"", req.address, dir, a.protocol),
              "Use \"tcp\", \"udp\", \"icmp\" or \"-1\" (all).");
  }
  if (auto tags = string_map(planned, "tags"); true)
    for (const auto& [k, v] : tags)
      if (k.rfind(ec2::kTagPrefix, 0) == 0)
        resp.diagnostics.error(Range{}, fmt::format("{}: tag \"{}\" is reserved", req.address, k),
                               "Tags starting with \"orch:\" are orch's ownership marks.");
  bool keeps = prior != nullptr;
  if (prior)
    for (const char* name : {"name", "description", "vpc_id"}) {
      const Value* now = find(planned, name);
      const Value* was = find(*prior, name);
      if (std::string(name) == "vpc_id" && !now) continue;
      bool same = now && was ? now->is_wholly_known() && now->unmarked().equals(was->unmarked())
                             : !now && !was;
      if (!same) {
        resp.force_new_paths.push_back(name);
        keeps = false;
      }
    }
  const Value* id = prior && keeps ? find(*prior, "id") : nullptr;
  planned["id"] = id ? *id : Value::unknown(Type::string());
  if (!find(req.config, "vpc_id")) {
    const Value* v = prior && keeps ? find(*prior, "vpc_id") : nullptr;
    planned["vpc_id"] = v ? *v : Value::unknown(Type::string());
  }
  return resp;
}

void Ec2Provider::read_groups(std::vector<ReadItem> items, std::function<void(ReadResult)> done) {
  struct St {
    ReadResult result;
    uint64_t before = 0;
    std::vector<ReadItem> missing;
  };
  auto st = std::make_shared<St>();
  st->before = client_->requests();
  Params p;
  add_filter(p, std::string("tag:") + ec2::kStackTag, {ctx_.stack});
  auto all = std::make_shared<std::vector<Group>>();
  std::weak_ptr<char> guard = alive_;
  auto finish = [this, st, done]() {
    st->result.requests = static_cast<int>(client_->requests() - st->before);
    done(std::move(st->result));
  };
  describe_all(
      *client_, "DescribeSecurityGroups", std::move(p), 1000,
      [all](const pugi::xml_node& root) {
        for (auto& g : parse_groups(root)) all->push_back(std::move(g));
      },
      [this, guard, st, all, items = std::move(items), finish](std::optional<ApiError> e) mutable {
        if (guard.expired()) return;
        if (e) {
          st->result.error =
              api_error("refresh of ec2_security_group", "DescribeSecurityGroups", *e);
          return finish();
        }
        std::map<std::string, const Group*> by_id, by_address;
        for (const auto& g : *all) {
          by_id[g.id] = &g;
          std::string a = tag_of(g, ec2::kAddressTag);
          if (!a.empty() && !by_address.count(a)) by_address[a] = &g;
        }
        std::set<std::string> claimed;
        for (auto& item : items) {
          const Group* g = nullptr;
          if (!item.id.empty()) {
            auto it = by_id.find(item.id);
            if (it == by_id.end()) {
              st->missing.push_back(std::move(item));
              continue;
            }
            g = it->second;
          } else if (auto it = by_address.find(item.address); it != by_address.end()) {
            g = it->second;
          }
          if (!g) continue;
          claimed.insert(g->id);
          st->result.objects[item.address] = ObjectState{g->id, group_attributes(*g)};
        }
        Owned& owned = owned_["ec2_security_group"];
        owned.clear();
        for (const auto& [address, g] : by_address)
          if (!claimed.count(g->id)) owned[address] = ObjectState{g->id, group_attributes(*g)};
        if (st->missing.empty()) return finish();
        std::vector<std::string> ids;
        for (const auto& i : st->missing) ids.push_back(i.id);
        auto found = std::make_shared<std::map<std::string, Group>>();
        std::vector<ec2::Step> steps;
        for (auto& chunk : ec2::chunks(ids, 200))
          steps.push_back([this, chunk, found](std::function<void(std::optional<ApiError>)> next) {
            Params q;
            add_filter(q, "group-id", chunk);
            describe_all(
                *client_, "DescribeSecurityGroups", std::move(q), 1000,
                [found](const pugi::xml_node& root) {
                  for (auto& g : parse_groups(root)) (*found)[g.id] = std::move(g);
                },
                std::move(next));
          });
        ec2::run_sequence(std::move(steps), [this, guard, st, found,
                                             finish](std::optional<ApiError> e2) {
          if (guard.expired()) return;
          if (e2) {
            st->result.error =
                api_error("refresh of ec2_security_group", "DescribeSecurityGroups", *e2);
            return finish();
          }
          for (const auto& item : st->missing)
            if (auto it = found->find(item.id); it != found->end())
              st->result.objects[item.address] = ObjectState{item.id, group_attributes(it->second)};
          finish();
        });
      });
}

void Ec2Provider::apply_group(const ApplyRequest& req, std::function<void(ApplyResult)> done) {
  std::weak_ptr<char> guard = alive_;
  const std::string address = req.address;
  if (req.action == ChangeAction::Delete) {
    std::string id = req.prior ? req.prior->id : "";
    if (id.empty()) return done({});
    return client_->call("DeleteSecurityGroup", {{"GroupId", id}},
                         [this, guard, address, done](ApiResult r) {
                           if (guard.expired()) return;
                           if (!r.error || r.error->code == "InvalidGroup.NotFound")
                             return done({});
                           ProviderError pe = api_error(address, "DeleteSecurityGroup", *r.error);
                           // Instances still using the group are usually terminating: try again
                           // later.
                           if (r.error->code == "DependencyViolation") pe.retryable = true;
                           done({std::nullopt, pe});
                         });
  }
  // Describes the group by id, a few times while a new group is not visible yet.
  auto describe = std::make_shared<std::function<void(
      std::string, int, std::function<void(std::optional<Group>, std::optional<ApiError>)>)>>();
  *describe = [this, guard, describe](
                  std::string id, int attempt,
                  std::function<void(std::optional<Group>, std::optional<ApiError>)> cb) {
    Params q;
    add_filter(q, "group-id", {id});
    auto found = std::make_shared<std::optional<Group>>();
    describe_all(
        *client_, "DescribeSecurityGroups", std::move(q), 0,
        [found](const pugi::xml_node& root) {
          for (auto& g : parse_groups(root)) *found = std::move(g);
        },
        [this, guard, describe, id, attempt, cb, found](std::optional<ApiError> e) {
          if (guard.expired()) return;
          if (e) return cb(std::nullopt, e);
          if (!*found && attempt < 6) {
            ctx_.clock->schedule(std::chrono::milliseconds(250) * (1 << attempt),
                                 [describe, id, attempt, cb] { (*describe)(id, attempt + 1, cb); });
            return;
          }
          cb(*found, std::nullopt);
        });
  };
  auto desired_in = atoms_of(find(req.planned, "ingress")).value_or(std::set<Atom>{});
  auto desired_out = atoms_of(find(req.planned, "egress")).value_or(std::set<Atom>{});
  auto new_tags = string_map(req.planned, "tags");
  auto old_tags =
      req.prior ? string_map(req.prior->attributes, "tags") : std::map<std::string, std::string>{};
  // Brings the group's tags and rules to the plan, then answers with the group as it is.
  auto sync = [this, guard, address, desired_in, desired_out, new_tags, old_tags, describe, done](
                  std::string id, bool created) {
    (*describe)(
        id, 0,
        [this, guard, address, id, desired_in, desired_out, new_tags, old_tags, describe, done,
         created](std::optional<Group> g, std::optional<ApiError> e) {
          if (guard.expired()) return;
          if (e) return done({std::nullopt, api_error(address, "DescribeSecurityGroups", *e)});
          if (!g)
            return done({std::nullopt,
                         ProviderError{address + ": security group " + id + " no longer exists",
                                       "Run plan again: it will be created anew.",
                                       false,
                                       {}}});
          std::vector<ec2::Step> steps;
          auto call = [this](std::string action, Params p) -> ec2::Step {
            return [this, action, p](std::function<void(std::optional<ApiError>)> next) {
              client_->call(action, p, [next, action](ApiResult r) {
                if (!r.error) return next(std::nullopt);
                ApiError err = *r.error;
                err.message = action + ": " + err.message;
                next(err);
              });
            };
          };
          auto diff = [&](const std::set<Atom>& have, const std::set<Atom>& want,
                          const char* revoke, const char* authorize) {
            std::set<Atom> gone, added;
            std::set_difference(have.begin(), have.end(), want.begin(), want.end(),
                                std::inserter(gone, gone.end()));
            std::set_difference(want.begin(), want.end(), have.begin(), have.end(),
                                std::inserter(added, added.end()));
            for (auto& p : permission_calls(id, gone, false)) steps.push_back(call(revoke, p));
            for (auto& p : permission_calls(id, added, true)) steps.push_back(call(authorize, p));
          };
          diff(g->ingress, desired_in, "RevokeSecurityGroupIngress",
               "AuthorizeSecurityGroupIngress");
          diff(g->egress, desired_out, "RevokeSecurityGroupEgress", "AuthorizeSecurityGroupEgress");
          if (!created) {
            Params put{{"ResourceId.1", id}}, del{{"ResourceId.1", id}};
            int np = 0, nd = 0;
            auto have = ec2::user_tags(g->tags);
            for (const auto& [k, v] : new_tags)
              if (!have.count(k) || have.at(k) != v) {
                ++np;
                put.emplace_back(fmt::format("Tag.{}.Key", np), k);
                put.emplace_back(fmt::format("Tag.{}.Value", np), v);
              }
            for (const auto& [k, v] : have)
              if (!new_tags.count(k)) del.emplace_back(fmt::format("Tag.{}.Key", ++nd), k);
            if (np) steps.push_back(call("CreateTags", put));
            if (nd) steps.push_back(call("DeleteTags", del));
          }
          ec2::run_sequence(std::move(steps), [this, guard, address, id, describe,
                                               done](std::optional<ApiError> e2) {
            if (guard.expired()) return;
            if (e2) return done({std::nullopt, api_error(address, "changing rules of " + id, *e2)});
            (*describe)(
                id, 0,
                [this, address, id, done](std::optional<Group> g2, std::optional<ApiError> e3) {
                  if (e3)
                    return done({std::nullopt, api_error(address, "DescribeSecurityGroups", *e3)});
                  if (!g2)
                    return done(
                        {std::nullopt,
                         ProviderError{
                             address + ": security group " + id + " vanished", "", true, {}}});
                  done({ObjectState{id, group_attributes(*g2)}, std::nullopt});
                });
          });
        });
  };
  if (req.action == ChangeAction::Update) {
    if (!req.prior || req.prior->id.empty())
      return done(
          {std::nullopt, ProviderError{address + ": no security group to update", "", false, {}}});
    return sync(req.prior->id, false);
  }
  auto name = str_attr(req.planned, "name");
  auto description = str_attr(req.planned, "description").value_or("Managed by orch");
  if (!name)
    return done({std::nullopt,
                 ProviderError{address + ": name must be known at apply time", "", false, {}}});
  Params p{{"GroupName", *name}, {"GroupDescription", description}};
  auto vpc = str_attr(req.planned, "vpc_id");
  if (vpc) p.emplace_back("VpcId", *vpc);
  auto tags = new_tags;
  tags[ec2::kStackTag] = ctx_.stack;
  tags[ec2::kAddressTag] = address;
  p.emplace_back("TagSpecification.1.ResourceType", "security-group");
  int n = 0;
  for (const auto& [k, v] : tags) {
    ++n;
    p.emplace_back(fmt::format("TagSpecification.1.Tag.{}.Key", n), k);
    p.emplace_back(fmt::format("TagSpecification.1.Tag.{}.Value", n), v);
  }
  client_->call(
      "CreateSecurityGroup", p, [this, guard, address, name = *name, vpc, sync, done](ApiResult r) {
        if (guard.expired()) return;
        if (r.error && r.error->code == "InvalidGroup.Duplicate") {
          // CreateSecurityGroup takes no ClientToken: a retry after a lost answer finds the group
          // it made by its name and orch's marks. Someone else's group of that name is an error.
          Params q;
          add_filter(q, "group-name", {name});
          if (vpc) add_filter(q, "vpc-id", {*vpc});
          auto found = std::make_shared<std::vector<Group>>();
          describe_all(
              *client_, "DescribeSecurityGroups", std::move(q), 0,
              [found](const pugi::xml_node& root) {
                for (auto& g : parse_groups(root)) found->push_back(std::move(g));
              },
              [this, guard, address, err = *r.error, found, sync, done](std::optional<ApiError> e) {
                if (guard.expired()) return;
                for (const auto& g : *found)
                  if (tag_of(g, ec2::kStackTag) == ctx_.stack &&
                      tag_of(g, ec2::kAddressTag) == address)
                    return sync(g.id, true);
                ProviderError pe = api_error(address, "CreateSecurityGroup", e ? *e : err);
                pe.detail = "A security group of this name exists and is not marked as " + address +
                            " of stack " + ctx_.stack + ": choose another name.";
                done({std::nullopt, pe});
              });
          return;
        }
        if (r.error)
          return done({std::nullopt, api_error(address, "CreateSecurityGroup", *r.error)});
        std::string id = r.root().child_value("groupId");
        if (id.empty())
          return done({std::nullopt,
                       ProviderError{
                           address + ": CreateSecurityGroup returned no groupId", "", false, {}}});
        sync(id, true);
      });
}

}  // namespace orch
