// The ssh provider's schema: provider settings, the `ssh_command` resource and the `ssh` gate
// (see docs/ssh-provider.md).
#include "providers/schema_attributes.h"
#include "providers/ssh/ssh_provider.h"

namespace orch {

ProviderSchema ssh_schema() {
  const Type str = Type::string();
  const Type num = Type::number();
  ProviderSchema p;
  p.name = "ssh";
  p.config.description =
      "Runs commands on hosts with the OpenSSH client (ssh), as the user running orch: "
      "~/.ssh/config, the agent, ProxyJump and known_hosts apply.";
  p.config.attributes = {
      optional_attr("user", str, std::nullopt,
                    "Remote user (ssh -l); default: ~/.ssh/config's, else the local user."),
      optional_attr("port", num, std::nullopt,
                    "Remote port (ssh -p); default: ~/.ssh/config's or 22."),
      optional_attr("identity_file", str, std::nullopt,
                    "Private key file (ssh -i), tried besides the agent's keys."),
      optional_attr("options", Type::map(str), Value::map({}, str),
                    "ssh_config options passed as -o Key=Value; they take precedence over orch's "
                    "defaults (BatchMode=yes, ConnectTimeout, ServerAliveInterval=15)."),
      optional_attr("max_sessions", num, Value::number(int64_t{64}),
                    "At most this many ssh processes of this provider at once."),
      optional_attr("connect_timeout", str, Value::string("10s"),
                    "How long ssh may take to connect (ConnectTimeout), a duration."),
  };

  Schema command;
  command.description =
      "Runs a command on hosts over ssh (under /bin/sh there). It runs when created, again on "
      "every host when command, sudo or triggers change, and on added hosts when hosts grow; "
      "otherwise it is unchanged in the plan. Done when it succeeded on every host, or on all "
      "but max_failures.";
  command.attributes = {
      required_attr("hosts", Type::list(str),
                    "Hosts to run on, as ssh destinations (names from ~/.ssh/config, DNS names, "
                    "addresses; user@host works)."),
      required_attr("command", str, "The command, run by /bin/sh -c on each host."),
      optional_attr("sudo", Type::boolean(), Value::boolean(false),
                    "Run it through sudo -n (no password prompt: it fails if sudo wants one)."),
      optional_attr("triggers", Type::map(Type::any()), Value::map({}, Type::any()),
                    "Values of any type (strings, lists, maps); when one changes, the command runs "
                    "again on every host."),
      optional_attr("max_failures", num, Value::number(int64_t{0}),
                    "How many hosts may fail with the step still done; past it, hosts not yet "
                    "started are not started."),
      optional_attr(
          "timeout", str, Value::string("30m"),
          "Time limit of each host's run, ssh included (a duration); past it the run fails."),
      computed_attr("id", str, "An identifier of the step."),
      computed_attr("runs", num, "How many times the step has run."),
      computed_attr(
          "exit_codes", Type::map(num),
          "Each host's exit code of its last run; 255 when ssh failed, -1 when it did not "
          "exit (time limit) or was not started."),
  };
  command.simulation.counters = {{"runs", ""}};  // under -simulate (providers/simtwin)
  p.resources["ssh_command"] = command;

  p.gates = {{"ssh", str,
              "Holds when the host accepts an ssh session with the provider's settings (runs "
              "`true` there)."}};
  return p;
}

}  // namespace orch
