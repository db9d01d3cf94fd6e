// The ec2 provider's schema: provider configuration, ec2_instance and ec2_security_group
// (see docs/ec2-provider.md). Force-new follows the API: what EC2 cannot change on an existing
// instance or group replaces it; what it can (type, user data, groups, tags, rules) is updated.
#include "providers/ec2/ec2_provider.h"
#include "providers/schema_attributes.h"

namespace orch {

namespace {

// Set by the user or, when left out, by EC2 (the default subnet, the VPC's default group).
AttributeSchema optional_computed(std::string name, Type type, std::string d, bool force_new) {
  AttributeSchema a =
      optional_attr(std::move(name), std::move(type), std::nullopt, std::move(d), force_new);
  a.computed = true;
  return a;
}

Schema rule_schema(const char* direction) {
  const Type str = Type::string();
  Schema r;
  r.description = std::string("One ") + direction +
                  " rule: a protocol, a port range and the IPv4 CIDR blocks it applies to.";
  r.attributes = {
      required_attr("protocol", str,
                    "\"tcp\", \"udp\", \"icmp\" or \"-1\" (also \"all\": every protocol)."),
      optional_attr("from_port", Type::number(), Value::number(int64_t{0}),
                    "First port (ICMP type); ignored for protocol -1."),
      optional_attr("to_port", Type::number(), Value::number(int64_t{0}),
                    "Last port (ICMP code); ignored for protocol -1."),
      optional_attr("cidr_blocks", Type::list(str), Value::list({}, str), "IPv4 CIDR blocks."),
      optional_attr("description", str, Value::string(""), "Description of the rule."),
  };
  return r;
}

}  // namespace

ProviderSchema ec2_schema() {
  const Type str = Type::string();
  const Type num = Type::number();
  ProviderSchema p;
  p.name = "ec2";
  p.config.description =
      "Amazon EC2 or an EC2-compatible cloud through the EC2 Query API, signed with SigV4. "
      "Credentials come from the environment or the shared AWS files.";
  p.config.attributes = {
      optional_attr("region", str, std::nullopt,
                    "Region (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's region)."),
      optional_attr("endpoint", str, std::nullopt,
                    "Endpoint URL (default https://ec2.REGION.amazonaws.com): for EC2-compatible "
                    "clouds and tests."),
      optional_attr("profile", str, std::nullopt,
                    "Profile of ~/.aws/credentials and ~/.aws/config (default: AWS_PROFILE or "
                    "\"default\"); when set, keys in the environment are not used."),
      optional_attr("max_requests_per_second", num, Value::number(int64_t{20}),
                    "Token-bucket limit on API requests (0: unlimited). Throttled requests "
                    "(RequestLimitExceeded) are retried with jittered backoff."),
      optional_attr("poll_interval", str, Value::string("5s"),
                    "How often instance states are polled (one DescribeInstances for all waiting "
                    "instances) while waiting for running, stopped or terminated."),
      optional_attr("wait_timeout", str, Value::string("15m"),
                    "How long to wait for an instance to reach running, stopped or terminated."),
      optional_attr("ca_file", str, std::nullopt, "PEM bundle of CAs to trust for the endpoint."),
  };

  Schema inst;
  inst.description =
      "An EC2 instance. Created with an idempotency token and tagged orch:stack / orch:address, "
      "so an interrupted create is found again instead of duplicated. Done when running.";
  inst.attributes = {
      required_attr("image_id", str, "AMI id.", true),
      required_attr("instance_type", str,
                    "Instance type; a change stops the instance, modifies it and starts it again."),
      optional_computed("subnet_id", str, "Subnet (default: the default subnet).", true),
      optional_computed("security_group_ids", Type::set(str),
                        "Security group ids; changed in place.", false),
      optional_attr("key_name", str, std::nullopt, "Key pair name.", true),
      optional_attr("user_data", str, std::nullopt,
                    "User data (plain text; sent base64-encoded). Sensitive: never shown. A change "
                    "stops the instance, modifies it and starts it again.",
                    false),
      optional_attr("iam_instance_profile", str, std::nullopt,
                    "IAM instance profile name (or ARN). A change replaces the instance.", true),
      optional_attr("tags", Type::map(str), Value::map({}, str),
                    "Tags; changed in place. Keys starting with \"orch:\" are reserved."),
      optional_attr("root_volume_size", num, std::nullopt,
                    "Size of the root EBS volume in GiB (default: the image's). A change replaces "
                    "the instance.",
                    true),
      computed_attr("id", str, "Instance id (i-…)."),
      computed_attr("private_ip", str, "Primary private IPv4 address."),
      computed_attr("private_dns", str, "Private DNS name."),
      computed_attr("public_ip", str, "Public IPv4 address, if any (changes on stop/start)."),
      computed_attr("state", str,
                    "pending, running, stopping, stopped, shutting-down, terminated."),
      computed_attr("launch_time", str, "When the instance was launched (RFC 3339)."),
  };
  for (auto& a : inst.attributes)
    if (a.name == "user_data") a.sensitive = true;
  // Under -simulate (providers/simtwin): launch to running in about a minute.
  inst.simulation.latency = {{"create", "lognormal(60s, 0.3)"},
                             {"update", "lognormal(90s, 0.3)"},
                             {"delete", "lognormal(45s, 0.3)"}};
  inst.simulation.templates = {{"state", "running"}};
  inst.simulation.id_prefix = "i-";
  p.resources["ec2_instance"] = inst;

  Schema sg;
  sg.description =
      "A VPC security group with ingress and egress rules; rules are changed in place (revoked "
      "and authorized one by one). The declared egress rules are all the egress there is: "
      "declare egress { protocol = \"-1\", cidr_blocks = [\"0.0.0.0/0\"] } to keep EC2's "
      "default allow-all.";
  sg.attributes = {
      required_attr("name", str, "Group name (unique in its VPC).", true),
      optional_attr("description", str, Value::string("Managed by orch"), "Group description.",
                    true),
      optional_computed("vpc_id", str, "VPC (default: the default VPC).", true),
      optional_attr("tags", Type::map(str), Value::map({}, str), "Tags; changed in place."),
      computed_attr("id", str, "Group id (sg-…)."),
  };
  BlockSchema ingress{"ingress", BlockNesting::Set, rule_schema("ingress"), 0, 0};
  BlockSchema egress{"egress", BlockNesting::Set, rule_schema("egress"), 0, 0};
  sg.blocks = {ingress, egress};
  sg.simulation.id_prefix = "sg-";
  p.resources["ec2_security_group"] = sg;
  return p;
}

}  // namespace orch
