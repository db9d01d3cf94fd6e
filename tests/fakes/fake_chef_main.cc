// build/fake_chef: the fake Chef Server (fake_chef.h) as a process, for CLI tests, benchmarks and
// trying orch by hand. Prints "fake_chef listening on URL" once it accepts requests; stops on
// SIGTERM or SIGINT.
//
//   fake_chef --client orch-ci=tests/testdata/chef/test_client.pub [--org orch] [--port 0]
//             [--port-file FILE] [--faults latency=50ms,error_rate=0.2] [--lost-replies 0.1]
//             [--tls-cert CERT --tls-key KEY]
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "tests/fakes/fake_chef.h"
#include "tests/fakes/fake_chef_push.h"

using namespace orch::fakes;

namespace {

int usage(const std::string& why) {
  std::cerr << "fake_chef: " << why << "\n"
            << "usage: fake_chef --client NAME=PUBLIC_KEY_PEM[:validator] ... [--org ORG] "
               "[--host H] [--port N] [--port-file F] [--faults SPEC] [--lost-replies RATE] "
               "[--tls-cert F --tls-key F]\n";
  return 2;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  FakeChefOptions options;
  std::vector<std::tuple<std::string, std::string, bool>> clients;
  std::string port_file, faults_spec, cert, key;
  double lost = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) return {};
      return argv[++i];
    };
    if (a == "--org") {
      options.org = value();
    } else if (a == "--host") {
      options.host = value();
    } else if (a == "--port") {
      options.port = static_cast<uint16_t>(std::atoi(value().c_str()));
    } else if (a == "--port-file") {
      port_file = value();
    } else if (a == "--faults") {
      faults_spec = value();
    } else if (a == "--lost-replies") {
      lost = std::atof(value().c_str());
    } else if (a == "--tls-cert") {
      cert = value();
    } else if (a == "--tls-key") {
      key = value();
    } else if (a == "--client") {
      std::string spec = value();
      auto eq = spec.find('=');
      if (eq == std::string::npos) return usage("--client wants NAME=PUBLIC_KEY_FILE");
      std::string file = spec.substr(eq + 1);
      bool validator = false;
      if (file.size() > 10 && file.compare(file.size() - 10, 10, ":validator") == 0) {
        validator = true;
        file.resize(file.size() - 10);
      }
      std::string pem = read_file(file);
      if (pem.empty()) return usage("cannot read " + file);
      clients.emplace_back(spec.substr(0, eq), pem, validator);
    } else {
      return usage("unknown argument " + a);
    }
  }
  if (!cert.empty() || !key.empty()) options.tls = ServerTls{cert, key};

  // Block the stop signals before the server's thread starts, so only sigwait() sees them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  FakeChef chef(options);
  for (const auto& [name, pem, validator] : clients) chef.add_client(name, pem, validator);
  if (lost > 0) chef.set_lost_reply_rate(lost);
  auto push_jobs = add_push_jobs(chef);  // Push Jobs, every node's client up by default
  if (!faults_spec.empty()) {
    std::string error;
    auto f = parse_faults(faults_spec, &error);
    if (!f) return usage("--faults: " + error);
    chef.server().set_faults(*f);
  }
  if (!port_file.empty()) {
    std::ofstream out(port_file + ".tmp");
    out << chef.server().port() << "\n";
    out.close();
    std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  }
  std::cout << "fake_chef listening on " << chef.url() << std::endl;
  int sig = 0;
  sigwait(&stop, &sig);
  chef.server().stop();
  return 0;
}
