// The ec2 provider (see ec2_provider.h): configuration, plan-time defaults and force-new rules,
// dispatch of reads and operations, and error messages that name the resource.
#include "providers/ec2/ec2_provider.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>

#include "compiler/duration.h"
#include "providers/ec2/credentials.h"

namespace orch {

namespace ec2 {

std::string client_token(const std::string& idempotency_token) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(idempotency_token.data()), idempotency_token.size(),
         md);
  std::string hex;
  for (int i = 0; i < 24; ++i) hex += fmt::format("{:02x}", md[i]);
  return "orch-" + hex;
}

std::string base64(const std::string& text) {
  std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  out.resize(static_cast<size_t>(std::max(n, 0)));
  return out;
}

std::optional<Duration> parse_duration_text(const std::string& text) {
  std::string why;
  return parse_duration(text, &why);
}

Value as_string_map(const Value& v) {
  if (!v.is_wholly_known() || !v.unmarked().is_mapping()) return v;
  ValueMap m;
  for (const auto& [k, e] : v.unmarked().attributes()) m[k] = e;
  Value out = Value::map(std::move(m), Type::string());
  return v.is_sensitive() ? out.mark_sensitive() : out;
}

Value as_string_set(const Value& v) {
  if (!v.is_wholly_known() || !v.unmarked().is_sequence()) return v;
  Value out = Value::set(v.unmarked().elements(), Type::string());
  return v.is_sensitive() ? out.mark_sensitive() : out;
}

}  // namespace ec2

namespace {

const Value* find(const ValueMap& m, const std::string& name) {
  auto it = m.find(name);
  return it == m.end() || it->second.is_null() ? nullptr : &it->second;
}

std::optional<std::string> known_string(const ValueMap& m, const std::string& name) {
  const Value* v = find(m, name);
  if (!v || !v->is_wholly_known()) return std::nullopt;
  Value u = v->unmarked();
  if (u.kind() != ValueKind::String) return std::nullopt;
  return u.as_string();
}

bool same(const Value* a, const Value* b) {
  if (!a || !b) return !a && !b;
  return a->is_wholly_known() && b->is_wholly_known() && a->unmarked().equals(b->unmarked());
}

}  // namespace

Ec2Provider::Ec2Provider() : schema_(ec2_schema()) {}
Ec2Provider::~Ec2Provider() = default;

void Ec2Provider::log(const std::string& address, const std::string& message) const {
  if (ctx_.event) ctx_.event("log", address, message);
}

ProviderError Ec2Provider::api_error(const std::string& address, const std::string& what,
                                     const ec2::ApiError& e) const {
  ProviderError pe;
  pe.summary = fmt::format("{}: {} failed: {}", address, what, e.describe());
  if (e.code == "AuthFailure" || e.code == "SignatureDoesNotMatch" ||
      e.code == "InvalidClientTokenId" || e.code == "UnrecognizedClientException")
    pe.detail = "The endpoint " + client_config_.endpoint + " rejected the credentials from " +
                client_config_.credentials.source + ".";
  else if (e.code == "RequestExpired")
    pe.detail =
        "The request's date is too far from the endpoint's clock: check this machine's time.";
  else if (e.code == "RequestLimitExceeded")
    pe.detail =
        "EC2 kept throttling after retries; lower max_requests_per_second in the "
        "provider \"ec2\" block.";
  else if (e.code == "UnauthorizedOperation")
    pe.detail = "The credentials lack the IAM permission for this call.";
  pe.retryable = e.retryable;
  return pe;
}

