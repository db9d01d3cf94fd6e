// "Did you mean" suggestions: the closest candidate name by edit distance.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace orch {

// Levenshtein distance (insert, delete, substitute; an adjacent swap counts as one edit).
int edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `name`, if it is close enough to be a plausible typo (distance at most
// max(1, len/3), ties broken by candidate order); empty when none is.
std::string suggest(std::string_view name, const std::vector<std::string>& candidates);

// "; did you mean \"x\"?" or empty: ready to append to a diagnostic detail.
std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace orch
