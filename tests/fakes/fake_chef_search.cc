// The fake Chef Server's search: index documents as erchef builds them (nodes' attributes
// deep-merged under their top-level fields), a Solr query subset, paging, and partial search.
#include <algorithm>
#include <cctype>

#include "tests/fakes/fake_chef.h"

namespace orch::fakes {

namespace {

Json deep_merge(Json base, const Json& over) {
  if (!base.is_object() || !over.is_object()) return over.is_null() ? base : over;
  for (const auto& [k, v] : over.items()) base[k] = base.contains(k) ? deep_merge(base[k], v) : v;
  return base;
}

std::vector<std::string> run_list_items(const Json& run_list, const std::string& kind) {
  std::vector<std::string> out;
  if (!run_list.is_array()) return out;
  const std::string prefix = kind + "[";
  for (const auto& e : run_list)
    if (e.is_string() && e.get<std::string>().rfind(prefix, 0) == 0) {
      std::string s = e.get<std::string>();
      out.push_back(s.substr(prefix.size(), s.size() - prefix.size() - 1));
    }
  return out;
}

// Field → values, as Chef's indexer expands an object: nested keys joined with '_' (and '.'),
// each leaf key also on its own; array elements are values of their key.
void expand(const Json& j, const std::string& path, const std::string& leaf,
            std::map<std::string, std::vector<std::string>>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      expand(v, path.empty() ? k : path + "_" + k, k, out);
      if (!path.empty()) expand(v, path + "." + k, k, out);
    }
    return;
  }
  if (j.is_array()) {
    for (const auto& e : j) expand(e, path, leaf, out);
    return;
  }
  std::string value = j.is_string() ? j.get<std::string>() : j.dump();
  out[path].push_back(value);
  if (leaf != path) out[leaf].push_back(value);
}

// The values of one field, found without expanding the whole document: a field without '_' or
// '.' can only be a leaf key (at any depth) or a top-level key, so keys are compared in place.
// Fields with separators, and "*", fall back to the full expansion (built once per document).
class Fields {
 public:
  explicit Fields(const Json& doc) : doc_(doc) {}
  const std::vector<std::string>& values(const std::string& field) {
    auto it = cache_.find(field);
    if (it != cache_.end()) return it->second;
    std::vector<std::string>& out = cache_[field];
    if (field.find_first_of("_.") == std::string::npos) {
      collect(doc_, field, out);
    } else {
      const auto& all = expanded();
      auto f = all.find(field);
      if (f != all.end()) out = f->second;
    }
    return out;
  }
  const std::map<std::string, std::vector<std::string>>& expanded() {
    if (!expanded_) {
      expanded_.emplace();
      expand(doc_, "", "", *expanded_);
    }
    return *expanded_;
  }

 private:
  static void scalars(const Json& j, std::vector<std::string>& out) {
    if (j.is_object()) return;  // an object's values are indexed under their own keys
    if (j.is_array()) {
      for (const auto& e : j) scalars(e, out);
      return;
    }
    out.push_back(j.is_string() ? j.get<std::string>() : j.dump());
  }
  static void collect(const Json& j, const std::string& key, std::vector<std::string>& out) {
    if (j.is_array()) {
      for (const auto& e : j) collect(e, key, out);
      return;
    }
    if (!j.is_object()) return;
    for (const auto& [k, v] : j.items()) {
      if (k == key) scalars(v, out);
      if (v.is_structured()) collect(v, key, out);
    }
  }
  const Json& doc_;
  std::map<std::string, std::vector<std::string>> cache_;
  std::optional<std::map<std::string, std::vector<std::string>>> expanded_;
};

bool wildcard(const std::string& pattern, const std::string& text, size_t p = 0, size_t t = 0) {
  while (p < pattern.size()) {
    if (pattern[p] == '*') {
      for (size_t k = t; k <= text.size(); ++k)
        if (wildcard(pattern, text, p + 1, k)) return true;
      return false;
    }
    if (t >= text.size()) return false;
    if (pattern[p] != '?' && pattern[p] != text[t]) return false;
    ++p;
    ++t;
  }
  return t == text.size();
}

