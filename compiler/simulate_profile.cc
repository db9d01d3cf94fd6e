// Simulation profiles from `simulate { }` blocks and YAML files (see simulate_profile.h). Both
// sources go through the same per-setting checks, so they accept exactly the same things.
#include "compiler/simulate_profile.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <vector>

#include "compiler/eval.h"
#include "compiler/suggest.h"

namespace orch {

void SimRule::merge(const SimRule& over) {
  for (const auto& [op, d] : over.latency) latency[op] = d;
  if (over.fail_rate) fail_rate = over.fail_rate;
  if (over.transient_rate) transient_rate = over.transient_rate;
  if (over.gate) gate = over.gate;
}

std::optional<Distribution> SimRule::latency_of(const std::string& op) const {
  if (auto it = latency.find(op); it != latency.end()) return it->second;
  if (auto it = latency.find("duration"); it != latency.end()) return it->second;
  return std::nullopt;
}

void SimProfile::merge(const SimProfile& over) {
  if (over.seed) seed = over.seed;
  defaults.merge(over.defaults);
  for (const auto& [type, r] : over.resources) resources[type].merge(r);
  for (const auto& [name, p] : over.providers) {
    auto& mine = providers[name];
    if (p.max_concurrency) mine.max_concurrency = p.max_concurrency;
    if (p.requests_per_second) mine.requests_per_second = p.requests_per_second;
  }
}

SimRule SimProfile::rule_for(const std::string& type) const {
  SimRule r = defaults;
  auto it = resources.find(type);
  if (it == resources.end()) return r;
  // The type's `duration` beats the default's per-operation settings.
  if (it->second.latency.count("duration"))
    for (const char* op : kSimOperations) r.latency.erase(op);
  r.merge(it->second);
  return r;
}

namespace {

const std::vector<std::string>& rule_keys() {
  static const std::vector<std::string> keys = {
      "create", "update", "delete", "read", "duration", "fail_rate", "gate", "transient_rate"};
  return keys;
}

const std::vector<std::string>& provider_keys() {
  static const std::vector<std::string> keys = {"max_concurrency", "requests_per_second"};
  return keys;
}

std::string hint(std::string_view name, const std::vector<std::string>& options) {
  std::string h = did_you_mean(name, options);
  return h.empty() ? "." : h;
}

// One `key = value` of a rule (a resource type's or the defaults). `where` names the rule.
void set_rule(SimRule& rule, const std::string& key, const Value& v, const Range& at,
              const std::string& where, Diagnostics& diags) {
  const bool is_op = key == "duration" || key == "gate" ||
                     std::find(std::begin(kSimOperations), std::end(kSimOperations), key) !=
                         std::end(kSimOperations);
  if (is_op) {
    if (v.kind() != ValueKind::String) {
      diags.error(at, "Invalid simulated duration",
                  fmt::format("\"{}\" in {} must be a string such as \"90s\" or "
                              "\"lognormal(90s, 0.4)\".",
                              key, where));
      return;
    }
    std::string err;
    auto d = parse_distribution(v.as_string(), &err);
    if (!d) {
      diags.error(at, "Invalid simulated duration", err + ".");
      return;
    }
    if (key == "gate")
      rule.gate = *d;
    else
      rule.latency[key] = *d;
    return;
  }
  if (key == "fail_rate" || key == "transient_rate") {
    const double x = v.kind() == ValueKind::Number ? v.as_number().as_double() : -1;
    if (v.kind() != ValueKind::Number || !(x >= 0 && x <= 1)) {
      diags.error(
          at, "Invalid simulated failure rate",
          fmt::format("\"{}\" in {} must be a number from 0 to 1 (a probability).", key, where));
      return;
    }
    (key == "fail_rate" ? rule.fail_rate : rule.transient_rate) = x;
    return;
  }
  diags.error(at, "Unsupported simulation setting",
              fmt::format("\"{}\" is not a setting of {}; the settings are create, update, "
                          "delete, read, duration, gate, fail_rate and transient_rate{}",
                          key, where, hint(key, rule_keys())));
}

void set_provider(SimProviderRule& rule, const std::string& key, const Value& v, const Range& at,
                  const std::string& where, Diagnostics& diags) {
  const bool number = v.kind() == ValueKind::Number;
  if (key == "max_concurrency") {
    if (!number || !v.as_number().is_int || v.as_number().i < 0 || v.as_number().i > 1'000'000) {
      diags.error(
          at, "Invalid simulated provider limit",
          fmt::format("\"max_concurrency\" in {} must be a whole number (0: no limit).", where));
      return;
    }
    rule.max_concurrency = static_cast<int>(v.as_number().i);
  } else if (key == "requests_per_second") {
    if (!number || !(v.as_number().as_double() >= 0)) {
      diags.error(at, "Invalid simulated provider limit",
                  fmt::format("\"requests_per_second\" in {} must be a number, 0 or more "
                              "(0: no limit).",
                              where));
      return;
    }
    rule.requests_per_second = v.as_number().as_double();
  } else {
    diags.error(at, "Unsupported simulation setting",
                fmt::format("\"{}\" is not a setting of {}; the settings are max_concurrency and "
                            "requests_per_second{}",
                            key, where, hint(key, provider_keys())));
  }
}

void set_seed(SimProfile& p, const Value& v, const Range& at, Diagnostics& diags) {
  if (v.kind() != ValueKind::Number || !v.as_number().is_int || v.as_number().i < 0) {
    diags.error(at, "Invalid simulation seed", "\"seed\" must be a whole number, 0 or more.");
    return;
  }
  p.seed = static_cast<uint64_t>(v.as_number().i);
}

bool known_type(const SchemaRegistry* schemas, const std::string& type) {
  return !schemas || schemas->resource(type) || schemas->data_source(type);
}

void unknown_type(const SchemaRegistry& schemas, const std::string& type, const Range& at,
                  Diagnostics& diags) {
  std::vector<std::string> all = schemas.resource_types();
  for (auto& d : schemas.data_source_types()) all.push_back(d);
  diags.error(at, "Unknown resource type in simulation settings",
              fmt::format("No provider has a resource type or data source \"{}\"{}", type,
                          hint(type, all)));
}

bool known_provider(const SchemaRegistry* schemas, const std::string& name) {
  return !schemas || schemas->provider(name);
}

std::vector<std::string> provider_names(const SchemaRegistry& schemas) {
  std::vector<std::string> out;
  for (const auto& t : schemas.resource_types()) {
    std::string p = SchemaRegistry::provider_of(t);
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  return out;
}

// --- The HCL block.

Value constant(const Attribute& a, Diagnostics& diags) {
  return a.value ? evaluate_constant(*a.value, diags) : Value();
}

Range label_or_type(const Block& b) {
  if (!b.label_ranges.empty()) return b.label_ranges[0];
  return b.type_range.valid() ? b.type_range : b.range;
}

}  // namespace

SimProfile simulate_profile_from_block(const SimulateBlock& block, const SchemaRegistry* schemas,
                                       Diagnostics& diags) {
  SimProfile p;
  if (!block.body) return p;
  for (const auto& a : block.body->attributes) {
    const Range at = a.name_range.valid() ? a.name_range : a.range;
    if (a.name == "seed") {
      set_seed(p, constant(a, diags), a.value ? a.value->range : at, diags);
    } else {
      diags.error(at, "Unsupported argument",
                  fmt::format("An argument named \"{}\" is not expected in a simulate block; it "
                              "takes seed, and default, resource \"TYPE\" and provider \"NAME\" "
                              "blocks{}",
                              a.name, hint(a.name, {"seed"})));
    }
  }
  for (const auto& b : block.body->blocks) {
    const bool labelled = b.type == "resource" || b.type == "provider";
    if (b.type != "default" && !labelled) {
      diags.error(b.type_range.valid() ? b.type_range : b.range, "Unsupported block type",
                  fmt::format("Blocks of type \"{}\" are not expected in a simulate block; it "
                              "takes default, resource \"TYPE\" and provider \"NAME\"{}",
                              b.type, hint(b.type, {"default", "resource", "provider"})));
      continue;
    }
    if (b.labels.size() != (labelled ? 1u : 0u)) {
      diags.error(label_or_type(b), "Wrong number of labels",
                  labelled ? fmt::format("A {} block in simulate takes one label: the {}.", b.type,
                                         b.type == "resource" ? "type" : "provider name")
                           : std::string("A default block takes no labels."));
      continue;
    }
    for (const auto& nb : b.body.blocks)
      diags.error(nb.type_range.valid() ? nb.type_range : nb.range, "Unsupported block type",
                  fmt::format("Blocks are not expected inside a simulate {} block.", b.type));
    if (b.type == "provider") {
      const std::string& name = b.labels[0];
      if (!known_provider(schemas, name)) {
        diags.error(label_or_type(b), "Unknown provider in simulation settings",
                    fmt::format("No provider is named \"{}\"{}", name,
                                hint(name, provider_names(*schemas))));
        continue;
      }
      auto& rule = p.providers[name];
      const std::string where = fmt::format("simulate provider \"{}\"", name);
      for (const auto& a : b.body.attributes)
        set_provider(rule, a.name, constant(a, diags),
                     a.name_range.valid() ? a.name_range : a.range, where, diags);
      continue;
    }
    SimRule* rule = &p.defaults;
    std::string where = "simulate default";
    if (b.type == "resource") {
      const std::string& type = b.labels[0];
      if (!known_type(schemas, type)) {
        unknown_type(*schemas, type, label_or_type(b), diags);
        continue;
      }
      rule = &p.resources[type];
      where = fmt::format("simulate resource \"{}\"", type);
    }
    for (const auto& a : b.body.attributes)
      set_rule(*rule, a.name, constant(a, diags), a.name_range.valid() ? a.name_range : a.range,
               where, diags);
  }
  return p;
}

// --- YAML.

namespace {

Value scalar_value(const YAML::Node& n) {
  const std::string s = n.Scalar();
  if (n.Tag() == "!") return Value::string(s);  // quoted
  char* end = nullptr;
  long long i = std::strtoll(s.c_str(), &end, 10);
  if (!s.empty() && end == s.c_str() + s.size()) return Value::number(static_cast<int64_t>(i));
  double d = std::strtod(s.c_str(), &end);
  if (!s.empty() && end == s.c_str() + s.size() && std::isfinite(d)) return Value::number(d);
  return Value::string(s);
}

struct YamlReader {
  const SourceFile& src;
  const SchemaRegistry* schemas;
  Diagnostics& diags;

