// State ↔ JSON: snapshot text (one resource per line) and journal records.
#include "planner/state_json.h"

#include <fmt/format.h>

#include "planner/value_json.h"

namespace orch {

using nlohmann::json;

namespace {

bool fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

json path_to_json(const AttributePath& path) {
  json out = json::array();
  for (const auto& step : path) {
    if (const auto* i = std::get_if<int64_t>(&step)) {
      out.push_back(*i);
    } else {
      out.push_back(std::get<std::string>(step));
    }
  }
  return out;
}

bool paths_from_json(const json& j, std::vector<AttributePath>& out, std::string* error) {
  if (!j.is_array()) return fail(error, "expected a list of attribute paths");
  for (const auto& p : j) {
    if (!p.is_array()) return fail(error, "an attribute path is a list of names and indexes");
    AttributePath path;
    for (const auto& step : p) {
      if (step.is_string()) {
        path.emplace_back(step.get<std::string>());
      } else if (step.is_number_integer()) {
        path.emplace_back(step.get<int64_t>());
      } else {
        return fail(error, "an attribute path step is a name or an index");
      }
    }
    out.push_back(std::move(path));
  }
  return true;
}

bool get_string(const json& j, const char* key, std::string& out, std::string* error,
                bool required = true) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (!required) return true;
    return fail(error, fmt::format("missing \"{}\"", key));
  }
  if (!it->is_string()) return fail(error, fmt::format("\"{}\" must be a string", key));
  out = it->get<std::string>();
  return true;
}

bool parse_addr(const std::string& text, ResourceAddress& out, std::string* error) {
  ParsedAddress p = parse_address(text);
  if (!p.ok()) return fail(error, p.error->str(text));
  out = *p.address;
  return true;
}

// Outputs carry sensitive paths relative to the value ([] = the whole value).
std::vector<AttributePath> value_sensitive_paths(const Value& v) {
  std::vector<AttributePath> out = sensitive_paths(ValueMap{{"", v}});
  for (auto& p : out) p.erase(p.begin());
  return out;
}

Value mark_value_paths(const Value& v, std::vector<AttributePath> paths) {
  for (auto& p : paths) p.insert(p.begin(), PathStep{std::string()});
  return mark_sensitive_paths(ValueMap{{"", v}}, paths).at("");
}

bool output_to_json(const OutputState& o, json& out, std::string* error, const std::string& where) {
  json v;
  if (!value_to_json(o.value, v, error, where)) return false;
  out = json{{"value", std::move(v)}};
  if (o.sensitive) out["sensitive"] = true;
  auto paths = value_sensitive_paths(o.value);
  if (!paths.empty()) {
    json jp = json::array();
    for (const auto& p : paths) jp.push_back(path_to_json(p));
    out["sensitive_values"] = std::move(jp);
  }
  return true;
}

bool output_from_json(const json& j, OutputState& out, std::string* error) {
  if (!j.is_object() || !j.contains("value")) return fail(error, "an output needs a \"value\"");
  if (!value_from_json(j["value"], out.value, error, "value")) return false;
  out.sensitive = j.value("sensitive", false);
  if (j.contains("sensitive_values")) {
    std::vector<AttributePath> paths;
    if (!paths_from_json(j["sensitive_values"], paths, error)) return false;
    out.value = mark_value_paths(out.value, std::move(paths));
  }
  return true;
}

// `{"a":1}` with invalid UTF-8 refused instead of thrown.
bool dump(const json& j, std::string& out, std::string* error) {
  try {
    out += j.dump();
    return true;
  } catch (const json::exception& e) {
    return fail(error, fmt::format("cannot encode as JSON: {}", e.what()));
  }
}

}  // namespace

