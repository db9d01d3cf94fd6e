// ec2_instance: refresh (one paged scan of the stack's tag, then id lookups for instances that
// lost it, retried while a new id may not be visible yet), create (RunInstances with a
// ClientToken, then wait for running), update in place (tags, groups; type and user data by
// stop/modify/start) and delete (terminate, wait for terminated).
#include <fmt/format.h>
#include <openssl/sha.h>

#include <chrono>
#include <ctime>
#include <set>

#include "providers/ec2/describe.h"
#include "providers/ec2/ec2_provider.h"

namespace orch {

using ec2::add_filter;
using ec2::ApiError;
using ec2::ApiResult;
using ec2::describe_all;
using ec2::Instance;
using ec2::Params;

namespace {

const Value* find(const ValueMap& m, const std::string& name) {
  auto it = m.find(name);
  return it == m.end() || it->second.is_null() ? nullptr : &it->second;
}

std::optional<std::string> str_attr(const ValueMap& m, const std::string& name) {
  const Value* v = find(m, name);
  if (!v || !v->is_wholly_known()) return std::nullopt;
  Value u = v->unmarked();
  if (u.kind() != ValueKind::String) return std::nullopt;
  return u.as_string();
}

std::map<std::string, std::string> string_map(const ValueMap& m, const std::string& name) {
  std::map<std::string, std::string> out;
  const Value* v = find(m, name);
  if (!v || !v->unmarked().is_mapping()) return out;
  for (const auto& [k, e] : v->unmarked().attributes())
    if (e.unmarked().kind() == ValueKind::String) out[k] = e.unmarked().as_string();
  return out;
}

std::vector<std::string> string_list(const ValueMap& m, const std::string& name) {
  std::vector<std::string> out;
  const Value* v = find(m, name);
  if (!v || !v->unmarked().is_sequence()) return out;
  for (const auto& e : v->unmarked().elements())
    if (e.unmarked().kind() == ValueKind::String) out.push_back(e.unmarked().as_string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string sha256_hex(const std::string& text) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), md);
  std::string hex;
  for (unsigned char c : md) hex += fmt::format("{:02x}", c);
  return hex;
}

// Seconds since an RFC 3339 UTC time ("2026-01-02T03:04:05.000Z"); nullopt when unparsable.
std::optional<int64_t> age_seconds(const std::string& rfc3339) {
  std::tm tm{};
  if (rfc3339.size() < 19 || !strptime(rfc3339.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm))
    return std::nullopt;
  time_t t = timegm(&tm);
  return static_cast<int64_t>(std::time(nullptr) - t);
}

ApiError local_error(std::string message) {
  ApiError e;
  e.message = std::move(message);
  return e;
}

}  // namespace

void Ec2Provider::scan_instances(
    std::function<void(std::vector<Instance>, std::optional<ApiError>)> done) {
  Params p;
  add_filter(p, std::string("tag:") + ec2::kStackTag, {ctx_.stack});
  add_filter(p, "instance-state-name", {"pending", "running", "stopping", "stopped"});
  auto all = std::make_shared<std::vector<Instance>>();
  describe_all(
      *client_, "DescribeInstances", std::move(p), 1000,
      [all](const pugi::xml_node& root) {
        for (auto& i : ec2::parse_instances(root)) all->push_back(std::move(i));
      },
      [all, done](std::optional<ApiError> e) { done(std::move(*all), e); });
}

namespace {

struct InstanceRead {
  std::vector<ReadItem> missing;  // in state with an id the scan did not find
  ReadResult result;
  std::function<void(ReadResult)> done;
  uint64_t requests_before = 0;
  int attempt = 0;
};

}  // namespace

