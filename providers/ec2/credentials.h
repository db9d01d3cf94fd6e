// AWS credentials and region found the way AWS tools find them: the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION / AWS_DEFAULT_REGION),
// then the profile (provider `profile`, else AWS_PROFILE, else "default") in the shared
// credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials) and config file
// (AWS_CONFIG_FILE, else ~/.aws/config).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace orch::ec2 {

struct Credentials {
  std::string access_key;
  std::string secret_key;     // never printed
  std::string session_token;  // empty: long-term keys
  std::string source;         // for messages: "environment", "profile \"x\" in ~/.aws/credentials"
};

// Sections of an AWS-style INI file: "[default]" and "[profile x]" (config) or "[x]"
// (credentials) → key → value. Indented lines continue a nested setting and are skipped.
using IniFile = std::map<std::string, std::map<std::string, std::string>>;
IniFile parse_ini(std::string_view text);

struct CredentialQuery {
  std::string profile;  // the provider's `profile`; empty: AWS_PROFILE or "default"
  // Environment lookup (tests inject their own); nullptr: std::getenv.
  std::function<std::optional<std::string>(const std::string&)> getenv;
};

struct ResolvedAws {
  std::optional<Credentials> credentials;
  std::string region;   // from the environment or the profile's config; empty when none
  std::string profile;  // the profile that was consulted
  std::string error;    // why no credentials were found (where orch looked), or a file problem
};

ResolvedAws resolve_aws(const CredentialQuery& query);

}  // namespace orch::ec2