std::pair<int, int> line_column(std::string_view text, size_t offset) {
  int line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

bool resource_to_json(const ResourceAddress& address, const ResourceState& r, json& out,
                      std::string* error) {
  std::string where = address.str();
  json attrs;
  if (!value_map_to_json(r.attributes, attrs, error, where)) return false;
  out = json::object();
  out["address"] = where;
  out["provider"] = r.provider;
  out["status"] = status_name(r.status);
  out["id"] = r.id;
  out["attributes"] = std::move(attrs);
  auto paths = sensitive_paths(r.attributes);
  if (!paths.empty()) {
    json jp = json::array();
    for (const auto& p : paths) jp.push_back(path_to_json(p));
    out["sensitive_attributes"] = std::move(jp);
  }
  if (!r.dependencies.empty()) {
    json deps = json::array();
    for (const auto& d : r.dependencies) deps.push_back(d.str());
    out["dependencies"] = std::move(deps);
  }
  if (!r.create_intents.empty()) {
    json intents = json::array();
    for (const auto& i : r.create_intents) {
      intents.push_back(json{{"token", i.token}, {"created", i.created}});
    }
    out["create_intents"] = std::move(intents);
  }
  return true;
}

bool resource_from_json(const json& j, ResourceAddress& address, ResourceState& out,
                        std::string* error) {
  if (!j.is_object()) return fail(error, "a resource entry must be a JSON object");
  std::string addr_text, status;
  if (!get_string(j, "address", addr_text, error)) return false;
  if (!parse_addr(addr_text, address, error)) return false;
  // Only canonical spellings are written; anything else was edited by hand.
  if (address.str() != addr_text) {
    return fail(error, fmt::format("address \"{}\" is not in canonical form (\"{}\")", addr_text,
                                   address.str()));
  }
  out = ResourceState{};
  out.type = address.type;
  out.mode = address.mode;
  if (!get_string(j, "provider", out.provider, error, false)) return false;
  if (!get_string(j, "status", status, error)) return false;
  auto st = parse_status(status);
  if (!st) return fail(error, fmt::format("unknown status \"{}\"", status));
  out.status = *st;
  if (!get_string(j, "id", out.id, error)) return false;
  auto attrs = j.find("attributes");
  if (attrs == j.end()) return fail(error, "missing \"attributes\"");
  if (!value_map_from_json(*attrs, out.attributes, error, "attributes")) return false;
  if (auto it = j.find("sensitive_attributes"); it != j.end()) {
    std::vector<AttributePath> paths;
    if (!paths_from_json(*it, paths, error)) return false;
    out.attributes = mark_sensitive_paths(std::move(out.attributes), paths);
  }
  if (auto it = j.find("dependencies"); it != j.end()) {
    if (!it->is_array()) return fail(error, "\"dependencies\" must be a list of addresses");
    for (const auto& d : *it) {
      if (!d.is_string()) return fail(error, "\"dependencies\" must be a list of addresses");
      ResourceAddress dep;
      if (!parse_addr(d.get<std::string>(), dep, error)) return false;
      out.dependencies.push_back(std::move(dep));
    }
  }
  if (auto it = j.find("create_intents"); it != j.end()) {
    if (!it->is_array()) return fail(error, "\"create_intents\" must be a list");
    for (const auto& i : *it) {
      if (!i.is_object()) return fail(error, "a create intent must be an object");
      CreateIntent intent;
      if (!get_string(i, "token", intent.token, error)) return false;
      if (!get_string(i, "created", intent.created, error, false)) return false;
      out.create_intents.push_back(std::move(intent));
    }
  }
  return true;
}

bool state_to_json_text(const State& state, std::string& out, std::string* error) {
  out.clear();
  out += fmt::format(
      "{{\n  \"format_version\": {},\n  \"lineage\": {},\n  \"serial\": {},\n"
      "  \"orch_version\": {},\n",
      State::kFormatVersion, json(state.lineage).dump(), state.serial,
      json(state.orch_version).dump());
  out += "  \"outputs\": {";
  bool first = true;
  for (const auto& [name, o] : state.outputs) {
    json jo;
    if (!output_to_json(o, jo, error, "output." + name)) return false;
    out += first ? "\n    " : ",\n    ";
    first = false;
    if (!dump(json(name), out, error)) return false;
    out += ": ";
    if (!dump(jo, out, error)) return false;
  }
  out += first ? "},\n" : "\n  },\n";
  out += "  \"resources\": [";
  first = true;
  for (const auto& [addr, r] : state.resources) {
    json jr;
    if (!resource_to_json(addr, r, jr, error)) return false;
    out += first ? "\n    " : ",\n    ";
    first = false;
    if (!dump(jr, out, error)) {
      if (error) *error = addr.str() + ": " + *error;
      return false;
    }
  }
  out += first ? "]\n}\n" : "\n  ]\n}\n";
  return true;
}

bool state_from_json_text(std::string_view text, const std::string& file, State& out,
                          std::string* error) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    size_t offset = e.byte > 0 ? e.byte - 1 : 0;
    auto [line, col] = line_column(text, offset);
    std::string what = e.what();
    // nlohmann's message: "[json.exception.parse_error.101] parse error at line 1, column 2: X".
    size_t colon = what.find(": ", what.find("column"));
    std::string detail = colon == std::string::npos ? what : what.substr(colon + 2);
    return fail(error,
                fmt::format("{}:{}:{}: state file is not valid JSON: {}", file, line, col, detail));
  }
  auto bad = [&](const std::string& m) { return fail(error, fmt::format("{}: {}", file, m)); };
  if (!j.is_object()) return bad("state file must hold a JSON object");
  auto fv = j.find("format_version");
  if (fv == j.end() || !fv->is_number_integer()) return bad("missing \"format_version\"");
  if (fv->get<int64_t>() != State::kFormatVersion) {
    return bad(
        fmt::format("format_version {} is not supported by this orch (it reads {}); "
                    "was it written by a newer orch?",
                    fv->get<int64_t>(), State::kFormatVersion));
  }
  out = State{};
  std::string e;
  if (!get_string(j, "lineage", out.lineage, &e)) return bad(e);
  if (!get_string(j, "orch_version", out.orch_version, &e, false)) return bad(e);
  auto serial = j.find("serial");
  if (serial == j.end() || !serial->is_number_unsigned()) {
    return bad("\"serial\" must be a non-negative integer");
  }
  out.serial = serial->get<uint64_t>();
  if (auto it = j.find("outputs"); it != j.end()) {
    if (!it->is_object()) return bad("\"outputs\" must be an object");
    for (const auto& [name, jo] : it->items()) {
      OutputState o;
      if (!output_from_json(jo, o, &e)) return bad(fmt::format("output \"{}\": {}", name, e));
      out.outputs.emplace(name, std::move(o));
    }
  }
  auto resources = j.find("resources");
  if (resources == j.end() || !resources->is_array()) return bad("\"resources\" must be a list");
  for (size_t i = 0; i < resources->size(); ++i) {
    const json& jr = (*resources)[i];
    ResourceAddress addr;
    ResourceState r;
    if (!resource_from_json(jr, addr, r, &e)) {
      std::string name = jr.is_object() && jr.contains("address") && jr["address"].is_string()
                             ? fmt::format(" (\"{}\")", jr["address"].get<std::string>())
                             : "";
      return bad(fmt::format("resources[{}]{}: {}", i, name, e));
    }
    if (!out.resources.emplace(std::move(addr), std::move(r)).second) {
      return bad(fmt::format("resources[{}]: duplicate address \"{}\"", i,
                             jr["address"].get<std::string>()));
    }
  }
  return true;
}

