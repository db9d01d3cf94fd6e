// Conversion functions: tobool tolist tomap tonumber toset tostring type, and env.
#include <cstdlib>

#include <fmt/format.h>

#include "compiler/convert.h"
#include "stdlib/fn_util.h"

namespace orch::fn {

namespace {

// A conversion function: null and unknown pass through (typed), failures name the reason.
Function converter(const std::string& name, Type target) {
  return make(
      name, 1, 1, name + "(v)", returns(target),
      [target](const Args& a, const CallContext&) {
        std::string why;
        auto c = convert(a[0], target, &why);
        if (!c) fail(0, "v", why);
        return *c;
      },
      true);
}

Value env_fn(const Args& a, const CallContext& ctx) {
  std::string name = str(a, 0, "name");
  const char* v = ctx.getenv ? ctx.getenv(name.c_str()) : std::getenv(name.c_str());
  if (v) return Value::string(v);
  if (a.size() > 1) {
    if (a[1].is_unknown()) throw UnknownResult{};
    return a[1];
  }
  fail(0, "name",
       fmt::format("environment variable \"{}\" is not set and no default was given", name));
}

}  // namespace

void add_conversion(Functions& f) {
  f.add(converter("tobool", Type::boolean()));
  f.add(converter("tonumber", Type::number()));
  f.add(converter("tostring", Type::string()));
  f.add(converter("tolist", Type::list(Type::any())));
  f.add(converter("toset", Type::set(Type::any())));
  f.add(converter("tomap", Type::map(Type::any())));
  f.add(make(
      "type", 1, 1, "type(value)", returns(Type::string()),
      [](const Args& a, const CallContext&) { return Value::string(a[0].type().str()); }, true));
  f.add(make("env", 1, 2, "env(name, default)", returns(Type::string()), env_fn, true));
}

}  // namespace orch::fn
