// State ↔ JSON: snapshot text (one resource per line) and journal records.
#include "planner/state_json.h"

#include <fmt/format.h>

#include <iterator>

#include "planner/json_values.h"
#include "planner/value_json.h"

namespace orch {

using nlohmann::json;

namespace {

bool fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

void append_path(std::string& out, const AttributePath& path) {
  out += '[';
  for (size_t i = 0; i < path.size(); ++i) {
    if (i) out += ',';
    if (const auto* n = std::get_if<int64_t>(&path[i]))
      out += std::to_string(*n);
    else
      append_json_string(out, std::get<std::string>(path[i]));
  }
  out += ']';
}

bool paths_from_value(const Value& j, std::vector<AttributePath>& out, std::string* error) {
  if (!j.is_sequence()) return fail(error, "expected a list of attribute paths");
  for (const auto& p : j.elements()) {
    if (!p.is_sequence()) return fail(error, "an attribute path is a list of names and indexes");
    AttributePath path;
    for (const auto& step : p.elements()) {
      if (step.kind() == ValueKind::String) {
        path.emplace_back(step.as_string());
      } else if (step.kind() == ValueKind::Number && step.as_number().is_int) {
        path.emplace_back(step.as_number().i);
      } else {
        return fail(error, "an attribute path step is a name or an index");
      }
    }
    out.push_back(std::move(path));
  }
  return true;
}

bool get_string(const Value& j, const char* key, std::string& out, std::string* error,
                bool required = true) {
  const Value* v = json_member(j, key);
  if (!v) {
    if (!required) return true;
    return fail(error, fmt::format("missing \"{}\"", key));
  }
  if (v->kind() != ValueKind::String)
    return fail(error, fmt::format("\"{}\" must be a string", key));
  out = v->as_string();
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

bool output_to_text(const OutputState& o, std::string& out, std::string* error,
                    const std::string& where) {
  // Keys in sorted order (sensitive, sensitive_values, value), as the tree-based writer had them.
  out += '{';
  if (o.sensitive) out += "\"sensitive\":true,";
  auto paths = value_sensitive_paths(o.value);
  if (!paths.empty()) {
    out += "\"sensitive_values\":[";
    for (size_t i = 0; i < paths.size(); ++i) {
      if (i) out += ',';
      append_path(out, paths[i]);
    }
    out += "],";
  }
  out += "\"value\":";
  if (!append_value_json(out, o.value, error, where)) return false;
  out += '}';
  return true;
}

bool output_from_value(const Value& j, OutputState& out, std::string* error) {
  const Value* v = json_member(j, "value");
  if (!v) return fail(error, "an output needs a \"value\"");
  out.value = *v;
  const Value* s = json_member(j, "sensitive");
  out.sensitive = s && s->kind() == ValueKind::Bool && s->as_bool();
  if (const Value* sv = json_member(j, "sensitive_values")) {
    std::vector<AttributePath> paths;
    if (!paths_from_value(*sv, paths, error)) return false;
    out.value = mark_value_paths(out.value, std::move(paths));
  }
  return true;
}

std::string read_error_text(const JsonReadError& e) {
  return e.path.empty() ? e.message : e.path + ": " + e.message;
}

}  // namespace

const JsonValueSites& state_value_sites() {
  static const JsonValueSites sites = [] {
    JsonValueSites s;
    s.maps = {"attributes"};
    s.values = {"value"};
    return s;
  }();
  return sites;
}

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

bool resource_to_text(const ResourceAddress& address, const ResourceState& r, std::string& out,
                      std::string* error) {
  const std::string where = address.str();
  const size_t start = out.size();
  // Keys in sorted order, as the tree-based writer had them.
  out += "{\"address\":";
  append_json_string(out, where);
  out += ",\"attributes\":";
  if (!append_value_map_json(out, r.attributes, error, where)) {
    out.resize(start);
    return false;
  }
  if (!r.create_intents.empty()) {
    out += ",\"create_intents\":[";
    for (size_t i = 0; i < r.create_intents.size(); ++i) {
      if (i) out += ',';
      out += "{\"created\":";
      append_json_string(out, r.create_intents[i].created);
      out += ",\"token\":";
      append_json_string(out, r.create_intents[i].token);
      out += '}';
    }
    out += ']';
  }
  if (!r.dependencies.empty()) {
    out += ",\"dependencies\":[";
    for (size_t i = 0; i < r.dependencies.size(); ++i) {
      if (i) out += ',';
      append_json_string(out, r.dependencies[i].str());
    }
    out += ']';
  }
  if (r.gate_pending) out += ",\"gate_pending\":true";
  out += ",\"id\":";
  bool ok = append_json_string(out, r.id);
  out += ",\"provider\":";
  ok = append_json_string(out, r.provider) && ok;
  auto paths = sensitive_paths(r.attributes);
  if (!paths.empty()) {
    out += ",\"sensitive_attributes\":[";
    for (size_t i = 0; i < paths.size(); ++i) {
      if (i) out += ',';
      append_path(out, paths[i]);
    }
    out += ']';
  }
  out += ",\"status\":";
  append_json_string(out, status_name(r.status));
  out += '}';
  if (!ok) {
    out.resize(start);
    return fail(error, where + ": invalid UTF-8 in the id or provider");
  }
  return true;
}

bool resource_from_value(const Value& j, ResourceAddress& address, ResourceState& out,
                         std::string* error, ValueMap* taken) {
  if (j.kind() != ValueKind::Object) return fail(error, "a resource entry must be a JSON object");
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
  const Value* attrs = json_member(j, "attributes");
  if (!attrs) return fail(error, "missing \"attributes\"");
  if (taken && attrs->is_null()) {
    out.attributes = std::move(*taken);
  } else {
    if (attrs->kind() != ValueKind::Object)
      return fail(error, "attributes: expected a JSON object");
    out.attributes = attrs->attributes();
  }
  if (const Value* sa = json_member(j, "sensitive_attributes")) {
    std::vector<AttributePath> paths;
    if (!paths_from_value(*sa, paths, error)) return false;
    out.attributes = mark_sensitive_paths(std::move(out.attributes), paths);
  }
  if (const Value* deps = json_member(j, "dependencies")) {
    if (!deps->is_sequence()) return fail(error, "\"dependencies\" must be a list of addresses");
    for (const auto& d : deps->elements()) {
      if (d.kind() != ValueKind::String)
        return fail(error, "\"dependencies\" must be a list of addresses");
      ResourceAddress dep;
      if (!parse_addr(d.as_string(), dep, error)) return false;
      out.dependencies.push_back(std::move(dep));
    }
  }
  if (const Value* gp = json_member(j, "gate_pending")) {
    if (gp->kind() != ValueKind::Bool) return fail(error, "\"gate_pending\" must be true or false");
    out.gate_pending = gp->as_bool();
  }
  if (const Value* intents = json_member(j, "create_intents")) {
    if (!intents->is_sequence()) return fail(error, "\"create_intents\" must be a list");
    for (const auto& i : intents->elements()) {
      if (i.kind() != ValueKind::Object) return fail(error, "a create intent must be an object");
      CreateIntent intent;
      if (!get_string(i, "token", intent.token, error)) return false;
      if (!get_string(i, "created", intent.created, error, false)) return false;
      out.create_intents.push_back(std::move(intent));
    }
  }
  return true;
}

bool resource_to_json(const ResourceAddress& address, const ResourceState& r, json& out,
                      std::string* error) {
  std::string text;
  if (!resource_to_text(address, r, text, error)) return false;
  out = json::parse(text);
  return true;
}

bool resource_from_json(const json& j, ResourceAddress& address, ResourceState& out,
                        std::string* error) {
  Value v;
  JsonReadError e;
  if (!read_json_values(j.dump(), &state_value_sites(), v, &e))
    return fail(error, read_error_text(e));
  return resource_from_value(v, address, out, error);
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
    out += first ? "\n    " : ",\n    ";
    first = false;
    if (!append_json_string(out, name)) return fail(error, "output name is not UTF-8");
    out += ": ";
    if (!output_to_text(o, out, error, "output." + name)) return false;
  }
  out += first ? "},\n" : "\n  },\n";
  out += "  \"resources\": [";
  first = true;
  for (const auto& [addr, r] : state.resources) {
    out += first ? "\n    " : ",\n    ";
    first = false;
    if (!resource_to_text(addr, r, out, error)) return false;
  }
  out += first ? "]\n}\n" : "\n  ]\n}\n";
  return true;
}

bool state_from_json_text(std::string_view text, const std::string& file, State& out,
                          std::string* error) {
  // The attributes of resources[i], taken out of the document as it is parsed.
  std::vector<ValueMap> taken;
  std::vector<char> was_taken;
  JsonValueSites sites = state_value_sites();
  sites.take = [&](const std::vector<std::string>& at, ValueMap& map) {
    if (at.size() != 3 || at[0] != "resources") return false;
    size_t i = std::stoul(at[1]);
    if (i >= taken.size()) {
      taken.resize(i + 1);
      was_taken.resize(i + 1, 0);
    }
    taken[i] = std::move(map);
    was_taken[i] = 1;
    return true;
  };
  Value j;
  JsonReadError re;
  if (!read_json_values(text, &sites, j, &re)) {
    if (re.syntax) {
      auto [line, col] = line_column(text, re.offset);
      return fail(error, fmt::format("{}:{}:{}: state file is not valid JSON: {}", file, line, col,
                                     re.message));
    }
    return fail(error, fmt::format("{}: {}", file, read_error_text(re)));
  }
  auto bad = [&](const std::string& m) { return fail(error, fmt::format("{}: {}", file, m)); };
  if (j.kind() != ValueKind::Object) return bad("state file must hold a JSON object");
  const Value* fv = json_member(j, "format_version");
  if (!fv || fv->kind() != ValueKind::Number || !fv->as_number().is_int)
    return bad("missing \"format_version\"");
  if (fv->as_number().i != State::kFormatVersion) {
    return bad(
        fmt::format("format_version {} is not supported by this orch (it reads {}); "
                    "was it written by a newer orch?",
                    fv->as_number().i, State::kFormatVersion));
  }
  out = State{};
  std::string e;
  if (!get_string(j, "lineage", out.lineage, &e)) return bad(e);
  if (!get_string(j, "orch_version", out.orch_version, &e, false)) return bad(e);
  const Value* serial = json_member(j, "serial");
  if (!serial || serial->kind() != ValueKind::Number || !serial->as_number().is_int ||
      serial->as_number().i < 0) {
    return bad("\"serial\" must be a non-negative integer");
  }
  out.serial = static_cast<uint64_t>(serial->as_number().i);
  if (const Value* outputs = json_member(j, "outputs")) {
    if (outputs->kind() != ValueKind::Object) return bad("\"outputs\" must be an object");
    for (const auto& [name, jo] : outputs->attributes()) {
      OutputState o;
      if (!output_from_value(jo, o, &e)) return bad(fmt::format("output \"{}\": {}", name, e));
      out.outputs.emplace(name, std::move(o));
    }
  }
  const Value* resources = json_member(j, "resources");
  if (!resources || !resources->is_sequence()) return bad("\"resources\" must be a list");
  const ValueList& list = resources->elements();
  for (size_t i = 0; i < list.size(); ++i) {
    const Value& jr = list[i];
    ResourceAddress addr;
    ResourceState r;
    ValueMap* attrs = i < taken.size() && was_taken[i] ? &taken[i] : nullptr;
    if (!resource_from_value(jr, addr, r, &e, attrs)) {
      const Value* a = json_member(jr, "address");
      std::string name =
          a && a->kind() == ValueKind::String ? fmt::format(" (\"{}\")", a->as_string()) : "";
      return bad(fmt::format("resources[{}]{}: {}", i, name, e));
    }
    // orch writes resources in address order: each then goes at the end, without a search.
    auto& rs = out.resources;
    if (rs.empty() || std::prev(rs.end())->first < addr) {
      rs.emplace_hint(rs.end(), std::move(addr), std::move(r));
      continue;
    }
    std::string text_addr = addr.str();
    if (!rs.emplace(std::move(addr), std::move(r)).second)
      return bad(fmt::format("resources[{}]: duplicate address \"{}\"", i, text_addr));
  }
  return true;
}

bool change_to_text(const StateChange& c, std::string& out, std::string* error) {
  const size_t start = out.size();
  auto addr = [&](const char* key_before) {
    out += key_before;
    append_json_string(out, c.address.str());
  };
  bool ok = true;
  switch (c.kind) {
    case StateChange::Kind::Put:
      out += "{\"op\":\"put\",\"resource\":";
      if (!resource_to_text(c.address, c.resource, out, error)) {
        out.resize(start);
        return false;
      }
      out += '}';
      return true;
    case StateChange::Kind::Remove:
      addr("{\"address\":");
      out += ",\"op\":\"remove\"}";
      return true;
    case StateChange::Kind::Intent:
      addr("{\"address\":");
      out += ",\"created\":";
      ok = append_json_string(out, c.intent.created);
      out += ",\"op\":\"intent\",\"provider\":";
      ok = append_json_string(out, c.resource.provider) && ok;
      out += ",\"token\":";
      ok = append_json_string(out, c.intent.token) && ok;
      out += '}';
      break;
    case StateChange::Kind::IntentDone:
      addr("{\"address\":");
      out += ",\"op\":\"intent_done\",\"token\":";
      ok = append_json_string(out, c.intent.token);
      out += '}';
      break;
    case StateChange::Kind::PutOutput:
      out += "{\"name\":";
      ok = append_json_string(out, c.output_name);
      out += ",\"op\":\"output\",\"output\":";
      if (!ok || !output_to_text(c.output, out, error, "output." + c.output_name)) {
        out.resize(start);
        return ok ? false : fail(error, "output name is not UTF-8");
      }
      out += '}';
      return true;
    case StateChange::Kind::RemoveOutput:
      out += "{\"name\":";
      ok = append_json_string(out, c.output_name);
      out += ",\"op\":\"remove_output\"}";
      break;
    default:
      return fail(error, "unknown state change");
  }
  if (!ok) {
    out.resize(start);
    return fail(error, c.address.str() + ": invalid UTF-8 in a state change");
  }
  return true;
}

bool change_from_value(const Value& j, StateChange& out, std::string* error) {
  if (j.kind() != ValueKind::Object) return fail(error, "a journal record must be a JSON object");
  std::string op;
  if (!get_string(j, "op", op, error)) return false;
  out = StateChange{};
  if (op == "put") {
    out.kind = StateChange::Kind::Put;
    const Value* r = json_member(j, "resource");
    if (!r) return fail(error, "put record without \"resource\"");
    return resource_from_value(*r, out.address, out.resource, error);
  }
  if (op == "output" || op == "remove_output") {
    out.kind = op == "output" ? StateChange::Kind::PutOutput : StateChange::Kind::RemoveOutput;
    if (!get_string(j, "name", out.output_name, error)) return false;
    if (op == "remove_output") return true;
    const Value* o = json_member(j, "output");
    if (!o) return fail(error, "output record without \"output\"");
    return output_from_value(*o, out.output, error);
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

bool change_to_json(const StateChange& c, json& out, std::string* error) {
  std::string text;
  if (!change_to_text(c, text, error)) return false;
  out = json::parse(text);
  return true;
}

bool change_from_json(const json& j, StateChange& out, std::string* error) {
  Value v;
  JsonReadError e;
  if (!read_json_values(j.dump(), &state_value_sites(), v, &e))
    return fail(error, read_error_text(e));
  return change_from_value(v, out, error);
}

}  // namespace orch
