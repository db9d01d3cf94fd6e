// String templates (interpolation, %{if}, %{for}), `for` expressions and splats.
#include <fmt/format.h>

#include "compiler/eval_internal.h"

namespace orch::detail {

namespace {

Value mark(Value v, bool sensitive) {
  return sensitive ? v.mark_sensitive() : v;
}

// Restores the bound-name stack on scope exit.
struct BoundGuard {
  std::vector<std::pair<std::string, Value>>& stack;
  size_t size;
  explicit BoundGuard(std::vector<std::pair<std::string, Value>>& s) : stack(s), size(s.size()) {}
  ~BoundGuard() { stack.resize(size); }
};

}  // namespace

// Runs one iteration of a loop (for, %{for}, splat); once an iteration has reported errors, the
// later ones report into a sink, so that one mistake is not repeated once per element.
class LoopErrors {
 public:
  explicit LoopErrors(Evaluator& ev) : ev_(ev) {}
  template <typename F>
  void run(F&& body) {
    if (failed_) {
      DiagnosticsSwap swap(ev_, sink_);
      body();
      return;
    }
    const int before = ev_.diags().error_count();
    body();
    failed_ = ev_.diags().error_count() > before;
  }

 private:
  Evaluator& ev_;
  Diagnostics sink_;
  bool failed_ = false;
};

// A piece of template output: its text, or unknown; sensitive when any part was.
struct TemplatePiece {
  std::string text;
  bool unknown = false;
  bool sensitive = false;
  bool failed = false;
};

static void append_part(Evaluator& ev, const Expr& part, TemplatePiece& out) {
  Value v = ev.eval(part);
  out.sensitive = out.sensitive || any_sensitive({&v});
  if (v.is_unknown()) {
    out.unknown = true;
    return;
  }
  if (v.is_null()) {
    ev.diags().error(part.range, "Invalid template interpolation value",
                     "The expression result is null. Cannot include a null value in a string "
                     "template.");
    out.failed = true;
    return;
  }
  std::string s;
  if (!to_string(v, &s)) {
    ev.diags().error(part.range, "Invalid template interpolation value",
                     fmt::format("Cannot include the given value in a string template: string "
                                 "required, but this is {}. Use jsonencode() or join() to turn "
                                 "it into a string.",
                                 describe_type(v)));
    out.failed = true;
    return;
  }
  out.text += s;
}

static Value piece_value(const TemplatePiece& p) {
  if (p.failed) return error_value();
  if (p.unknown) return mark(Value::unknown(Type::string()), p.sensitive);
  return mark(Value::string(p.text), p.sensitive);
}

Value Evaluator::template_(const Expr& e) {
  // A template that is only one interpolation ("${x}") yields x's value itself, as in HCL.
  if (e.children.size() == 1 && e.children[0] && e.children[0]->kind != ExprKind::Literal &&
      e.children[0]->kind != ExprKind::TemplateIf && e.children[0]->kind != ExprKind::TemplateFor &&
      !e.heredoc) {
    return eval(*e.children[0]);
  }
  TemplatePiece piece;
  for (const auto& part : e.children) {
    if (part) append_part(*this, *part, piece);
  }
  return piece_value(piece);
}

Value Evaluator::template_if(const Expr& e) {
  if (e.children.size() < 2 || !e.children[0] || !e.children[1]) return error_value();
  Value cond = eval(*e.children[0]);
  if (cond.is_unknown()) return mark(Value::unknown(Type::string()), cond.is_sensitive());
  bool c = false;
  if (cond.is_null() || !to_bool(cond, &c)) {
    return report(
        e.children[0]->range, "Invalid template if directive",
        fmt::format("The condition of %{{if}} must be a bool, not {}.", describe_type(cond)));
  }
  const Expr* branch =
      c ? e.children[1].get() : (e.children.size() > 2 ? e.children[2].get() : nullptr);
  if (!branch) return mark(Value::string(""), cond.is_sensitive());
  TemplatePiece piece;
  piece.sensitive = cond.is_sensitive();
  append_part(*this, *branch, piece);
  return piece_value(piece);
}

Value Evaluator::template_for(const Expr& e) {
  if (e.children.size() < 2 || !e.children[0] || !e.children[1] || e.names.empty()) {
    return error_value();
  }
  Value coll = eval(*e.children[0]);
  const bool sensitive = coll.is_sensitive();
  if (coll.is_unknown()) return mark(Value::unknown(Type::string()), sensitive);
  if (coll.is_null() || !(coll.is_sequence() || coll.is_mapping())) {
    return report(e.children[0]->range, "Invalid template for directive",
                  fmt::format("A %{{for}} directive iterates over a list, set, tuple, map or "
                              "object, not {}.",
                              describe_type(coll)));
  }
  const std::string key_name = e.names.size() > 1 ? e.names[0] : std::string();
  const std::string& value_name = e.names.back();
  TemplatePiece piece;
  piece.sensitive = sensitive;
  LoopErrors loop(*this);
  auto one = [&](Value key, const Value& value) {
    loop.run([&] {
      BoundGuard guard(bound);
      if (!key_name.empty()) bound.emplace_back(key_name, mark(std::move(key), sensitive));
      bound.emplace_back(value_name, mark(value, sensitive));
      append_part(*this, *e.children[1], piece);
    });
  };
  if (coll.is_sequence()) {
    int64_t i = 0;
    for (const auto& v : coll.elements()) one(Value::number(i++), v);
  } else {
    for (const auto& [k, v] : coll.attributes()) one(Value::string(k), v);
  }
  return piece_value(piece);
}

Value Evaluator::for_expr(const Expr& e) {
  const ForClause* f = e.for_clause.get();
  if (!f || !f->collection || !f->value_expr || (f->is_object && !f->key_expr)) {
    return error_value();
  }
  Value coll = eval(*f->collection);
  const bool sensitive = coll.is_sensitive();
  if (coll.is_unknown()) {
    return mark(Value::unknown(f->is_object ? Type::any() : Type::any()), sensitive);
  }
  if (coll.is_null()) {
    return report(f->collection->range, "Iteration over null value",
                  "A null value cannot be used as the collection in a 'for' expression.");
  }
  if (!(coll.is_sequence() || coll.is_mapping())) {
    return report(f->collection->range, "Iteration over non-iterable value",
                  fmt::format("A value of type {} cannot be used as the collection in a 'for' "
                              "expression; it must be a list, set, tuple, map or object.",
                              coll.type().str()));
  }
  ValueList elems;
  ValueMap attrs;
  std::map<std::string, ValueList> groups;
  std::map<std::string, Range> first_key;
  bool unknown = false;
  bool failed = false;

  LoopErrors loop(*this);
  auto iteration = [&](Value key, const Value& value) {
    BoundGuard guard(bound);
    if (!f->key_var.empty()) bound.emplace_back(f->key_var, mark(std::move(key), sensitive));
    bound.emplace_back(f->value_var, mark(value, sensitive));
    if (f->cond) {
      Value c = eval(*f->cond);
      if (c.is_unknown()) {
        unknown = true;
        return;
      }
      bool keep = false;
      if (c.is_null() || !to_bool(c, &keep)) {
        report(f->cond->range, "Invalid 'for' condition",
               fmt::format("The 'if' clause of a 'for' expression must be a bool, not {}.",
                           describe_type(c)));
        failed = true;
        return;
      }
      if (!keep) return;
    }
    if (!f->is_object) {
      elems.push_back(eval(*f->value_expr));
      return;
    }
    Value k = eval(*f->key_expr);
    Value v = eval(*f->value_expr);
    if (k.is_unknown()) {
      unknown = true;
      return;
    }
    std::string ks;
    if (k.is_null() || !to_string(k, &ks)) {
      report(f->key_expr->range, "Invalid object key",
             fmt::format("The key of a 'for' expression's object must be a string, not {}.",
                         describe_type(k)));
      failed = true;
      return;
    }
    if (f->grouping) {
      groups[ks].push_back(std::move(v));
      return;
    }
    if (!attrs.emplace(ks, std::move(v)).second) {
      if (!failed) {
        report(f->key_expr->range, "Duplicate object key",
               fmt::format("Two elements produce the key \"{}\". Add an ellipsis (...) after "
                           "the value expression to group the values by key instead.",
                           ks));
      }
      failed = true;
    }
  };

  auto one = [&](Value key, const Value& value) {
    loop.run([&] { iteration(std::move(key), value); });
  };
  if (coll.is_sequence()) {
    int64_t i = 0;
    for (const auto& v : coll.elements()) {
      // For sets, the key is the element itself, as in HCL.
      one(coll.kind() == ValueKind::Set ? v : Value::number(i), v);
      ++i;
    }
  } else {
    for (const auto& [k, v] : coll.attributes()) one(Value::string(k), v);
  }
  if (failed) return error_value();
  if (unknown) return mark(Value::unknown(), sensitive);
  if (!f->is_object) return mark(Value::tuple(std::move(elems)), sensitive);
  if (f->grouping) {
    for (auto& [k, vs] : groups) attrs.emplace(k, Value::tuple(std::move(vs)));
  }
  return mark(Value::object(std::move(attrs)), sensitive);
}

Value Evaluator::splat(const Expr& e) {
  if (e.children.size() < 2 || !e.children[0] || !e.children[1]) return error_value();
  Value src = eval(*e.children[0]);
  const bool sensitive = src.is_sensitive();
  if (src.is_unknown()) {
    // A list/set of known element type keeps its length unknown; the result is an unknown tuple.
    return mark(Value::unknown(), sensitive);
  }
  if (src.is_null()) return mark(Value::tuple({}), sensitive);
  ValueList items;
  if (src.is_sequence()) {
    items = src.elements();
  } else {
    items.push_back(src);  // a single value is treated as a one-element list, as in HCL
  }
  ValueList out;
  out.reserve(items.size());
  LoopErrors loop(*this);
  for (auto& item : items) {
    loop.run([&] {
      splat_items.push_back(mark(item, sensitive));
      out.push_back(eval(*e.children[1]));
      splat_items.pop_back();
    });
  }
  return mark(Value::tuple(std::move(out)), sensitive);
}

Value Evaluator::splat_item(const Expr& e) {
  if (splat_items.empty()) {
    return report(e.range, "Invalid splat", "A splat element is used outside of a splat.");
  }
  return splat_items.back();
}

}  // namespace orch::detail
