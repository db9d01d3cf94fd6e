// data "chef_search": a search of a Chef index (node, role, environment, client, or a data bag),
// partial when `keys` names what to return (each key a dotted attribute path), paged through
// every result; `rows` in the server's order.
#include <fmt/format.h>

#include "providers/chef/chef_types.h"

namespace orch::chef {
namespace {

class ChefSearch final : public ChefDataSourceType {
 public:
  std::string name() const override { return "chef_search"; }

  Schema schema() const override {
    const Type str = Type::string();
    Schema s;
    s.description =
        "Searches a Chef Server index. With keys it is a partial search: each row holds only "
        "those keys (node attributes are merged across precedence levels, as chef-client's "
        "search sees them).";
    s.attributes = {
        required_attr("index", str, "node, role, environment, client, or a data bag's name."),
        optional_attr("query", str, Value::string("*:*"), "Solr query, e.g. \"role:web\"."),
        optional_attr("keys", Type::map(str), Value::map({}, str),
                      "Partial search: result key → dotted attribute path, e.g. "
                      "{ ip = \"ipaddress\", kernel = \"kernel.release\" }."),
        optional_attr("max_rows", Type::number(), Value::number(int64_t{0}),
                      "Stop after this many rows (0: all)."),
        computed_attr("rows", Type::list(Type::any()), "The results, in the server's order."),
        computed_attr("total", Type::number(), "How many objects matched."),
    };
    s.simulation.element_keys = {{"rows", "keys"}};
    return s;
  }

  void read(
      ChefEnv& env, const ValueMap& config,
      std::function<void(std::optional<ValueMap>, std::optional<ProviderError>)> done) override {
    auto index = string_attr(config, "index");
    if (!index || index->empty())
      return done(std::nullopt, error("chef_search: index must be a known, non-empty string"));
    SearchPaging paging;
    paging.index = *index;
    paging.query = string_attr(config, "query").value_or("*:*");
    if (paging.query.empty()) paging.query = "*:*";
    int64_t max_rows = 0;
    if (const Value* m = attr(config, "max_rows"); m && m->kind() == ValueKind::Number)
      max_rows = m->as_number().is_int ? m->as_number().i : 0;
    if (const Value* k = attr(config, "keys"); k && k->is_mapping() && k->length() > 0) {
      paging.keys = Json::object();
      for (const auto& [name, path] : k->attributes()) {
        if (path.kind() != ValueKind::String || path.as_string().empty())
          return done(std::nullopt,
                      error(fmt::format("chef_search: keys.{} must be a dotted path", name)));
        JsonPath parts;
        std::string cur;
        for (char c : path.as_string()) {
          if (c == '.') {
            parts.push_back(cur);
            cur.clear();
          } else {
            cur += c;
          }
        }
        parts.push_back(cur);
        paging.keys[name] = parts;
      }
    }
    if (max_rows > 0 && max_rows < paging.page_size) paging.page_size = static_cast<int>(max_rows);
    paging.limit = max_rows;
    auto rows = std::make_shared<ValueList>();
    auto total = std::make_shared<int64_t>(0);
    paging.on_total = [total](int64_t t) { *total = t; };
    paged_search(
        env, paging,
        [rows, max_rows](const Json& row) {
          if (max_rows > 0 && static_cast<int64_t>(rows->size()) >= max_rows) return;
          rows->push_back(from_json(row));
        },
        [rows, total, config, done](std::optional<ProviderError> err, int) {
          if (err) return done(std::nullopt, err);
          ValueMap out = config;
          out["rows"] = Value::list(std::move(*rows));
          out["total"] = Value::number(*total);
          done(std::move(out), std::nullopt);
        });
  }
};

}  // namespace

std::unique_ptr<ChefDataSourceType> make_chef_search() {
  return std::make_unique<ChefSearch>();
}

}  // namespace orch::chef