void Ec2Provider::read_instances(std::vector<ReadItem> items,
                                 std::function<void(ReadResult)> done) {
  auto st = std::make_shared<InstanceRead>();
  st->done = std::move(done);
  st->requests_before = client_->requests();
  std::weak_ptr<char> guard = alive_;
  auto finish = [this, guard, st]() {
    if (guard.expired()) return;
    st->result.requests = static_cast<int>(client_->requests() - st->requests_before);
    st->done(std::move(st->result));
  };
  // Ids the scan missed: looked up by id (filters never fail on unknown ids), in chunks; a
  // recently launched instance that is not visible yet is looked up again, a few times.
  auto lookup = std::make_shared<std::function<void()>>();
  *lookup = [this, guard, st, finish, lookup]() {
    if (guard.expired()) return;
    if (st->missing.empty()) return finish();
    std::vector<std::string> ids;
    for (const auto& i : st->missing) ids.push_back(i.id);
    auto found = std::make_shared<std::map<std::string, Instance>>();
    std::vector<ec2::Step> steps;
    for (auto& g : ec2::chunks(ids, 200))
      steps.push_back([this, g, found](std::function<void(std::optional<ApiError>)> next) {
        Params p;
        add_filter(p, "instance-id", g);
        describe_all(
            *client_, "DescribeInstances", std::move(p), 1000,
            [found](const pugi::xml_node& root) {
              for (auto& i : ec2::parse_instances(root)) (*found)[i.id] = std::move(i);
            },
            std::move(next));
      });
    ec2::run_sequence(
        std::move(steps), [this, guard, st, finish, lookup, found](std::optional<ApiError> e) {
          if (guard.expired()) return;
          if (e) {
            st->result.error = api_error("refresh of ec2_instance", "DescribeInstances", *e);
            return finish();
          }
          std::vector<ReadItem> again;
          for (auto& item : st->missing) {
            auto it = found->find(item.id);
            if (it != found->end()) {
              if (!it->second.gone())
                st->result.objects[item.address] =
                    ObjectState{item.id, ec2::instance_attributes(it->second)};
              continue;
            }
            auto launched = str_attr(item.attributes, "launch_time");
            auto age = launched ? age_seconds(*launched) : std::nullopt;
            if (age && *age < visibility_timeout_.count() / 1000 && st->attempt < 5)
              again.push_back(std::move(item));
          }
          st->missing = std::move(again);
          if (st->missing.empty()) return finish();
          // Eventual consistency: not visible yet is not gone. Look again after a pause.
          Duration pause = std::chrono::milliseconds(500) * (1 << st->attempt++);
          log("", fmt::format(
                      "{} recently launched instance(s) not visible yet; looking again in {} ms",
                      st->missing.size(), pause.count()));
          ctx_.clock->schedule(pause, [lookup] { (*lookup)(); });
        });
  };

  scan_instances([this, guard, st, items = std::move(items), lookup, finish](
                     std::vector<Instance> all, std::optional<ApiError> e) mutable {
    if (guard.expired()) return;
    if (e) {
      st->result.error = api_error("refresh of ec2_instance", "DescribeInstances", *e);
      return finish();
    }
    std::map<std::string, const Instance*> by_id;
    std::map<std::string, std::vector<const Instance*>> by_address;
    for (const auto& i : all) {
      by_id[i.id] = &i;
      std::string a = i.tag(ec2::kAddressTag);
      if (!a.empty()) by_address[a].push_back(&i);
    }
    std::set<std::string> claimed;
    for (auto& item : items) {
      const Instance* inst = nullptr;
      if (!item.id.empty()) {
        auto it = by_id.find(item.id);
        if (it == by_id.end()) {
          st->missing.push_back(std::move(item));
          continue;
        }
        inst = it->second;
      } else {
        // A create that was interrupted: its intent is in state, the instance carries the address.
        auto it = by_address.find(item.address);
        if (it == by_address.end()) continue;
        for (const Instance* c : it->second)
          if (!claimed.count(c->id)) {
            inst = c;
            break;
          }
        if (!inst) continue;
      }
      claimed.insert(inst->id);
      st->result.objects[item.address] = ObjectState{inst->id, ec2::instance_attributes(*inst)};
    }
    Owned& owned = owned_["ec2_instance"];
    owned.clear();
    for (const auto& [address, list] : by_address) {
      int unclaimed = 0;
      for (const Instance* i : list) {
        if (claimed.count(i->id)) continue;
        if (++unclaimed == 1) owned[address] = ObjectState{i->id, ec2::instance_attributes(*i)};
      }
      if (unclaimed > 1 || (unclaimed == 1 && list.size() > 1))
        log(address, fmt::format("{} instances are tagged orch:address={} in stack {}; at most one "
                                 "is adopted, the others are left alone",
                                 list.size(), address, ctx_.stack));
    }
    (*lookup)();
  });
}

