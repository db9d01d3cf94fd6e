// Shared flags and apply output of the planning commands.
#include "cli/run_common.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/backend_flags.h"
#include "compiler/duration.h"
#include "planner/address.h"
#include "planner/plan_json.h"
#include "planner/plan_render.h"
#include "planner/timeline_report.h"
#include "providers/registry.h"

namespace orch::cli {

void add_run_flags(CLI::App* app, RunFlags& f, bool with_dir) {
  app->add_option("--var", f.vars, "Set a variable: -var 'name=value' (repeatable)")
      ->option_text("NAME=VALUE");
  app->add_option("--var-file", f.var_files, "Read variables from a .orch or YAML file")
      ->option_text("FILE");
  app->add_option("--target", f.targets, "Limit to this resource and what it depends on")
      ->option_text("ADDRESS");
  app->add_option("--replace", f.replace, "Replace this instance even if it has no changes")
      ->option_text("ADDRESS");
  app->add_option("--refresh", f.refresh, "Read live objects before planning (default true)")
      ->option_text("BOOL");
  app->add_option("--lock", f.lock, "Lock the state while running (default true)")
      ->option_text("BOOL");
  app->add_option("--parallelism", f.parallelism, "Operations in flight at once (0: no limit)")
      ->option_text("N");
  // A flag that may take a value: -simulate, -simulate=true, -simulate=false.
  app->add_option_function<std::string>(
         "--simulate",
         [&f](const std::string& v) {
           f.simulate = !(v == "false" || v == "0" || v == "no" || v == "off");
         },
         "Rehearse on a virtual clock with simulated twins of every provider and a state of its "
         "own under .orch/simulate/ (see docs/simulation.md); -simulate=false runs even the sim "
         "provider on the real clock")
      ->expected(0, 1)
      ->check(CLI::IsMember({"true", "false", "1", "0", "yes", "no", "on", "off"}))
      ->default_str("true")
      ->option_text("[=BOOL]");
  app->add_option("--simulate-profile", f.simulate_profile,
                  "YAML simulation profile: durations, failure rates, seed (implies -simulate)")
      ->option_text("FILE");
  app->add_option("--simulate-seed", f.simulate_seed,
                  "Seed of the simulation's randomness (implies -simulate)")
      ->option_text("N")
      ->check(CLI::NonNegativeNumber);
  add_backend_config_flag(app, f.backend_config);
  if (with_dir) app->add_option("dir", f.dir, "The configuration directory (default .)");
}

RunOptions run_options(const RunFlags& f) {
  static const SchemaRegistry schemas = builtin_schemas();
  RunOptions o;
  o.dir = f.dir;
  o.var_inputs.vars = f.vars;
  o.var_inputs.var_files = f.var_files;
  o.var_inputs.env = environment_variables();
  o.targets = f.targets;
  o.replace = f.replace;
  o.refresh = f.refresh;
  o.lock = f.lock;
  o.parallelism = f.parallelism;
  o.simulate = f.simulate.value_or(false) || !f.simulate_profile.empty() || f.simulate_seed >= 0;
  o.real_clock = f.simulate == false && !o.simulate;
  o.simulate_profile = f.simulate_profile;
  if (f.simulate_seed >= 0) o.simulate_seed = static_cast<uint64_t>(f.simulate_seed);
  o.backend_config = parse_backend_config(f.backend_config);
  o.make_provider = [](const std::string& name) { return make_provider(name); };
  o.schemas = &schemas;
  return o;
}

void print_session_diagnostics(Session& s, const GlobalOptions& global) {
  if (!s.diags().empty()) print_diagnostics(s.diags(), s.sources(), global);
}

ApplyPrinter::ApplyPrinter(const GlobalOptions& global, bool simulated)
    : tty_(::isatty(STDOUT_FILENO) != 0 && !global.json),
      json_(global.json),
      color_(use_color(global, stdout)),
      simulated_(simulated) {}

static std::string verb_done(const std::string& op) {
  if (op == "create") return "Creation complete";
  if (op == "update") return "Modifications complete";
  if (op == "delete") return "Destruction complete";
  if (op == "read") return "Read complete";
  return "Complete";
}
static std::string verb_failed(const std::string& op) {
  if (op == "create") return "Creation failed";
  if (op == "update") return "Modifications failed";
  if (op == "delete") return "Destruction failed";
  if (op == "read") return "Read failed";
  return "Failed";
}

void ApplyPrinter::operator()(const ApplyEvent& e) {
  if (json_) {
    nlohmann::json j;
    switch (e.kind) {
      case ApplyEvent::Kind::Started:
        j["type"] = "apply_start";
        break;
      case ApplyEvent::Kind::Retrying:
        j["type"] = "apply_retry";
        break;
      case ApplyEvent::Kind::Finished:
        j["type"] = "apply_" + e.status;
        break;
      case ApplyEvent::Kind::Status:
        j["type"] = "progress";
        j["done"] = e.done;
        j["in_flight"] = e.running;
        j["waiting"] = e.waiting;
        j["failed"] = e.failed;
        break;
      case ApplyEvent::Kind::Expanded:
        j["type"] = "apply_expanded";
        break;
      case ApplyEvent::Kind::Interrupted:
        j["type"] = "interrupt";
        j["in_flight"] = e.running;
        break;
    }
    if (!e.address.empty()) j["address"] = e.address;
    if (!e.op.empty()) j["action"] = e.op;
    if (!e.id.empty()) j["id"] = e.id;
    if (!e.message.empty()) j["message"] = e.message;
    j["elapsed_ms"] = e.at.count();
    if (e.kind == ApplyEvent::Kind::Finished) j["took_ms"] = e.took.count();
    std::cout << j.dump() << "\n";
    return;
  }
  if (e.kind == ApplyEvent::Kind::Status) {
    if (!tty_) return;
    // At most ten redraws a second: a simulated apply finishes thousands of steps per second.
    auto now = std::chrono::steady_clock::now();
    if (status_shown_ && now - last_status_ < std::chrono::milliseconds(100)) {
      pending_status_ = e;
      return;
    }
    draw_status(e);
    return;
  }
  std::string line;
  if (e.kind == ApplyEvent::Kind::Started) {
    return;  // finished lines carry the information; starts would double the output
  } else if (e.kind == ApplyEvent::Kind::Expanded) {
    line = e.address + ": " + e.message;
  } else if (e.kind == ApplyEvent::Kind::Interrupted) {
    line = color_ ? "\x1b[1;33m" + e.message + "\x1b[0m" : e.message;
  } else if (e.kind == ApplyEvent::Kind::Retrying) {
    line = e.address + ": retrying in " + format_duration(e.took) + " (" + e.message + ")";
  } else if (e.status == "done") {
    line = e.address + ": " + verb_done(e.op) + " after " + format_duration(e.took);
    if (!e.id.empty()) line += " [id=" + e.id + "]";
  } else if (e.status == "failed") {
    line = e.address + ": " + verb_failed(e.op) + " after " + format_duration(e.took) + ": " +
           e.message;
    if (color_) line = "\x1b[31m" + line + "\x1b[0m";
  } else {
    return;  // skipped/abandoned: listed in the summary
  }
  if (tty_ && status_shown_) std::cout << "\r\x1b[K";
  std::cout << line << "\n";
  if (tty_ && status_shown_) {
    draw_status(pending_status_ ? *pending_status_ : last_drawn_);  // keep the line under the log
  } else {
    std::cout << std::flush;
  }
}

void ApplyPrinter::draw_status(const ApplyEvent& e) {
  std::cout << "\r\x1b[K" << (simulated_ ? "[simulated " : "[") << format_duration(e.at) << "] "
            << e.done << " done, " << e.running << " in flight, " << e.waiting << " waiting";
  if (e.failed > 0) std::cout << ", " << e.failed << " failed";
  std::cout << std::flush;
  status_shown_ = true;
  last_drawn_ = e;
  pending_status_.reset();
  last_status_ = std::chrono::steady_clock::now();
}

void ApplyPrinter::finish() {
  if (tty_ && status_shown_) std::cout << "\r\x1b[K" << std::flush;
  status_shown_ = false;
}

int print_apply_summary(const ApplySummary& s, bool destroy, const GlobalOptions& global) {
  bool color = use_color(global, stdout);
  auto paint = [&](const std::string& t, const char* c) {
    return color ? std::string(c) + t + "\x1b[0m" : t;
  };
  if (global.json) {
    nlohmann::json j;
    j["type"] = "summary";
    j["added"] = s.added;
    j["changed"] = s.changed;
    j["adopted"] = s.adopted;
    j["destroyed"] = s.destroyed;
    j["ok"] = s.ok();
    j["interrupted"] = s.interrupted;
    nlohmann::json failed = nlohmann::json::array(), skipped = nlohmann::json::array();
    for (const auto& [a, why] : s.failed) failed.push_back({{"address", a}, {"error", why}});
    for (const auto& [a, why] : s.skipped) skipped.push_back({{"address", a}, {"reason", why}});
    j["done"] = s.done;
    j["failed"] = failed;
    j["skipped"] = skipped;
    j["makespan_ms"] = s.makespan.count();
    j["lower_bound_ms"] = s.lower_bound.count();
    j["simulated"] = s.simulated;
    nlohmann::json cp = nlohmann::json::array();
    for (const auto& [a, d] : s.critical_path)
      cp.push_back({{"address", a}, {"took_ms", d.count()}});
    j["critical_path"] = cp;
    if (!s.timeline_file.empty()) j["timeline_file"] = s.timeline_file;
    nlohmann::json outs = nlohmann::json::object();
    for (const auto& [n, v] : s.outputs)
      outs[n] = v.contains_sensitive()
                    ? nlohmann::json{{"sensitive", true}}
                    : nlohmann::json{{"sensitive", false}, {"value", value_to_plain_json(v)}};
    j["outputs"] = outs;
    std::cout << j.dump() << "\n";
    return s.ok() ? kExitOk : kExitError;
  }
  std::cout << "\n";
  if (s.ok()) {
    std::string head = destroy ? "Destroy complete!" : "Apply complete!";
    std::cout << paint(head, "\x1b[1;32m") << " Resources: ";
    if (destroy)
      std::cout << s.destroyed << " destroyed.\n";
    else
      std::cout << (s.adopted ? std::to_string(s.adopted) + " adopted, " : "") << s.added
                << " added, " << s.changed << " changed, " << s.destroyed << " destroyed.\n";
  } else {
    std::cout << paint(s.interrupted ? "Apply interrupted." : "Apply failed.", "\x1b[1;31m")
              << " Resources: " << (s.adopted ? std::to_string(s.adopted) + " adopted, " : "")
              << s.added << " added, " << s.changed << " changed, " << s.destroyed << " destroyed; "
              << s.failed.size() << " failed, " << s.skipped.size() << " skipped.\n";
    for (const auto& [a, why] : s.failed) std::cout << "  failed:  " << a << ": " << why << "\n";
    for (const auto& [a, why] : s.skipped) std::cout << "  skipped: " << a << " (" << why << ")\n";
    if (!s.done.empty()) {
      // Sorted by address; a long list is cut (every finished step had its line above).
      std::vector<std::string> done = s.done;
      std::sort(done.begin(), done.end(), [](const std::string& a, const std::string& b) {
        auto pa = parse_address(a), pb = parse_address(b);
        if (pa.ok() && pb.ok()) return *pa.address < *pb.address;
        return a < b;
      });
      std::cout << "  done:    ";
      const size_t shown = std::min<size_t>(done.size(), 20);
      for (size_t i = 0; i < shown; ++i) std::cout << (i ? ", " : "") << done[i];
      if (done.size() > shown) std::cout << " and " << done.size() - shown << " more";
      std::cout << "\n";
    }
  }
  if (s.simulated && (s.makespan.count() > 0 || !s.critical_path.empty())) {
    std::cout << "\nSimulated makespan: " << short_duration(s.makespan.count())
              << " (virtual clock";
    if (s.timeline.seed) std::cout << ", seed " << s.timeline.seed;
    std::cout << ")\n";
    // The critical path with times, what held steps back, failures and what they blocked.
    TimelineReportOptions ro;
    ro.color = color;
    std::cout << render_timeline_report(s.timeline, ro);
  }
  if (!s.timeline_file.empty() && !s.timeline.steps.empty())
    std::cout << "\nTimeline: "
              << std::filesystem::path(s.timeline_file).lexically_normal().string()
              << " (draw it with: orch show -timeline "
              << "timeline.svg"
              << (s.timeline_file.find("/simulate/") != std::string::npos ? " -simulate" : "")
              << ")\n";
  if (!s.outputs.empty()) {
    std::cout << "\nOutputs:\n\n";
    for (const auto& [n, v] : s.outputs) std::cout << n << " = " << render_value_inline(v) << "\n";
  }
  return s.ok() ? kExitOk : kExitError;
}

}  // namespace orch::cli
