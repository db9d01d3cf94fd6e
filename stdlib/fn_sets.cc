// Set functions: setintersection setproduct setsubtract setunion. Lists and tuples are
// accepted where sets are expected and converted (duplicates dropped, elements sorted).
#include <algorithm>

#include "stdlib/fn_util.h"

namespace orch::fn {

namespace {

bool has(const ValueList& set, const Value& v) {
  return std::any_of(set.begin(), set.end(), [&](const Value& e) { return e.equals(v); });
}

Value setintersection_fn(const Args& a, const CallContext&) {
  ValueList out = seq(a, 0, "first_set");
  for (size_t i = 1; i < a.size(); ++i) {
    ValueList other = seq(a, static_cast<int>(i), "other_sets");
    ValueList kept;
    for (const auto& e : out) {
      if (has(other, e)) kept.push_back(e);
    }
    out = std::move(kept);
  }
  return make_set(std::move(out));
}

Value setunion_fn(const Args& a, const CallContext&) {
  ValueList out;
  for (size_t i = 0; i < a.size(); ++i) {
    for (auto& e : seq(a, static_cast<int>(i), i == 0 ? "first_set" : "other_sets")) {
      out.push_back(e);
    }
  }
  return make_set(std::move(out));
}

Value setsubtract_fn(const Args& a, const CallContext&) {
  ValueList out;
  ValueList b = seq(a, 1, "b");
  for (auto& e : seq(a, 0, "a")) {
    if (!has(b, e)) out.push_back(e);
  }
  return make_set(std::move(out));
}

Value setproduct_fn(const Args& a, const CallContext&) {
  std::vector<ValueList> sets;
  bool all_sets = true;
  for (size_t i = 0; i < a.size(); ++i) {
    ValueList s = seq(a, static_cast<int>(i), "sets");
    if (a[i].kind() != ValueKind::Set) {
      all_sets = false;
      s = make_set(std::move(s)).elements();  // duplicates never make extra combinations
    }
    sets.push_back(std::move(s));
  }
  std::vector<ValueList> rows{{}};
  for (const auto& s : sets) {
    std::vector<ValueList> next;
    for (const auto& row : rows) {
      for (const auto& e : s) {
        ValueList r = row;
        r.push_back(e);
        next.push_back(std::move(r));
      }
    }
    rows = std::move(next);
    if (rows.size() > 100000) fail_call("the product has more than 100000 elements");
  }
  ValueList out;
  for (auto& r : rows) out.push_back(Value::tuple(std::move(r)));
  return all_sets ? make_set(std::move(out)) : make_list(std::move(out));
}

}  // namespace

void add_sets(Functions& f) {
  Type set_any = Type::set(Type::any());
  f.add(make("setintersection", 1, -1, "setintersection(first_set, other_sets...)",
             returns(set_any), setintersection_fn));
  f.add(make("setproduct", 2, -1, "setproduct(sets...)", returns(Type::any()), setproduct_fn));
  f.add(make("setsubtract", 2, 2, "setsubtract(a, b)", returns(set_any), setsubtract_fn));
  f.add(
      make("setunion", 1, -1, "setunion(first_set, other_sets...)", returns(set_any), setunion_fn));
}

}  // namespace orch::fn