// A term with its wildcards kept apart from escaped characters: '\x01' stands for '*' and
// '\x02' for '?' after unescaping, so an escaped '*' matches a literal '*'.
std::string as_pattern(const std::string& raw, bool quoted) {
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\' && i + 1 < raw.size()) {
      out += raw[++i];
    } else if (!quoted && c == '*') {
      out += '\x01';
    } else if (!quoted && c == '?') {
      out += '\x02';
    } else {
      out += c;
    }
  }
  return out;
}

bool pattern_match(const std::string& pattern, const std::string& text) {
  std::string p, t = text;
  bool has_wild = false;
  for (char c : pattern) {
    if (c == '\x01') {
      p += '*';
      has_wild = true;
    } else if (c == '\x02') {
      p += '?';
      has_wild = true;
    } else {
      p += c;
    }
  }
  if (!has_wild) return p == t;
  // Literal '*' and '?' in the text are not special to wildcard(); escaped ones in the pattern
  // would be: rare in Chef names, accepted.
  return wildcard(p, t);
}

struct Parser {
  const std::string& q;
  Fields& fields;
  size_t pos = 0;
  std::string error;

  void skip() {
    while (pos < q.size() && std::isspace(static_cast<unsigned char>(q[pos]))) ++pos;
  }
  bool at_word(const char* w) {
    skip();
    size_t n = std::char_traits<char>::length(w);
    if (q.compare(pos, n, w) != 0) return false;
    size_t end = pos + n;
    if (end < q.size() && !std::isspace(static_cast<unsigned char>(q[end])) && q[end] != '(')
      return false;
    pos = end;
    return true;
  }
  // A raw token up to whitespace, ')' or (when `stop_colon`) an unescaped ':'.
  std::string token(bool stop_colon) {
    skip();
    std::string out;
    if (pos < q.size() && q[pos] == '"') {
      size_t end = pos + 1;
      while (end < q.size() && q[end] != '"') end += q[end] == '\\' ? 2 : 1;
      out = q.substr(pos, end + 1 - pos);
      pos = std::min(end + 1, q.size());
      return out;
    }
    while (pos < q.size()) {
      char c = q[pos];
      if (c == '\\' && pos + 1 < q.size()) {
        out += q.substr(pos, 2);
        pos += 2;
        continue;
      }
      if (std::isspace(static_cast<unsigned char>(c)) || c == ')' || c == '(') break;
      if (stop_colon && c == ':') break;
      out += c;
      ++pos;
    }
    return out;
  }
  bool term_matches(const std::string& field, const std::string& raw) {
    const bool quoted = raw.size() >= 2 && raw.front() == '"' && raw.back() == '"';
    const std::string pat = as_pattern(quoted ? raw.substr(1, raw.size() - 2) : raw, quoted);
    if (field == "*") {
      if (pat == "\x01") return true;
      for (const auto& [f, values] : fields.expanded())
        for (const auto& v : values)
          if (pattern_match(pat, v)) return true;
      return false;
    }
    for (const auto& v : fields.values(field))
      if (pattern_match(pat, v)) return true;
    return false;
  }
  // Values of one field: a term, or a parenthesised group of terms with OR/AND.
  bool field_value(const std::string& field) {
    skip();
    if (pos < q.size() && q[pos] == '(') {
      ++pos;
      bool any = false, all = true, saw_and = false;
      while (true) {
        skip();
        if (pos >= q.size()) {
          error = "unbalanced parentheses";
          return false;
        }
        if (q[pos] == ')') {
          ++pos;
          break;
        }
        if (at_word("OR")) continue;
        if (at_word("AND")) {
          saw_and = true;
          continue;
        }
        std::string t = token(false);
        if (t.empty()) {
          error = "empty term";
          return false;
        }
        bool m = term_matches(field, t);
        any = any || m;
        all = all && m;
      }
      return saw_and ? all : any;
    }
    std::string t = token(false);
    if (t.empty()) error = "missing value after \"" + field + ":\"";
    return term_matches(field, t);
  }
  bool primary() {
    skip();
    if (pos >= q.size()) {
      error = "unexpected end of query";
      return false;
    }
    if (q[pos] == '(') {
      ++pos;
      bool v = expr();
      skip();
      if (pos >= q.size() || q[pos] != ')') {
        error = "unbalanced parentheses";
        return false;
      }
      ++pos;
      return v;
    }
    std::string field = token(true);
    if (pos < q.size() && q[pos] == ':') {
      ++pos;
      return field_value(as_pattern(field, false) == "\x01" ? "*" : as_pattern(field, false));
    }
    if (field.empty()) {
      error = "unexpected '" + q.substr(pos, 1) + "'";
      ++pos;
      return false;
    }
    return term_matches("*", field);
  }
  bool unary() {
    skip();
    if (at_word("NOT")) return !unary();
    if (pos < q.size() && q[pos] == '-') {
      ++pos;
      return !unary();
    }
    if (pos < q.size() && q[pos] == '+') ++pos;
    return primary();
  }
  bool and_expr() {
    bool v = unary();
    while (error.empty()) {
      size_t save = pos;
      if (at_word("AND") || (skip(), q.compare(pos, 2, "&&") == 0 && (pos += 2))) {
        bool r = unary();
        v = v && r;
        continue;
      }
      pos = save;
      break;
    }
    return v;
  }
  bool expr() {
    bool v = and_expr();
    while (error.empty()) {
      skip();
      if (pos >= q.size() || q[pos] == ')') break;
      if (!at_word("OR")) {
        if (q.compare(pos, 2, "||") == 0) pos += 2;
      }
      // Lucene's default operator between clauses is OR.
      bool r = and_expr();
      v = v || r;
    }
    return v;
  }
};

