// The fake EC2 endpoint (see fake_ec2.h): authentication, throttling, the instance and
// security-group calls, and the control endpoints under /_fake/ec2/.
#include "tests/fakes/fake_ec2.h"

#include <algorithm>
#include <ctime>
#include <functional>
#include <optional>
#include <sstream>
#include <tuple>

#include "tests/fakes/fake_ec2_sigv4.h"

namespace orch::fakes {

namespace {

using Perm = FakeEc2Perm;
using Params = std::map<std::string, std::string>;
constexpr const char* kNs = "http://ec2.amazonaws.com/doc/2016-11-15/";
constexpr const char* kOwner = "123456789012";

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

std::string el(const std::string& name, const std::string& text) {
  return "<" + name + ">" + esc(text) + "</" + name + ">";
}

std::string request_id() {
  static uint64_t n = 0;
  char buf[64];
  std::snprintf(buf, sizeof buf, "fake-%08llx-0000-4000-8000-000000000000",
                static_cast<unsigned long long>(++n));
  return buf;
}

HttpResponse error(int status, const std::string& code, const std::string& message) {
  HttpResponse r =
      HttpResponse::text(status,
                         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>" +
                             el("Code", code) + el("Message", message) + "</Error></Errors>" +
                             el("RequestID", request_id()) + "</Response>",
                         "text/xml;charset=UTF-8");
  return r;
}

HttpResponse ok(const std::string& action, const std::string& inner) {
  return HttpResponse::text(200,
                            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<" + action +
                                "Response xmlns=\"" + kNs + "\">" + el("requestId", request_id()) +
                                inner + "</" + action + "Response>",
                            "text/xml;charset=UTF-8");
}

std::string iso(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return buf;
}

std::vector<std::string> list(const Params& p, const std::string& prefix) {
  std::vector<std::string> out;
  for (int i = 1;; ++i) {
    auto it = p.find(prefix + "." + std::to_string(i));
    if (it == p.end()) break;
    out.push_back(it->second);
  }
  return out;
}

std::string get(const Params& p, const std::string& k) {
  auto it = p.find(k);
  return it == p.end() ? "" : it->second;
}

struct Filter {
  std::string name;
  std::set<std::string> values;
};

std::vector<Filter> filters(const Params& p) {
  std::vector<Filter> out;
  for (int i = 1;; ++i) {
    std::string prefix = "Filter." + std::to_string(i);
    auto it = p.find(prefix + ".Name");
    if (it == p.end()) break;
    Filter f{it->second, {}};
    for (const auto& v : list(p, prefix + ".Value")) f.values.insert(v);
    out.push_back(std::move(f));
  }
  return out;
}

std::map<std::string, std::string> tag_spec(const Params& p, const std::string& type) {
  std::map<std::string, std::string> tags;
  for (int i = 1;; ++i) {
    std::string prefix = "TagSpecification." + std::to_string(i);
    auto it = p.find(prefix + ".ResourceType");
    if (it == p.end()) break;
    if (it->second != type) continue;
    for (int j = 1;; ++j) {
      auto k = p.find(prefix + ".Tag." + std::to_string(j) + ".Key");
      if (k == p.end()) break;
      tags[k->second] = get(p, prefix + ".Tag." + std::to_string(j) + ".Value");
    }
  }
  return tags;
}

std::string tags_xml(const std::map<std::string, std::string>& tags) {
  std::string o = "<tagSet>";
  for (const auto& [k, v] : tags) o += "<item>" + el("key", k) + el("value", v) + "</item>";
  return o + "</tagSet>";
}

int state_code(const std::string& s) {
  if (s == "pending") return 0;
  if (s == "running") return 16;
  if (s == "shutting-down") return 32;
  if (s == "terminated") return 48;
  if (s == "stopping") return 64;
  return 80;
}

std::string state_xml(const std::string& name, const std::string& s) {
  return "<" + name + ">" + el("code", std::to_string(state_code(s))) + el("name", s) + "</" +
         name + ">";
}

// Paging over a sorted list: nullopt and an error response when MaxResults/NextToken are bad.
struct Page {
  size_t begin = 0, end = 0;
  std::string next;
};
std::optional<Page> page(const Params& p, size_t total, HttpResponse* err) {
  Page pg;
  pg.end = total;
  std::string token = get(p, "NextToken");
  if (!token.empty()) {
    if (token.rfind("nt-", 0) != 0 ||
        token.find_first_not_of("0123456789", 3) != std::string::npos) {
      *err = error(400, "InvalidParameterValue", "The token '" + token + "' is invalid.");
      return std::nullopt;
    }
    pg.begin = std::min<size_t>(total, std::stoull(token.substr(3)));
  }
  std::string mr = get(p, "MaxResults");
  if (!mr.empty()) {
    long n = std::strtol(mr.c_str(), nullptr, 10);
    if (n < 5 || n > 1000) {
      *err = error(400, "InvalidParameterValue",
                   "Value ( " + mr +
                       " ) for parameter maxResults is invalid. Expecting a value "
                       "greater than 5.");
      return std::nullopt;
    }
    pg.end = std::min(total, pg.begin + static_cast<size_t>(n));
    if (pg.end < total) pg.next = "nt-" + std::to_string(pg.end);
  }
  return pg;
}

std::vector<Perm> perms(const Params& p, HttpResponse* err) {
  std::vector<Perm> out;
  for (int i = 1;; ++i) {
    std::string prefix = "IpPermissions." + std::to_string(i);
    auto it = p.find(prefix + ".IpProtocol");
    if (it == p.end()) break;
    Perm base;
    base.proto = it->second == "all" ? "-1" : it->second;
    if (base.proto != "-1") {
      base.from = std::atoll(get(p, prefix + ".FromPort").c_str());
      base.to = std::atoll(get(p, prefix + ".ToPort").c_str());
      if (base.proto != "tcp" && base.proto != "udp" && base.proto != "icmp") {
        *err = error(400, "InvalidParameterValue",
                     "Invalid value '" + base.proto + "' for IP protocol. Unknown protocol.");
        return {};
      }
    }
    for (int j = 1;; ++j) {
      std::string r = prefix + ".IpRanges." + std::to_string(j);
      auto c = p.find(r + ".CidrIp");
      if (c == p.end()) break;
      Perm x = base;
      x.cidr = c->second;
      x.desc = get(p, r + ".Description");
      out.push_back(x);
    }
  }
  if (out.empty())
    *err = error(400, "MissingParameter", "The request must contain the parameter ipPermissions");
  return out;
}

std::string perms_xml(const std::string& name, const std::set<Perm>& ps) {
  std::map<std::tuple<std::string, int64_t, int64_t>, std::vector<const Perm*>> grouped;
  for (const auto& p : ps) grouped[{p.proto, p.from, p.to}].push_back(&p);
  std::string o = "<" + name + ">";
  for (const auto& [k, list] : grouped) {
    o += "<item>" + el("ipProtocol", std::get<0>(k));
    if (std::get<0>(k) != "-1")
      o += el("fromPort", std::to_string(std::get<1>(k))) +
           el("toPort", std::to_string(std::get<2>(k)));
    o += "<groups/><ipRanges>";
    for (const Perm* p : list) {
      o += "<item>" + el("cidrIp", p->cidr);
      if (!p->desc.empty()) o += el("description", p->desc);
      o += "</item>";
    }
    o += "</ipRanges><ipv6Ranges/><prefixListIds/></item>";
  }
  return o + "</" + name + ">";
}

}  // namespace

FakeEc2::FakeEc2(FakeEc2Options options) : opt_(std::move(options)) {
  Group def;
  def.id = "sg-default";
  def.name = "default";
  def.description = "default VPC security group";
  def.vpc = "vpc-default";
  def.egress.insert(Perm{"-1", 0, 0, "0.0.0.0/0", ""});
  groups_[def.id] = def;
  tokens_avail_ = opt_.burst > 0 ? opt_.burst : opt_.rate;
}

void FakeEc2::set_options(const FakeEc2Options& o) {
  std::lock_guard<std::mutex> l(mu_);
  opt_ = o;
  tokens_avail_ = opt_.burst > 0 ? opt_.burst : opt_.rate;
}

FakeEc2Options FakeEc2::options() {
  std::lock_guard<std::mutex> l(mu_);
  return opt_;
}

FakeEc2Stats FakeEc2::stats() {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

std::vector<FakeInstanceView> FakeEc2::instances(bool include_terminated) {
  std::lock_guard<std::mutex> l(mu_);
  advance(Clock::now() + opt_.clock_offset);
  std::vector<FakeInstanceView> out;
  for (const auto& [id, i] : instances_) {
    if (!include_terminated && (i.state == "terminated" || i.state == "shutting-down")) continue;
    out.push_back({i.id, i.state, i.type, i.image, i.token, i.user_data, i.tags, i.root_size});
  }
  return out;
}

void FakeEc2::seed_instances(int count, const std::string& stack, const std::string& prefix) {
  std::lock_guard<std::mutex> l(mu_);
  Clock::time_point now = Clock::now() + opt_.clock_offset;
  for (int n = 0; n < count; ++n) {
    Instance i;
    char buf[32];
    std::snprintf(buf, sizeof buf, "i-%017llx", static_cast<unsigned long long>(next_id_++));
    i.id = buf;
    i.reservation = "r-seed";
    i.image = "ami-0c55b159cbfafe1f0";
    i.type = "t3.micro";
    i.subnet = "subnet-default";
    i.vpc = "vpc-default";
    i.groups = {"sg-default"};
    uint64_t ip = next_ip_++;
    i.private_ip = "10." + std::to_string((ip >> 16) & 255) + "." +
                   std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
    i.public_ip = "54.0." + std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
    i.state = "running";
    i.launched = i.visible_at = now;
    i.tags = {{"orch:stack", stack}, {"orch:address", prefix + "[" + std::to_string(n) + "]"}};
    instances_[i.id] = std::move(i);
  }
}

void FakeEc2::advance(Clock::time_point now) {
  for (auto it = instances_.begin(); it != instances_.end();) {
    Instance& i = it->second;
    while (!i.next_state.empty() && i.next_at <= now) {
      i.state = i.next_state;
      i.next_state.clear();
      if (i.state == "running" && i.public_ip.empty()) {
        uint64_t ip = next_ip_++;
        i.public_ip = "54.1." + std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
      }
      if (i.state == "stopped") i.reason = "Client.UserInitiatedShutdown: User initiated shutdown";
      if (i.state == "terminated") {
        i.reason = "Client.UserInitiatedShutdown: User initiated shutdown";
        i.next_state.clear();
      }
    }
    if (i.state == "terminated" && i.next_at + opt_.terminated_retention <= now) {
      it = instances_.erase(it);
      continue;
    }
    ++it;
  }
}

bool FakeEc2::throttle(Clock::time_point now) {
  if (opt_.rate <= 0) return false;
  double burst = opt_.burst > 0 ? opt_.burst : std::max(1.0, opt_.rate);
  if (last_refill_ != Clock::time_point{}) {
    double secs = std::chrono::duration<double>(now - last_refill_).count();
    tokens_avail_ = std::min(burst, tokens_avail_ + secs * opt_.rate);
  }
  last_refill_ = now;
  if (tokens_avail_ >= 1) {
    tokens_avail_ -= 1;
    return false;
  }
  return true;
}

std::optional<HttpResponse> FakeEc2::authenticate(const HttpRequest& req, Clock::time_point now) {
  std::string header = req.header("authorization");
  if (header.empty())
    return error(401, "MissingAuthenticationToken", "Request is missing Authentication Token");
  auto a = parse_authorization(header);
  if (!a || a->terminal != "aws4_request")
    return error(400, "IncompleteSignature",
                 "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' "
                 "parameters with an AWS4-HMAC-SHA256 scope.");
  std::string signed_list = ";" + a->signed_headers + ";";
  if (signed_list.find(";host;") == std::string::npos ||
      signed_list.find(";x-amz-date;") == std::string::npos)
    return error(400, "IncompleteSignature", "Host and X-Amz-Date must be signed headers.");
  auto key = opt_.keys.find(a->access_key);
  if (key == opt_.keys.end())
    return error(401, "AuthFailure",
                 "AWS was not able to validate the provided access credentials");
  if (a->service != "ec2" || a->region != opt_.region)
    return error(401, "AuthFailure",
                 "Credential should be scoped to a valid region and service, "
                 "not '" +
                     a->region + "/" + a->service + "'.");
  std::string amz_date = req.header("x-amz-date");
  std::tm tm{};
  if (amz_date.size() != 16 || !strptime(amz_date.c_str(), "%Y%m%dT%H%M%SZ", &tm))
    return error(400, "IncompleteSignature",
                 "X-Amz-Date '" + amz_date + "' is not YYYYMMDD'T'HHMMSS'Z'.");
  if (amz_date.substr(0, 8) != a->date)
    return error(403, "SignatureDoesNotMatch",
                 "The credential scope date does not match X-Amz-Date.");
  auto signed_at = Clock::from_time_t(timegm(&tm));
  auto skew = now > signed_at ? now - signed_at : signed_at - now;
  if (skew > opt_.max_skew)
    return error(400, "RequestExpired", "Request has expired. Timestamp date is " + amz_date + ".");
  if (!key->second.session_token.empty()) {
    if (req.header("x-amz-security-token") != key->second.session_token ||
        signed_list.find(";x-amz-security-token;") == std::string::npos)
      return error(401, "AuthFailure", "The security token included in the request is invalid.");
  }
  SigV4Input in;
  in.method = req.method;
  in.path = req.path;
  in.query = req.query;
  in.headers = req.headers;
  in.body = req.body;
  std::string expect = signature(key->second.secret, amz_date, a->region, a->service,
                                 canonical_request(in, a->signed_headers));
  if (expect != a->signature)
    return error(403, "SignatureDoesNotMatch",
                 "The request signature we calculated does not match the signature you provided. "
                 "Check your AWS Secret Access Key and signing method.");
  return std::nullopt;
}

HttpResponse FakeEc2::handle(const HttpRequest& req) {
  if (req.path.rfind("/_fake/", 0) == 0) return control(req);
  std::lock_guard<std::mutex> l(mu_);
  const Clock::time_point now = Clock::now() + opt_.clock_offset;
  if (auto e = authenticate(req, now)) {
    ++stats_.auth_failures;
    return *e;
  }
  HttpRequest form;
  form.query = req.method == "POST" ? req.body : req.query;
  Params p = form.params();
  std::string action = get(p, "Action");
  if (action.empty())
    return error(400, "MissingAction", "The request must contain the parameter Action");
  if (throttle(Clock::now())) {
    ++stats_.throttled;
    return error(503, "RequestLimitExceeded", "Request limit exceeded.");
  }
  advance(now);
  ++stats_.calls[action];
  auto visible = [&](const Instance& i) { return i.visible_at <= now; };
  auto find_instances = [&](const std::vector<std::string>& ids, HttpResponse* err) {
    std::vector<Instance*> out;
    std::vector<std::string> missing;
    for (const auto& id : ids) {
      auto it = instances_.find(id);
      if (it == instances_.end() || !visible(it->second))
        missing.push_back(id);
      else
        out.push_back(&it->second);
    }
    if (!missing.empty()) {
      std::string m;
      for (const auto& id : missing) m += (m.empty() ? "" : ", ") + id;
      bool malformed = std::any_of(missing.begin(), missing.end(),
                                   [](const std::string& s) { return s.rfind("i-", 0) != 0; });
      *err = malformed
                 ? error(400, "InvalidInstanceID.Malformed", "Invalid id: \"" + missing[0] + "\"")
                 : error(400, "InvalidInstanceID.NotFound",
                         "The instance ID" + std::string(missing.size() > 1 ? "s '" : " '") + m +
                             "' do" + (missing.size() > 1 ? "" : "es") + " not exist");
      out.clear();
    }
    return out;
  };
  auto instance_xml = [&](const Instance& i) {
    std::string o = "<item>" + el("instanceId", i.id) + el("imageId", i.image) +
                    state_xml("instanceState", i.state);
    bool live = i.state != "terminated";
    std::string dashed = i.private_ip;
    std::replace(dashed.begin(), dashed.end(), '.', '-');
    std::string dns = "ip-" + dashed + ".ec2.internal";
    o += el("privateDnsName", live ? dns : "") + el("dnsName", "") + el("reason", i.reason);
    if (!i.key.empty()) o += el("keyName", i.key);
    o += el("amiLaunchIndex", "0") + "<productCodes/>" + el("instanceType", i.type) +
         el("launchTime", iso(i.launched)) + "<placement><availabilityZone>" + opt_.region +
         "a</availabilityZone><groupName/><tenancy>default</tenancy></placement>" +
         "<monitoring><state>disabled</state></monitoring>";
    if (live)
      o += el("subnetId", i.subnet) + el("vpcId", i.vpc) + el("privateIpAddress", i.private_ip);
    if (i.state == "running" && !i.public_ip.empty()) o += el("ipAddress", i.public_ip);
    o += "<sourceDestCheck>true</sourceDestCheck><groupSet>";
    for (const auto& g : i.groups) {
      auto git = groups_.find(g);
      o += "<item>" + el("groupId", g) +
           el("groupName", git == groups_.end() ? "" : git->second.name) + "</item>";
    }
    o += "</groupSet>";
    if (!i.reason.empty())
      o += "<stateReason>" + el("code", i.reason.substr(0, i.reason.find(':'))) +
           el("message", i.reason) + "</stateReason>";
    o += el("architecture", "x86_64") + el("rootDeviceType", "ebs") +
         el("rootDeviceName", i.root_device) + "<blockDeviceMapping><item>" +
         el("deviceName", i.root_device) + "<ebs>" + el("volumeId", "vol-" + i.id.substr(2)) +
         el("status", "attached") + el("attachTime", iso(i.launched)) +
         el("deleteOnTermination", "true") + "</ebs></item></blockDeviceMapping>" +
         el("virtualizationType", "hvm") + el("clientToken", i.token) + tags_xml(i.tags) +
         el("hypervisor", "xen");
    if (!i.profile.empty())
      o += "<iamInstanceProfile>" +
           el("arn", "arn:aws:iam::" + std::string(kOwner) + ":instance-profile/" + i.profile) +
           el("id", "AIPAFAKE" + i.profile) + "</iamInstanceProfile>";
    return o + "</item>";
  };
  auto reservation_xml = [&](const std::string& rid, const std::vector<const Instance*>& list) {
    std::string o =
        "<item>" + el("reservationId", rid) + el("ownerId", kOwner) + "<groupSet/><instancesSet>";
    for (const Instance* i : list) o += instance_xml(*i);
    return o + "</instancesSet></item>";
  };
  HttpResponse err;

  if (action == "RunInstances") {
    std::string image = get(p, "ImageId"), type = get(p, "InstanceType");
    if (image.empty())
      return error(400, "MissingParameter", "The request must contain the parameter ImageId");
    if (type.empty()) type = "m1.small";
    if (image.rfind("ami-", 0) != 0)
      return error(400, "InvalidAMIID.Malformed",
                   "Invalid id: \"" + image + "\" (expecting \"ami-...\")");
    if (image == "ami-00000000")
      return error(400, "InvalidAMIID.NotFound", "The image id '[" + image + "]' does not exist");
    if (type.find('.') == std::string::npos)
      return error(400, "InvalidParameterValue", "Invalid value '" + type + "' for InstanceType.");
    long min = std::atol(get(p, "MinCount").c_str()), max = std::atol(get(p, "MaxCount").c_str());
    if (min < 1 || max < min)
      return error(400, "InvalidParameterValue",
                   "MinCount and MaxCount must be 1 or more, MinCount <= MaxCount");
    std::string token = get(p, "ClientToken");
    if (token.size() > 64)
      return error(400, "InvalidParameterValue", "ClientToken is longer than 64 characters");
    std::string fingerprint;
    for (const auto& [k, v] : p)
      if (k != "ClientToken" && k != "Action" && k != "Version") fingerprint += k + "=" + v + "&";
    if (!token.empty()) {
      if (auto t = tokens_.find(token); t != tokens_.end()) {
        if (t->second.fingerprint != fingerprint)
          return error(400, "IdempotentParameterMismatch",
                       "Arguments on this idempotent request are inconsistent with arguments used "
                       "in previous request(s).");
        std::vector<const Instance*> list;
        for (const auto& id : t->second.ids)
          if (auto it = instances_.find(id); it != instances_.end()) list.push_back(&it->second);
        std::string inner = el("reservationId", t->second.reservation) + el("ownerId", kOwner) +
                            "<groupSet/><instancesSet>";
        for (const Instance* i : list) inner += instance_xml(*i);
        return ok(action, inner + "</instancesSet>");
      }
    }
    std::string subnet = get(p, "SubnetId");
    if (subnet.empty()) subnet = "subnet-default";
    if (subnet.rfind("subnet-", 0) != 0)
      return error(400, "InvalidSubnetID.NotFound",
                   "The subnet ID '" + subnet + "' does not exist");
    std::vector<std::string> sgs = list(p, "SecurityGroupId");
    for (const auto& g : sgs)
      if (!groups_.count(g))
        return error(400, "InvalidGroup.NotFound", "The security group '" + g + "' does not exist");
    if (sgs.empty()) sgs = {"sg-default"};
    std::sort(sgs.begin(), sgs.end());
    char rbuf[32];
    std::snprintf(rbuf, sizeof rbuf, "r-%017llx", static_cast<unsigned long long>(next_id_++));
    TokenUse use{fingerprint, rbuf, {}};
    std::vector<const Instance*> made;
    for (long n = 0; n < max; ++n) {
      Instance i;
      char buf[32];
      std::snprintf(buf, sizeof buf, "i-%017llx", static_cast<unsigned long long>(next_id_++));
      i.id = buf;
      i.reservation = rbuf;
      i.image = image;
      i.type = type;
      i.subnet = subnet;
      i.vpc = "vpc-default";
      i.key = get(p, "KeyName");
      i.user_data = get(p, "UserData");
      i.profile = get(p, "IamInstanceProfile.Name");
      if (i.profile.empty()) {
        std::string arn = get(p, "IamInstanceProfile.Arn");
        if (!arn.empty()) i.profile = arn.substr(arn.rfind('/') + 1);
      }
      i.token = token;
      i.groups = sgs;
      i.tags = tag_spec(p, "instance");
      if (get(p, "BlockDeviceMapping.1.DeviceName") == i.root_device) {
        std::string size = get(p, "BlockDeviceMapping.1.Ebs.VolumeSize");
        if (!size.empty()) i.root_size = std::atoi(size.c_str());
      }
      uint64_t ip = next_ip_++;
      i.private_ip = "10." + std::to_string((ip >> 16) & 255) + "." +
                     std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
      i.launched = now;
      i.visible_at = now + opt_.visibility;
      i.next_state = "running";
      i.next_at = now + opt_.pending;
      use.ids.push_back(i.id);
      ++stats_.run_instances_created;
      made.push_back(&(instances_[i.id] = std::move(i)));
    }
    if (!token.empty()) tokens_[token] = use;
    std::string inner =
        el("reservationId", rbuf) + el("ownerId", kOwner) + "<groupSet/><instancesSet>";
    for (const Instance* i : made) inner += instance_xml(*i);
    return ok(action, inner + "</instancesSet>");
  }

  if (action == "DescribeInstances") {
    std::vector<std::string> ids = list(p, "InstanceId");
    if (!ids.empty() && p.count("MaxResults"))
      return error(400, "InvalidParameterCombination",
                   "The parameter instancesSet cannot be used with the parameter maxResults");
    std::vector<Instance*> chosen;
    if (!ids.empty()) {
      chosen = find_instances(ids, &err);
      if (chosen.empty()) return err;
    } else {
      for (auto& [id, i] : instances_)
        if (visible(i)) chosen.push_back(&i);
    }
    for (const auto& f : filters(p)) {
      std::function<bool(const Instance&)> match;
      if (f.name.rfind("tag:", 0) == 0) {
        std::string k = f.name.substr(4);
        match = [&, k](const Instance& i) {
          auto t = i.tags.find(k);
          return t != i.tags.end() && f.values.count(t->second);
        };
      } else if (f.name == "tag-key") {
        match = [&](const Instance& i) {
          return std::any_of(f.values.begin(), f.values.end(),
                             [&](const std::string& k) { return i.tags.count(k) > 0; });
        };
      } else if (f.name == "instance-id") {
        match = [&](const Instance& i) { return f.values.count(i.id) > 0; };
      } else if (f.name == "instance-state-name") {
        match = [&](const Instance& i) { return f.values.count(i.state) > 0; };
      } else if (f.name == "client-token") {
        match = [&](const Instance& i) { return f.values.count(i.token) > 0; };
      } else if (f.name == "subnet-id") {
        match = [&](const Instance& i) { return f.values.count(i.subnet) > 0; };
      } else if (f.name == "instance-type") {
        match = [&](const Instance& i) { return f.values.count(i.type) > 0; };
      } else {
        return error(400, "InvalidParameterValue", "The filter '" + f.name + "' is invalid");
      }
      std::erase_if(chosen, [&](Instance* i) { return !match(*i); });
    }
    auto pg = page(p, chosen.size(), &err);
    if (!pg) return err;
    std::string inner = "<reservationSet>";
    // Consecutive instances of one reservation share an item, as EC2 groups them.
    for (size_t k = pg->begin; k < pg->end;) {
      std::vector<const Instance*> group{chosen[k]};
      size_t m = k + 1;
      while (m < pg->end && chosen[m]->reservation == chosen[k]->reservation)
        group.push_back(chosen[m++]);
      inner += reservation_xml(chosen[k]->reservation, group);
      k = m;
    }
    inner += "</reservationSet>";
    if (!pg->next.empty()) inner += el("nextToken", pg->next);
    return ok(action, inner);
  }

  if (action == "TerminateInstances" || action == "StopInstances" || action == "StartInstances") {
    std::vector<std::string> ids = list(p, "InstanceId");
    if (ids.empty())
      return error(400, "MissingParameter", "The request must contain the parameter InstanceId");
    auto chosen = find_instances(ids, &err);
    if (chosen.empty()) return err;
    for (Instance* i : chosen) {
      if (action == "StopInstances" &&
          (i->state == "pending" || i->state == "terminated" || i->state == "shutting-down"))
        return error(
            400, "IncorrectInstanceState",
            "The instance '" + i->id + "' is not in a state from which it can be stopped.");
      if (action == "StartInstances" && i->state != "stopped" && i->state != "running" &&
          i->state != "pending")
        return error(
            400, "IncorrectInstanceState",
            "The instance '" + i->id + "' is not in a state from which it can be started.");
    }
    std::string set_name = "instancesSet";
    std::string inner = "<" + set_name + ">";
    for (Instance* i : chosen) {
      std::string prev = i->state;
      if (action == "TerminateInstances" && i->state != "terminated" &&
          i->state != "shutting-down") {
        i->state = "shutting-down";
        i->next_state = "terminated";
        i->next_at = now + opt_.shutting_down;
        i->public_ip.clear();
      } else if (action == "StopInstances" && i->state != "stopped" && i->state != "stopping") {
        i->state = "stopping";
        i->next_state = "stopped";
        i->next_at = now + opt_.stopping;
        i->public_ip.clear();
      } else if (action == "StartInstances" && i->state == "stopped") {
        i->state = "pending";
        i->reason.clear();
        i->next_state = "running";
        i->next_at = now + opt_.pending;
      }
      inner += "<item>" + el("instanceId", i->id) + state_xml("currentState", i->state) +
               state_xml("previousState", prev) + "</item>";
    }
    return ok(action, inner + "</" + set_name + ">");
  }

  if (action == "ModifyInstanceAttribute") {
    auto chosen = find_instances({get(p, "InstanceId")}, &err);
    if (chosen.empty()) return err;
    Instance* i = chosen.front();
    std::string type = get(p, "InstanceType.Value"), ud = get(p, "UserData.Value");
    if ((!type.empty() || p.count("UserData.Value")) && i->state != "stopped")
      return error(400, "IncorrectInstanceState",
                   "The instance '" + i->id + "' is not in the 'stopped' state.");
    if (!type.empty()) {
      if (type.find('.') == std::string::npos)
        return error(400, "InvalidParameterValue",
                     "Invalid value '" + type + "' for InstanceType.");
      i->type = type;
    }
    if (p.count("UserData.Value")) i->user_data = ud;
    auto sgs = list(p, "GroupId");
    if (!sgs.empty()) {
      for (const auto& g : sgs)
        if (!groups_.count(g))
          return error(400, "InvalidGroup.NotFound",
                       "The security group '" + g + "' does not exist");
      std::sort(sgs.begin(), sgs.end());
      i->groups = sgs;
    }
    return ok(action, el("return", "true"));
  }

  if (action == "CreateTags" || action == "DeleteTags") {
    auto ids = list(p, "ResourceId");
    if (ids.empty())
      return error(400, "MissingParameter", "The request must contain the parameter ResourceId");
    std::vector<std::map<std::string, std::string>*> targets;
    for (const auto& id : ids) {
      if (auto it = instances_.find(id); it != instances_.end() && visible(it->second))
        targets.push_back(&it->second.tags);
      else if (auto g = groups_.find(id); g != groups_.end())
        targets.push_back(&g->second.tags);
      else if (id.rfind("i-", 0) == 0)
        return error(400, "InvalidInstanceID.NotFound",
                     "The instance ID '" + id + "' does not exist");
      else
        return error(400, "InvalidID", "The ID '" + id + "' is not valid");
    }
    for (int n = 1;; ++n) {
      std::string prefix = "Tag." + std::to_string(n);
      auto k = p.find(prefix + ".Key");
      if (k == p.end()) break;
      for (auto* t : targets) {
        if (action == "CreateTags")
          (*t)[k->second] = get(p, prefix + ".Value");
        else
          t->erase(k->second);
      }
    }
    return ok(action, el("return", "true"));
  }

  if (action == "DescribeImages") {
    std::string inner = "<imagesSet>";
    for (const auto& id : list(p, "ImageId")) {
      if (id == "ami-00000000" || id.rfind("ami-", 0) != 0) continue;
      inner += "<item>" + el("imageId", id) + el("imageState", "available") +
               el("rootDeviceType", "ebs") + el("rootDeviceName", "/dev/xvda") + "</item>";
    }
    return ok(action, inner + "</imagesSet>");
  }

  if (action == "CreateSecurityGroup") {
    std::string name = get(p, "GroupName"), vpc = get(p, "VpcId");
    if (name.empty())
      return error(400, "MissingParameter", "The request must contain the parameter GroupName");
    if (vpc.empty()) vpc = "vpc-default";
    for (const auto& [id, g] : groups_)
      if (g.name == name && g.vpc == vpc)
        return error(400, "InvalidGroup.Duplicate",
                     "The security group '" + name + "' already exists for VPC '" + vpc + "'");
    Group g;
    char buf[32];
    std::snprintf(buf, sizeof buf, "sg-%017llx", static_cast<unsigned long long>(next_id_++));
    g.id = buf;
    g.name = name;
    g.description = get(p, "GroupDescription");
    g.vpc = vpc;
    g.tags = tag_spec(p, "security-group");
    g.egress.insert(Perm{"-1", 0, 0, "0.0.0.0/0", ""});
    g.visible_at = now + opt_.visibility;
    groups_[g.id] = g;
    return ok(action, el("return", "true") + el("groupId", g.id) + tags_xml(g.tags));
  }

  if (action == "DescribeSecurityGroups") {
    std::vector<Group*> chosen;
    auto ids = list(p, "GroupId");
    if (!ids.empty() && p.count("MaxResults"))
      return error(400, "InvalidParameterCombination", "GroupId cannot be used with MaxResults");
    for (const auto& id : ids) {
      auto it = groups_.find(id);
      if (it == groups_.end() || it->second.visible_at > now)
        return error(400, "InvalidGroup.NotFound",
                     "The security group '" + id + "' does not exist");
      chosen.push_back(&it->second);
    }
    if (ids.empty())
      for (auto& [id, g] : groups_)
        if (g.visible_at <= now) chosen.push_back(&g);
    for (const auto& f : filters(p)) {
      std::function<bool(const Group&)> match;
      if (f.name.rfind("tag:", 0) == 0) {
        std::string k = f.name.substr(4);
        match = [&, k](const Group& g) {
          auto t = g.tags.find(k);
          return t != g.tags.end() && f.values.count(t->second);
        };
      } else if (f.name == "group-id") {
        match = [&](const Group& g) { return f.values.count(g.id) > 0; };
      } else if (f.name == "group-name") {
        match = [&](const Group& g) { return f.values.count(g.name) > 0; };
      } else if (f.name == "vpc-id") {
        match = [&](const Group& g) { return f.values.count(g.vpc) > 0; };
      } else {
        return error(400, "InvalidParameterValue", "The filter '" + f.name + "' is invalid");
      }
      std::erase_if(chosen, [&](Group* g) { return !match(*g); });
    }
    auto pg = page(p, chosen.size(), &err);
    if (!pg) return err;
    std::string inner = "<securityGroupInfo>";
    for (size_t k = pg->begin; k < pg->end; ++k) {
      const Group& g = *chosen[k];
      inner += "<item>" + el("ownerId", kOwner) + el("groupId", g.id) + el("groupName", g.name) +
               el("groupDescription", g.description) + el("vpcId", g.vpc) +
               perms_xml("ipPermissions", g.ingress) + perms_xml("ipPermissionsEgress", g.egress) +
               tags_xml(g.tags) + "</item>";
    }
    inner += "</securityGroupInfo>";
    if (!pg->next.empty()) inner += el("nextToken", pg->next);
    return ok(action, inner);
  }

  if (action == "AuthorizeSecurityGroupIngress" || action == "AuthorizeSecurityGroupEgress" ||
      action == "RevokeSecurityGroupIngress" || action == "RevokeSecurityGroupEgress") {
    auto it = groups_.find(get(p, "GroupId"));
    if (it == groups_.end() || it->second.visible_at > now)
      return error(400, "InvalidGroup.NotFound",
                   "The security group '" + get(p, "GroupId") + "' does not exist");
    auto ps = perms(p, &err);
    if (ps.empty()) return err;
    bool ingress = action.find("Ingress") != std::string::npos;
    std::set<Perm>& set = ingress ? it->second.ingress : it->second.egress;
    if (action.rfind("Authorize", 0) == 0) {
      for (const auto& x : ps)
        if (set.count(x))
          return error(
              400, "InvalidPermission.Duplicate",
              "the specified rule \"peer: " + x.cidr + ", " + x.proto + "\" already exists");
      for (const auto& x : ps) set.insert(x);
    } else {
      for (const auto& x : ps)
        if (!set.count(x))
          return error(400, "InvalidPermission.NotFound",
                       "The specified rule does not exist in this security group.");
      for (const auto& x : ps) set.erase(x);
    }
    return ok(action, el("return", "true"));
  }

  if (action == "DeleteSecurityGroup") {
    std::string id = get(p, "GroupId");
    auto it = groups_.find(id);
    if (it == groups_.end())
      return error(400, "InvalidGroup.NotFound", "The security group '" + id + "' does not exist");
    for (const auto& [iid, i] : instances_)
      if (i.state != "terminated" && std::count(i.groups.begin(), i.groups.end(), id))
        return error(400, "DependencyViolation", "resource " + id + " has a dependent object");
    groups_.erase(it);
    return ok(action, el("return", "true"));
  }

  --stats_.calls[action];
  return error(400, "InvalidAction",
               "The action " + action + " is not valid for this web service.");
}

HttpResponse FakeEc2::control(const HttpRequest& req) {
  auto q = req.params();
  if (req.path == "/_fake/ec2/instances") {
    std::string o = "[";
    for (const auto& i : instances(q.count("all") > 0)) {
      o += std::string(o.size() > 1 ? "," : "") + "{\"id\":\"" + i.id + "\",\"state\":\"" +
           i.state + "\",\"type\":\"" + i.instance_type + "\",\"client_token\":\"" +
           i.client_token + "\",\"root_volume_size\":" + std::to_string(i.root_volume_size) +
           ",\"tags\":{";
      bool first = true;
      for (const auto& [k, v] : i.tags) {
        o += std::string(first ? "" : ",") + "\"" + k + "\":\"" + v + "\"";
        first = false;
      }
      o += "}}";
    }
    return HttpResponse::json(200, o + "]");
  }
  if (req.path == "/_fake/ec2/seed" && req.method == "POST") {
    seed_instances(std::atoi(q["count"].c_str()), q["stack"], q["prefix"]);
    return HttpResponse::text(200, "ok\n");
  }
  if (req.path == "/_fake/ec2/calls") {
    auto s = stats();
    std::string o = "{\"throttled\":" + std::to_string(s.throttled) +
                    ",\"auth_failures\":" + std::to_string(s.auth_failures) +
                    ",\"created\":" + std::to_string(s.run_instances_created) + ",\"calls\":{";
    bool first = true;
    for (const auto& [k, v] : s.calls) {
      o += std::string(first ? "" : ",") + "\"" + k + "\":" + std::to_string(v);
      first = false;
    }
    return HttpResponse::json(200, o + "}}");
  }
  if (req.path == "/_fake/ec2/config" && req.method == "POST") {
    FakeEc2Options o = options();
    auto ms = [&](const char* k, std::chrono::milliseconds& out) {
      if (q.count(k)) out = std::chrono::milliseconds(std::atoll(q[k].c_str()));
    };
    ms("pending_ms", o.pending);
    ms("stopping_ms", o.stopping);
    ms("shutting_down_ms", o.shutting_down);
    ms("visibility_ms", o.visibility);
    ms("clock_offset_ms", o.clock_offset);
    if (q.count("rate")) o.rate = std::atof(q["rate"].c_str());
    if (q.count("burst")) o.burst = std::atof(q["burst"].c_str());
    set_options(o);
    return HttpResponse::text(200, "ok\n");
  }
  return HttpResponse::text(404, "unknown control endpoint " + req.path + "\n");
}

FakeEc2Server::FakeEc2Server(FakeEc2Options options, uint16_t port)
    : ec2_(std::move(options)),
      server_(HttpServer::sync([this](const HttpRequest& r) { return ec2_.handle(r); }),
              "127.0.0.1", port) {}

}  // namespace orch::fakes
