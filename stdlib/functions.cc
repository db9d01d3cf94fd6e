// The built-in function table and call_function (arity, unknown and sensitive handling).
#include "stdlib/functions.h"

#include <algorithm>

#include <fmt/format.h>

#include "compiler/convert.h"
#include "stdlib/fn_util.h"

namespace orch {

namespace {

Functions build() {
  Functions f;
  fn::add_numeric(f);
  fn::add_string(f);
  fn::add_regex(f);
  fn::add_format(f);
  fn::add_collection(f);
  fn::add_sets(f);
  fn::add_encoding(f);
  fn::add_filesystem(f);
  fn::add_conversion(f);
  fn::add_network(f);
  fn::add_crypto(f);
  return f;
}

std::string expected_arity(const Function& fn) {
  auto plural = [](int n) { return n == 1 ? "argument" : "arguments"; };
  if (fn.max_args < 0) return fmt::format("at least {} {}", fn.min_args, plural(fn.min_args));
  if (fn.min_args == fn.max_args) return fmt::format("{} {}", fn.min_args, plural(fn.min_args));
  return fmt::format("{} to {} arguments", fn.min_args, fn.max_args);
}

// Collects the text of every sensitive primitive inside `v`.
void sensitive_texts(const Value& v, bool marked, std::vector<std::string>& out) {
  marked = marked || v.is_sensitive();
  if (v.is_sequence()) {
    for (const auto& e : v.elements()) sensitive_texts(e, marked, out);
  } else if (v.is_mapping()) {
    for (const auto& [k, e] : v.attributes()) {
      if (marked && !k.empty()) out.push_back(k);
      sensitive_texts(e, marked, out);
    }
  } else if (marked) {
    if (auto s = primitive_to_string(v); s && !s->empty()) out.push_back(*s);
  }
}

// A safety net: error messages may quote argument values; never let them quote a secret.
std::string redact(std::string message, const std::vector<Value>& args) {
  std::vector<std::string> secrets;
  for (const auto& a : args) sensitive_texts(a, false, secrets);
  // Longest first, so a secret containing another is replaced whole.
  std::sort(secrets.begin(), secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const auto& s : secrets) {
    for (size_t pos = message.find(s); pos != std::string::npos; pos = message.find(s, pos)) {
      message.replace(pos, s.size(), "(sensitive value)");
      pos += 17;
    }
  }
  return message;
}

}  // namespace

const Functions& Functions::builtin() {
  static const Functions kBuiltin = build();
  return kBuiltin;
}

const Function* Functions::find(std::string_view name) const {
  auto it = std::lower_bound(fns_.begin(), fns_.end(), name,
                             [](const Function& f, std::string_view n) { return f.name < n; });
  if (it == fns_.end() || it->name != name) return nullptr;
  return &*it;
}

std::vector<std::string> Functions::names() const {
  std::vector<std::string> out;
  for (const auto& f : fns_) out.push_back(f.name);
  return out;
}

void Functions::add(Function f) {
  auto it = std::lower_bound(fns_.begin(), fns_.end(), f.name,
                             [](const Function& a, const std::string& n) { return a.name < n; });
  if (it != fns_.end() && it->name == f.name) {
    *it = std::move(f);
  } else {
    fns_.insert(it, std::move(f));
  }
}

CallResult call_function(const Function& fn, const std::vector<Value>& args,
                         const CallContext& ctx) {
  int n = static_cast<int>(args.size());
  if (n < fn.min_args || (fn.max_args >= 0 && n > fn.max_args)) {
    return CallResult{Value(),
                      fmt::format("wrong number of arguments to {}: expected {}, got {}",
                                  fn.signature, expected_arity(fn), n),
                      -1};
  }
  bool sensitive =
      std::any_of(args.begin(), args.end(), [](const Value& a) { return a.contains_sensitive(); });
  bool known =
      std::all_of(args.begin(), args.end(), [](const Value& a) { return a.is_wholly_known(); });
  CallResult r;
  if (!known && !fn.handles_unknown) {
    r.value = Value::unknown(fn.result_type ? fn.result_type(args) : Type::any());
  } else if (fn.impl) {
    r = fn.impl(args, ctx);
  } else {
    r.error = fmt::format("function {} has no implementation", fn.name);
  }
  // Results derived from secrets are secret (errors never echo argument values).
  if (r.ok() && sensitive) r.value = r.value.mark_sensitive();
  if (!r.ok() && sensitive) r.error = redact(std::move(r.error), args);
  return r;
}

}  // namespace orch
