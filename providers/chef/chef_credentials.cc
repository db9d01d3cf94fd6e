// knife's credentials file (see chef_credentials.h), parsed with toml11.
#include "providers/chef/chef_credentials.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <toml.hpp>

namespace orch::chef {

namespace fs = std::filesystem;

std::string default_credentials_path() {
  const char* home = std::getenv("HOME");
  if (!home || !*home) return {};
  return (fs::path(home) / ".chef" / "credentials").string();
}

std::optional<CredentialsFile> load_credentials(const std::string& path, std::string* error) {
  error->clear();
  std::error_code ec;
  if (path.empty() || !fs::exists(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot be read";
    return std::nullopt;
  }
  toml::value root;
  try {
    root = toml::parse(in, path);
  } catch (const toml::syntax_error& e) {
    // toml11's message quotes the offending line, which may be part of an inline key.
    *error = path + ":" + std::to_string(e.location().line()) + ": invalid TOML";
    return std::nullopt;
  } catch (const std::exception&) {
    *error = path + ": invalid TOML";
    return std::nullopt;
  }
  CredentialsFile file;
  file.path = path;
  const fs::path dir = fs::path(path).parent_path();
  if (!root.is_table()) return file;
  for (const auto& [name, table] : root.as_table()) {
    if (!table.is_table()) continue;
    CredentialsProfile p;
    p.name = name;
    auto str = [&](const char* key) -> std::string {
      if (!table.contains(key)) return {};
      const toml::value& v = table.at(key);
      return v.is_string() ? v.as_string().str : std::string();
    };
    p.chef_server_url = str("chef_server_url");
    p.client_name = str("client_name");
    if (p.client_name.empty()) p.client_name = str("node_name");
    std::string key = str("client_key");
    if (key.find("-----BEGIN") != std::string::npos) {
      p.client_key_pem = key;
    } else if (!key.empty()) {
      fs::path kp = key;
      if (key.rfind("~/", 0) == 0) {
        const char* home = std::getenv("HOME");
        kp = fs::path(home ? home : "") / key.substr(2);
      } else if (kp.is_relative()) {
        kp = dir / kp;
      }
      p.client_key_path = kp.lexically_normal().string();
    }
    file.profiles[name] = std::move(p);
  }
  return file;
}

std::string select_profile(const std::string& requested, const std::string& credentials_path) {
  if (!requested.empty()) return requested;
  if (const char* env = std::getenv("CHEF_PROFILE"); env && *env) return env;
  if (!credentials_path.empty()) {
    std::ifstream ctx(fs::path(credentials_path).parent_path() / "context");
    std::string line;
    if (ctx && std::getline(ctx, line)) {
      while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
      if (!line.empty()) return line;
    }
  }
  return "default";
}

}  // namespace orch::chef