std::string object_url(const std::string& base, const std::string& index, const std::string& name) {
  if (index == "node") return base + "/nodes/" + name;
  if (index == "role") return base + "/roles/" + name;
  if (index == "environment") return base + "/environments/" + name;
  if (index == "client") return base + "/clients/" + name;
  return base + "/data/" + index + "/" + name;
}

Json client_doc(const FakeChefClient& c) {
  return Json{{"name", c.name},
              {"clientname", c.name},
              {"validator", c.validator},
              {"public_key", c.public_key},
              {"json_class", "Chef::ApiClient"},
              {"chef_type", "client"}};
}

}  // namespace

Json index_document(const std::string& index, const Json& object) {
  if (index != "node") return object;
  Json merged = Json::object();
  for (const char* level : {"default", "normal", "override", "automatic"})
    if (object.contains(level)) merged = deep_merge(merged, object[level]);
  const Json run_list = object.value("run_list", Json::array());
  merged["name"] = object.value("name", "");
  merged["chef_type"] = "node";
  merged["chef_environment"] = object.value("chef_environment", "_default");
  merged["recipe"] = run_list_items(run_list, "recipe");
  merged["role"] = run_list_items(run_list, "role");
  merged["run_list"] = run_list;
  for (const char* k : {"policy_name", "policy_group"})
    if (object.contains(k) && !object[k].is_null()) merged[k] = object[k];
  return merged;
}

std::optional<bool> solr_match(const std::string& q, const Json& doc, std::string* error) {
  Fields fields(doc);
  Parser p{q, fields, 0, {}};
  bool v = p.expr();
  p.skip();
  if (p.error.empty() && p.pos < q.size()) p.error = "unexpected ')'";
  if (!p.error.empty()) {
    *error = p.error;
    return std::nullopt;
  }
  return v;
}

