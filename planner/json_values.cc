// Reading JSON into Values through SAX, and writing Values as JSON text (see json_values.h).
#include "planner/json_values.h"

#include <fmt/format.h>

#include <cmath>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <variant>
#include <vector>

#include "planner/state.h"
#include "planner/value_json.h"

namespace orch {

using nlohmann::json;

namespace {

// A type written as a plain value ("string", ["list", T], ["object", {..}, [..]]) → Type.
bool type_from_value(const Value& v, Type& out, std::string* error) {
  auto bad = [&](const std::string& m) {
    *error = m;
    return false;
  };
  if (v.kind() == ValueKind::String) {
    const std::string& s = v.as_string();
    if (s == "any")
      out = Type::any();
    else if (s == "bool")
      out = Type::boolean();
    else if (s == "number")
      out = Type::number();
    else if (s == "string")
      out = Type::string();
    else
      return bad(fmt::format("unknown type `{}`", s));
    return true;
  }
  if (!v.is_sequence() || v.length() < 2 || v.elements()[0].kind() != ValueKind::String)
    return bad("a type is a name or [kind, ...]");
  const ValueList& e = v.elements();
  const std::string& kind = e[0].as_string();
  if (kind == "list" || kind == "set" || kind == "map") {
    if (e.size() != 2) return bad(kind + " takes one element type");
    Type elem;
    if (!type_from_value(e[1], elem, error)) return false;
    out = kind == "list" ? Type::list(elem) : kind == "set" ? Type::set(elem) : Type::map(elem);
    return true;
  }
  if (kind == "tuple") {
    if (e.size() != 2 || !e[1].is_sequence()) return bad("tuple takes a list of element types");
    std::vector<Type> elems;
    for (const auto& x : e[1].elements()) {
      Type t;
      if (!type_from_value(x, t, error)) return false;
      elems.push_back(std::move(t));
    }
    out = Type::tuple(std::move(elems));
    return true;
  }
  if (kind == "object") {
    if (e.size() > 3 || !e[1].is_mapping()) return bad("object takes a map of attribute types");
    std::map<std::string, Type> attrs;
    for (const auto& [k, x] : e[1].attributes()) {
      Type t;
      if (!type_from_value(x, t, error)) return false;
      attrs.emplace(k, std::move(t));
    }
    std::set<std::string> optional;
    if (e.size() == 3) {
      if (!e[2].is_sequence()) return bad("object's optional attributes are a list of names");
      for (const auto& o : e[2].elements()) {
        if (o.kind() != ValueKind::String)
          return bad("object's optional attributes are a list of names");
        optional.insert(o.as_string());
      }
    }
    out = optional.empty() ? Type::object(std::move(attrs))
                           : Type::object(std::move(attrs), std::move(optional));
    return true;
  }
  return bad(fmt::format("unknown type kind `{}`", kind));
}

// Builds Values from SAX events with a stack of open arrays and objects.
class ValueBuilder : public nlohmann::json_sax<json> {
 public:
  explicit ValueBuilder(const JsonValueSites* sites)
      : sites_(sites), marks_(sites && sites->marks) {}

  Value result;
  JsonReadError error;

  bool null() override { return put(Value::null()); }
  bool boolean(bool b) override { return put(Value::boolean(b)); }
  bool number_integer(number_integer_t i) override { return put(Value::number(Number::of(i))); }
  bool number_unsigned(number_unsigned_t u) override {
    if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return put(Value::number(Number::of(static_cast<int64_t>(u))));
    return put(Value::number(Number{false, 0, static_cast<double>(u)}));
  }
  bool number_float(number_float_t d, const string_t&) override {
    return put(Value::number(Number{false, 0, d}));
  }
  bool string(string_t& s) override { return put(Value::string(std::move(s))); }
  bool binary(binary_t&) override { return content_error("binary values are not JSON"); }