void Ec2Provider::configure(const ValueMap& config, const ProviderContext& ctx,
                            Diagnostics& diags) {
  ctx_ = ctx;
  auto str = [&](const char* name) { return known_string(config, name).value_or(""); };
  ec2::CredentialQuery q;
  q.profile = str("profile");
  ec2::ResolvedAws aws = ec2::resolve_aws(q);
  std::string region = str("region");
  if (region.empty()) region = aws.region;
  std::string endpoint = str("endpoint");
  if (region.empty() && !endpoint.empty()) region = "us-east-1";
  if (region.empty()) {
    diags.error(Range{}, "The ec2 provider has no region",
                "Set region in the provider \"ec2\" block, or AWS_REGION, or a region in the "
                "profile \"" +
                    aws.profile + "\" of ~/.aws/config.");
    return;
  }
  if (endpoint.empty()) endpoint = "https://ec2." + region + ".amazonaws.com";
  if (endpoint.rfind("http://", 0) != 0 && endpoint.rfind("https://", 0) != 0) {
    diags.error(Range{}, "Invalid ec2 provider \"endpoint\"",
                "\"" + endpoint + "\" is not an http:// or https:// URL.");
    return;
  }
  if (!aws.credentials) {
    diags.error(Range{}, "No AWS credentials for the ec2 provider",
                "orch " + aws.error +
                    ". Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile with "
                    "`profile` or AWS_PROFILE.");
    return;
  }
  client_config_ = {};
  client_config_.endpoint = endpoint;
  client_config_.region = region;
  client_config_.credentials = *aws.credentials;
  client_config_.seed = ctx.seed;
  client_config_.ca_file = str("ca_file");
  client_config_.max_requests_per_second = 20;
  if (const Value* r = find(config, "max_requests_per_second")) {
    Value u = r->unmarked();
    if (u.kind() != ValueKind::Number || u.as_number().as_double() < 0)
      diags.error(Range{}, "Invalid ec2 provider \"max_requests_per_second\"",
                  "It must be a number, 0 (unlimited) or more.");
    else
      client_config_.max_requests_per_second = u.as_number().as_double();
  }
  auto duration = [&](const char* name, Duration& out) {
    std::string text = str(name);
    if (text.empty()) return;
    auto d = ec2::parse_duration_text(text);
    if (!d || d->count() <= 0)
      diags.error(
          Range{}, fmt::format("Invalid ec2 provider \"{}\"", name),
          fmt::format("\"{}\" is not a positive duration such as \"5s\" or \"15m\".", text));
    else
      out = *d;
  };
  duration("poll_interval", poll_interval_);
  duration("wait_timeout", wait_timeout_);
  visibility_timeout_ = std::min<Duration>(std::chrono::minutes(2), wait_timeout_);
  client_ = std::make_unique<ec2::QueryClient>(ctx.clock, client_config_);
  waiter_ = std::make_unique<ec2::InstanceWaiter>(ctx.clock, client_.get(), poll_interval_,
                                                  wait_timeout_, visibility_timeout_);
  owned_.clear();
  configured_ = true;
}

void Ec2Provider::read_many(const std::string& type, std::vector<ReadItem> items,
                            std::function<void(ReadResult)> done) {
  if (!configured_) {
    ReadResult r;
    r.error = ProviderError{"the ec2 provider is not configured", "", false, std::nullopt};
    return done(std::move(r));
  }
  if (type == "ec2_instance") return read_instances(std::move(items), std::move(done));
  if (type == "ec2_security_group") return read_groups(std::move(items), std::move(done));
  ReadResult r;
  r.error = ProviderError{"the ec2 provider has no resource type \"" + type + "\"", "", false, {}};
  done(std::move(r));
}

void Ec2Provider::list_owned(const std::string& type, std::function<void(OwnedResult)> done) {
  if (!configured_ || (type != "ec2_instance" && type != "ec2_security_group"))
    return done(OwnedResult{});
  if (auto it = owned_.find(type); it != owned_.end()) {
    OwnedResult r;
    r.objects = it->second;
    return done(std::move(r));
  }
  // Not refreshed in this run (nothing of this type in state): a refresh with no items scans
  // the stack's marks and leaves the unclaimed objects in owned_.
  std::weak_ptr<char> guard = alive_;
  uint64_t before = client_->requests();
  read_many(type, {}, [this, guard, type, before, done](ReadResult res) {
    if (guard.expired()) return;
    OwnedResult r;
    r.requests = static_cast<int>(client_->requests() - before);
    if (res.error)
      r.error = res.error;
    else
      r.objects = owned_[type];
    done(std::move(r));
  });
}

void Ec2Provider::read_data(
    const std::string& type, const ValueMap&,
    std::function<void(std::optional<ValueMap>, std::optional<ProviderError>)> done) {
  done(std::nullopt,
       ProviderError{"the ec2 provider has no data source \"" + type + "\"", "", false, {}});
}

void Ec2Provider::check_gate(const GateRequest& request, std::function<void(GateResult)> done) {
  GateResult r;
  r.message = "the ec2 provider offers no readiness gate \"" + request.kind + "\"";
  r.error = ProviderError{r.message, "", false, std::nullopt};
  done(r);
}

PlanResponse Ec2Provider::plan(const PlanRequest& req) {
  if (req.type == "ec2_instance") return plan_instance(req);
  if (req.type == "ec2_security_group") return plan_group(req);
  PlanResponse resp;
  resp.diagnostics.error(Range{}, "The ec2 provider has no resource type \"" + req.type + "\"");
  return resp;
}