bool change_to_json(const StateChange& c, json& out, std::string* error) {
  switch (c.kind) {
    case StateChange::Kind::Put: {
      json r;
      if (!resource_to_json(c.address, c.resource, r, error)) return false;
      out = json{{"op", "put"}, {"resource", std::move(r)}};
      return true;
    }
    case StateChange::Kind::Remove:
      out = json{{"op", "remove"}, {"address", c.address.str()}};
      return true;
    case StateChange::Kind::Intent:
      out = json{{"op", "intent"},
                 {"address", c.address.str()},
                 {"token", c.intent.token},
                 {"created", c.intent.created},
                 {"provider", c.resource.provider}};
      return true;
    case StateChange::Kind::IntentDone:
      out = json{{"op", "intent_done"}, {"address", c.address.str()}, {"token", c.intent.token}};
      return true;
    case StateChange::Kind::PutOutput: {
      json o;
      if (!output_to_json(c.output, o, error, "output." + c.output_name)) return false;
      out = json{{"op", "output"}, {"name", c.output_name}, {"output", std::move(o)}};
      return true;
    }
    case StateChange::Kind::RemoveOutput:
      out = json{{"op", "remove_output"}, {"name", c.output_name}};
      return true;
  }
  return fail(error, "unknown state change");
}

bool change_from_json(const json& j, StateChange& out, std::string* error) {
  if (!j.is_object()) return fail(error, "a journal record must be a JSON object");
  std::string op;
  if (!get_string(j, "op", op, error)) return false;
  out = StateChange{};
  if (op == "put") {
    out.kind = StateChange::Kind::Put;
    auto it = j.find("resource");
    if (it == j.end()) return fail(error, "put record without \"resource\"");
    return resource_from_json(*it, out.address, out.resource, error);
  }
  if (op == "output" || op == "remove_output") {
    out.kind = op == "output" ? StateChange::Kind::PutOutput : StateChange::Kind::RemoveOutput;
    if (!get_string(j, "name", out.output_name, error)) return false;
    if (op == "remove_output") return true;
    auto it = j.find("output");
    if (it == j.end()) return fail(error, "output record without \"output\"");
    return output_from_json(*it, out.output, error);
  }
  std::string addr;
  if (!get_string(j, "address", addr, error)) return false;
  if (!parse_addr(addr, out.address, error)) return false;
  if (op == "remove") {
    out.kind = StateChange::Kind::Remove;
    return true;
  }
  if (op == "intent" || op == "intent_done") {
    out.kind = op == "intent" ? StateChange::Kind::Intent : StateChange::Kind::IntentDone;
    if (!get_string(j, "token", out.intent.token, error)) return false;
    if (op == "intent_done") return true;
    if (!get_string(j, "created", out.intent.created, error, false)) return false;
    if (!get_string(j, "provider", out.resource.provider, error, false)) return false;
    out.resource.type = out.address.type;
    out.resource.mode = out.address.mode;
    out.resource.status = ResourceStatus::Creating;
    return true;
  }
  return fail(error, fmt::format("unknown journal operation \"{}\"", op));
}

}  // namespace orch
