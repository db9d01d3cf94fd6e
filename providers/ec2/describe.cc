// Paged Describe* calls (see describe.h).
#include "providers/ec2/describe.h"

#include <memory>

namespace orch::ec2 {

void add_filter(Params& params, const std::string& name, const std::vector<std::string>& values) {
  int n = 1;
  for (const auto& [k, v] : params)
    if (k.rfind("Filter.", 0) == 0 && k.size() > 5 && k.compare(k.size() - 5, 5, ".Name") == 0) ++n;
  std::string prefix = "Filter." + std::to_string(n);
  params.emplace_back(prefix + ".Name", name);
  for (size_t i = 0; i < values.size(); ++i)
    params.emplace_back(prefix + ".Value." + std::to_string(i + 1), values[i]);
}

namespace {

struct Paging {
  QueryClient* client;
  std::string action;
  Params params;
  int max_results;
  std::function<void(const pugi::xml_node&)> on_page;
  std::function<void(std::optional<ApiError>)> done;
  bool urgent = false;
};

void next_page(std::shared_ptr<Paging> p, std::string token) {
  Params params = p->params;
  if (p->max_results > 0) params.emplace_back("MaxResults", std::to_string(p->max_results));
  if (!token.empty()) params.emplace_back("NextToken", token);
  p->client->call(
      p->action, std::move(params),
      [p](ApiResult r) {
        if (r.error) return p->done(r.error);
        pugi::xml_node root = r.root();
        p->on_page(root);
        std::string next = root.child_value("nextToken");
        if (next.empty()) return p->done(std::nullopt);
        next_page(p, next);
      },
      p->urgent);
}

}  // namespace

void describe_all(QueryClient& client, const std::string& action, Params params, int max_results,
                  std::function<void(const pugi::xml_node&)> on_page,
                  std::function<void(std::optional<ApiError>)> done, bool urgent) {
  auto p = std::make_shared<Paging>(Paging{&client, action, std::move(params), max_results,
                                           std::move(on_page), std::move(done), urgent});
  next_page(std::move(p), "");
}

std::vector<std::vector<std::string>> chunks(const std::vector<std::string>& ids, size_t n) {
  std::vector<std::vector<std::string>> out;
  for (size_t i = 0; i < ids.size(); i += n)
    out.emplace_back(ids.begin() + i, ids.begin() + std::min(ids.size(), i + n));
  return out;
}

namespace {
void run_from(std::shared_ptr<std::vector<Step>> steps, size_t i,
              std::function<void(std::optional<ApiError>)> done) {
  if (i >= steps->size()) return done(std::nullopt);
  (*steps)[i]([steps, i, done](std::optional<ApiError> e) {
    if (e) return done(e);
    run_from(steps, i + 1, done);
  });
}
}  // namespace

void run_sequence(std::vector<Step> steps, std::function<void(std::optional<ApiError>)> done) {
  run_from(std::make_shared<std::vector<Step>>(std::move(steps)), 0, std::move(done));
}

}  // namespace orch::ec2