PlanResponse Ec2Provider::plan_instance(const PlanRequest& req) {
  PlanResponse resp;
  const Schema& schema = schema_.resources.at("ec2_instance");
  ValueMap& planned = resp.planned;
  const ValueMap* prior = req.prior ? &req.prior->attributes : nullptr;
  for (const auto& a : schema.attributes) {
    if (a.computed && !a.optional) continue;
    const Value* v = find(req.config, a.name);
    if (v)
      planned[a.name] = *v;
    else if (a.default_value)
      planned[a.name] = *a.default_value;
    else if (!a.computed)
      planned[a.name] = Value::null(a.type);
  }
  auto invalid = [&](std::string summary, std::string detail) {
    resp.diagnostics.error(Range{}, fmt::format("{}: {}", req.address, summary), std::move(detail));
  };
  // The configuration writes objects and tuples; the API answers maps and sets.
  if (planned.count("tags")) planned["tags"] = ec2::as_string_map(planned["tags"]);
  if (planned.count("security_group_ids"))
    planned["security_group_ids"] = ec2::as_string_set(planned["security_group_ids"]);
  if (const Value* tags = find(planned, "tags");
      tags && tags->is_wholly_known() && tags->unmarked().is_mapping())
    for (const auto& [k, v] : tags->unmarked().attributes())
      if (k.rfind(ec2::kTagPrefix, 0) == 0)
        invalid(fmt::format("tag \"{}\" is reserved", k),
                "Tags starting with \"orch:\" are orch's ownership marks; choose another key.");
  if (auto p = known_string(planned, "iam_instance_profile"); p && p->rfind("arn:", 0) == 0)
    planned["iam_instance_profile"] = Value::string(p->substr(p->rfind('/') + 1));
  // User data is kept in state as its digest: equal text plans nothing.
  if (const Value* ud = find(planned, "user_data"); ud && prior) {
    auto text = known_string(planned, "user_data");
    auto was = known_string(*prior, "user_data");
    if (text && was && was->rfind("sha256:", 0) == 0) {
      unsigned char md[SHA256_DIGEST_LENGTH];
      SHA256(reinterpret_cast<const unsigned char*>(text->data()), text->size(), md);
      std::string hex;
      for (unsigned char c : md) hex += fmt::format("{:02x}", c);
      if ("sha256:" + hex == *was) planned["user_data"] = prior->at("user_data");
    }
  }
  if (prior) {
    for (const auto& a : schema.attributes) {
      if (!a.force_new) continue;
      const Value* now = find(planned, a.name);
      const Value* was = find(*prior, a.name);
      if (a.computed && !now) continue;  // left to EC2: keeps what it chose
      if (!same(now, was)) resp.force_new_paths.push_back(a.name);
    }
  }
  const bool keeps = prior && resp.force_new_paths.empty();
  bool restart = false;
  if (keeps) {
    for (const char* name : {"instance_type", "user_data"})
      if (!same(find(planned, name), find(*prior, name))) restart = true;
    if (restart) {
      std::string what;
      if (!same(find(planned, "instance_type"), find(*prior, "instance_type"))) {
        auto was = known_string(*prior, "instance_type").value_or("?");
        auto now = known_string(planned, "instance_type").value_or("(known after apply)");
        what = fmt::format("instance_type \"{}\" -> \"{}\"", was, now);
      }
      if (!same(find(planned, "user_data"), find(*prior, "user_data")))
        what += std::string(what.empty() ? "" : " and ") + "user_data";
      resp.notes.push_back(what +
                           ": stop, modify, start (the instance keeps its id and disks; "
                           "its public IP may change)");
    }
  }
  auto keep_or_unknown = [&](const std::string& name, Type t, bool keep) {
    const Value* v = keep && prior ? find(*prior, name) : nullptr;
    planned[name] = v ? *v : (keep && prior ? Value::null(t) : Value::unknown(t));
  };
  const Type str = Type::string();
  keep_or_unknown("id", str, keeps);
  keep_or_unknown("private_ip", str, keeps);
  keep_or_unknown("private_dns", str, keeps);
  keep_or_unknown("launch_time", str, keeps);
  keep_or_unknown("public_ip", str, keeps && !restart);
  planned["state"] = Value::string("running");
  if (!find(req.config, "subnet_id")) keep_or_unknown("subnet_id", str, keeps);
  if (!find(req.config, "security_group_ids"))
    keep_or_unknown("security_group_ids", Type::set(str), keeps);
  if (auto size = find(planned, "root_volume_size"); size && size->is_wholly_known()) {
    Value u = size->unmarked();
    if (u.kind() != ValueKind::Number || !u.as_number().is_int || u.as_number().i < 1)
      invalid("root_volume_size must be a whole number of GiB, 1 or more", "");
  }
  return resp;
}

void Ec2Provider::apply(const ApplyRequest& req, std::function<void(ApplyResult)> done) {
  if (!configured_)
    return done({std::nullopt, ProviderError{"the ec2 provider is not configured", "", false, {}}});
  if (req.type == "ec2_security_group") return apply_group(req, std::move(done));
  if (req.type != "ec2_instance")
    return done({std::nullopt,
                 ProviderError{
                     "the ec2 provider has no resource type \"" + req.type + "\"", "", false, {}}});
  switch (req.action) {
    case ChangeAction::Create:
      return create_instance(req, std::move(done));
    case ChangeAction::Update:
      return update_instance(req, std::move(done));
    case ChangeAction::Delete:
      return delete_instance(req, std::move(done));
    default:
      return done({std::nullopt, ProviderError{"unsupported action", "", false, {}}});
  }
}

}  // namespace orch
