// Collection functions over lists, tuples, maps and objects: alltrue anytrue chunklist coalesce
// coalescelist compact concat contains distinct element flatten index keys length lookup
// matchkeys merge one range reverse slice sort transpose values zipmap.
#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "compiler/convert.h"
#include "stdlib/fn_util.h"

namespace orch::fn {

namespace {

Value all_any(const Args& a, bool want_all) {
  ValueList elems = seq(a, 0, "list");
  for (size_t i = 0; i < elems.size(); ++i) {
    bool b = false;
    if (!elems[i].is_null()) {
      auto c = convert(elems[i], Type::boolean());
      if (!c) fail(0, "list", fmt::format("element {}: bool required", i));
      b = c->unmarked().as_bool();
    }
    if (want_all && !b) return Value::boolean(false);
    if (!want_all && b) return Value::boolean(true);
  }
  return Value::boolean(want_all);
}

Value chunklist_fn(const Args& a, const CallContext&) {
  ValueList elems = seq(a, 0, "list");
  int64_t size = whole(a, 1, "size");
  if (size < 0) fail(1, "size", "the size argument must be positive");
  if (size == 0) return Value::list({make_list(elems)});
  ValueList chunks;
  for (size_t i = 0; i < elems.size(); i += static_cast<size_t>(size)) {
    size_t end = std::min(elems.size(), i + static_cast<size_t>(size));
    chunks.push_back(make_list(
        ValueList(elems.begin() + static_cast<long>(i), elems.begin() + static_cast<long>(end))));
  }
  return make_list(std::move(chunks));
}

Value coalesce_fn(const Args& a, const CallContext&) {
  std::vector<Type> types;
  for (const auto& v : a) types.push_back(v.type());
  bool ok = true;
  Type t = unify(types, &ok);
  if (!ok) fail_call("all arguments must have the same type");
  for (const auto& v : a) {
    if (v.is_unknown()) throw UnknownResult{};
    if (v.is_null()) continue;
    if (v.kind() == ValueKind::String && v.as_string().empty()) continue;
    auto c = convert(v, t);
    return c ? *c : v;
  }
  fail_call("no non-null, non-empty-string arguments");
}

Value coalescelist_fn(const Args& a, const CallContext&) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].is_unknown()) throw UnknownResult{};
    if (a[i].is_null()) continue;
    if (!a[i].is_sequence()) fail(static_cast<int>(i), "vals", "list or tuple required");
    if (a[i].length() > 0) return a[i];
  }
  fail_call("no non-null arguments");
}

Value compact_fn(const Args& a, const CallContext&) {
  ValueList elems = seq(a, 0, "list");
  ValueList out;
  for (size_t i = 0; i < elems.size(); ++i) {
    if (elems[i].is_null()) continue;
    auto s = primitive_to_string(elems[i].unmarked());
    if (!s) fail(0, "list", fmt::format("element {}: string required", i));
    if (!s->empty()) out.push_back(Value::string(*s).mark_sensitive(elems[i].is_sensitive()));
  }
  return Value::list(std::move(out), Type::string());
}

Value concat_fn(const Args& a, const CallContext&) {
  ValueList out;
  for (size_t i = 0; i < a.size(); ++i) {
    for (auto& e : seq(a, static_cast<int>(i), "seqs")) out.push_back(e);
  }
  return make_list(std::move(out));
}

Value distinct_fn(const Args& a, const CallContext&) {
  ValueList out;
  for (const auto& e : seq(a, 0, "list")) {
    if (std::none_of(out.begin(), out.end(), [&](const Value& o) { return o.equals(e); })) {
      out.push_back(e);
    }
  }
  return make_list(std::move(out));
}

Value element_fn(const Args& a, const CallContext&) {
  ValueList elems = seq(a, 0, "list");
  int64_t idx = whole(a, 1, "index");
  if (idx < 0) fail(1, "index", "cannot use element function with a negative index");
  if (elems.empty()) fail(0, "list", "cannot use element function with an empty list");
  return elems[static_cast<size_t>(idx) % elems.size()];
}

void flatten_into(const ValueList& elems, ValueList& out) {
  for (const auto& e : elems) {
    if (e.is_unknown()) throw UnknownResult{};
    if (e.is_sequence()) {
      flatten_into(e.elements(), out);
    } else {
      out.push_back(e);
    }
  }
}

Value index_fn(const Args& a, const CallContext&) {
  ValueList elems = seq(a, 0, "list");
  for (size_t i = 0; i < elems.size(); ++i) {
    if (elems[i].equals(a[1])) return Value::number(static_cast<int64_t>(i));
  }
  fail(1, "value", "item not found");
}

Value keys_fn(const Args& a, const CallContext&) {
  ValueList out;
  for (const auto& [k, v] : mapping(a, 0, "inputMap")) out.push_back(Value::string(k));
  return Value::list(std::move(out), Type::string());
}