  bool start_object(std::size_t) override {
    open(true);
    return true;
  }
  bool key(string_t& k) override {
    Frame& f = stack_.back();
    if (f.keys++ == 0 && f.mode == Mode::Value && !f.plain_keys && !k.empty() && k[0] == '$')
      f.tagged = true;
    if (f.tagged) {
      if (k.empty() || k[0] != '$' || (k != "$elem" && !f.tag.empty()))
        return content_error("malformed tagged value (expected one $-key)");
      if (k != "$elem") f.tag = k;
    }
    f.key = std::move(k);
    return true;
  }
  bool end_object() override {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    if (!f.tagged) return finish(f);
    Value v;
    if (!decode_tagged(f, v)) return false;
    return put_closed(std::move(v));
  }
  bool start_array(std::size_t) override {
    open(false);
    return true;
  }
  bool end_array() override {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    return finish(f);
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    error.syntax = true;
    error.offset = position > 0 ? position - 1 : 0;
    std::string what = ex.what();
    // nlohmann's message: "[json.exception.parse_error.101] parse error at line 1, column 2: X".
    size_t colon = what.find(": ", what.find("column"));
    error.message = colon == std::string::npos ? what : what.substr(colon + 2);
    return false;
  }

 private:
  // Envelope: plain JSON around the values (a member named in `sites` starts a value);
  // Value: tagged objects are decoded; Raw: plain JSON inside a value (the types of $elem, $null).
  enum class Mode { Envelope, Value, Raw };

  struct Frame {
    bool object = false;
    Mode mode = Mode::Value;
    bool plain_keys = false;  // a map of values ($map/$object body, a site's map): no tags
    bool tagged = false;      // this object is a `$`-tagged value
    bool raw_body = false;    // the tag's body arrived as a collection (in elems/attrs below)
    size_t keys = 0;
    int64_t index = 0;  // arrays: the index of the next element (for error paths)
    std::string key;    // objects: the key of the member being read
    std::string tag;    // "$list", "$map", ...
    ValueList elems;    // arrays; tagged: a sequence body
    ValueMap attrs;     // objects; tagged: a mapping body
    std::optional<Value> elem_type, body;  // tagged: $elem, and a scalar body
    bool body_is_object = false;
  };

  static bool named(const std::vector<std::string>& names, const std::string& key) {
    for (const auto& n : names)
      if (n == key) return true;
    return false;
  }

  void open(bool object) {
    Frame f;
    f.object = object;
    if (stack_.empty()) {
      f.mode = sites_ && !sites_->whole ? Mode::Envelope : Mode::Value;
    } else {
      const Frame& p = stack_.back();
      if (p.mode == Mode::Envelope) {
        f.mode = Mode::Envelope;
        if (p.object && named(sites_->maps, p.key)) {
          f.mode = Mode::Value;
          f.plain_keys = true;
        } else if (p.object && named(sites_->values, p.key)) {
          f.mode = Mode::Value;
        }
      } else if (p.mode == Mode::Raw ||
                 (p.tagged && (p.key == "$elem" || p.key == "$null" || p.key == "$unknown"))) {
        f.mode = Mode::Raw;  // types are plain JSON: their object keys may start with `$`
      } else {
        f.mode = Mode::Value;
        f.plain_keys = p.tagged && (p.key == "$map" || p.key == "$object");
      }
    }
    stack_.push_back(std::move(f));
  }

  // A finished value goes into the frame below it (or becomes the result).
  bool put(Value v) {
    if (stack_.empty()) {
      result = std::move(v);
      return true;
    }
    Frame& f = stack_.back();
    if (!f.object) {
      f.elems.push_back(std::move(v));
      ++f.index;
    } else if (f.tagged) {
      if (f.key == "$elem")
        f.elem_type = std::move(v);
      else
        f.body = std::move(v);
    } else {
      // Keys usually arrive sorted (orch writes them so): the end is then the right hint.
      f.attrs.insert_or_assign(f.attrs.end(), std::move(f.key), std::move(v));
    }
    return true;
  }