void Ec2Provider::create_instance(const ApplyRequest& req, std::function<void(ApplyResult)> done) {
  const ValueMap& a = req.planned;
  auto image = str_attr(a, "image_id");
  auto type = str_attr(a, "instance_type");
  if (!image || !type)
    return done({std::nullopt, ProviderError{req.address + ": image_id and instance_type must be "
                                                           "known strings at apply time",
                                             "",
                                             false,
                                             {}}});
  Params p = {{"ImageId", *image},
              {"InstanceType", *type},
              {"MinCount", "1"},
              {"MaxCount", "1"},
              {"ClientToken", ec2::client_token(req.idempotency_token)}};
  if (auto v = str_attr(a, "subnet_id")) p.emplace_back("SubnetId", *v);
  auto groups = string_list(a, "security_group_ids");
  for (size_t i = 0; i < groups.size(); ++i)
    p.emplace_back("SecurityGroupId." + std::to_string(i + 1), groups[i]);
  if (auto v = str_attr(a, "key_name")) p.emplace_back("KeyName", *v);
  std::map<std::string, std::string> tags = string_map(a, "tags");
  if (auto v = str_attr(a, "user_data")) {
    p.emplace_back("UserData", ec2::base64(*v));
    tags[ec2::kUserDataTag] = sha256_hex(*v);
  }
  if (auto v = str_attr(a, "iam_instance_profile")) p.emplace_back("IamInstanceProfile.Name", *v);
  std::optional<int64_t> root_size;
  if (const Value* v = find(a, "root_volume_size");
      v && v->unmarked().kind() == ValueKind::Number) {
    root_size = v->unmarked().as_number().i;
    tags[ec2::kRootVolumeTag] = std::to_string(*root_size);
  }
  tags[ec2::kStackTag] = ctx_.stack;
  tags[ec2::kAddressTag] = req.address;
  p.emplace_back("TagSpecification.1.ResourceType", "instance");
  int n = 0;
  for (const auto& [k, v] : tags) {
    ++n;
    p.emplace_back(fmt::format("TagSpecification.1.Tag.{}.Key", n), k);
    p.emplace_back(fmt::format("TagSpecification.1.Tag.{}.Value", n), v);
  }
  if (!root_size) return launch(req, std::move(p), std::move(done));
  // The root volume's size is set through a block device mapping on the image's root device.
  auto with_device = [this, req, p, size = *root_size, done](const std::string& device) mutable {
    p.emplace_back("BlockDeviceMapping.1.DeviceName", device);
    p.emplace_back("BlockDeviceMapping.1.Ebs.VolumeSize", std::to_string(size));
    launch(req, std::move(p), std::move(done));
  };
  if (auto it = root_devices_.find(*image); it != root_devices_.end())
    return with_device(it->second);
  std::weak_ptr<char> guard = alive_;
  client_->call("DescribeImages", {{"ImageId.1", *image}},
                [this, guard, req, image = *image, with_device, done](ApiResult r) mutable {
                  if (guard.expired()) return;
                  if (r.error)
                    return done({std::nullopt, api_error(req.address, "DescribeImages", *r.error)});
                  std::string dev =
                      r.root().child("imagesSet").child("item").child_value("rootDeviceName");
                  if (dev.empty())
                    return done({std::nullopt, ProviderError{req.address + ": image " + image +
                                                                 " was not found (DescribeImages)",
                                                             "Check image_id and the region.",
                                                             false,
                                                             {}}});
                  root_devices_[image] = dev;
                  with_device(dev);
                });
}

