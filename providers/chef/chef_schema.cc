// The chef provider's schema: its configuration block, and every registered type's schema.
#include "providers/chef/chef_provider.h"

namespace orch {

using namespace chef;

ProviderSchema chef_schema() {
  const Type str = Type::string();
  ProviderSchema p;
  p.name = "chef";
  p.config.description =
      "A Chef Server organization. Settings left out are read from knife's credentials file "
      "(~/.chef/credentials; the profile named by `profile`, $CHEF_PROFILE or \"default\").";
  p.config.attributes = {
      optional_attr("server_url", str, std::nullopt,
                    "The organization's URL: https://chef.example.com/organizations/ORG."),
      optional_attr("client_name", str, std::nullopt, "The API client (or user) orch signs as."),
      optional_attr("key_file", str, std::nullopt, "Path of the client's private key (PEM)."),
      sensitive(optional_attr("key", str, std::nullopt,
                              "The client's private key itself (PEM), instead of key_file.")),
      optional_attr("ssl_verify", Type::boolean(), Value::boolean(true),
                    "Verify the server's TLS certificate (turn off only for tests)."),
      optional_attr("ca_file", str, std::nullopt,
                    "PEM bundle of the CAs that sign the server's certificate."),
      optional_attr("api_version", str, Value::string("1"),
                    "Chef Server API version sent as X-Ops-Server-API-Version (0, 1 or 2)."),
      optional_attr("sign_version", str, Value::string("1.3"),
                    "Request-signing protocol: \"1.3\" (RSA-SHA256) or \"1.0\" for old servers."),
      optional_attr("profile", str, std::nullopt,
                    "The knife credentials profile to read (default: $CHEF_PROFILE or "
                    "\"default\")."),
      optional_attr("concurrency", Type::number(), Value::number(int64_t{kDefaultConcurrency}),
                    "Operations (and requests) in flight at once against the server."),
      optional_attr("max_attempts", Type::number(), Value::number(int64_t{4}),
                    "Attempts per request when the server answers 5xx/429 or the connection "
                    "fails."),
      optional_attr("timeout", str, Value::string("60s"), "Time limit of one request."),
  };
  ChefTypes types = chef_types();
  for (const auto& r : types.resources) p.resources[r->name()] = r->schema();
  for (const auto& d : types.data_sources) p.data_sources[d->name()] = d->schema();
  for (const auto& g : types.gates) p.gates.push_back(g->schema());
  return p;
}

}  // namespace orch
