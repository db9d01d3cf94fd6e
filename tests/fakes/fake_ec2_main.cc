// build/fake_ec2: the fake EC2 endpoint as a process, for CLI tests, benchmarks and trying orch
// by hand. Prints "listening on URL" once ready; stops on SIGINT/SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "tests/fakes/fake_ec2.h"

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: fake_ec2 [--port N] [--region R] [--key ID:SECRET[:SESSION_TOKEN]]...\n"
               "                [--pending-ms N] [--stopping-ms N] [--terminating-ms N]\n"
               "                [--visibility-ms N] [--rate R] [--burst B] [--clock-offset-ms N]\n"
               "                [--faults SPEC] [--seed N --seed-stack S --seed-prefix ADDR]\n");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace orch::fakes;
  FakeEc2Options o;
  uint16_t port = 0;
  std::string faults, seed_stack = "seed", seed_prefix = "ec2_instance.seed";
  int seed = 0;
  bool keys_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    auto ms = [&]() { return std::chrono::milliseconds(std::atoll(next().c_str())); };
    if (a == "--port")
      port = static_cast<uint16_t>(std::atoi(next().c_str()));
    else if (a == "--region")
      o.region = next();
    else if (a == "--key") {
      std::string v = next();
      size_t c1 = v.find(':');
      if (c1 == std::string::npos) {
        usage();
        return 2;
      }
      size_t c2 = v.find(':', c1 + 1);
      if (!keys_given) o.keys.clear();
      keys_given = true;
      o.keys[v.substr(0, c1)] =
          FakeEc2Key{v.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1),
                     c2 == std::string::npos ? "" : v.substr(c2 + 1)};
    } else if (a == "--pending-ms")
      o.pending = ms();
    else if (a == "--stopping-ms")
      o.stopping = ms();
    else if (a == "--terminating-ms")
      o.shutting_down = ms();
    else if (a == "--visibility-ms")
      o.visibility = ms();
    else if (a == "--clock-offset-ms")
      o.clock_offset = ms();
    else if (a == "--rate")
      o.rate = std::atof(next().c_str());
    else if (a == "--burst")
      o.burst = std::atof(next().c_str());
    else if (a == "--faults")
      faults = next();
    else if (a == "--seed")
      seed = std::atoi(next().c_str());
    else if (a == "--seed-stack")
      seed_stack = next();
    else if (a == "--seed-prefix")
      seed_prefix = next();
    else {
      usage();
      return 2;
    }
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // the server's thread inherits the mask
  FakeEc2Server server(o, port);
  if (!faults.empty()) {
    std::string err;
    auto f = parse_faults(faults, &err);
    if (!f) {
      std::fprintf(stderr, "fake_ec2: --faults: %s\n", err.c_str());
      return 2;
    }
    server.http().set_faults(*f);
  }
  if (seed > 0) server.ec2().seed_instances(seed, seed_stack, seed_prefix);
  std::cout << "listening on " << server.url() << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  server.http().stop();
  return 0;
}