  // The body of a tagged parent stays raw (no copy into a Value and out again); the types of
  // $null and $unknown are read as values (type_from_value).
  bool body_of_tagged_parent() const {
    if (stack_.empty()) return false;
    const Frame& p = stack_.back();
    return p.object && p.tagged && p.key == p.tag && p.key != "$null" && p.key != "$unknown";
  }

  // A closed plain array or object.
  bool finish(Frame& closed) {
    if (closed.object && closed.plain_keys && sites_ && sites_->take && !stack_.empty() &&
        stack_.back().mode == Mode::Envelope) {
      std::vector<std::string> path;
      for (const Frame& f : stack_) path.push_back(f.object ? f.key : std::to_string(f.index));
      if (sites_->take(path, closed.attrs)) return put(Value::null());
    }
    if (body_of_tagged_parent()) {
      Frame& p = stack_.back();
      p.raw_body = true;
      p.body_is_object = closed.object;
      if (closed.object)
        p.attrs = std::move(closed.attrs);
      else
        p.elems = std::move(closed.elems);
      return true;
    }
    return put(closed.object ? Value::object(std::move(closed.attrs))
                             : Value::list(std::move(closed.elems)));
  }

  // A closed tagged object, decoded.
  bool put_closed(Value v) {
    if (body_of_tagged_parent()) {
      stack_.back().body = std::move(v);  // a tagged value as a body: malformed, reported later
      return true;
    }
    return put(std::move(v));
  }

  bool decode_tagged(Frame& f, Value& out) {
    const std::string& tag = f.tag;
    if (tag.empty()) return content_error("malformed tagged value (expected one $-key)", &f);
    Type elem = Type::any();
    if (f.elem_type) {
      if (tag != "$list" && tag != "$set" && tag != "$map")
        return content_error("$elem is only allowed with $list, $set and $map", &f);
      std::string e;
      if (!type_from_value(*f.elem_type, elem, &e))
        return content_error("bad $elem type: " + e, &f);
    }
    if (tag == "$list" || tag == "$set" || tag == "$tuple") {
      if (!f.raw_body || f.body_is_object) return content_error("expected a JSON array", &f);
      if (tag == "$list") out = Value::list(std::move(f.elems), elem);
      if (tag == "$set") out = Value::set(std::move(f.elems), elem);
      if (tag == "$tuple") out = Value::tuple(std::move(f.elems));
      return true;
    }
    if (tag == "$map" || tag == "$object") {
      if (!f.raw_body || !f.body_is_object) return content_error("expected a JSON object", &f);
      out =
          tag == "$map" ? Value::map(std::move(f.attrs), elem) : Value::object(std::move(f.attrs));
      return true;
    }
    if (tag == "$null") {
      Type t;
      std::string e;
      if (!f.body || !type_from_value(*f.body, t, &e))
        return content_error("bad $null type: " + e, &f);
      out = Value::null(t);
      return true;
    }
    if (marks_ && tag == "$unknown") {
      Type t;
      std::string e;
      if (!f.body || !type_from_value(*f.body, t, &e))
        return content_error("bad $unknown type: " + e, &f);
      out = Value::unknown(t);
      return true;
    }
    if (marks_ && tag == "$sensitive") {
      if (f.raw_body)
        out =
            f.body_is_object ? Value::object(std::move(f.attrs)) : Value::list(std::move(f.elems));
      else if (f.body)
        out = *f.body;
      else
        return content_error("malformed $sensitive value", &f);
      out = out.mark_sensitive();
      return true;
    }
    if (tag == "$number") {
      std::string s = f.body && f.body->kind() == ValueKind::String ? f.body->as_string() : "";
      double d = 0;
      if (s == "NaN")
        d = std::numeric_limits<double>::quiet_NaN();
      else if (s == "Infinity")
        d = std::numeric_limits<double>::infinity();
      else if (s == "-Infinity")
        d = -std::numeric_limits<double>::infinity();
      else
        return content_error("$number must be \"NaN\", \"Infinity\" or \"-Infinity\"", &f);
      out = Value::number(Number{false, 0, d});
      return true;
    }
    return content_error(fmt::format("unknown tag `{}`", tag), &f);
  }