void Ec2Provider::launch(const ApplyRequest& req, Params params,
                         std::function<void(ApplyResult)> done) {
  std::weak_ptr<char> guard = alive_;
  std::string token = ec2::client_token(req.idempotency_token);
  client_->call("RunInstances", std::move(params), [this, guard, req, token, done](ApiResult r) {
    if (guard.expired()) return;
    if (r.error && r.error->code == "IdempotentParameterMismatch") {
      // The token was used before with other parameters: an interrupted create of this very
      // change whose configuration was edited since. The instance exists: take it; the next plan
      // shows what differs.
      Params p;
      add_filter(p, "client-token", {token});
      auto found = std::make_shared<std::vector<Instance>>();
      describe_all(
          *client_, "DescribeInstances", std::move(p), 0,
          [found](const pugi::xml_node& root) {
            for (auto& i : ec2::parse_instances(root)) found->push_back(std::move(i));
          },
          [this, guard, req, found, err = *r.error, done](std::optional<ApiError> e) {
            if (guard.expired()) return;
            for (const auto& i : *found)
              if (!i.gone()) {
                log(req.address, "an earlier attempt created " + i.id +
                                     " with other parameters; it is kept, and the next plan "
                                     "shows what differs");
                return finish_running(req, i.id, {}, done);
              }
            done({std::nullopt, api_error(req.address, "RunInstances", e ? *e : err)});
          });
      return;
    }
    if (r.error) return done({std::nullopt, api_error(req.address, "RunInstances", *r.error)});
    auto instances = ec2::parse_instances(r.root());
    if (instances.empty())
      return done(
          {std::nullopt,
           ProviderError{req.address + ": RunInstances returned no instance", "", false, {}}});
    finish_running(req, instances.front().id, {}, done);
  });
}

void Ec2Provider::finish_running(const ApplyRequest& req, const std::string& id, ValueMap,
                                 std::function<void(ApplyResult)> done) {
  waiter_->wait(id, {"running"}, [req, id, done](ec2::WaitResult w) {
    if (!w.error.empty() || !w.instance)
      return done({std::nullopt,
                   ProviderError{req.address + ": " +
                                     (w.error.empty() ? "instance " + id + " vanished" : w.error),
                                 "The instance was created; if it still exists it is adopted by "
                                 "the next plan (it carries orch:address = " +
                                     req.address + ").",
                                 false,
                                 {}}});
    done({ObjectState{id, ec2::instance_attributes(*w.instance)}, std::nullopt});
  });
}

void Ec2Provider::delete_instance(const ApplyRequest& req, std::function<void(ApplyResult)> done) {
  std::string id = req.prior ? req.prior->id : "";
  if (id.empty()) return done({});
  std::weak_ptr<char> guard = alive_;
  client_->call(
      "TerminateInstances", {{"InstanceId.1", id}}, [this, guard, req, id, done](ApiResult r) {
        if (guard.expired()) return;
        if (r.error && r.error->code == "InvalidInstanceID.NotFound") return done({});
        if (r.error)
          return done({std::nullopt, api_error(req.address, "TerminateInstances", *r.error)});
        waiter_->wait(id, {"terminated"}, [req, done](ec2::WaitResult w) {
          if (!w.error.empty())
            return done({std::nullopt, ProviderError{req.address + ": " + w.error, "", false, {}}});
          done({});
        });
      });
}

