// The test sshd (see sshd.h).
#include "tests/support/sshd.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

extern char** environ;

namespace orch::testing {

namespace {

constexpr const char* kSshd = "/usr/sbin/sshd";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool write_file(const std::string& path, const std::string& text, mode_t mode) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) return false;
  }
  return chmod(path.c_str(), mode) == 0;
}

bool in_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string d;
  while (std::getline(dirs, d, ':'))
    if (!d.empty() && access((d + "/" + program).c_str(), X_OK) == 0) return true;
  return false;
}

// Runs a program to completion with its output in `log`; its exit code (-1 if it did not run).
int run_quiet(const std::vector<std::string>& args, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

bool accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// Parent pid and state of every process, from /proc.
struct ProcInfo {
  pid_t ppid = 0;
  char state = '?';
};
std::map<pid_t, ProcInfo> processes() {
  std::map<pid_t, ProcInfo> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (!end || *end != '\0' || pid <= 0) continue;
    std::string stat = read_file("/proc/" + std::string(e->d_name) + "/stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos || close + 4 >= stat.size()) continue;
    ProcInfo info;
    info.state = stat[close + 2];
    info.ppid = static_cast<pid_t>(std::strtol(stat.c_str() + close + 4, nullptr, 10));
    out[static_cast<pid_t>(pid)] = info;
  }
  closedir(d);
  return out;
}

std::set<pid_t> descendants(pid_t root) {
  auto procs = processes();
  std::set<pid_t> out{root};
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [pid, info] : procs)
      if (out.count(info.ppid) && out.insert(pid).second) grew = true;
  }
  return out;
}

}  // namespace

bool write_script(const std::string& path, const std::string& text) {
  return write_file(path, text, 0755);
}

TestSshd::TestSshd() : TestSshd(Options{}) {}
TestSshd::TestSshd(Options options) : options_(std::move(options)) {}

TestSshd::~TestSshd() {
  stop();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string TestSshd::unavailable_reason() {
  if (access(kSshd, X_OK) != 0) return "no /usr/sbin/sshd (install openssh-server)";
  if (!in_path("ssh")) return "no ssh client in PATH (install openssh-client)";
  if (!in_path("ssh-keygen")) return "no ssh-keygen in PATH (install openssh-client)";
  return "";
}

bool TestSshd::start(std::string* error) {
  if (running()) return true;
  if (auto why = unavailable_reason(); !why.empty()) {
    *error = why;
    return false;
  }
  if (dir_.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "orch-sshd-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) {
      *error = std::string("cannot create a temporary directory: ") + std::strerror(errno);
      return false;
    }
    dir_ = tmpl;
    chmod(dir_.c_str(), 0755);
  }
  const passwd* pw = getpwuid(getuid());
  if (!pw) {
    *error = "the current user has no passwd entry";
    return false;
  }
  user_ = pw->pw_name;
  if (getuid() == 0) {
    // Root's sshd runs its pre-authentication children chrooted here.
    mkdir("/run/sshd", 0755);
  }
  // Orphans of killed sessions come to this process to be reaped, not to a PID 1 that may not.
  prctl(PR_SET_CHILD_SUBREAPER, 1);

  const std::string log = dir_ + "/setup.log";
  identity_ = dir_ + "/id_ed25519";
  for (const auto& [file, comment] :
       {std::pair<std::string, std::string>{"host_ed25519", "host"}, {"id_ed25519", "user"}}) {
    const std::string path = dir_ + "/" + file;
    if (access(path.c_str(), R_OK) == 0) continue;
    if (run_quiet({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "orch-test-" + comment,
                   "-f", path},
                  log) != 0) {
      *error = "ssh-keygen failed: " + read_file(log);
      return false;
    }
  }
  if (!write_file(dir_ + "/authorized_keys", read_file(identity_ + ".pub"), 0600)) {
    *error = "cannot write authorized_keys";
    return false;
  }
  // "ssh-ed25519 AAAA... comment" → "ALIAS ssh-ed25519 AAAA..."
  std::istringstream host_pub(read_file(dir_ + "/host_ed25519.pub"));
  std::string type, key;
  host_pub >> type >> key;
  if (!write_file(dir_ + "/known_hosts", alias_ + " " + type + " " + key + "\n", 0600)) {
    *error = "cannot write known_hosts";
    return false;
  }
  std::string last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (start_once(&last)) return true;
  }
  *error = last;
  return false;
}