Value length_fn(const Args& a, const CallContext&) {
  const Value& v = a[0];
  if (v.is_unknown()) throw UnknownResult{};
  if (v.is_null()) fail(0, "value", "argument must not be null");
  if (v.kind() == ValueKind::String) {
    return Value::number(static_cast<int64_t>(utf8_chars(v.as_string()).size()));
  }
  if (v.is_sequence() || v.is_mapping()) return Value::number(static_cast<int64_t>(v.length()));
  fail(0, "value", "argument must be a string, a collection type, or a structural type");
}

Value lookup_fn(const Args& a, const CallContext&) {
  ValueMap m = mapping(a, 0, "inputMap");
  if (a[1].is_unknown()) throw UnknownResult{};
  std::string key = str(a, 1, "key");
  auto it = m.find(key);
  if (it != m.end()) return it->second;
  if (a.size() > 2) {
    if (a[2].is_unknown()) throw UnknownResult{};
    return a[2];
  }
  fail_call(fmt::format("lookup failed to find key \"{}\"", key));
}

Value matchkeys_fn(const Args& a, const CallContext&) {
  ValueList vals = seq(a, 0, "values");
  ValueList keys = seq(a, 1, "keys");
  ValueList search = seq(a, 2, "searchset");
  if (vals.size() != keys.size()) fail_call("length of keys and values should be equal");
  ValueList out;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (std::any_of(search.begin(), search.end(),
                    [&](const Value& s) { return s.equals(keys[i]); })) {
      out.push_back(vals[i]);
    }
  }
  return make_list(std::move(out));
}

Value merge_fn(const Args& a, const CallContext&) {
  ValueMap out;
  bool all_maps = true;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].is_null()) continue;
    if (a[i].is_unknown()) throw UnknownResult{};
    if (!a[i].is_mapping()) fail(static_cast<int>(i), "maps", "map or object required");
    all_maps = all_maps && a[i].kind() == ValueKind::Map;
    for (const auto& [k, v] : a[i].attributes()) out[k] = v;
  }
  if (all_maps) {
    std::vector<Type> types;
    for (const auto& [k, v] : out) types.push_back(v.type());
    bool ok = true;
    Type t = unify(types, &ok);
    if (ok) {
      for (auto& [k, v] : out) {
        if (auto c = convert(v, t)) v = *c;
      }
      return Value::map(std::move(out), t);
    }
  }
  return Value::object(std::move(out));
}

Value one_fn(const Args& a, const CallContext&) {
  ValueList elems = seq(a, 0, "list");
  if (elems.empty()) return Value::null();
  if (elems.size() == 1) return elems[0];
  fail(0, "list", "must be a list, set, or tuple value with either zero or one elements");
}

Value range_fn(const Args& a, const CallContext&) {
  double start = 0, limit = 0, step = 1;
  if (a.size() == 1) {
    limit = num(a, 0, "params").as_double();
  } else {
    start = num(a, 0, "params").as_double();
    limit = num(a, 1, "params").as_double();
    if (a.size() == 3) {
      step = num(a, 2, "params").as_double();
    } else if (limit < start) {
      step = -1;
    }
  }
  if (step == 0) fail(2, "params", "step must not be zero");
  if ((step > 0 && start > limit) || (step < 0 && start < limit)) {
    fail_call(step > 0 ? "start must be less than or equal to limit when step is positive"
                       : "start must be greater than or equal to limit when step is negative");
  }
  ValueList out;
  for (double v = start; step > 0 ? v < limit : v > limit; v += step) {
    if (out.size() == 1024) {
      fail_call(
          "more than 1024 values were generated; either decrease the difference "
          "between start and limit or use a larger step");
    }
    out.push_back(Value::number(v));
  }
  return Value::list(std::move(out), Type::number());
}

Value reverse_fn(const Args& a, const CallContext&) {
  ValueList elems = seq(a, 0, "list");
  std::reverse(elems.begin(), elems.end());
  return make_list(std::move(elems));
}

Value slice_fn(const Args& a, const CallContext&) {
  ValueList elems = seq(a, 0, "list");
  int64_t start = whole(a, 1, "start_index");
  int64_t end = whole(a, 2, "end_index");
  if (start < 0) fail(1, "start_index", "must not be negative");
  if (end > static_cast<int64_t>(elems.size())) {
    fail(2, "end_index", "must not be greater than the length of the list");
  }
  if (start > end) fail(1, "start_index", "must not be greater than end_index");
  return make_list(ValueList(elems.begin() + start, elems.begin() + end));
}

Value sort_fn(const Args& a, const CallContext&) {
  std::vector<std::string> s = strings(a, 0, "list");
  std::sort(s.begin(), s.end());
  ValueList out;
  for (auto& x : s) out.push_back(Value::string(x));
  return Value::list(std::move(out), Type::string());
}