void Ec2Provider::update_instance(const ApplyRequest& req, std::function<void(ApplyResult)> done) {
  if (!req.prior || req.prior->id.empty())
    return done(
        {std::nullopt, ProviderError{req.address + ": no instance to update", "", false, {}}});
  const std::string id = req.prior->id;
  const ValueMap& was = req.prior->attributes;
  const ValueMap& now = req.planned;
  std::vector<ec2::Step> steps;
  auto call = [this](std::string action, Params p) -> ec2::Step {
    return [this, action, p](std::function<void(std::optional<ApiError>)> next) {
      client_->call(action, p, [next, action](ApiResult r) {
        if (r.error) {
          ApiError e = *r.error;
          e.message = action + ": " + e.message;
          return next(e);
        }
        next(std::nullopt);
      });
    };
  };
  auto wait_for = [this, id](std::string state) -> ec2::Step {
    return [this, id, state](std::function<void(std::optional<ApiError>)> next) {
      waiter_->wait(id, {state}, [next](ec2::WaitResult w) {
        next(w.error.empty() ? std::nullopt : std::optional<ApiError>(local_error(w.error)));
      });
    };
  };

  // Tags.
  auto old_tags = string_map(was, "tags"), new_tags = string_map(now, "tags");
  Params put{{"ResourceId.1", id}}, del{{"ResourceId.1", id}};
  int np = 0, nd = 0;
  for (const auto& [k, v] : new_tags) {
    auto it = old_tags.find(k);
    if (it != old_tags.end() && it->second == v) continue;
    ++np;
    put.emplace_back(fmt::format("Tag.{}.Key", np), k);
    put.emplace_back(fmt::format("Tag.{}.Value", np), v);
  }
  for (const auto& [k, v] : old_tags)
    if (!new_tags.count(k)) del.emplace_back(fmt::format("Tag.{}.Key", ++nd), k);
  if (np > 0) steps.push_back(call("CreateTags", put));
  if (nd > 0) steps.push_back(call("DeleteTags", del));

  // Security groups (in place for VPC instances).
  auto old_groups = string_list(was, "security_group_ids"),
       new_groups = string_list(now, "security_group_ids");
  if (find(now, "security_group_ids") && new_groups != old_groups && !new_groups.empty()) {
    Params p{{"InstanceId", id}};
    for (size_t i = 0; i < new_groups.size(); ++i)
      p.emplace_back("GroupId." + std::to_string(i + 1), new_groups[i]);
    steps.push_back(call("ModifyInstanceAttribute", p));
  }

  // Type and user data: only on a stopped instance.
  auto old_type = str_attr(was, "instance_type"), new_type = str_attr(now, "instance_type");
  auto new_ud = str_attr(now, "user_data");
  bool type_changes = new_type && old_type != new_type;
  bool ud_changes = new_ud && new_ud->rfind("sha256:", 0) != 0 &&
                    str_attr(was, "user_data") != ("sha256:" + sha256_hex(*new_ud));
  if (type_changes || ud_changes) {
    steps.push_back(call("StopInstances", {{"InstanceId.1", id}}));
    steps.push_back(wait_for("stopped"));
    if (type_changes)
      steps.push_back(
          call("ModifyInstanceAttribute", {{"InstanceId", id}, {"InstanceType.Value", *new_type}}));
    if (ud_changes) {
      steps.push_back(call("ModifyInstanceAttribute",
                           {{"InstanceId", id}, {"UserData.Value", ec2::base64(*new_ud)}}));
      steps.push_back(call("CreateTags", {{"ResourceId.1", id},
                                          {"Tag.1.Key", ec2::kUserDataTag},
                                          {"Tag.1.Value", sha256_hex(*new_ud)}}));
    }
    steps.push_back(call("StartInstances", {{"InstanceId.1", id}}));
    steps.push_back(wait_for("running"));
  } else {
    // The plan wants it running: start one stopped outside orch, wait for one still pending
    // (an adopted instance whose create was interrupted).
    auto state = str_attr(was, "state").value_or("running");
    if (state == "stopped") steps.push_back(call("StartInstances", {{"InstanceId.1", id}}));
    if (state == "stopped" || state == "pending" || state == "stopping")
      steps.push_back(wait_for(state == "stopping" ? "stopped" : "running"));
    if (state == "stopping") {
      steps.push_back(call("StartInstances", {{"InstanceId.1", id}}));
      steps.push_back(wait_for("running"));
    }
  }
  std::weak_ptr<char> guard = alive_;
  ec2::run_sequence(std::move(steps), [this, guard, req, id, done](std::optional<ApiError> e) {
    if (guard.expired()) return;
    if (e) {
      if (e->code == "InvalidInstanceID.NotFound")
        return done(
            {std::nullopt, ProviderError{req.address + ": instance " + id + " no longer exists",
                                         "Run plan again: it will be created anew.",
                                         false,
                                         {}}});
      return done({std::nullopt, api_error(req.address, "updating " + id, *e)});
    }
    // The instance as it is now.
    Params p;
    add_filter(p, "instance-id", {id});
    auto found = std::make_shared<std::optional<Instance>>();
    describe_all(
        *client_, "DescribeInstances", std::move(p), 0,
        [found](const pugi::xml_node& root) {
          for (auto& i : ec2::parse_instances(root)) *found = std::move(i);
        },
        [req, id, found, done, this, guard](std::optional<ApiError> e2) {
          if (guard.expired()) return;
          if (e2) return done({std::nullopt, api_error(req.address, "DescribeInstances", *e2)});
          if (!*found)
            return done({std::nullopt, ProviderError{req.address + ": instance " + id +
                                                         " is not visible after the update",
                                                     "",
                                                     true,
                                                     {}}});
          done({ObjectState{id, ec2::instance_attributes(**found)}, std::nullopt});
        });
  });
}

}  // namespace orch
