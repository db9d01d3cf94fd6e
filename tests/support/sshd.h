// A real OpenSSH server for tests and benchmarks: /usr/sbin/sshd started on a free loopback port
// with throwaway host and user keys in a temporary directory, accepting only that key for the
// user running the tests (root included), and stopped with every process its sessions started.
// Clients reach it under any host name through client_options() (HostName=127.0.0.1 and a
// HostKeyAlias), so many "hosts" can be one server without touching /etc/hosts.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace orch::testing {

class TestSshd {
 public:
  struct Options {
    // Directories put first on PATH in the sessions (stand-in programs such as chef-client).
    std::vector<std::string> path_prefix;
    int max_startups = 2000;  // unauthenticated connections at once (sshd's default is 10)
  };

  TestSshd();
  explicit TestSshd(Options options);
  ~TestSshd();  // stop() and remove the directory
  TestSshd(const TestSshd&) = delete;
  TestSshd& operator=(const TestSshd&) = delete;

  // Why tests cannot run here ("" when they can): sshd, ssh or ssh-keygen missing.
  static std::string unavailable_reason();

  // Creates keys and configuration, starts sshd and waits until it accepts connections.
  bool start(std::string* error);
  // Kills the server and every process under it (sessions and what they ran), and reaps them.
  void stop();
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& user() const { return user_; }
  const std::string& dir() const { return dir_; }
  const std::string& identity_file() const { return identity_; }
  const std::string& host_key_alias() const { return alias_; }
  // -o options for ssh: any destination name reaches this server as user() with the key.
  std::vector<std::pair<std::string, std::string>> client_options() const;
  // The server's own log (errors only), for failure messages.
  std::string log() const;

 private:
  bool start_once(std::string* error);

  Options options_;
  std::string dir_;
  std::string identity_;
  std::string user_;
  std::string alias_ = "orch-test-sshd";
  int port_ = 0;
  pid_t pid_ = -1;
};

// Writes an executable script (mode 0755).
bool write_script(const std::string& path, const std::string& text);

}  // namespace orch::testing
