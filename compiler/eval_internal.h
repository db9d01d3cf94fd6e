// The expression evaluator's internals, shared by eval.cc and its eval_*.cc parts.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "compiler/eval.h"

namespace orch::detail {

// The value a failed sub-expression evaluates to: unknown of any type, which every operation
// accepts silently, so that one error does not cascade into others.
inline Value error_value() {
  return Value::unknown(Type::any());
}

// Whether any of the values carries a sensitive mark (at the top or inside).
bool any_sensitive(std::initializer_list<const Value*> values);

// Primitive conversions used by operators and templates. They fail on null and unknown; callers
// handle those first. Sensitive marks are the caller's business.
bool to_number(const Value& v, Number* out);
bool to_bool(const Value& v, bool* out);
bool to_string(const Value& v, std::string* out);
// "a number", "a string", "a list of string", ... for messages.
std::string describe_type(const Value& v);

class Evaluator {
 public:
  Evaluator(const EvalScope& scope, Diagnostics& diags);

  Value eval(const Expr& e);

  // eval_ops.cc
  Value unary(const Expr& e);
  Value binary(const Expr& e);
  // eval_template.cc
  Value template_(const Expr& e);
  Value template_if(const Expr& e);
  Value template_for(const Expr& e);
  Value for_expr(const Expr& e);
  Value splat(const Expr& e);
  Value splat_item(const Expr& e);
  // eval.cc
  Value variable(const Expr& e);
  Value get_attr(const Expr& e);
  Value index(const Expr& e);
  Value tuple(const Expr& e);
  Value object(const Expr& e);
  Value conditional(const Expr& e);
  Value call(const Expr& e);
  Value try_call(const Expr& e);
  Value can_call(const Expr& e);

  // Attribute / index access on an evaluated value; `at` is the range to report errors at.
  Value get_attr_of(const Value& v, const std::string& name, const Range& at);
  Value index_of(const Value& v, const Value& key, const Range& at);
  // Looks a reference up in the scope (reporting what is missing).
  Value lookup(std::string_view root, std::string_view type, std::string_view name,
               const Range& at);

  Diagnostics& diags() { return *diags_; }
  const EvalScope& scope() const { return scope_; }

  // Names bound by `for` expressions and template `%{for}`, innermost last.
  std::vector<std::pair<std::string, Value>> bound;
  // Elements of the splats being evaluated, innermost last.
  std::vector<Value> splat_items;

 private:
  const Value* find_bound(std::string_view name) const;
  Value report(const Range& at, std::string summary, std::string detail);

  const EvalScope& scope_;
  Diagnostics* diags_;
  int depth_ = 0;
  friend class DiagnosticsSwap;
};

// Redirects an evaluator's diagnostics into another collection for a while (try/can).
class DiagnosticsSwap {
 public:
  DiagnosticsSwap(Evaluator& ev, Diagnostics& into) : ev_(ev), saved_(ev.diags_) {
    ev.diags_ = &into;
  }
  ~DiagnosticsSwap() { ev_.diags_ = saved_; }
  DiagnosticsSwap(const DiagnosticsSwap&) = delete;
  DiagnosticsSwap& operator=(const DiagnosticsSwap&) = delete;

 private:
  Evaluator& ev_;
  Diagnostics* saved_;
};

}  // namespace orch::detail
