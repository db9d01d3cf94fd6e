// Credential and region resolution (see credentials.h).
#include "providers/ec2/credentials.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace orch::ec2 {
namespace {

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

IniFile parse_ini(std::string_view text) {
  IniFile out;
  std::string section;
  bool have_section = false;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view raw =
        text.substr(pos, nl == std::string_view::npos ? text.size() - pos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    if (raw.empty()) continue;
    bool indented = raw.front() == ' ' || raw.front() == '\t';
    std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = trim(std::string_view(line).substr(1, line.size() - 2));
      have_section = true;
      out[section];
      continue;
    }
    if (!have_section || indented) continue;  // nested settings (s3 = ...) are not ours
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = trim(std::string_view(line).substr(0, eq));
    std::string value = trim(std::string_view(line).substr(eq + 1));
    if (!key.empty()) out[section][key] = value;
  }
  return out;
}

ResolvedAws resolve_aws(const CredentialQuery& q) {
  auto env = [&](const std::string& name) -> std::string {
    if (q.getenv) return q.getenv(name).value_or("");
    const char* v = std::getenv(name.c_str());
    return v ? v : "";
  };
  ResolvedAws r;
  std::string home = env("HOME");
  std::string cred_path = env("AWS_SHARED_CREDENTIALS_FILE");
  if (cred_path.empty()) cred_path = home + "/.aws/credentials";
  std::string config_path = env("AWS_CONFIG_FILE");
  if (config_path.empty()) config_path = home + "/.aws/config";

  r.profile = !q.profile.empty() ? q.profile : env("AWS_PROFILE");
  if (r.profile.empty()) r.profile = env("AWS_DEFAULT_PROFILE");
  if (r.profile.empty()) r.profile = "default";

  IniFile creds, config;
  if (auto t = read_file(cred_path)) creds = parse_ini(*t);
  if (auto t = read_file(config_path)) config = parse_ini(*t);
  const std::string config_section = r.profile == "default" ? "default" : "profile " + r.profile;
  const auto* cred_sec = creds.count(r.profile) ? &creds.at(r.profile) : nullptr;
  const auto* conf_sec = config.count(config_section) ? &config.at(config_section) : nullptr;
  auto get = [](const std::map<std::string, std::string>* sec, const char* key) -> std::string {
    if (!sec) return "";
    auto it = sec->find(key);
    return it == sec->end() ? "" : it->second;
  };

  r.region = env("AWS_REGION");
  if (r.region.empty()) r.region = env("AWS_DEFAULT_REGION");
  if (r.region.empty()) r.region = get(conf_sec, "region");

  // An explicit `profile` in the provider block wins over keys in the environment (as with
  // `aws --profile`); otherwise the environment comes first.
  std::string env_key = env("AWS_ACCESS_KEY_ID"), env_secret = env("AWS_SECRET_ACCESS_KEY");
  if (q.profile.empty() && !env_key.empty() && !env_secret.empty()) {
    r.credentials = Credentials{env_key, env_secret, env("AWS_SESSION_TOKEN"), "environment"};
    return r;
  }
  for (const auto& [sec, path] :
       {std::pair{cred_sec, cred_path}, std::pair{conf_sec, config_path}}) {
    std::string key = get(sec, "aws_access_key_id"), secret = get(sec, "aws_secret_access_key");
    if (key.empty() && secret.empty()) continue;
    if (key.empty() || secret.empty()) {
      r.error = "profile \"" + r.profile + "\" in " + path +
                " sets only one of aws_access_key_id and aws_secret_access_key";
      return r;
    }
    r.credentials = Credentials{key, secret, get(sec, "aws_session_token"),
                                "profile \"" + r.profile + "\" in " + path};
    return r;
  }
  r.error = "looked in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), in profile \"" +
            r.profile + "\" of " + cred_path + " and of " + config_path;
  if (!q.profile.empty() || !env("AWS_PROFILE").empty())
    if (!cred_sec && !conf_sec) r.error += " (no such profile in either file)";
  return r;
}

}  // namespace orch::ec2
