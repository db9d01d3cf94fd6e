// The chef provider's connection settings: the `provider "chef" { ... }` block, completed from
// knife's credentials file for whatever the block leaves out.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "compiler/diagnostic.h"
#include "compiler/value.h"
#include "providers/chef/chef_signing.h"

namespace orch::chef {

struct ChefSettings {
  std::string server_url;   // the organization's URL: https://chef.example.com/organizations/org
  std::string client_name;  // X-Ops-Userid
  std::optional<RsaKey> key;
  // Where the key came from, for messages (never the key): "key file /home/u/.chef/ci.pem",
  // "the provider's `key` attribute", "inline client_key of credentials profile \"dev\"".
  std::string key_source;
  std::string key_file;  // the key's file when it came from one
  bool ssl_verify = true;
  std::string ca_file;  // PEM bundle of trusted CAs ("" : the system's)
  std::string api_version = "1";
  SignVersion sign_version = SignVersion::V1_3;
  std::string profile;  // the credentials profile used ("" when none was read)
  int concurrency = 0;  // requests in flight at once (0: the default, kDefaultConcurrency)
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};  // one request
  int max_attempts = 4;  // per request, transient failures included

  // "client \"ci\" with key file /x/ci.pem": who was asking, for 401/403 messages.
  std::string identity() const;
};

// Requests in flight at once by default: see docs/chef-provider.md ("Concurrency").
constexpr int kDefaultConcurrency = 16;

// Resolves the settings from the provider block (`config`) and, for what it leaves unset, knife's
// credentials file (`credentials_path`; default_credentials_path() when empty). Problems go to
// `diags`; nullopt when the provider cannot connect.
std::optional<ChefSettings> resolve_settings(const ValueMap& config, Diagnostics& diags,
                                             const std::string& credentials_path = {});

}  // namespace orch::chef
