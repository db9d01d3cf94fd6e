// knife's credentials file (~/.chef/credentials): TOML, one table per profile, chosen by a
// `profile` setting, $CHEF_PROFILE, ~/.chef/context, or "default" — as knife chooses it.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace orch::chef {

struct CredentialsProfile {
  std::string name;             // the profile's table name
  std::string chef_server_url;  // "" when absent
  std::string client_name;      // client_name, or node_name (knife's older spelling)
  // client_key: a path (relative paths are relative to the file's directory) or inline PEM.
  std::string client_key_path;
  std::string client_key_pem;  // secret: never put in messages
};

struct CredentialsFile {
  std::string path;
  std::map<std::string, CredentialsProfile> profiles;
};

// The credentials file's path: $HOME/.chef/credentials ("" when HOME is unset).
std::string default_credentials_path();

// Parses `path`. nullopt when it does not exist (`*error` empty) or is invalid (`*error` says
// where, never quoting the file's text: it may hold a key).
std::optional<CredentialsFile> load_credentials(const std::string& path, std::string* error);

// The profile knife would use: `requested` when not empty, else $CHEF_PROFILE, else the first
// line of <dir>/context, else "default".
std::string select_profile(const std::string& requested, const std::string& credentials_path);

}  // namespace orch::chef
