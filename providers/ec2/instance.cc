// EC2 instance parsing and attribute mapping (see instance.h).
#include "providers/ec2/instance.h"

#include <algorithm>

namespace orch::ec2 {

std::string Instance::tag(const std::string& key) const {
  auto it = tags.find(key);
  return it == tags.end() ? "" : it->second;
}

Instance parse_instance(const pugi::xml_node& n) {
  Instance i;
  i.id = n.child_value("instanceId");
  i.state = n.child("instanceState").child_value("name");
  i.image_id = n.child_value("imageId");
  i.instance_type = n.child_value("instanceType");
  i.subnet_id = n.child_value("subnetId");
  i.vpc_id = n.child_value("vpcId");
  i.key_name = n.child_value("keyName");
  i.private_ip = n.child_value("privateIpAddress");
  i.private_dns = n.child_value("privateDnsName");
  i.public_ip = n.child_value("ipAddress");
  i.public_dns = n.child_value("dnsName");
  i.iam_instance_profile_arn = n.child("iamInstanceProfile").child_value("arn");
  i.client_token = n.child_value("clientToken");
  i.launch_time = n.child_value("launchTime");
  i.state_reason = n.child("stateReason").child_value("message");
  for (pugi::xml_node g : n.child("groupSet").children("item"))
    i.security_group_ids.push_back(g.child_value("groupId"));
  std::sort(i.security_group_ids.begin(), i.security_group_ids.end());
  for (pugi::xml_node t : n.child("tagSet").children("item"))
    i.tags[t.child_value("key")] = t.child_value("value");
  return i;
}

std::vector<Instance> parse_instances(const pugi::xml_node& root) {
  std::vector<Instance> out;
  // RunInstances: instancesSet at the top; DescribeInstances: inside each reservation.
  for (pugi::xml_node item : root.child("instancesSet").children("item"))
    out.push_back(parse_instance(item));
  for (pugi::xml_node r : root.child("reservationSet").children("item"))
    for (pugi::xml_node item : r.child("instancesSet").children("item"))
      out.push_back(parse_instance(item));
  return out;
}

std::map<std::string, std::string> user_tags(const std::map<std::string, std::string>& tags) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : tags)
    if (k.rfind(kTagPrefix, 0) != 0) out[k] = v;
  return out;
}

ValueMap instance_attributes(const Instance& inst) {
  const Type str = Type::string();
  auto s = [&](const std::string& v) { return v.empty() ? Value::null(str) : Value::string(v); };
  ValueMap a;
  a["id"] = Value::string(inst.id);
  a["image_id"] = Value::string(inst.image_id);
  a["instance_type"] = Value::string(inst.instance_type);
  a["subnet_id"] = s(inst.subnet_id);
  a["key_name"] = s(inst.key_name);
  ValueList groups;
  for (const auto& g : inst.security_group_ids) groups.push_back(Value::string(g));
  a["security_group_ids"] = Value::set(std::move(groups), str);
  ValueMap tags;
  for (const auto& [k, v] : user_tags(inst.tags)) tags[k] = Value::string(v);
  a["tags"] = Value::map(std::move(tags), str);
  a["private_ip"] = s(inst.private_ip);
  a["private_dns"] = s(inst.private_dns);
  a["public_ip"] = s(inst.public_ip);
  a["state"] = Value::string(inst.state);
  a["launch_time"] = s(inst.launch_time);
  // Not returned by DescribeInstances: recorded in orch's tags at launch (user data as its
  // digest, never its text), so adopted instances compare like created ones.
  std::string ud = inst.tag(kUserDataTag);
  a["user_data"] = ud.empty() ? Value::null(str) : Value::string("sha256:" + ud);
  std::string size = inst.tag(kRootVolumeTag);
  a["root_volume_size"] = Value::null(Type::number());
  if (!size.empty() && size.find_first_not_of("0123456789") == std::string::npos &&
      size.size() < 10)
    a["root_volume_size"] = Value::number(static_cast<int64_t>(std::stoll(size)));
  const std::string& arn = inst.iam_instance_profile_arn;
  a["iam_instance_profile"] =
      arn.empty() ? Value::null(str) : Value::string(arn.substr(arn.rfind('/') + 1));
  return a;
}

}  // namespace orch::ec2