std::optional<HttpResponse> search_endpoint(FakeChefStore& store, const std::string& base,
                                            const HttpRequest& req,
                                            const std::vector<std::string>& parts, const Json& body,
                                            std::string* route) {
  if (parts.size() == 1) {
    *route = req.method + " /search";
    Json out = Json::object();
    for (const char* i : {"node", "role", "environment", "client"}) out[i] = base + "/search/" + i;
    for (const auto& [bag, items] : store.data) out[bag] = base + "/search/" + bag;
    return chef_json(200, out);
  }
  if (parts.size() != 2) return std::nullopt;
  *route = req.method + " /search/:index";
  if (req.method != "GET" && req.method != "POST") return chef_error(405, "Method not allowed");
  const std::string& index = parts[1];
  auto params = req.params();
  std::string q = params.count("q") && !params["q"].empty() ? params["q"] : "*:*";
  int64_t rows = 1000, start = 0;
  try {
    if (params.count("rows")) rows = std::stoll(params["rows"]);
    if (params.count("start")) start = std::stoll(params["start"]);
  } catch (...) {
    return chef_error(400, "invalid rows or start");
  }
  if (rows < 0 || start < 0) return chef_error(400, "invalid rows or start");
  const bool partial = req.method == "POST";
  if (partial) {
    bool ok = body.is_object();
    if (ok)
      for (const auto& [k, v] : body.items()) {
        ok = ok && v.is_array();
        for (const auto& e : v) ok = ok && e.is_string();
      }
    if (!ok) return chef_error(400, "invalid partial search request body");
  }

  // Candidates, by name (erchef answers in object-id order; names are as stable).
  std::map<std::string, Json> clients;
  const std::map<std::string, Json>* objects = nullptr;
  if (index == "node") {
    objects = &store.nodes;
  } else if (index == "role") {
    objects = &store.roles;
  } else if (index == "environment") {
    objects = &store.environments;
  } else if (index == "client") {
    for (const auto& [n, c] : store.clients) clients[n] = client_doc(c);
    objects = &clients;
  } else if (auto b = store.data.find(index); b != store.data.end()) {
    objects = &b->second;
  } else {
    return chef_error(404, "I don't know how to search for " + index + " data objects.");
  }
  const std::string cache_key = index + "\n" + q;
  auto& cached = store.search_cache[cache_key];
  if (cached.first != store.generation || (cached.first == 0 && cached.second.empty())) {
    cached.second.clear();
    std::string error;
    for (const auto& [name, obj] : *objects) {
      auto m = solr_match(q, index_document(index, obj), &error);
      if (!m) {
        store.search_cache.erase(cache_key);
        return chef_error(400, "invalid search query: '" + q + "' (" + error + ")");
      }
      if (*m) cached.second.push_back(name);
    }
    cached.first = store.generation;
  }
  const std::vector<std::string>& hits = cached.second;
  Json out_rows = Json::array();
  for (int64_t i = start; i < static_cast<int64_t>(hits.size()) && i < start + rows; ++i) {
    const std::string& name = hits[static_cast<size_t>(i)];
    auto it = objects->find(name);
    if (it == objects->end()) continue;
    const Json& obj = it->second;
    const bool bag =
        index != "node" && index != "role" && index != "environment" && index != "client";
    if (!partial) {
      if (bag)
        out_rows.push_back(Json{{"name", "data_bag_item_" + index + "_" + name},
                                {"json_class", "Chef::DataBagItem"},
                                {"chef_type", "data_bag_item"},
                                {"data_bag", index},
                                {"raw_data", obj}});
      else
        out_rows.push_back(obj);
      continue;
    }
    const Json doc = index_document(index, obj);
    Json data = Json::object();
    for (const auto& [key, path] : body.items()) {
      const Json* cur = path.empty() ? nullptr : &doc;
      for (const auto& seg : path) {
        if (!cur || !cur->is_object()) {
          cur = nullptr;
          break;
        }
        auto f = cur->find(seg.get<std::string>());
        cur = f == cur->end() ? nullptr : &*f;
      }
      data[key] = cur ? *cur : Json(nullptr);
    }
    out_rows.push_back(Json{{"url", object_url(base, index, name)}, {"data", data}});
  }
  return chef_json(200, Json{{"total", hits.size()}, {"start", start}, {"rows", out_rows}});
}

}  // namespace orch::fakes
