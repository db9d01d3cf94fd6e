// Acceptance test of the ec2 provider against a real EC2-compatible endpoint. Runs only when
// ORCH_ACC_EC2_ENDPOINT is set, with credentials as AWS tools find them, and ORCH_ACC_EC2_IMAGE
// (an AMI in that region). Optional: ORCH_ACC_EC2_REGION (default us-east-1),
// ORCH_ACC_EC2_TYPE (default t3.micro), ORCH_ACC_EC2_SUBNET. It creates ONE instance, tagged
// orch:stack=orch-acceptance, and terminates it. See docs/ec2-provider.md.
#include <gtest/gtest.h>

#include <cstdlib>

#include "planner/real_clock.h"
#include "planner/state.h"
#include "providers/ec2/ec2_provider.h"

namespace orch {
namespace {

std::string env(const char* name, const std::string& def = "") {
  const char* v = std::getenv(name);
  return v && *v ? v : def;
}

TEST(Ec2Acceptance, CreateReadTagTerminateOneInstance) {
  if (env("ORCH_ACC_EC2_ENDPOINT").empty() || env("ORCH_ACC_EC2_IMAGE").empty())
    GTEST_SKIP() << "set ORCH_ACC_EC2_ENDPOINT, ORCH_ACC_EC2_IMAGE and AWS credentials to run the "
                    "EC2 acceptance test (it creates and terminates one instance)";
  RealClock clock;
  Ec2Provider p;
  ProviderContext ctx;
  ctx.clock = &clock;
  ctx.stack = "orch-acceptance";
  ctx.state_lineage = new_uuid();
  ValueMap cfg{{"endpoint", Value::string(env("ORCH_ACC_EC2_ENDPOINT"))},
               {"region", Value::string(env("ORCH_ACC_EC2_REGION", "us-east-1"))},
               {"poll_interval", Value::string("5s")},
               {"max_requests_per_second", Value::number(int64_t{5})}};
  Diagnostics d;
  p.configure(cfg, ctx, d);
  ASSERT_FALSE(d.has_errors()) << d.list()[0].summary << ": " << d.list()[0].detail;

  ValueMap config{{"image_id", Value::string(env("ORCH_ACC_EC2_IMAGE"))},
                  {"instance_type", Value::string(env("ORCH_ACC_EC2_TYPE", "t3.micro"))},
                  {"tags", Value::object({{"Name", Value::string("orch-acceptance")}})}};
  if (!env("ORCH_ACC_EC2_SUBNET").empty())
    config["subnet_id"] = Value::string(env("ORCH_ACC_EC2_SUBNET"));
  const std::string address = "ec2_instance.acceptance";
  PlanResponse plan = p.plan({"ec2_instance", address, std::nullopt, config});
  ASSERT_FALSE(plan.diagnostics.has_errors());
  auto run = [&](ChangeAction a, std::optional<ObjectState> prior, ValueMap planned) {
    ApplyRequest req{"ec2_instance",
                     address,
                     a,
                     prior,
                     std::move(planned),
                     ctx.state_lineage + "/" + address + "#0",
                     {}};
    ApplyResult out;
    p.apply(req, [&](ApplyResult r) { out = std::move(r); });
    clock.run();
    return out;
  };
  ApplyResult created = run(ChangeAction::Create, std::nullopt, plan.planned);
  ASSERT_FALSE(created.error) << created.error->summary << "\n" << created.error->detail;
  ASSERT_TRUE(created.object);
  // Whatever happens next, terminate it.
  struct Cleanup {
    std::function<void()> fn;
    ~Cleanup() { fn(); }
  } cleanup{[&] { run(ChangeAction::Delete, created.object, {}); }};

  // The same token again finds the same instance.
  ApplyResult again = run(ChangeAction::Create, std::nullopt, plan.planned);
  ASSERT_FALSE(again.error);
  EXPECT_EQ(again.object->id, created.object->id);

  ReadResult read;
  p.read_many("ec2_instance", {{address, created.object->id, created.object->attributes}},
              [&](ReadResult r) { read = std::move(r); });
  clock.run();
  ASSERT_FALSE(read.error) << read.error->summary;
  ASSERT_EQ(read.objects.count(address), 1u);
  EXPECT_EQ(read.objects[address].id, created.object->id);

  config["tags"] =
      Value::object({{"Name", Value::string("orch-acceptance")}, {"step", Value::string("2")}});
  PlanResponse update = p.plan({"ec2_instance", address, created.object, config});
  ApplyResult tagged = run(ChangeAction::Update, created.object, update.planned);
  ASSERT_FALSE(tagged.error) << tagged.error->summary;
  EXPECT_EQ(tagged.object->attributes.at("tags").attributes().at("step").as_string(), "2");
}

}  // namespace
}  // namespace orch
