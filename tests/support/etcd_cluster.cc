// A real etcd cluster for tests and benchmarks (see etcd_cluster.h).
#include "tests/support/etcd_cluster.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "providers/http/client.h"

namespace orch::testing {

namespace fs = std::filesystem;

namespace {

const char* etcd_binary() {
  for (const char* p : {"/usr/bin/etcd", "/usr/local/bin/etcd"})
    if (::access(p, X_OK) == 0) return p;
  return nullptr;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

http::Response post(const std::string& url, const std::string& body, const http::Tls& tls) {
  http::Request r;
  r.method = "POST";
  r.url = url;
  r.body = body;
  r.timeout = std::chrono::milliseconds(1000);
  r.connect_timeout = std::chrono::milliseconds(500);
  http::ClientOptions o;
  o.tls = tls;
  return http::perform(r, o);
}

}  // namespace

// --- Spawned ------------------------------------------------------------------------------------

Spawned::Spawned(const std::vector<std::string>& argv, const std::string& log_file,
                 const std::string& cwd, const std::map<std::string, std::string>& env)
    : log_(log_file) {
  pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(127);  // the parent died before prctl
    int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) _exit(126);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<std::string> copy = argv;
    std::vector<char*> args;
    for (auto& a : copy) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    _exit(127);
  }
}

Spawned::~Spawned() {
  if (pid_ > 0 && status_ < 0) {
    ::kill(pid_, SIGKILL);
    wait();
  }
}

Spawned::Spawned(Spawned&& o) noexcept : pid_(o.pid_), status_(o.status_), log_(std::move(o.log_)) {
  o.pid_ = -1;
}

Spawned& Spawned::operator=(Spawned&& o) noexcept {
  if (this != &o) {
    if (pid_ > 0 && status_ < 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
    pid_ = o.pid_;
    status_ = o.status_;
    log_ = std::move(o.log_);
    o.pid_ = -1;
  }
  return *this;
}

bool Spawned::running() {
  if (pid_ <= 0 || status_ >= 0) return false;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return false;
  }
  return r == 0;
}

void Spawned::kill(int sig) {
  if (pid_ > 0 && status_ < 0) ::kill(pid_, sig);
}

int Spawned::wait(int timeout_ms) {
  if (pid_ <= 0) return -1;
  if (status_ >= 0) return status_;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, timeout_ms < 0 ? 0 : WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      return status_;
    }
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string Spawned::output() const {
  return read_file(log_);
}

// --- ports --------------------------------------------------------------------------------------

int free_loopback_port() {
  // Below the kernel's ephemeral range (32768+), so outgoing connections never take it meanwhile.
  static thread_local std::mt19937 rng(static_cast<unsigned>(
      std::chrono::steady_clock::now().time_since_epoch().count() ^ ::getpid()));
  std::uniform_int_distribution<int> pick(20000, 32000);
  for (int i = 0; i < 200; ++i) {
    int port = pick(rng);
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return port;
  }
  return 0;
}

// --- EtcdCluster --------------------------------------------------------------------------------

bool EtcdCluster::available() {
  return etcd_binary() != nullptr;
}

EtcdCluster::EtcdCluster(EtcdClusterOptions options) : options_(std::move(options)) {
  std::string tmpl = (fs::temp_directory_path() / "orch-etcd-XXXXXX").string();
  if (::mkdtemp(tmpl.data())) dir_ = tmpl;
}