Value transpose_fn(const Args& a, const CallContext&) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& [k, v] : mapping(a, 0, "values")) {
    if (!v.is_sequence()) fail(0, "values", fmt::format("attribute \"{}\": list required", k));
    for (size_t i = 0; i < v.length(); ++i) {
      auto s = primitive_to_string(v.elements()[i].unmarked());
      if (!s) fail(0, "values", fmt::format("attribute \"{}\": element {}: string required", k, i));
      out[*s].insert(k);
    }
  }
  ValueMap m;
  for (const auto& [k, set] : out) {
    ValueList l;
    for (const auto& s : set) l.push_back(Value::string(s));
    m.emplace(k, Value::list(std::move(l), Type::string()));
  }
  return Value::map(std::move(m), Type::list(Type::string()));
}

Value values_fn(const Args& a, const CallContext&) {
  ValueList out;
  for (const auto& [k, v] : mapping(a, 0, "mapping")) out.push_back(v);
  return make_list(std::move(out));
}

Value zipmap_fn(const Args& a, const CallContext&) {
  std::vector<std::string> keys = strings(a, 0, "keys");
  ValueList vals = seq(a, 1, "values");
  if (keys.size() != vals.size()) {
    fail_call(fmt::format("number of keys ({}) does not match number of values ({})", keys.size(),
                          vals.size()));
  }
  ValueMap m;
  for (size_t i = 0; i < keys.size(); ++i) m[keys[i]] = vals[i];
  std::vector<Type> types;
  for (const auto& [k, v] : m) types.push_back(v.type());
  bool ok = true;
  Type t = unify(types, &ok);
  if (!ok) return Value::object(std::move(m));
  for (auto& [k, v] : m) {
    if (auto c = convert(v, t)) v = *c;
  }
  return Value::map(std::move(m), t);
}

// The element type of the first argument when it is a collection (for unknown results).
Type element_of_first(const Args& a) {
  return a.empty() ? Type::any() : a[0].type().element();
}

}  // namespace

void add_collection(Functions& f) {
  Type b = Type::boolean();
  Type any = Type::any();
  Type strings_t = Type::list(Type::string());
  f.add(make("alltrue", 1, 1, "alltrue(list)", returns(b),
             [](const Args& a, const CallContext&) { return all_any(a, true); }));
  f.add(make("anytrue", 1, 1, "anytrue(list)", returns(b),
             [](const Args& a, const CallContext&) { return all_any(a, false); }));
  f.add(make("chunklist", 2, 2, "chunklist(list, size)", returns(Type::list(any)), chunklist_fn));
  f.add(make("coalesce", 1, -1, "coalesce(vals...)", returns(any), coalesce_fn, true));
  f.add(make("coalescelist", 1, -1, "coalescelist(vals...)", returns(any), coalescelist_fn, true));
  f.add(make("compact", 1, 1, "compact(list)", returns(strings_t), compact_fn));
  f.add(make("concat", 0, -1, "concat(seqs...)", returns(Type::list(any)), concat_fn, true));
  f.add(make("contains", 2, 2, "contains(list, value)", returns(b),
             [](const Args& a, const CallContext&) {
               ValueList elems = seq(a, 0, "list");
               return Value::boolean(std::any_of(elems.begin(), elems.end(),
                                                 [&](const Value& e) { return e.equals(a[1]); }));
             }));
  f.add(make("distinct", 1, 1, "distinct(list)", returns(Type::list(any)), distinct_fn));
  f.add(make("element", 2, 2, "element(list, index)", element_of_first, element_fn, true));
  f.add(make(
      "flatten", 1, 1, "flatten(list)", returns(Type::list(any)),
      [](const Args& a, const CallContext&) {
        ValueList out;
        flatten_into(seq(a, 0, "list"), out);
        return make_list(std::move(out));
      },
      true));
  f.add(make("index", 2, 2, "index(list, value)", returns(Type::number()), index_fn));
  f.add(make("keys", 1, 1, "keys(inputMap)", returns(strings_t), keys_fn, true));
  f.add(make("length", 1, 1, "length(value)", returns(Type::number()), length_fn, true));
  f.add(make("lookup", 2, 3, "lookup(inputMap, key, default)", element_of_first, lookup_fn, true));
  f.add(make("matchkeys", 3, 3, "matchkeys(values, keys, searchset)", returns(Type::list(any)),
             matchkeys_fn));
  f.add(make("merge", 0, -1, "merge(maps...)", returns(any), merge_fn, true));
  f.add(make("one", 1, 1, "one(list)", element_of_first, one_fn));
  f.add(make("range", 1, 3, "range(params...)", returns(Type::list(Type::number())), range_fn));
  f.add(make("reverse", 1, 1, "reverse(list)", returns(Type::list(any)), reverse_fn, true));
  f.add(make("slice", 3, 3, "slice(list, start_index, end_index)", returns(Type::list(any)),
             slice_fn));
  f.add(make("sort", 1, 1, "sort(list)", returns(strings_t), sort_fn));
  f.add(make("transpose", 1, 1, "transpose(values)", returns(Type::map(strings_t)), transpose_fn));
  f.add(make("values", 1, 1, "values(mapping)", returns(Type::list(any)), values_fn, true));
  f.add(make("zipmap", 2, 2, "zipmap(keys, values)", returns(Type::map(any)), zipmap_fn, true));
}

}  // namespace orch::fn
