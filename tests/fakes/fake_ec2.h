// A fake EC2 Query API endpoint for tests and benchmarks, following the published API: SigV4
// verified on every request (AuthFailure, SignatureDoesNotMatch, RequestExpired,
// IncompleteSignature, MissingAuthenticationToken), the documented XML shapes and namespace, and
// the behaviours clients must cope with: ClientToken idempotency (same token and parameters: the
// same instance; other parameters: IdempotentParameterMismatch), instance states on timers
// (pending→running, stopping→stopped, shutting-down→terminated), eventual consistency (new ids
// invisible to Describe* for a while) and throttling (RequestLimitExceeded, HTTP 503).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "tests/fakes/http_server.h"

namespace orch::fakes {

struct FakeEc2Key {
  std::string secret;
  std::string session_token;  // required (X-Amz-Security-Token) when set
};

struct FakeEc2Options {
  std::string region = "us-east-1";
  std::map<std::string, FakeEc2Key> keys = {{"AKIDFAKEEC2", {"fake/secret/key", ""}}};
  std::chrono::milliseconds pending{1000};       // pending → running
  std::chrono::milliseconds stopping{500};       // stopping → stopped
  std::chrono::milliseconds shutting_down{500};  // shutting-down → terminated
  std::chrono::milliseconds visibility{0};       // new ids invisible to Describe* this long
  std::chrono::milliseconds terminated_retention{std::chrono::hours(1)};
  double rate = 0;   // requests per second before RequestLimitExceeded; 0: no throttling
  double burst = 0;  // bucket size (default: rate)
  std::chrono::milliseconds clock_offset{0};  // the fake's clock minus real time
  std::chrono::minutes max_skew{15};          // RequestExpired beyond this
};

// What tests see of an instance.
struct FakeInstanceView {
  std::string id, state, instance_type, image_id, client_token, user_data;
  std::map<std::string, std::string> tags;
  int root_volume_size = 0;
};

struct FakeEc2Stats {
  std::map<std::string, int> calls;  // accepted calls by action
  int throttled = 0, auth_failures = 0, run_instances_created = 0;
};

// One permission for one CIDR (rules are stored, authorized and revoked in these units).
struct FakeEc2Perm {
  std::string proto;
  int64_t from = 0, to = 0;
  std::string cidr, desc;
  auto key() const { return std::tie(proto, from, to, cidr); }
  bool operator<(const FakeEc2Perm& o) const { return key() < o.key(); }
};

class FakeEc2 {
 public:
  using Clock = std::chrono::system_clock;
  struct Instance {
    std::string id, reservation, image, type, subnet, vpc, key, user_data, profile, token;
    std::string private_ip, public_ip, root_device = "/dev/xvda", reason;
    std::map<std::string, std::string> tags;
    std::vector<std::string> groups;
    int root_size = 8;
    std::string state = "pending";
    Clock::time_point launched, visible_at, next_at;
    std::string next_state;  // empty: stays
  };
  struct Group {
    std::string id, name, description, vpc;
    std::map<std::string, std::string> tags;
    std::set<FakeEc2Perm> ingress, egress;
    Clock::time_point visible_at;
  };

  explicit FakeEc2(FakeEc2Options options = {});
  // Answers one API request (POST / with a form body) or a control request under /_fake/ec2/.
  HttpResponse handle(const HttpRequest& request);

  // Control (any thread).
  void set_options(const FakeEc2Options& options);
  FakeEc2Options options();
  // `count` running instances tagged orch:stack=`stack`, orch:address=`prefix`[i].
  void seed_instances(int count, const std::string& stack, const std::string& prefix);
  std::vector<FakeInstanceView> instances(bool include_terminated = false);
  FakeEc2Stats stats();

 private:
  HttpResponse control(const HttpRequest& request);
  std::optional<HttpResponse> authenticate(const HttpRequest& request, Clock::time_point now);
  bool throttle(Clock::time_point now);
  void advance(Clock::time_point now);

  std::mutex mu_;
  FakeEc2Options opt_;
  std::map<std::string, Instance> instances_;  // by id
  std::map<std::string, Group> groups_;        // by id
  struct TokenUse {
    std::string fingerprint;
    std::string reservation;
    std::vector<std::string> ids;
  };
  std::map<std::string, TokenUse> tokens_;
  FakeEc2Stats stats_;
  uint64_t next_id_ = 1, next_ip_ = 10;
  double tokens_avail_ = 0;
  Clock::time_point last_refill_{};
};

// Runs a FakeEc2 on an HttpServer (what fake_ec2_main and in-process tests use).
class FakeEc2Server {
 public:
  explicit FakeEc2Server(FakeEc2Options options = {}, uint16_t port = 0);
  FakeEc2& ec2() { return ec2_; }
  HttpServer& http() { return server_; }
  std::string url() const { return server_.url(); }

 private:
  FakeEc2 ec2_;
  HttpServer server_;
};

}  // namespace orch::fakes
