// Resolving the chef provider's settings (see chef_config.h): the block's attributes first, then
// the knife credentials profile, then defaults; every problem is a diagnostic that names the
// setting and never shows a key.
#include "providers/chef/chef_config.h"

#include <fmt/format.h>

#include "compiler/duration.h"
#include "providers/chef/chef_credentials.h"

namespace orch::chef {

namespace {

struct Reader {
  const ValueMap& config;
  Diagnostics& diags;

  // A known string attribute; nullopt when absent or null.
  std::optional<std::string> string(const std::string& name) {
    auto it = config.find(name);
    if (it == config.end() || it->second.is_null()) return std::nullopt;
    Value v = it->second.unmarked();
    if (!v.is_wholly_known()) {
      diags.error({}, fmt::format("provider \"chef\": \"{}\" must be known before apply", name),
                  "Provider settings cannot depend on values that are only known after apply.");
      return std::nullopt;
    }
    if (v.kind() == ValueKind::Number) return format_number(v.as_number());
    if (v.kind() != ValueKind::String) {
      diags.error({}, fmt::format("provider \"chef\": \"{}\" must be a string", name));
      return std::nullopt;
    }
    return v.as_string();
  }
  std::optional<bool> boolean(const std::string& name) {
    auto it = config.find(name);
    if (it == config.end() || it->second.is_null()) return std::nullopt;
    if (it->second.kind() != ValueKind::Bool) {
      diags.error({}, fmt::format("provider \"chef\": \"{}\" must be true or false", name));
      return std::nullopt;
    }
    return it->second.as_bool();
  }
  std::optional<int64_t> integer(const std::string& name, int64_t min, int64_t max) {
    auto it = config.find(name);
    if (it == config.end() || it->second.is_null()) return std::nullopt;
    const Value& v = it->second;
    if (v.kind() != ValueKind::Number || !v.as_number().is_int || v.as_number().i < min ||
        v.as_number().i > max) {
      diags.error({}, fmt::format("provider \"chef\": \"{}\" must be a whole number from {} to {}",
                                  name, min, max));
      return std::nullopt;
    }
    return v.as_number().i;
  }
};

}  // namespace

std::string ChefSettings::identity() const {
  return fmt::format("client \"{}\" with {}", client_name, key_source);
}

std::optional<ChefSettings> resolve_settings(const ValueMap& config, Diagnostics& diags,
                                             const std::string& credentials_path) {
  const int errors_before = diags.error_count();
  Reader r{config, diags};
  ChefSettings s;
  auto server_url = r.string("server_url");
  auto client_name = r.string("client_name");
  auto key_file = r.string("key_file");
  auto key = r.string("key");
  auto profile = r.string("profile");
  if (key_file && key) {
    diags.error({}, "provider \"chef\": set either \"key_file\" or \"key\", not both");
    return std::nullopt;
  }

  // knife's credentials file fills what the block leaves out.
  const bool need_credentials = !server_url || !client_name || (!key_file && !key);
  if (need_credentials || profile) {
    const std::string path =
        credentials_path.empty() ? default_credentials_path() : credentials_path;
    std::string err;
    auto file = load_credentials(path, &err);
    if (!err.empty()) {
      diags.error({}, "provider \"chef\": cannot read knife's credentials file", err);
      return std::nullopt;
    }
    const std::string name = select_profile(profile.value_or(""), path);
    const CredentialsProfile* p = nullptr;
    if (file) {
      auto it = file->profiles.find(name);
      if (it != file->profiles.end()) p = &it->second;
    }
    if (!p && (profile || (file && need_credentials && name != "default"))) {
      diags.error({},
                  fmt::format("provider \"chef\": no profile \"{}\" in {}", name,
                              path.empty() ? std::string("~/.chef/credentials") : path),
                  file ? "Add a [" + name +
                             "] table to the credentials file, or set CHEF_PROFILE "
                             "(or the provider's \"profile\") to one it has."
                       : "The credentials file does not exist.");
      return std::nullopt;
    }
    if (p) {
      s.profile = p->name;
      if (!server_url && !p->chef_server_url.empty()) server_url = p->chef_server_url;
      if (!client_name && !p->client_name.empty()) client_name = p->client_name;
      if (!key_file && !key) {
        if (!p->client_key_pem.empty()) {
          key = p->client_key_pem;
          s.key_source = fmt::format("the inline client_key of credentials profile \"{}\"", name);
        } else if (!p->client_key_path.empty()) {
          key_file = p->client_key_path;
        }
      }
    }
  }

  std::vector<std::string> missing;
  if (!server_url || server_url->empty()) missing.push_back("server_url");
  if (!client_name || client_name->empty()) missing.push_back("client_name");
  if ((!key_file || key_file->empty()) && (!key || key->empty()))
    missing.push_back("key_file (or key)");
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    diags.error({}, "provider \"chef\": missing " + list,
                "Set them in the provider \"chef\" block, or in knife's credentials file "
                "(~/.chef/credentials, the profile named by CHEF_PROFILE or \"default\").");
    return std::nullopt;
  }
  s.server_url = *server_url;
  while (s.server_url.size() > 1 && s.server_url.back() == '/') s.server_url.pop_back();
  if (s.server_url.rfind("https://", 0) != 0 && s.server_url.rfind("http://", 0) != 0)
    diags.error(
        {}, fmt::format("provider \"chef\": server_url \"{}\" is not an http(s) URL", s.server_url),
        "Write the organization's URL, e.g. https://chef.example.com/organizations/ops.");
  s.client_name = *client_name;

  std::string err;
  if (key_file) {
    s.key_file = *key_file;
    s.key_source = "key file " + *key_file;
    s.key = RsaKey::from_file(*key_file, &err);
  } else {
    if (s.key_source.empty()) s.key_source = "the provider's \"key\" attribute";
    s.key = RsaKey::from_pem(*key, &err);
  }
  if (!s.key) {
    diags.error({}, fmt::format("provider \"chef\": cannot use {}: {}", s.key_source, err));
  } else if (!s.key->is_private()) {
    diags.error({}, fmt::format("provider \"chef\": {} holds a public key", s.key_source),
                "Requests are signed with the client's private key.");
    s.key.reset();
  }

  if (auto v = r.boolean("ssl_verify")) s.ssl_verify = *v;
  if (auto v = r.string("ca_file")) s.ca_file = *v;
  if (auto v = r.string("api_version")) {
    if (*v != "0" && *v != "1" && *v != "2")
      diags.error({}, fmt::format("provider \"chef\": api_version \"{}\" is not 0, 1 or 2", *v));
    s.api_version = *v;
  }
  if (auto v = r.string("sign_version")) {
    if (auto sv = parse_sign_version(*v))
      s.sign_version = *sv;
    else
      diags.error(
          {}, fmt::format("provider \"chef\": sign_version \"{}\" is not \"1.3\" or \"1.0\"", *v));
  }
  if (auto v = r.integer("concurrency", 1, 1024)) s.concurrency = static_cast<int>(*v);
  if (auto v = r.integer("max_attempts", 1, 20)) s.max_attempts = static_cast<int>(*v);
  if (auto v = r.string("timeout")) {
    std::string why;
    auto d = parse_duration(*v, &why);
    if (!d || d->count() <= 0)
      diags.error({}, fmt::format("provider \"chef\": timeout \"{}\" is not a duration", *v), why);
    else
      s.timeout = *d;
  }
  if (diags.error_count() > errors_before) return std::nullopt;
  return s;
}

}  // namespace orch::chef
