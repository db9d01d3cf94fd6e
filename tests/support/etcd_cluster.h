// Test support: a real etcd (Debian's etcd-server) of 1 or 3 members on free loopback ports in
// a temporary directory, started by the test and stopped (with everything it wrote) when the
// object goes away; plus a spawned child process (an etcd member, or an `orch` run in the
// background) that can be killed and waited for. No GoogleTest dependency: benchmarks use it too.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace orch::testing {

// A child process with stdout and stderr in a file; killed (SIGKILL) when destroyed if still
// running. The child dies with the test process (PR_SET_PDEATHSIG).
class Spawned {
 public:
  Spawned() = default;
  Spawned(const std::vector<std::string>& argv, const std::string& log_file,
          const std::string& cwd = {}, const std::map<std::string, std::string>& env = {});
  ~Spawned();
  Spawned(Spawned&& o) noexcept;
  Spawned& operator=(Spawned&& o) noexcept;
  Spawned(const Spawned&) = delete;
  Spawned& operator=(const Spawned&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void kill(int sig);
  // Waits for the exit; the exit code, or 128 + signal. `timeout_ms` < 0: forever; on timeout
  // returns -1 and leaves the child running.
  int wait(int timeout_ms = -1);
  const std::string& log_file() const { return log_; }
  std::string output() const;  // what it wrote so far

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  std::string log_;
};

struct EtcdClusterOptions {
  int members = 1;
  std::vector<std::string> extra_args;  // e.g. {"--quota-backend-bytes=1048576"}
  // Serve clients over TLS with client-certificate authentication: certificates are made with
  // the `openssl` command into the cluster's directory (see ca_file() and friends).
  bool tls = false;
};

class EtcdCluster {
 public:
  // True when the etcd binary is installed (tests skip with a message otherwise).
  static bool available();

  explicit EtcdCluster(EtcdClusterOptions options = {});
  ~EtcdCluster();  // kills every member and removes the directory
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  // Starts every member and waits until the cluster has a leader (a few hundred ms). False and
  // `error` (with the members' log tails) when it does not come up within 20 s.
  bool start(std::string* error);

  int size() const { return static_cast<int>(members_.size()); }
  std::vector<std::string> endpoints() const;  // every member's client URL
  std::string endpoint(int member) const;
  // endpoints() as an HCL list: ["http://127.0.0.1:1", "http://127.0.0.1:2"].
  std::string endpoints_hcl() const;
  // The member that is leader now (asks each live member), or -1.
  int leader() const;
  void kill(int member, int sig = 9);
  bool running(int member);
  // Starts a killed member again on the same ports and data; waits until it answers.
  bool restart(int member, std::string* error);
  const std::string& dir() const { return dir_; }
  std::string log_tail(int member, size_t bytes = 2000) const;

  // TLS material (options.tls).
  std::string ca_file() const { return dir_ + "/tls/ca.pem"; }
  std::string client_cert_file() const { return dir_ + "/tls/client.pem"; }
  std::string client_key_file() const { return dir_ + "/tls/client-key.pem"; }

 private:
  struct Member {
    std::string name;
    int client_port = 0;
    int peer_port = 0;
    Spawned process;
  };
  std::vector<std::string> argv_of(int member) const;
  bool make_certificates(std::string* error);
  bool healthy(int member) const;

  EtcdClusterOptions options_;
  std::string dir_;
  std::vector<Member> members_;
};

// A free TCP port on 127.0.0.1 (bound and released: good enough for tests).
int free_loopback_port();

}  // namespace orch::testing