EtcdCluster::~EtcdCluster() {
  for (auto& m : members_) m.process.kill(SIGKILL);
  for (auto& m : members_) m.process.wait();
  members_.clear();
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

std::vector<std::string> EtcdCluster::argv_of(int i) const {
  const Member& m = members_[i];
  const std::string scheme = options_.tls ? "https" : "http";
  const std::string client = scheme + "://127.0.0.1:" + std::to_string(m.client_port);
  const std::string peer = "http://127.0.0.1:" + std::to_string(m.peer_port);
  std::string cluster;
  for (const auto& o : members_)
    cluster +=
        (cluster.empty() ? "" : ",") + o.name + "=http://127.0.0.1:" + std::to_string(o.peer_port);
  std::vector<std::string> argv = {
      etcd_binary(), "--name=" + m.name, "--data-dir=" + dir_ + "/" + m.name,
      "--listen-client-urls=" + client, "--advertise-client-urls=" + client,
      "--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
      "--initial-cluster=" + cluster, "--initial-cluster-state=new",
      "--initial-cluster-token=orch-test", "--logger=zap", "--log-outputs=stderr",
      "--log-level=warn",
      // Fast elections on loopback: a killed leader is replaced in
      // about a second instead of several.
      "--heartbeat-interval=50", "--election-timeout=500"};
  if (options_.tls) {
    argv.push_back("--cert-file=" + dir_ + "/tls/server.pem");
    argv.push_back("--key-file=" + dir_ + "/tls/server-key.pem");
    argv.push_back("--trusted-ca-file=" + ca_file());
    argv.push_back("--client-cert-auth");
  }
  for (const auto& a : options_.extra_args) argv.push_back(a);
  return argv;
}

bool EtcdCluster::make_certificates(std::string* error) {
  const std::string d = dir_ + "/tls";
  fs::create_directories(d);
  // A CA, a server certificate for 127.0.0.1, and a client certificate, all signed by the CA.
  std::string script =
      "set -e; cd '" + d +
      "'\n"
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "
      "/CN=orch-test-ca "
      "-keyout ca-key.pem -out ca.pem\n"
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 "
      "-keyout server-key.pem "
      "-out server.csr\n"
      "printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth,clientAuth\\n' > "
      "server.ext\n"
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 "
      "-extfile server.ext -out server.pem\n"
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=orch-client "
      "-keyout client-key.pem "
      "-out client.csr\n"
      "printf 'extendedKeyUsage=clientAuth\\n' > client.ext\n"
      "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 "
      "-extfile client.ext -out client.pem\n";
  std::ofstream(d + "/make.sh") << script;
  int rc = std::system(("sh '" + d + "/make.sh' >'" + d + "/openssl.log' 2>&1").c_str());
  if (rc != 0) {
    if (error) *error = "openssl failed making test certificates: " + read_file(d + "/openssl.log");
    return false;
  }
  return true;
}

bool EtcdCluster::healthy(int i) const {
  http::Tls tls;
  if (options_.tls) {
    tls.ca_file = ca_file();
    tls.cert_file = client_cert_file();
    tls.key_file = client_key_file();
  }
  // A linearizable read succeeds only when the member is part of a cluster with a leader.
  http::Response r = post(endpoint(i) + "/v3/kv/range", R"({"key":"AA=="})", tls);
  return r.ok();
}

bool EtcdCluster::start(std::string* error) {
  if (!etcd_binary()) {
    if (error) *error = "etcd is not installed (apt-get install etcd-server)";
    return false;
  }
  if (dir_.empty()) {
    if (error) *error = "cannot create a temporary directory for etcd";
    return false;
  }
  if (options_.tls && !make_certificates(error)) return false;
  for (int attempt = 0; attempt < 3; ++attempt) {
    for (auto& m : members_) m.process.kill(SIGKILL);
    for (auto& m : members_) m.process.wait();
    members_.clear();
    for (int i = 0; i < options_.members; ++i) {
      Member m;
      m.name = "m" + std::to_string(i + 1);
      m.client_port = free_loopback_port();
      m.peer_port = free_loopback_port();
      members_.push_back(std::move(m));
      std::error_code ec;
      fs::remove_all(dir_ + "/m" + std::to_string(i + 1), ec);
    }
    for (int i = 0; i < size(); ++i)
      members_[i].process = Spawned(argv_of(i), dir_ + "/" + members_[i].name + ".log");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    bool up = false, died = false;
    while (!up && !died && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      up = true;
      for (int i = 0; i < size(); ++i) {
        if (!members_[i].process.running()) died = true;
        if (!healthy(i)) up = false;
      }
    }
    if (up) return true;
    if (!died) break;  // hung rather than crashed (a port taken is a crash): do not retry
  }
  if (error) {
    *error = "etcd did not come up:";
    for (int i = 0; i < size(); ++i) *error += "\n--- " + members_[i].name + ":\n" + log_tail(i);
  }
  return false;
}

std::vector<std::string> EtcdCluster::endpoints() const {
  std::vector<std::string> out;
  for (int i = 0; i < size(); ++i) out.push_back(endpoint(i));
  return out;
}

std::string EtcdCluster::endpoint(int i) const {
  return std::string(options_.tls ? "https" : "http") +
         "://127.0.0.1:" + std::to_string(members_[i].client_port);
}

std::string EtcdCluster::endpoints_hcl() const {
  std::string out = "[";
  for (int i = 0; i < size(); ++i) out += (i ? ", \"" : "\"") + endpoint(i) + "\"";
  return out + "]";
}

int EtcdCluster::leader() const {
  http::Tls tls;
  if (options_.tls) {
    tls.ca_file = ca_file();
    tls.cert_file = client_cert_file();
    tls.key_file = client_key_file();
  }
  for (int i = 0; i < size(); ++i) {
    http::Response r = post(endpoint(i) + "/v3/maintenance/status", "{}", tls);
    if (!r.ok()) continue;
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_object() || !j.contains("header")) continue;
    std::string me = j["header"].value("member_id", "");
    std::string leader = j.value("leader", "");
    if (!me.empty() && me == leader) return i;
  }
  return -1;
}

void EtcdCluster::kill(int i, int sig) {
  members_[i].process.kill(sig);
  if (sig == SIGKILL) members_[i].process.wait();
}

bool EtcdCluster::running(int i) {
  return members_[i].process.running();
}

bool EtcdCluster::restart(int i, std::string* error) {
  members_[i].process.kill(SIGKILL);
  members_[i].process.wait();
  std::vector<std::string> argv = argv_of(i);
  for (auto& a : argv)
    if (a == "--initial-cluster-state=new") a = "--initial-cluster-state=existing";
  members_[i].process = Spawned(argv, dir_ + "/" + members_[i].name + ".log");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (healthy(i)) return true;
    if (!members_[i].process.running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (error) *error = "etcd member " + members_[i].name + " did not restart:\n" + log_tail(i);
  return false;
}

std::string EtcdCluster::log_tail(int i, size_t bytes) const {
  std::string s = read_file(dir_ + "/" + members_[i].name + ".log");
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

}  // namespace orch::testing