  // The path is that of the open frames (tagged objects are not steps of it).
  bool content_error(std::string message, const Frame* = nullptr) {
    AttributePath path;
    for (const Frame& f : stack_) {
      if (!f.object)
        path.emplace_back(f.index);
      else if (!f.tagged)
        path.emplace_back(f.key);
    }
    error.syntax = false;
    error.path = path_str(path);
    error.message = std::move(message);
    return false;
  }

  const JsonValueSites* sites_;
  bool marks_;
  std::vector<Frame> stack_;
};

}  // namespace

bool read_json_values(std::string_view text, const JsonValueSites* sites, Value& out,
                      JsonReadError* error) {
  ValueBuilder b(sites);
  bool ok = json::sax_parse(text.begin(), text.end(), &b, json::input_format_t::json, true);
  if (!ok) {
    if (error) *error = std::move(b.error);
    return false;
  }
  out = std::move(b.result);
  return true;
}

const Value* json_member(const Value& object, const std::string& key) {
  if (object.kind() != ValueKind::Object) return nullptr;
  const ValueMap& m = object.attributes();
  auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}

// --- Writing ---------------------------------------------------------------------------------

namespace {

// Length of the UTF-8 sequence starting at s[i] (0 when invalid).
size_t utf8_length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
  if (n == 2 && c < 0xc2) return 0;  // overlong
  if (n == 3) {
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0)) return 0;  // overlong, surrogate
  }
  if (n == 4) {
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if ((c == 0xf0 && c1 < 0x90) || c > 0xf4 || (c == 0xf4 && c1 >= 0x90)) return 0;
  }
  return n;
}

}  // namespace

bool append_json_string(std::string& out, std::string_view s) {
  const size_t start = out.size();
  out += '"';
  size_t run = 0;  // start of the pending run of bytes copied as they are
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      size_t n = utf8_length(s, i);
      if (n == 0) {
        out.resize(start);
        return false;
      }
      i += n;
      continue;
    }
    out.append(s.data() + run, i - run);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += fmt::format("\\u{:04x}", c);
    }
    run = ++i;
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
  return true;
}

void append_json_double(std::string& out, double d) {
  std::string s = fmt::format("{}", d);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  out += s;
}

namespace {

// Whether a list/set/map needs its element type written: only when it is not the one the
// elements imply. Checked cheaply first: a collection without a declared type implies its own.
bool annotate(const Value& v) {
  Type elem = v.type().element();
  return v.is_sequence() ? elem != implied_element(v.elements())
                         : elem != implied_element(v.attributes());
}

// Writes values; `marks`: also unknown values and sensitive marks (saved plans).
struct Encoder {
  Encoder(std::string& o, std::string* e, std::string w, bool m = false)
      : out(o), error(e), where(std::move(w)), marks(m) {}

  std::string& out;
  std::string* error;
  std::string where;
  bool marks;
  // Where the encoder is, as pointers to keys (no copies): a path is built only for an error.
  std::vector<std::variant<const std::string*, int64_t>> steps;

  AttributePath path() const {
    AttributePath p;
    for (const auto& s : steps) {
      if (const auto* k = std::get_if<const std::string*>(&s))
        p.emplace_back(**k);
      else
        p.emplace_back(std::get<int64_t>(s));
    }
    return p;
  }

  bool seq(const ValueList& elems) {
    out += '[';
    for (size_t i = 0; i < elems.size(); ++i) {
      if (i) out += ',';
      steps.emplace_back(static_cast<int64_t>(i));
      if (!value(elems[i])) return false;
      steps.pop_back();
    }
    out += ']';
    return true;
  }

