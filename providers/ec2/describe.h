// Paged Describe* calls (MaxResults/NextToken) and filter parameters, shared by refresh,
// adoption and the instance-state waiter: one call per page, never one per object.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "providers/ec2/query.h"

namespace orch::ec2 {

// Appends Filter.N.Name / Filter.N.Value.M (N = the next filter number).
void add_filter(Params& params, const std::string& name, const std::vector<std::string>& values);

// Calls `action` with `params` plus MaxResults (when > 0) and each NextToken until the last page;
// `on_page` sees every page's document element. `done` runs once: with the error that ended it,
// or nullopt after the last page.
void describe_all(QueryClient& client, const std::string& action, Params params, int max_results,
                  std::function<void(const pugi::xml_node&)> on_page,
                  std::function<void(std::optional<ApiError>)> done, bool urgent = false);

// Splits `ids` into chunks of at most `n` (filter value lists have limits).
std::vector<std::vector<std::string>> chunks(const std::vector<std::string>& ids, size_t n);

// Runs `tasks` one after another (each calls its continuation once); `done` with the first error.
using Step = std::function<void(std::function<void(std::optional<ApiError>)>)>;
void run_sequence(std::vector<Step> steps, std::function<void(std::optional<ApiError>)> done);

}  // namespace orch::ec2
