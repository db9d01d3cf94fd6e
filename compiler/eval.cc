// The expression evaluator: dispatch, references, attribute and index access, constructors,
// conditionals and function calls (with the lazy `try` and `can`).
#include "compiler/eval.h"

#include <fmt/format.h>

#include "compiler/convert.h"
#include "compiler/eval_internal.h"
#include "compiler/parse.h"
#include "compiler/suggest.h"

namespace orch {

namespace detail {

namespace {

constexpr int kMaxDepth = 500;  // nesting beyond this is reported rather than overflowing the stack

bool is_keyword_root(std::string_view r) {
  return r == "var" || r == "local" || r == "module" || r == "data" || r == "count" ||
         r == "each" || r == "path" || r == "self";
}

std::vector<std::string> attribute_names(const Value& v) {
  std::vector<std::string> out;
  if (v.is_mapping() && !v.is_unknown()) {
    for (const auto& [k, _] : v.attributes()) out.push_back(k);
  } else if (v.is_unknown() && v.type().kind == TypeKind::Object && v.type().attrs) {
    for (const auto& [k, _] : *v.type().attrs) out.push_back(k);
  }
  return out;
}

Value mark_if(Value v, bool sensitive) {
  return sensitive ? v.mark_sensitive() : v;
}

}  // namespace

Evaluator::Evaluator(const EvalScope& scope, Diagnostics& diags) : scope_(scope), diags_(&diags) {}

Value Evaluator::report(const Range& at, std::string summary, std::string detail) {
  diags_->error(at, std::move(summary), std::move(detail));
  return error_value();
}

const Value* Evaluator::find_bound(std::string_view name) const {
  for (auto it = bound.rbegin(); it != bound.rend(); ++it) {
    if (it->first == name) return &it->second;
  }
  return nullptr;
}

Value Evaluator::eval(const Expr& e) {
  if (depth_ >= kMaxDepth) {
    return report(e.range, "Expression too deeply nested",
                  fmt::format("Expressions may nest at most {} levels deep.", kMaxDepth));
  }
  struct DepthGuard {
    int& d;
    explicit DepthGuard(int& depth) : d(depth) { ++d; }
    ~DepthGuard() { --d; }
  } guard(depth_);

  switch (e.kind) {
    case ExprKind::Literal:
      return e.literal;
    case ExprKind::Template:
      return template_(e);
    case ExprKind::TemplateIf:
      return template_if(e);
    case ExprKind::TemplateFor:
      return template_for(e);
    case ExprKind::Variable:
      return variable(e);
    case ExprKind::GetAttr:
      return get_attr(e);
    case ExprKind::Index:
      return index(e);
    case ExprKind::Splat:
      return splat(e);
    case ExprKind::SplatItem:
      return splat_item(e);
    case ExprKind::Tuple:
      return tuple(e);
    case ExprKind::Object:
      return object(e);
    case ExprKind::For:
      return for_expr(e);
    case ExprKind::Conditional:
      return conditional(e);
    case ExprKind::Unary:
      return unary(e);
    case ExprKind::Binary:
      return binary(e);
    case ExprKind::Call:
      return call(e);
    case ExprKind::Parens:
      if (e.children.empty() || !e.children[0]) return error_value();
      return eval(*e.children[0]);
  }
  return report(e.range, "Unsupported expression", "This kind of expression cannot be evaluated.");
}

// --- References ----------------------------------------------------------------------------

Value Evaluator::lookup(std::string_view root, std::string_view type, std::string_view name,
                        const Range& at) {
  RefKey key{root, type, name, at};
  if (auto v = scope_.lookup(key)) return *v;
  std::string hint = did_you_mean(name, scope_.candidates(key));
  std::string n(name);
  if (root == "var") {
    return report(at, "Reference to undeclared input variable",
                  fmt::format("An input variable with the name \"{}\" has not been declared{}", n,
                              hint.empty() ? "." : hint));
  }
  if (root == "local") {
    return report(at, "Reference to undeclared local value",
                  fmt::format("A local value with the name \"{}\" has not been declared{}", n,
                              hint.empty() ? "." : hint));
  }
  if (root == "module") {
    return report(at, "Reference to undeclared module",
                  fmt::format("No module call named \"{}\" is declared in this module{}", n,
                              hint.empty() ? "." : hint));
  }
  if (root == "count") {
    if (name != "index") {
      return report(at, "Invalid \"count\" attribute",
                    fmt::format("The \"count\" object does not have an attribute named \"{}\". "
                                "The only supported attribute is count.index.",
                                n));
    }
    return report(at, "Reference to \"count\" in non-counted context",
                  "The \"count\" object can only be used in resource, data and module blocks, "
                  "and only when the \"count\" argument is set.");
  }
  if (root == "each") {
    if (name != "key" && name != "value") {
      return report(at, "Invalid \"each\" attribute",
                    fmt::format("The \"each\" object does not have an attribute named \"{}\". "
                                "The supported attributes are each.key and each.value.",
                                n));
    }
    return report(at, "Reference to \"each\" in context without for_each",
                  "The \"each\" object can only be used in resource, data and module blocks, "
                  "and only when the \"for_each\" argument is set.");
  }
  if (root == "self") {
    return report(at, "Invalid \"self\" reference",
                  "The \"self\" object can only be used inside a ready_when block, where it "
                  "stands for the resource instance being checked.");
  }
  if (root == "path") {
    return report(at, "Invalid \"path\" attribute",
                  fmt::format("The \"path\" object does not have an attribute named \"{}\". The "
                              "supported attributes are path.module, path.root and path.cwd{}",
                              n, hint.empty() ? "." : hint));
  }
  if (root == "data") {
    return report(at, "Reference to undeclared resource",
                  fmt::format("A data resource \"{}\" \"{}\" has not been declared{}", type, n,
                              hint.empty() ? "." : hint));
  }
  return report(at, "Reference to undeclared resource",
                fmt::format("A managed resource \"{}\" \"{}\" has not been declared{}", root, n,
                            hint.empty() ? "." : hint));
}

Value Evaluator::variable(const Expr& e) {
  if (const Value* v = find_bound(e.name)) return *v;
  if (e.name == "self") return lookup("self", "", "", e.range);
  if (is_keyword_root(e.name)) {
    return report(e.range, "Invalid reference",
                  fmt::format("The \"{}\" object cannot be accessed directly. Instead, access "
                              "one of its attributes.",
                              e.name));
  }
  return report(e.range, "Invalid reference",
                fmt::format("A reference to a resource type must be followed by at least one "
                            "attribute access, specifying the resource name (\"{}.NAME\"); "
                            "there is no local name \"{}\" here.",
                            e.name, e.name));
}

Value Evaluator::get_attr(const Expr& e) {
  if (e.children.empty() || !e.children[0]) return error_value();
  const Expr& obj = *e.children[0];
  // root.name: a reference resolved by the scope.
  if (obj.kind == ExprKind::Variable && !find_bound(obj.name)) {
    if (obj.name == "data") {
      return report(e.range, "Invalid data source reference",
                    fmt::format("A data source reference needs a type and a name: "
                                "data.{}.NAME.",
                                e.name));
    }
    if (obj.name != "self") return lookup(obj.name, "", e.name, e.range);
  }
  // data.type.name
  if (obj.kind == ExprKind::GetAttr && !obj.children.empty() && obj.children[0] &&
      obj.children[0]->kind == ExprKind::Variable && obj.children[0]->name == "data" &&
      !find_bound("data")) {
    return lookup("data", obj.name, e.name, e.range);
  }
  Value v = eval(obj);
  return get_attr_of(v, e.name, e.range);
}

Value Evaluator::get_attr_of(const Value& v, const std::string& name, const Range& at) {
  const bool sensitive = v.is_sensitive();
  if (v.is_unknown()) {
    const Type t = v.type();
    if (t.kind == TypeKind::Object && t.attrs) {
      auto it = t.attrs->find(name);
      if (it == t.attrs->end()) {
        return report(
            at, "Unsupported attribute",
            fmt::format("This object does not have an attribute named \"{}\"{}", name, [&] {
              auto h = did_you_mean(name, attribute_names(v));
              return h.empty() ? std::string(".") : h;
            }()));
      }
      return mark_if(Value::unknown(it->second), sensitive);
    }
    if (t.kind == TypeKind::Map) return mark_if(Value::unknown(t.element()), sensitive);
    if (t.kind == TypeKind::List || t.kind == TypeKind::Set || t.kind == TypeKind::Tuple) {
      return report(at, "Unsupported attribute",
                    fmt::format("Can't access attributes on a list of objects. Did you mean to "
                                "access attribute \"{}\" for a specific element of the list "
                                "(x[0].{}), or across all elements of the list (x[*].{})?",
                                name, name, name));
    }
    if (t.is_primitive()) {
      return report(at, "Unsupported attribute",
                    fmt::format("This value is a {} and does not have attributes (asked for "
                                "\"{}\").",
                                t.str(), name));
    }
    return mark_if(Value::unknown(), sensitive);
  }
  if (v.is_null()) {
    return report(at, "Attempt to get attribute from null value",
                  fmt::format("This value is null, so it does not have any attributes (asked "
                              "for \"{}\").",
                              name));
  }
  switch (v.kind()) {
    case ValueKind::Object: {
      auto it = v.attributes().find(name);
      if (it == v.attributes().end()) {
        std::string hint = did_you_mean(name, attribute_names(v));
        return report(at, "Unsupported attribute",
                      fmt::format("This object does not have an attribute named \"{}\"{}", name,
                                  hint.empty() ? "." : hint));
      }
      return mark_if(it->second, sensitive);
    }
    case ValueKind::Map: {
      auto it = v.attributes().find(name);
      if (it == v.attributes().end()) {
        std::string hint = did_you_mean(name, attribute_names(v));
        return report(at, "Missing key",
                      fmt::format("This map does not have an element with the key \"{}\"{}", name,
                                  hint.empty() ? "." : hint));
      }
      return mark_if(it->second, sensitive);
    }
    case ValueKind::List:
    case ValueKind::Tuple:
    case ValueKind::Set: {
      bool of_objects = v.length() > 0 && v.elements()[0].is_mapping();
      if (of_objects) {
        return report(at, "Unsupported attribute",
                      fmt::format("Can't access attributes on a list of objects. Did you mean to "
                                  "access attribute \"{}\" for a specific element of the list "
                                  "(x[0].{}), or across all elements of the list (x[*].{})?",
                                  name, name, name));
      }
      return report(at, "Unsupported attribute",
                    fmt::format("This value is {} and does not have attributes (asked for \"{}\").",
                                describe_type(v), name));
    }
    default:
      return report(at, "Unsupported attribute",
                    fmt::format("This value is {} and does not have attributes (asked for \"{}\").",
                                describe_type(v), name));
  }
}

Value Evaluator::index(const Expr& e) {
  if (e.children.size() < 2 || !e.children[0] || !e.children[1]) return error_value();
  // A resource instance, TYPE.NAME[KEY] or data.TYPE.NAME[KEY]: the scope may answer directly.
  const Expr& c = *e.children[0];
  if (c.kind == ExprKind::GetAttr && !c.children.empty() && c.children[0]) {
    const Expr& root = *c.children[0];
    std::optional<RefKey> ref;
    if (root.kind == ExprKind::Variable && !is_keyword_root(root.name) && !find_bound(root.name))
      ref = RefKey{root.name, "", c.name, c.range};
    else if (root.kind == ExprKind::GetAttr && !root.children.empty() && root.children[0] &&
             root.children[0]->kind == ExprKind::Variable && root.children[0]->name == "data" &&
             !find_bound("data"))
      ref = RefKey{"data", root.name, c.name, c.range};
    if (ref) {
      Value key = eval(*e.children[1]);
      if (key.is_wholly_known() && !key.is_null()) {
        if (auto v = scope_.lookup_instance(*ref, key.unmarked()))
          return key.is_sensitive() ? v->mark_sensitive() : *v;
      }
      return index_of(eval(c), key, e.range);
    }
  }
  Value coll = eval(*e.children[0]);
  Value key = eval(*e.children[1]);
  return index_of(coll, key, e.range);
}

Value Evaluator::index_of(const Value& coll, const Value& key, const Range& at) {
  const bool sensitive = coll.is_sensitive() || key.is_sensitive();
  if (key.is_null()) {
    return report(at, "Invalid index", "Can't use a null value as an indexing key.");
  }
  if (coll.is_unknown()) {
    Type t = coll.type();
    if (t.kind == TypeKind::List || t.kind == TypeKind::Map) {
      return mark_if(Value::unknown(t.element()), sensitive);
    }
    if (t.kind == TypeKind::Set) {
      return report(at, "Invalid index",
                    "Elements of a set are identified only by their value and don't have any "
                    "separate index or key to select with; convert it with tolist() first.");
    }
    if (t.kind == TypeKind::Object && key.kind() == ValueKind::String) {
      return get_attr_of(coll, key.as_string(), at);
    }
    if (t.kind == TypeKind::Tuple && t.elems && key.kind() == ValueKind::Number &&
        key.as_number().is_int) {
      const auto& elems = *t.elems;
      int64_t i = key.as_number().i;
      if (i >= 0 && i < static_cast<int64_t>(elems.size())) {
        return mark_if(Value::unknown(elems[static_cast<size_t>(i)]), sensitive);
      }
    }
    return mark_if(Value::unknown(), sensitive);
  }
  if (coll.is_null()) {
    return report(at, "Attempt to index null value",
                  "This value is null, so it does not have any indices.");
  }
  switch (coll.kind()) {
    case ValueKind::List:
    case ValueKind::Tuple: {
      if (key.is_unknown()) {
        if (coll.kind() == ValueKind::List) {
          return mark_if(Value::unknown(coll.type().element()), sensitive);
        }
        return mark_if(Value::unknown(), sensitive);
      }
      Number n;
      if (!to_number(key, &n)) {
        return report(
            at, "Invalid index",
            fmt::format("A list is indexed by a whole number, not by {}.", describe_type(key)));
      }
      if (!n.is_int) {
        return report(at, "Invalid index",
                      fmt::format("The index {} is not a whole number.", format_number(n)));
      }
      if (n.i < 0 || n.i >= static_cast<int64_t>(coll.length())) {
        return report(at, "Invalid index",
                      fmt::format("The index {} is out of range: this list has {} element{} "
                                  "(valid indices 0 to {}).",
                                  n.i, coll.length(), coll.length() == 1 ? "" : "s",
                                  static_cast<int64_t>(coll.length()) - 1));
      }
      return mark_if(coll.elements()[static_cast<size_t>(n.i)], sensitive);
    }
    case ValueKind::Set:
      return report(at, "Invalid index",
                    "Elements of a set are identified only by their value and don't have any "
                    "separate index or key to select with; convert it with tolist() first.");
    case ValueKind::Map:
    case ValueKind::Object: {
      if (key.is_unknown()) {
        if (coll.kind() == ValueKind::Map) {
          return mark_if(Value::unknown(coll.type().element()), sensitive);
        }
        return mark_if(Value::unknown(), sensitive);
      }
      std::string k;
      if (!to_string(key, &k)) {
        return report(at, "Invalid index",
                      fmt::format("A map or object is indexed by a string key, not by {}.",
                                  describe_type(key)));
      }
      auto it = coll.attributes().find(k);
      if (it == coll.attributes().end()) {
        std::string hint = did_you_mean(k, attribute_names(coll));
        if (coll.kind() == ValueKind::Object) {
          return report(at, "Unsupported attribute",
                        fmt::format("This object does not have an attribute named \"{}\"{}", k,
                                    hint.empty() ? "." : hint));
        }
        return report(at, "Missing key",
                      fmt::format("This map does not have an element with the key \"{}\"{}", k,
                                  hint.empty() ? "." : hint));
      }
      return mark_if(it->second, sensitive);
    }
    default:
      return report(
          at, "Invalid index",
          fmt::format("This value is {}, which does not have any indices.", describe_type(coll)));
  }
}

// --- Constructors and conditionals ---------------------------------------------------------

Value Evaluator::tuple(const Expr& e) {
  ValueList elems;
  elems.reserve(e.children.size());
  for (const auto& c : e.children) elems.push_back(c ? eval(*c) : error_value());
  return Value::tuple(std::move(elems));
}

Value Evaluator::object(const Expr& e) {
  ValueMap attrs;
  std::map<std::string, Range> seen;
  bool unknown_key = false;
  bool sensitive_key = false;
  for (const auto& item : e.items) {
    if (!item.key || !item.value) continue;
    Value value = eval(*item.value);
    std::string k;
    if (item.key_is_ident && item.key->kind == ExprKind::Literal &&
        item.key->literal.kind() == ValueKind::String) {
      k = item.key->literal.as_string();
    } else {
      Value kv = eval(*item.key);
      if (kv.is_unknown()) {
        unknown_key = true;
        continue;
      }
      if (kv.is_null()) {
        report(item.key->range, "Invalid object key", "An object key must not be null.");
        continue;
      }
      sensitive_key = sensitive_key || kv.is_sensitive();
      if (!to_string(kv, &k)) {
        report(item.key->range, "Invalid object key",
               fmt::format("An object key must be a string, not {}.", describe_type(kv)));
        continue;
      }
    }
    auto [it, inserted] = seen.emplace(k, item.key->range);
    if (!inserted) {
      auto& d = diags_->error(item.key->range, "Duplicate object key",
                              fmt::format("The key \"{}\" is given more than once.", k));
      d.notes.push_back({"first given here", it->second});
      continue;
    }
    attrs.emplace(std::move(k), std::move(value));
  }
  if (unknown_key) return Value::unknown(Type::any());
  return mark_if(Value::object(std::move(attrs)), sensitive_key);
}

Value Evaluator::conditional(const Expr& e) {
  if (e.children.size() < 3 || !e.children[0] || !e.children[1] || !e.children[2]) {
    return error_value();
  }
  Value cond = eval(*e.children[0]);
  Value a = eval(*e.children[1]);
  Value b = eval(*e.children[2]);
  const bool sensitive_cond = cond.is_sensitive();
  // Both branches convert to one result type (cty's unify: e.g. number and string → string).
  bool unified = true;
  Type t = unify({a.type(), b.type()}, &unified);
  if (!unified) {
    if (!a.is_unknown() && !b.is_unknown() && !a.is_null() && !b.is_null()) {
      return report(
          e.range, "Inconsistent conditional result types",
          fmt::format("The true result is {} ({}) and the false result is {} ({}); "
                      "both must be convertible to one type.",
                      describe_type(a), a.type().str(), describe_type(b), b.type().str()));
    }
    t = Type::any();
  }
  auto to_result = [&](const Value& v) -> Value {
    if (t.is_any()) return v;
    if (auto c = convert(v, t)) return *c;
    return v;
  };
  if (cond.is_null()) {
    return report(e.children[0]->range, "Invalid condition",
                  "The condition is null; it must be true or false.");
  }
  if (cond.is_unknown()) {
    return mark_if(Value::unknown(t), sensitive_cond || any_sensitive({&a, &b}));
  }
  bool c = false;
  if (!to_bool(cond, &c)) {
    return report(e.children[0]->range, "Invalid condition",
                  fmt::format("The condition must be a bool, not {}.", describe_type(cond)));
  }
  return mark_if(to_result(c ? a : b), sensitive_cond);
}

// --- Function calls ------------------------------------------------------------------------

// templatefile(): parses `text` as a template and evaluates it with `vars` as bare names.
Value render_template(const std::string& name, const std::string& text, const ValueMap& vars,
                      std::string* error) {
  SourceFile src(name, text);
  Diagnostics diags;
  ExprPtr tmpl = parse_template(src, diags);
  Value out;
  if (tmpl && !diags.has_errors()) {
    BasicScope scope;
    Evaluator ev(scope, diags);
    for (const auto& [k, v] : vars) ev.bound.emplace_back(k, v);
    out = ev.eval(*tmpl);
  }
  if (diags.has_errors()) {
    const Diagnostic& d = diags.list().front();
    *error = fmt::format("{}:{}:{}: {}{}{}", name, d.range.start.line, d.range.start.column,
                         d.summary, d.detail.empty() ? "" : ": ", d.detail);
    return Value();
  }
  if (out.is_unknown()) return Value::unknown(Type::string());
  auto s = primitive_to_string(out);
  if (!s) {
    *error = fmt::format("the template {} produced {}, not a string", name, describe_type(out));
    return Value();
  }
  return Value::string(*s).mark_sensitive(out.is_sensitive());
}

Value Evaluator::call(const Expr& e) {
  if (e.name == "try") return try_call(e);
  if (e.name == "can") return can_call(e);
  const Functions& fns = scope_.functions();
  const Function* fn = fns.find(e.name);
  // Evaluate the arguments anyway so that their own errors are reported.
  std::vector<Value> args;
  args.reserve(e.children.size());
  for (const auto& c : e.children) args.push_back(c ? eval(*c) : error_value());
  if (!fn && e.name == "any") {
    return report(e.range, "Invalid use of any()",
                  "any(...) marks an any-of dependency and is only allowed inside depends_on: "
                  "depends_on = [any(sim_machine.node)].");
  }
  if (!fn) {
    std::vector<std::string> names = fns.names();
    names.push_back("try");
    names.push_back("can");
    std::string hint = did_you_mean(e.name, names);
    return report(
        e.range, "Call to unknown function",
        fmt::format("There is no function named \"{}\"{}", e.name, hint.empty() ? "." : hint));
  }
  if (e.expand_final && !args.empty()) {
    Value last = args.back();
    args.pop_back();
    const Range& at = e.children.back()->range;
    if (last.is_unknown()) return Value::unknown();
    if (last.is_null() || !last.is_sequence()) {
      return report(at, "Invalid expanding argument value",
                    fmt::format("The expanding argument (indicated by ...) must be a list, a "
                                "set or a tuple, not {}.",
                                describe_type(last)));
    }
    for (const auto& v : last.elements()) {
      args.push_back(last.is_sensitive() ? v.mark_sensitive() : v);
    }
  }
  const int n = static_cast<int>(args.size());
  if (n < fn->min_args) {
    return report(e.range, "Not enough function arguments",
                  fmt::format("Function \"{}\" expects at least {} argument{}, but {} {} given: "
                              "{}.",
                              e.name, fn->min_args, fn->min_args == 1 ? "" : "s", n,
                              n == 1 ? "was" : "were", fn->signature));
  }
  if (fn->max_args >= 0 && n > fn->max_args) {
    const Range& at = !e.expand_final && static_cast<size_t>(fn->max_args) < e.children.size()
                          ? e.children[static_cast<size_t>(fn->max_args)]->range
                          : e.range;
    return report(
        at, "Too many function arguments",
        fmt::format("Function \"{}\" expects at most {} argument{}, but {} were given: "
                    "{}.",
                    e.name, fn->max_args, fn->max_args == 1 ? "" : "s", n, fn->signature));
  }
  CallContext ctx = scope_.call_context();
  if (!ctx.render_template) ctx.render_template = render_template;
  CallResult r = call_function(*fn, args, ctx);
  if (!r.ok()) {
    if (r.error_arg >= 0 && !e.expand_final &&
        static_cast<size_t>(r.error_arg) < e.children.size()) {
      return report(e.children[static_cast<size_t>(r.error_arg)]->range,
                    "Invalid function argument",
                    fmt::format("Invalid value for argument {} of \"{}\": {}", r.error_arg + 1,
                                fn->signature, r.error));
    }
    return report(e.range, "Error in function call",
                  fmt::format("Call to function \"{}\" failed: {}", e.name, r.error));
  }
  return r.value;
}

Value Evaluator::try_call(const Expr& e) {
  if (e.children.empty()) {
    return report(e.range, "Not enough function arguments",
                  "Function \"try\" expects at least one argument: try(expressions...).");
  }
  std::vector<Diagnostics> failures;
  for (const auto& c : e.children) {
    if (!c) continue;
    Diagnostics local;
    Value v;
    {
      DiagnosticsSwap swap(*this, local);
      v = eval(*c);
    }
    if (!local.has_errors()) {
      // An unknown value may still fail once known: the result is not yet decided.
      if (!v.is_wholly_known()) return Value::unknown();
      return v;
    }
    failures.push_back(std::move(local));
  }
  auto& d = diags_->error(e.range, "No result from try",
                          "None of the expressions given to try() produced a result without "
                          "errors.");
  for (const auto& f : failures) {
    for (const auto& fd : f.list()) d.notes.push_back({fd.summary + ": " + fd.detail, fd.range});
  }
  return error_value();
}

Value Evaluator::can_call(const Expr& e) {
  if (e.children.size() != 1 || !e.children[0]) {
    return report(
        e.range,
        e.children.empty() ? "Not enough function arguments" : "Too many function arguments",
        "Function \"can\" expects exactly one argument: can(expression).");
  }
  Diagnostics local;
  Value v;
  {
    DiagnosticsSwap swap(*this, local);
    v = eval(*e.children[0]);
  }
  if (local.has_errors()) return Value::boolean(false);
  if (!v.is_wholly_known()) return Value::unknown(Type::boolean());
  return Value::boolean(true);
}

}  // namespace detail

// --- Public entry points -------------------------------------------------------------------

Value evaluate(const Expr& expr, const EvalScope& scope, Diagnostics& diags) {
  detail::Evaluator ev(scope, diags);
  return ev.eval(expr);
}

Value evaluate_as(const Expr& expr, const Type& type, const EvalScope& scope, Diagnostics& diags,
                  std::string_view what) {
  const int before = diags.error_count();
  Value v = evaluate(expr, scope, diags);
  if (diags.error_count() > before) return Value::unknown(type);
  std::string why;
  auto converted = convert(v, type, &why);
  if (!converted) {
    diags.error(expr.range, "Incorrect value type",
                fmt::format("Invalid value for {}: {} is required{}{}.", what, type.str(),
                            why.empty() ? "" : ": ", why));
    return Value::unknown(type);
  }
  return *converted;
}

namespace {
// A scope with nothing in it: constant expressions may only call functions.
class EmptyScope : public EvalScope {
 public:
  std::optional<Value> lookup(const RefKey&) const override { return std::nullopt; }
};
}  // namespace

Value evaluate_constant(const Expr& expr, Diagnostics& diags) {
  bool refs = false;
  for (const Reference& r : references(expr)) {
    diags.error(
        r.range, "Variables not allowed",
        fmt::format("Variables may not be used here (found a reference to \"{}\").", r.address()));
    refs = true;
  }
  if (refs) return detail::error_value();
  EmptyScope scope;
  return evaluate(expr, scope, diags);
}

void BasicScope::set(std::string_view root, std::string_view name, Value v) {
  auto it = values.find(root);
  if (it == values.end()) it = values.emplace(std::string(root), ValueMap{}).first;
  it->second.insert_or_assign(std::string(name), std::move(v));
}

std::optional<Value> BasicScope::lookup(const RefKey& key) const {
  if (key.root == "self") {
    if (self) {
      if (key.name.empty()) return *self;
    }
    if (!self && parent) return parent->lookup(key);
    return self;
  }
  auto it = values.find(key.root);
  if (it != values.end()) {
    std::string name = key.type.empty() ? std::string(key.name)
                                        : std::string(key.type) + "." + std::string(key.name);
    auto v = it->second.find(name);
    if (v != it->second.end()) return v->second;
  }
  if (parent) return parent->lookup(key);
  return std::nullopt;
}

std::vector<std::string> BasicScope::candidates(const RefKey& key) const {
  std::vector<std::string> out;
  auto it = values.find(key.root);
  if (it != values.end()) {
    for (const auto& [k, _] : it->second) {
      if (key.type.empty()) {
        out.push_back(k);
      } else if (k.size() > key.type.size() && k.compare(0, key.type.size(), key.type) == 0 &&
                 k[key.type.size()] == '.') {
        out.push_back(k.substr(key.type.size() + 1));
      }
    }
  }
  if (parent) {
    auto more = parent->candidates(key);
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

const Functions& BasicScope::functions() const {
  if (fns) return *fns;
  if (parent) return parent->functions();
  return Functions::builtin();
}

CallContext BasicScope::call_context() const {
  if (base_dir.empty() && parent) return parent->call_context();
  CallContext ctx;
  ctx.base_dir = base_dir;
  return ctx;
}

}  // namespace orch
