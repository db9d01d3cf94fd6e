// ssh command lines (see ssh_invocation.h).
#include "providers/ssh/ssh_invocation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "planner/child_process.h"

namespace orch {

namespace {

bool has_option(const SshSettings& s, std::string_view key) {
  return std::any_of(s.options.begin(), s.options.end(), [&](const auto& kv) {
    if (kv.first.size() != key.size()) return false;
    for (size_t i = 0; i < key.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(kv.first[i])) !=
          std::tolower(static_cast<unsigned char>(key[i])))
        return false;
    return true;
  });
}

}  // namespace

std::vector<std::string> ssh_argv(const SshSettings& s, const std::string& host,
                                  const std::string& command) {
  std::vector<std::string> argv = {"ssh"};
  for (const auto& [k, v] : s.options) {
    argv.push_back("-o");
    argv.push_back(k + "=" + v);
  }
  auto option = [&](const char* key, std::string value) {
    if (has_option(s, key)) return;
    argv.push_back("-o");
    argv.push_back(std::string(key) + "=" + value);
  };
  argv.push_back("-T");  // no TTY: output is a plain stream, and nothing waits on a terminal
  option("BatchMode", "yes");
  const auto secs = std::max<int64_t>(
      1, std::chrono::duration_cast<std::chrono::seconds>(s.connect_timeout).count());
  option("ConnectTimeout", std::to_string(secs));
  // A host that dies mid-run is noticed within a minute instead of at the run's time limit.
  option("ServerAliveInterval", "15");
  option("ServerAliveCountMax", "4");
  if (!s.user.empty()) {
    argv.push_back("-l");
    argv.push_back(s.user);
  }
  if (s.port > 0) {
    argv.push_back("-p");
    argv.push_back(std::to_string(s.port));
  }
  if (!s.identity_file.empty()) {
    argv.push_back("-i");
    argv.push_back(s.identity_file);
  }
  argv.push_back("--");
  argv.push_back(host);
  argv.push_back(command);
  return argv;
}

std::string remote_command(const std::string& command, bool sudo,
                           const std::map<std::string, std::string>& env) {
  std::string out;
  if (sudo) out += "sudo -n ";
  if (!env.empty()) {
    out += "env";
    for (const auto& [k, v] : env) out += " " + shell_quote(k + "=" + v);
    out += " ";
  }
  out += "/bin/sh -c " + shell_quote(command);
  return out;
}

std::string invalid_host_reason(const std::string& host) {
  if (host.empty()) return "a host name must not be empty";
  if (host.front() == '-') return fmt::format("\"{}\" starts with '-'", host);
  for (unsigned char c : host)
    if (std::isspace(c) || std::iscntrl(c))
      return fmt::format("\"{}\" contains whitespace or control characters", host);
  return "";
}

std::string invalid_option_reason(const std::string& key, const std::string& value) {
  if (key.empty()) return "an ssh option name must not be empty";
  for (unsigned char c : key)
    if (!std::isalnum(c))
      return fmt::format("\"{}\" is not an ssh option keyword (letters and digits only)", key);
  for (unsigned char c : value)
    if (c == '\n' || c == '\r' || c == '\0')
      return fmt::format("the value of ssh option \"{}\" contains a line break", key);
  return "";
}

bool is_transient_ssh_failure(int exit_code, const std::string& tail) {
  if (exit_code != 255) return false;
  // ssh's own messages, at the start of a line: the remote command never started.
  static constexpr std::string_view kSigns[] = {
      "kex_exchange_identification:",
      "ssh_exchange_identification:",
      "Connection reset by ",
      "Connection closed by ",
  };
  size_t start = 0;
  while (start < tail.size()) {
    size_t end = tail.find('\n', start);
    std::string_view line(tail.data() + start,
                          (end == std::string::npos ? tail.size() : end) - start);
    for (auto sign : kSigns)
      if (line.substr(0, sign.size()) == sign) return true;
    if (line.substr(0, 20) == "ssh: connect to host" &&
        (line.find("Connection refused") != std::string_view::npos ||
         line.find("Connection reset") != std::string_view::npos))
      return true;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return false;
}

}  // namespace orch
