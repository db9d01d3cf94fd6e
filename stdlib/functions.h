// The built-in function table: names, arities, and implementations over Values.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/value.h"

namespace orch {

// What a function may need from its surroundings (files are read relative to base_dir).
struct CallContext {
  std::string base_dir;  // path.module of the calling module
  // Renders a template string with the given variables (templatefile). Set by the evaluator.
  std::function<Value(const std::string& name, const std::string& text, const ValueMap& vars,
                      std::string* error)>
      render_template;
  // Reads an environment variable; tests replace it. Unset means the real environment.
  std::function<const char*(const char*)> getenv;
};

struct CallResult {
  Value value;
  std::string error;   // empty on success
  int error_arg = -1;  // index of the argument at fault, -1 for the call as a whole
  bool ok() const { return error.empty(); }
};

struct Function {
  std::string name;
  int min_args = 0;
  int max_args = 0;       // -1: variadic
  std::string signature;  // for docs and arity errors: "join(separator, list)"
  // Functions that inspect unknowns themselves (length of a known-length list, coalesce...)
  // set this; otherwise any unknown argument makes the result unknown without calling impl.
  bool handles_unknown = false;
  std::function<CallResult(const std::vector<Value>& args, const CallContext& ctx)> impl;
  // The type of the result given the arguments (used for the unknown result when an argument
  // is unknown). Unset means any.
  std::function<Type(const std::vector<Value>& args)> result_type;
};

class Functions {
 public:
  // The standard library. Built once, immutable afterwards.
  static const Functions& builtin();

  const Function* find(std::string_view name) const;
  std::vector<std::string> names() const;  // sorted
  void add(Function f);

 private:
  std::vector<Function> fns_;  // sorted by name
};

// Calls `fn` with arity checks, unknown propagation and sensitive-mark propagation applied.
// `try` and `can` are not in the table: the evaluator handles them (they need lazy arguments).
CallResult call_function(const Function& fn, const std::vector<Value>& args,
                         const CallContext& ctx);

}  // namespace orch