  Range at(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    if (m.pos < 0) return Range{src.name(), {}, {}};
    return src.range(m.pos, m.pos + 1);
  }

  bool is_map(const YAML::Node& n, const std::string& what) {
    if (n.IsMap()) return true;
    if (n.IsNull()) return false;
    diags.error(at(n), "Invalid simulation profile", fmt::format("{} must be a mapping.", what));
    return false;
  }

  Value value(const YAML::Node& n) {
    if (n.IsScalar()) return scalar_value(n);
    return Value();  // reported by the setters as the wrong type
  }

  void rule(SimRule& r, const YAML::Node& n, const std::string& where) {
    if (!is_map(n, where)) return;
    for (const auto& kv : n)
      set_rule(r, kv.first.Scalar(), value(kv.second), at(kv.first), where, diags);
  }

  void read(const YAML::Node& doc, SimProfile& p) {
    if (doc.IsNull()) return;
    if (!is_map(doc, "A simulation profile")) return;
    for (const auto& kv : doc) {
      const std::string key = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      if (key == "seed") {
        set_seed(p, value(v), at(v), diags);
      } else if (key == "default") {
        rule(p.defaults, v, "the profile's default");
      } else if (key == "resources") {
        if (!is_map(v, "\"resources\"")) continue;
        for (const auto& t : v) {
          const std::string type = t.first.Scalar();
          if (!known_type(schemas, type)) {
            unknown_type(*schemas, type, at(t.first), diags);
            continue;
          }
          rule(p.resources[type], t.second, fmt::format("the profile's resource \"{}\"", type));
        }
      } else if (key == "providers") {
        if (!is_map(v, "\"providers\"")) continue;
        for (const auto& t : v) {
          const std::string name = t.first.Scalar();
          if (!known_provider(schemas, name)) {
            diags.error(at(t.first), "Unknown provider in simulation settings",
                        fmt::format("No provider is named \"{}\"{}", name,
                                    hint(name, provider_names(*schemas))));
            continue;
          }
          const std::string where = fmt::format("the profile's provider \"{}\"", name);
          if (!is_map(t.second, where)) continue;
          for (const auto& s : t.second)
            set_provider(p.providers[name], s.first.Scalar(), value(s.second), at(s.first), where,
                         diags);
        }
      } else {
        diags.error(at(kv.first), "Unsupported simulation setting",
                    fmt::format("A profile holds seed, default, resources and providers, not "
                                "\"{}\"{}",
                                key, hint(key, {"seed", "default", "resources", "providers"})));
      }
    }
  }
};

}  // namespace

std::optional<SimProfile> read_simulate_profile(const std::string& path, SourceManager& sources,
                                                const SchemaRegistry* schemas, Diagnostics& diags) {
  std::string err;
  const SourceFile* src = sources.load(path, &err);
  if (!src) {
    diags.error({}, "Cannot read the simulation profile", err);
    return std::nullopt;
  }
  YAML::Node doc;
  try {
    doc = YAML::Load(src->text());
  } catch (const YAML::Exception& e) {
    const Range at =
        e.mark.pos < 0 ? Range{src->name(), {}, {}} : src->range(e.mark.pos, e.mark.pos + 1);
    diags.error(at, "Invalid simulation profile", e.msg);
    return std::nullopt;
  }
  const int before = diags.error_count();
  SimProfile p;
  YamlReader{*src, schemas, diags}.read(doc, p);
  if (diags.error_count() > before) return std::nullopt;
  return p;
}

}  // namespace orch
