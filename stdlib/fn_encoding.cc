// Encoding functions: base64encode base64decode jsonencode jsondecode yamlencode yamldecode
// urlencode csvdecode.
#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "compiler/convert.h"
#include "compiler/quote.h"
#include "stdlib/fn_util.h"

namespace orch::fn {

namespace {

void json_value(const Value& v, std::string& out) {
  switch (v.kind()) {
    case ValueKind::Unknown:
      throw UnknownResult{};
    case ValueKind::Null:
      out += "null";
      return;
    case ValueKind::Bool:
      out += v.as_bool() ? "true" : "false";
      return;
    case ValueKind::Number: {
      const Number& n = v.as_number();
      out += (n.is_int || std::isfinite(n.d)) ? format_number(n) : "null";
      return;
    }
    case ValueKind::String:
      append_json_string(v.as_string(), out);
      return;
    case ValueKind::List:
    case ValueKind::Set:
    case ValueKind::Tuple: {
      out += '[';
      bool first = true;
      for (const auto& e : v.elements()) {
        if (!first) out += ',';
        first = false;
        json_value(e, out);
      }
      out += ']';
      return;
    }
    case ValueKind::Map:
    case ValueKind::Object: {
      out += '{';
      bool first = true;
      for (const auto& [k, e] : v.attributes()) {
        if (!first) out += ',';
        first = false;
        append_json_string(k, out);
        out += ':';
        json_value(e, out);
      }
      out += '}';
      return;
    }
  }
}

// Nesting depth of JSON/YAML-like text, counting brackets outside strings.
size_t nesting_depth(const std::string& s) {
  size_t depth = 0, max = 0;
  bool in_str = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_str) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_str = false;
      continue;
    }
    if (c == '"')
      in_str = true;
    else if (c == '[' || c == '{')
      max = std::max(max, ++depth);
    else if ((c == ']' || c == '}') && depth > 0)
      --depth;
  }
  return max;
}

constexpr size_t kMaxDepth = 500;

Value from_json(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      return Value::null();
    case nlohmann::json::value_t::boolean:
      return Value::boolean(j.get<bool>());
    case nlohmann::json::value_t::number_integer:
      return Value::number(j.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      auto u = j.get<uint64_t>();
      if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Value::number(static_cast<int64_t>(u));
      }
      return Value::number(static_cast<double>(u));
    }
    case nlohmann::json::value_t::number_float:
      return Value::number(j.get<double>());
    case nlohmann::json::value_t::string:
      return Value::string(j.get<std::string>());
    case nlohmann::json::value_t::array: {
      ValueList out;
      for (const auto& e : j) out.push_back(from_json(e));
      return Value::tuple(std::move(out));
    }
    case nlohmann::json::value_t::object: {
      ValueMap out;
      for (const auto& [k, e] : j.items()) out[k] = from_json(e);
      return Value::object(std::move(out));
    }
    default:
      return Value::null();
  }
}

Value jsondecode_fn(const Args& a, const CallContext&) {
  std::string s = str(a, 0, "str");
  if (nesting_depth(s) > kMaxDepth) fail(0, "str", "JSON is nested too deeply");
  try {
    return from_json(nlohmann::json::parse(s));
  } catch (const nlohmann::json::exception& e) {
    std::string what = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix.
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    fail(0, "str", "invalid JSON: " + what);
  }
}

void yaml_value(const Value& v, YAML::Emitter& out) {
  switch (v.kind()) {
    case ValueKind::Unknown:
      throw UnknownResult{};
    case ValueKind::Null:
      out << YAML::Null;
      return;
    case ValueKind::Bool:
      out << (v.as_bool() ? "true" : "false");
      return;
    case ValueKind::Number:
      out << format_number(v.as_number());
      return;
    case ValueKind::String:
      out << YAML::DoubleQuoted << v.as_string();
      return;
    case ValueKind::List:
    case ValueKind::Set:
    case ValueKind::Tuple:
      if (v.length() == 0) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const auto& e : v.elements()) yaml_value(e, out);
      out << YAML::EndSeq;
      return;
    case ValueKind::Map:
    case ValueKind::Object:
      if (v.length() == 0) out << YAML::Flow;
      out << YAML::BeginMap;
      for (const auto& [k, e] : v.attributes()) {
        out << YAML::Key << YAML::DoubleQuoted << k << YAML::Value;
        yaml_value(e, out);
      }
      out << YAML::EndMap;
      return;
  }
}

Value yamlencode_fn(const Args& a, const CallContext&) {
  YAML::Emitter out;
  yaml_value(a[0].unmarked(), out);
  if (!out.good()) fail(0, "value", out.GetLastError());
  return Value::string(std::string(out.c_str()) + "\n");
}

// Resolves a plain YAML scalar per the YAML 1.2 core schema.
Value yaml_scalar(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return Value::string(s);  // quoted: always a string
  if (n.Tag() == "tag:yaml.org,2002:str") return Value::string(s);
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Value::null();
  if (s == "true" || s == "True" || s == "TRUE") return Value::boolean(true);
  if (s == "false" || s == "False" || s == "FALSE") return Value::boolean(false);
  if (auto num = parse_number(s)) return Value::number(*num);
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    try {
      size_t used = 0;
      int64_t v = std::stoll(s.substr(2), &used, s[1] == 'x' ? 16 : 8);
      if (used == s.size() - 2) return Value::number(v);
    } catch (const std::exception&) {
    }
  }
  if (s == ".inf" || s == ".Inf" || s == "+.inf") return Value::number(HUGE_VAL);
  if (s == "-.inf" || s == "-.Inf") return Value::number(-HUGE_VAL);
  return Value::string(s);
}

