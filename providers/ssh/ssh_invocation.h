// The command lines orch runs to reach a host: the user's own OpenSSH `ssh` (so ~/.ssh/config,
// the agent, ProxyJump and known_hosts apply as they do for the user), made non-interactive
// (BatchMode, no TTY, a connect timeout), and the remote command wrapped for /bin/sh and sudo.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "planner/clock.h"

namespace orch {

struct SshSettings {
  std::string user;           // empty: ~/.ssh/config's or the local user name
  int port = 0;               // 0: ~/.ssh/config's or 22
  std::string identity_file;  // empty: ~/.ssh/config's, the agent's and the default keys
  // `-o Key=Value` options, given before orch's defaults so that they win (ssh keeps the first
  // value it sees for each keyword).
  std::vector<std::pair<std::string, std::string>> options;
  Duration connect_timeout = std::chrono::seconds(10);
};

// ssh [-o K=V]... -T -o BatchMode=yes -o ConnectTimeout=N -o ServerAliveInterval=15
//     -o ServerAliveCountMax=4 [-l user] [-p port] [-i file] -- HOST REMOTE_COMMAND
std::vector<std::string> ssh_argv(const SshSettings& settings, const std::string& host,
                                  const std::string& remote_command);

// The command line for the remote login shell: `[sudo -n ]env K=V... /bin/sh -c 'COMMAND'`.
// sudo -n fails at once instead of asking for a password; `env` puts the variables inside sudo.
std::string remote_command(const std::string& command, bool sudo,
                           const std::map<std::string, std::string>& env);

// Why `host` cannot be an ssh destination ("" when it can): empty, starting with '-', or with
// whitespace or control characters.
std::string invalid_host_reason(const std::string& host);
// Why `key` cannot be an ssh -o keyword ("" when it can).
std::string invalid_option_reason(const std::string& key, const std::string& value);

// True when ssh itself failed before the remote command ran, in a way worth another try soon
// (connection refused or reset, the server's start-up limit): exit 255 and ssh's own message.
bool is_transient_ssh_failure(int exit_code, const std::string& output_tail);

}  // namespace orch