bool TestSshd::start_once(std::string* error) {
  port_ = free_loopback_port();
  if (port_ == 0) {
    *error = "no free loopback port";
    return false;
  }
  std::string path;
  for (const auto& p : options_.path_prefix) path += p + ":";
  path += "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  std::ostringstream cfg;
  cfg << "Port " << port_ << "\n"
      << "ListenAddress 127.0.0.1\n"
      << "HostKey " << dir_ << "/host_ed25519\n"
      << "PidFile none\n"
      << "AuthorizedKeysFile " << dir_ << "/authorized_keys\n"
      << "AuthenticationMethods publickey\n"
      << "PubkeyAuthentication yes\n"
      << "PasswordAuthentication no\n"
      << "KbdInteractiveAuthentication no\n"
      << "PermitRootLogin prohibit-password\n"
      << "AllowUsers " << user_ << "\n"
      << "StrictModes no\n"
      << "UsePAM no\n"
      << "UseDNS no\n"
      << "PrintMotd no\n"
      << "MaxStartups " << options_.max_startups << "\n"
      << "MaxSessions 100\n"
      << "LogLevel ERROR\n"
      << "SetEnv PATH=" << path << "\n";
  const std::string config = dir_ + "/sshd_config";
  if (!write_file(config, cfg.str(), 0600)) {
    *error = "cannot write sshd_config";
    return false;
  }
  const std::string log = dir_ + "/sshd.log";
  truncate(log.c_str(), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const char* argv[] = {kSshd, "-D", "-e", "-f", config.c_str(), nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, kSshd, &actions, nullptr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    *error = std::string("cannot start sshd: ") + std::strerror(rc);
    return false;
  }
  pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      *error = "sshd exited at start: " + read_file(log);
      return false;
    }
    if (accepts(port_)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  *error = "sshd did not accept connections within 10s: " + read_file(log);
  stop();
  return false;
}

void TestSshd::stop() {
  if (pid_ <= 0) return;
  std::set<pid_t> all = descendants(pid_);
  for (pid_t p : all) kill(p, SIGKILL);
  // Reap the server, then the orphans that came to this process (a subreaper) as their
  // parents died; a process reaped by its own parent first simply disappears.
  waitpid(pid_, nullptr, 0);
  all.erase(pid_);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!all.empty() && std::chrono::steady_clock::now() < deadline) {
    auto procs = processes();
    for (auto it = all.begin(); it != all.end();) {
      auto p = procs.find(*it);
      // Gone, or a zombie that some other reaper owns.
      if (p == procs.end() ||
          (p->second.state == 'Z' && p->second.ppid != getpid() && !all.count(p->second.ppid))) {
        it = all.erase(it);
        continue;
      }
      if (p->second.ppid == getpid()) waitpid(*it, nullptr, WNOHANG);
      ++it;
    }
    if (!all.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
}

std::vector<std::pair<std::string, std::string>> TestSshd::client_options() const {
  return {
      {"HostName", "127.0.0.1"},
      {"Port", std::to_string(port_)},
      {"User", user_},
      {"HostKeyAlias", alias_},
      {"UserKnownHostsFile", dir_ + "/known_hosts"},
      {"GlobalKnownHostsFile", "/dev/null"},
      {"StrictHostKeyChecking", "yes"},
      {"IdentityFile", identity_},
      {"IdentitiesOnly", "yes"},
      {"IdentityAgent", "none"},
      {"ControlMaster", "no"},
      {"GSSAPIAuthentication", "no"},
      // The post-quantum default costs ~10x the CPU per connection: tests make hundreds.
      {"KexAlgorithms", "curve25519-sha256"},
      {"ControlPath", "none"},
      {"LogLevel", "ERROR"},
  };
}

std::string TestSshd::log() const {
  return dir_.empty() ? "" : read_file(dir_ + "/sshd.log");
}

}  // namespace orch::testing
