// Line-based unified diffs (`diff -u` format) for `orch fmt -diff`.
#pragma once

#include <string>

namespace orch::cli {

// The unified diff from `a` to `b` with three lines of context, headed `--- a_label` and
// `+++ b_label`; empty when the texts are equal. With `color`, removed lines are red and added
// lines green.
std::string unified_diff(const std::string& a, const std::string& b, const std::string& a_label,
                         const std::string& b_label, bool color = false);

}  // namespace orch::cli
