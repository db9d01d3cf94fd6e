// Config lookups, references of expressions, and small helpers of the configuration model.
#include "compiler/config.h"

#include <algorithm>
#include <set>

namespace orch {

namespace {

// A step of a traversal after its root: `.name` or `[index]`.
struct Step {
  const Expr* node = nullptr;  // the GetAttr / Index node of this step
  bool is_attr = false;
  std::string_view attr;
  const Expr* index = nullptr;
};

bool is_traversal_node(const Expr& e) {
  return (e.kind == ExprKind::GetAttr || e.kind == ExprKind::Index) && !e.children.empty() &&
         e.children[0] != nullptr;
}

class RefCollector {
 public:
  explicit RefCollector(std::vector<Reference>& out) : out_(out) {}

  void visit(const Expr* e) {
    if (!e) return;
    switch (e->kind) {
      case ExprKind::Variable:
        traversal(*e, *e, {}, false);
        return;
      case ExprKind::GetAttr:
      case ExprKind::Index:
        chain(*e, false);
        return;
      case ExprKind::Splat:
        if (!e->children.empty() && e->children[0]) {
          const Expr& src = *e->children[0];
          if (src.kind == ExprKind::Variable || is_traversal_node(src)) {
            chain(src, true);
          } else {
            visit(&src);
          }
        }
        if (e->children.size() > 1) visit(e->children[1].get());
        return;
      case ExprKind::For:
        visit_for(*e);
        return;
      case ExprKind::TemplateFor:
        visit_template_for(*e);
        return;
      case ExprKind::Object:
        for (const auto& item : e->items) {
          if (!item.key_is_ident) visit(item.key.get());
          visit(item.value.get());
        }
        return;
      default:
        for (const auto& c : e->children) visit(c.get());
        return;
    }
  }

 private:
  // Collects the traversal ending at `outer` (root + steps) and emits one reference.
  void chain(const Expr& outer, bool splat) {
    std::vector<Step> steps;
    const Expr* cur = &outer;
    while (is_traversal_node(*cur)) {
      Step s;
      s.node = cur;
      if (cur->kind == ExprKind::GetAttr) {
        s.is_attr = true;
        s.attr = cur->name;
      } else {
        s.index = cur->children.size() > 1 ? cur->children[1].get() : nullptr;
      }
      steps.push_back(s);
      cur = cur->children[0].get();
    }
    std::reverse(steps.begin(), steps.end());
    if (cur->kind != ExprKind::Variable) {
      // Something like f(x).a or [1,2][0]: not a reference itself, but its parts may hold some.
      visit(cur);
      for (const auto& s : steps) visit(s.index);
      return;
    }
    traversal(*cur, outer, steps, splat);
    for (const auto& s : steps) visit(s.index);
  }

  void traversal(const Expr& root, const Expr& outer, const std::vector<Step>& steps, bool splat) {
    const std::string& r = root.name;
    if (bound_.count(r)) return;
    Reference ref;
    ref.expr = &outer;
    ref.range = root.range;
    size_t used = 0;  // steps consumed by the reference
    auto attr_at = [&](size_t i) -> const Step* {
      return i < steps.size() && steps[i].is_attr ? &steps[i] : nullptr;
    };
    auto index_at = [&](size_t i) -> const Step* {
      return i < steps.size() && !steps[i].is_attr ? &steps[i] : nullptr;
    };
    // Object + optional index/splat + optional attribute (resources, data, modules).
    auto object_tail = [&](size_t i) {
      if (const Step* ix = index_at(i)) {
        ref.index = ix->index;
        used = i + 1;
        ++i;
      } else if (i == steps.size()) {
        ref.splat = splat;
      }
      if (const Step* a = attr_at(i)) {
        ref.attribute = std::string(a->attr);
        used = i + 1;
      }
    };
    if (r == "var" || r == "local" || r == "count" || r == "each" || r == "path") {
      ref.kind = r == "var"     ? RefKind::Variable
                 : r == "local" ? RefKind::Local
                 : r == "count" ? RefKind::Count
                 : r == "each"  ? RefKind::Each
                                : RefKind::Path;
      if (const Step* a = attr_at(0)) {
        ref.name = std::string(a->attr);
        used = 1;
      } else {
        ref.kind = RefKind::Invalid;
        ref.name = r;
      }
    } else if (r == "self") {
      ref.kind = RefKind::Self;
      if (const Step* a = attr_at(0)) {
        ref.name = std::string(a->attr);
        used = 1;
      }
    } else if (r == "module") {
      ref.kind = RefKind::Module;
      if (const Step* a = attr_at(0)) {
        ref.name = std::string(a->attr);
        used = 1;
        object_tail(1);
      } else {
        ref.kind = RefKind::Invalid;
        ref.name = r;
      }
    } else if (r == "data") {
      ref.kind = RefKind::DataSource;
      const Step* t = attr_at(0);
      const Step* n = attr_at(1);
      if (t && n) {
        ref.type = std::string(t->attr);
        ref.name = std::string(n->attr);
        used = 2;
        object_tail(2);
      } else {
        ref.kind = RefKind::Invalid;
        ref.name = r;
      }
    } else {
      ref.kind = RefKind::Resource;
      ref.type = r;
      if (const Step* a = attr_at(0)) {
        ref.name = std::string(a->attr);
        used = 1;
        object_tail(1);
      } else {
        ref.kind = RefKind::Invalid;
        ref.name = r;
      }
    }
    if (used > 0) {
      const Range& end = steps[used - 1].node->range;
      if (end.valid()) {
        if (!ref.range.valid()) ref.range = end;
        ref.range.end = end.end;
      }
    }
    out_.push_back(std::move(ref));
  }

