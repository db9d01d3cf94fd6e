// A stand-in chef-client for tests and benchmarks that run converges over ssh against the fake
// Chef Server: run in an ssh session with ORCH_NODE set, it saves that node through the fake's
// control endpoint (POST /_fake/chef/save: automatic attributes, ohai_time = now), unless files
// in CTL_DIR say otherwise: fail-NODE (exits 1 with a FATAL line), hang-NODE (prints progress
// forever), nosave-NODE (exits 0 without saving). Each run appends "NODE USER" to CTL_DIR/runs.
#pragma once

#include <string>

namespace orch::testing {

// The script's text; `port` is the fake Chef Server's.
inline std::string stand_in_chef_client(const std::string& ctl, int port) {
  return R"SH(#!/bin/bash
# A stand-in chef-client for orch's tests.
node="${ORCH_NODE:?ORCH_NODE is not set}"
ctl=)SH" +
         ctl + R"SH(
echo "Starting Chef Infra Client (stand-in) on $node with: $*"
echo "$node $(id -un)" >> "$ctl/runs"
if [ -e "$ctl/fail-$node" ]; then
  echo "Compiling cookbooks..."
  echo "FATAL: Chef::Exceptions::ResourceNotFound on $node" >&2
  exit 1
fi
if [ -e "$ctl/hang-$node" ]; then
  while :; do echo "converging $node..."; sleep 0.2; done
fi
if [ -e "$ctl/nosave-$node" ]; then echo "finished without saving"; exit 0; fi
body="{\"node\":\"$node\",\"automatic\":{\"fqdn\":\"$node.example.com\"},\"ohai_time\":$(date +%s.%N)}"
exec 3<>/dev/tcp/127.0.0.1/)SH" +
         std::to_string(port) + R"SH( || exit 2
printf 'POST /_fake/chef/save HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' "${#body}" "$body" >&3
read -r status <&3
case "$status" in *" 200 "*) ;; *) echo "saving the node failed: $status" >&2; exit 3 ;; esac
echo "Chef Infra Client finished, 4/12 resources updated"
)SH";
}

}  // namespace orch::testing
