// EC2 instances as the provider sees them: parsed from the API's <item> elements
// (RunInstances, DescribeInstances), turned into the ec2_instance attributes orch stores, and
// the ownership tags orch puts on every instance.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pugixml.hpp>

#include "compiler/value.h"

namespace orch::ec2 {

// Tags orch sets on everything it creates; users cannot set tags with this prefix.
inline constexpr const char* kTagPrefix = "orch:";
inline constexpr const char* kStackTag = "orch:stack";
inline constexpr const char* kAddressTag = "orch:address";
inline constexpr const char* kUserDataTag = "orch:user-data-sha256";
inline constexpr const char* kRootVolumeTag = "orch:root-volume-size";

struct Instance {
  std::string id;
  std::string state;  // pending, running, shutting-down, terminated, stopping, stopped
  std::string image_id, instance_type, subnet_id, vpc_id, key_name;
  std::string private_ip, private_dns, public_ip, public_dns;
  std::string iam_instance_profile_arn;
  std::string client_token, launch_time, state_reason;
  std::vector<std::string> security_group_ids;  // sorted
  std::map<std::string, std::string> tags;      // all tags, orch's included

  bool gone() const { return state == "terminated" || state == "shutting-down"; }
  std::string tag(const std::string& key) const;
};

// An <item> of instancesSet.
Instance parse_instance(const pugi::xml_node& item);
// Every instance in a RunInstances or DescribeInstances response (reservations flattened).
std::vector<Instance> parse_instances(const pugi::xml_node& response_root);

// The ec2_instance attributes for `inst`. What DescribeInstances does not return comes from
// orch's tags (user_data as "sha256:<hex>", root_volume_size) or the ARN (profile name).
ValueMap instance_attributes(const Instance& inst);

// The user's tags without orch's own.
std::map<std::string, std::string> user_tags(const std::map<std::string, std::string>& tags);

}  // namespace orch::ec2