  void visit_for(const Expr& e) {
    const ForClause* f = e.for_clause.get();
    if (!f) return;
    visit(f->collection.get());
    std::vector<std::string> added;
    for (const std::string* n : {&f->key_var, &f->value_var}) {
      if (!n->empty() && bound_.insert(*n).second) added.push_back(*n);
    }
    visit(f->key_expr.get());
    visit(f->value_expr.get());
    visit(f->cond.get());
    for (const auto& n : added) bound_.erase(n);
  }

  void visit_template_for(const Expr& e) {
    if (!e.children.empty()) visit(e.children[0].get());
    std::vector<std::string> added;
    for (const auto& n : e.names) {
      if (!n.empty() && bound_.insert(n).second) added.push_back(n);
    }
    for (size_t i = 1; i < e.children.size(); ++i) visit(e.children[i].get());
    for (const auto& n : added) bound_.erase(n);
  }

  std::vector<Reference>& out_;
  std::set<std::string> bound_;
};

}  // namespace

std::string Reference::address() const {
  switch (kind) {
    case RefKind::Variable:
      return "var." + name;
    case RefKind::Local:
      return "local." + name;
    case RefKind::Resource:
      return type + "." + name;
    case RefKind::DataSource:
      return "data." + type + "." + name;
    case RefKind::Module:
      return "module." + name;
    case RefKind::Count:
      return "count." + name;
    case RefKind::Each:
      return "each." + name;
    case RefKind::Self:
      return "self";
    case RefKind::Path:
      return "path." + name;
    case RefKind::Invalid:
      return name;
  }
  return name;
}

bool Reference::is_object() const {
  return kind == RefKind::Variable || kind == RefKind::Local || kind == RefKind::Resource ||
         kind == RefKind::DataSource || kind == RefKind::Module;
}

std::vector<Reference> references(const Expr& expr) {
  std::vector<Reference> out;
  collect_references(expr, out);
  return out;
}

void collect_references(const Expr& expr, std::vector<Reference>& out) {
  RefCollector(out).visit(&expr);
}

void collect_references(const Body& body, std::vector<Reference>& out) {
  for (const auto& a : body.attributes) {
    if (a.value) collect_references(*a.value, out);
  }
  for (const auto& b : body.blocks) collect_references(b.body, out);
}

int64_t RolloutSpec::batch_size(int64_t total) const {
  if (batch > 0) return batch;
  if (batch_percent > 0) {
    int64_t n = (total * batch_percent + 99) / 100;
    return std::max<int64_t>(1, n);
  }
  return std::max<int64_t>(1, total);
}

const std::vector<std::string>& core_gate_kinds() {
  static const std::vector<std::string> kinds = {"command", "http", "tcp"};
  return kinds;
}

std::string Resource::address() const {
  return (mode == ResourceMode::Data ? "data." : "") + type + "." + name;
}

const Attribute* Resource::attribute(std::string_view n) const {
  for (const Attribute* a : attributes) {
    if (a->name == n) return a;
  }
  return nullptr;
}

namespace {
template <typename M>
const typename M::mapped_type* find_in(const M& m, std::string_view key) {
  auto it = m.find(std::string(key));
  return it == m.end() ? nullptr : &it->second;
}
}  // namespace

const Variable* Config::variable(std::string_view name) const {
  return find_in(variables, name);
}
const Local* Config::local(std::string_view name) const {
  return find_in(locals, name);
}
const Resource* Config::resource(std::string_view address) const {
  return find_in(resources, address);
}
const Output* Config::output(std::string_view name) const {
  return find_in(outputs, name);
}
const ModuleCall* Config::module(std::string_view name) const {
  return find_in(modules, name);
}
const ProviderConfig* Config::provider(std::string_view key) const {
  return find_in(providers, key);
}

bool is_resource_meta_argument(std::string_view name) {
  static const std::set<std::string, std::less<>> meta = {"count",      "for_each",  "depends_on",
                                                          "provider",   "lifecycle", "rollout",
                                                          "ready_when", "triggers",  "lock"};
  return meta.count(name) > 0;
}

}  // namespace orch