  bool map(const ValueMap& m) {
    out += '{';
    bool first = true;
    for (const auto& [k, e] : m) {
      if (!first) out += ',';
      first = false;
      steps.emplace_back(&k);
      if (!append_json_string(out, k))
        return fail_at(error, where, path(), "invalid UTF-8 in a key");
      out += ':';
      if (!value(e)) return false;
      steps.pop_back();
    }
    out += '}';
    return true;
  }

  bool value(const Value& v) {
    if (marks && v.is_sensitive()) {
      out += "{\"$sensitive\":";
      if (!value(v.unmarked())) return false;
      out += '}';
      return true;
    }
    switch (v.kind()) {
      case ValueKind::Unknown:
        if (marks) {
          out += "{\"$unknown\":" + type_to_json(v.type()).dump() + "}";
          return true;
        }
        return fail_at(error, where, path(),
                       "an unknown value (known only after apply) cannot be stored in state");
      case ValueKind::Null: {
        Type t = v.type();
        if (t.is_any())
          out += "null";
        else
          out += "{\"$null\":" + type_to_json(t).dump() + "}";
        return true;
      }
      case ValueKind::Bool:
        out += v.as_bool() ? "true" : "false";
        return true;
      case ValueKind::Number: {
        const Number& n = v.as_number();
        if (n.is_int)
          fmt::format_to(std::back_inserter(out), "{}", n.i);
        else if (std::isfinite(n.d))
          append_json_double(out, n.d);
        else
          out += "{\"$number\":\"" + format_number(n) + "\"}";
        return true;
      }
      case ValueKind::String:
        if (!append_json_string(out, v.as_string()))
          return fail_at(error, where, path(), "invalid UTF-8 in a string");
        return true;
      case ValueKind::Tuple:
        out += "{\"$tuple\":";
        if (!seq(v.elements())) return false;
        out += '}';
        return true;
      case ValueKind::Object: {
        bool dollar = false;
        for (const auto& [k, e] : v.attributes())
          if (!k.empty() && k[0] == '$') dollar = true;
        if (dollar) out += "{\"$object\":";
        if (!map(v.attributes())) return false;
        if (dollar) out += '}';
        return true;
      }
      case ValueKind::List:
      case ValueKind::Set: {
        bool typed = annotate(v);
        if (v.kind() == ValueKind::List && !typed) return seq(v.elements());
        // Keys in sorted order, as the tree-based writer put them: $elem before $list/$set.
        out += '{';
        if (typed) out += "\"$elem\":" + type_to_json(v.type().element()).dump() + ",";
        out += v.kind() == ValueKind::List ? "\"$list\":" : "\"$set\":";
        if (!seq(v.elements())) return false;
        out += '}';
        return true;
      }
      case ValueKind::Map: {
        out += '{';
        if (annotate(v)) out += "\"$elem\":" + type_to_json(v.type().element()).dump() + ",";
        out += "\"$map\":";
        if (!map(v.attributes())) return false;
        out += '}';
        return true;
      }
    }
    return fail_at(error, where, path(), "value of an unsupported kind");
  }
};

}  // namespace

bool append_value_json(std::string& out, const Value& v, std::string* error,
                       const std::string& where) {
  const size_t start = out.size();
  Encoder e(out, error, where);
  if (e.value(v)) return true;
  out.resize(start);
  return false;
}

bool append_value_map_json(std::string& out, const ValueMap& m, std::string* error,
                           const std::string& where) {
  const size_t start = out.size();
  Encoder e(out, error, where);
  if (e.map(m)) return true;
  out.resize(start);
  return false;
}

bool append_plan_value_json(std::string& out, const Value& v, std::string* error) {
  const size_t start = out.size();
  Encoder e(out, error, "", true);
  if (e.value(v)) return true;
  out.resize(start);
  return false;
}

}  // namespace orch