Value from_yaml(const YAML::Node& n, size_t depth) {
  if (depth > kMaxDepth) fail(0, "src", "YAML is nested too deeply");
  switch (n.Type()) {
    case YAML::NodeType::Sequence: {
      ValueList out;
      for (const auto& e : n) out.push_back(from_yaml(e, depth + 1));
      return Value::tuple(std::move(out));
    }
    case YAML::NodeType::Map: {
      ValueMap out;
      for (const auto& kv : n) {
        if (!kv.first.IsScalar()) fail(0, "src", "only scalar mapping keys are supported");
        out[kv.first.Scalar()] = from_yaml(kv.second, depth + 1);
      }
      return Value::object(std::move(out));
    }
    case YAML::NodeType::Scalar:
      return yaml_scalar(n);
    default:
      return Value::null();
  }
}

Value yamldecode_fn(const Args& a, const CallContext&) {
  std::string s = str(a, 0, "src");
  if (nesting_depth(s) > kMaxDepth) fail(0, "src", "YAML is nested too deeply");
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(s);
    if (docs.size() > 1) fail(0, "src", "multiple YAML documents are not supported");
    if (docs.empty()) return Value::null();
    return from_yaml(docs[0], 0);
  } catch (const YAML::Exception& e) {
    fail(0, "src",
         fmt::format("on line {}, column {}: {}", e.mark.line + 1, e.mark.column + 1, e.msg));
  }
}

Value base64encode_fn(const Args& a, const CallContext&) {
  std::string s = str(a, 0, "str");
  std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
  int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  out.resize(static_cast<size_t>(n));
  return Value::string(out);
}

Value base64decode_fn(const Args& a, const CallContext&) {
  std::string s = str(a, 0, "str");
  auto bad = [&]() { fail(0, "str", "failed to decode base64 data"); };
  if (s.size() % 4 != 0) bad();
  size_t padding = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alnum = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
    if (c == '=' && i + 2 >= s.size()) {
      ++padding;
    } else if (!alnum || padding > 0) {
      bad();
    }
  }
  std::string out(s.size() / 4 * 3 + 1, '\0');
  int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (n < 0) bad();
  out.resize(static_cast<size_t>(n) - padding);
  if (!utf8_valid(out)) {
    fail(0, "str", "the result of decoding the provided string is not valid UTF-8");
  }
  return Value::string(out);
}

Value urlencode_fn(const Args& a, const CallContext&) {
  std::string out;
  for (char ch : str(a, 0, "str")) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return Value::string(out);
}

// RFC 4180 records: quoted fields may hold commas, quotes ("") and newlines.
std::vector<std::vector<std::string>> csv_records(const std::string& s) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, field_started = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quoted) {
      if (c == '"' && i + 1 < s.size() && s[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
      continue;
    }
    if (c == '"' && field.empty()) {
      quoted = field_started = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      field_started = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      if (field_started || !field.empty() || !row.empty()) {
        row.push_back(std::move(field));
        rows.push_back(std::move(row));
      }
      row.clear();
      field.clear();
      field_started = false;
    } else {
      field += c;
      field_started = true;
    }
  }
  if (quoted) fail(0, "str", "unterminated quoted field");
  if (field_started || !field.empty() || !row.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

Value csvdecode_fn(const Args& a, const CallContext&) {
  auto rows = csv_records(str(a, 0, "str"));
  if (rows.empty()) fail(0, "str", "missing header line");
  const auto& header = rows[0];
  ValueList out;
  for (size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].size() != header.size()) {
      fail(0, "str",
           fmt::format("record {}: wrong number of fields (expected {}, got {})", r, header.size(),
                       rows[r].size()));
    }
    ValueMap obj;
    for (size_t c = 0; c < header.size(); ++c) obj[header[c]] = Value::string(rows[r][c]);
    out.push_back(Value::object(std::move(obj)));
  }
  return make_list(std::move(out));
}

}  // namespace

std::string json_encode(const Value& v) {
  std::string out;
  json_value(v, out);
  return out;
}

void add_encoding(Functions& f) {
  Type s = Type::string();
  Type any = Type::any();
  f.add(make("base64encode", 1, 1, "base64encode(str)", returns(s), base64encode_fn));
  f.add(make("base64decode", 1, 1, "base64decode(str)", returns(s), base64decode_fn));
  f.add(make("jsonencode", 1, 1, "jsonencode(value)", returns(s),
             [](const Args& a, const CallContext&) {
               return Value::string(json_encode(a[0].unmarked()));
             }));
  f.add(make("jsondecode", 1, 1, "jsondecode(str)", returns(any), jsondecode_fn));
  f.add(make("yamlencode", 1, 1, "yamlencode(value)", returns(s), yamlencode_fn));
  f.add(make("yamldecode", 1, 1, "yamldecode(src)", returns(any), yamldecode_fn));
  f.add(make("urlencode", 1, 1, "urlencode(str)", returns(s), urlencode_fn));
  f.add(make("csvdecode", 1, 1, "csvdecode(str)", returns(Type::list(any)), csvdecode_fn));
}

}  // namespace orch::fn
