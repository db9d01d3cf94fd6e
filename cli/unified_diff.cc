// Myers' O((N+M)D) diff over lines, printed in GNU `diff -u` format.
#include "cli/unified_diff.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace orch::cli {
namespace {

// Beyond this many differing lines the diff is shown as one replacement (bounded memory).
constexpr int kMaxEdits = 4000;

// Lines without their newline; a last line without one carries diff's marker, so that it
// differs from the same text with a newline.
std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string::npos) {
      lines.push_back(s.substr(pos) + "\n\\ No newline at end of file");
      break;
    }
    lines.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

enum class Op { Keep, Del, Add };
struct Edit {
  Op op;
  int a;  // index in a (Keep, Del)
  int b;  // index in b (Keep, Add)
};

// The shortest edit script from a to b.
std::vector<Edit> myers(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  const int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
  const int max = n + m;
  const int offset = max + 1;
  std::vector<int> v(2 * max + 3, 0);
  std::vector<std::vector<int>> trace;
  int found = -1;
  for (int d = 0; d <= std::min(max, kMaxEdits); ++d) {
    trace.push_back(v);
    for (int k = -d; k <= d; k += 2) {
      int x = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]))
                  ? v[offset + k + 1]
                  : v[offset + k - 1] + 1;
      int y = x - k;
      while (x < n && y < m && a[x] == b[y]) ++x, ++y;
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    if (found >= 0) break;
  }
  std::vector<Edit> edits;
  if (found < 0) {  // too different: delete everything, add everything
    for (int i = 0; i < n; ++i) edits.push_back({Op::Del, i, 0});
    for (int j = 0; j < m; ++j) edits.push_back({Op::Add, n, j});
    return edits;
  }
  int x = n, y = m;
  for (int d = found; d > 0; --d) {
    const std::vector<int>& pv = trace[d];
    int k = x - y;
    int prev_k = (k == -d || (k != d && pv[offset + k - 1] < pv[offset + k + 1])) ? k + 1 : k - 1;
    int prev_x = pv[offset + prev_k];
    int prev_y = prev_x - prev_k;
    while (x > prev_x && y > prev_y) edits.push_back({Op::Keep, --x, --y});
    if (x == prev_x) {
      edits.push_back({Op::Add, x, --y});
    } else {
      edits.push_back({Op::Del, --x, y});
    }
  }
  while (x > 0 && y > 0) edits.push_back({Op::Keep, --x, --y});
  std::reverse(edits.begin(), edits.end());
  return edits;
}

std::string range(int start, int count) {
  // GNU: "start,count", "start" alone when count is 1, and the line before when count is 0.
  if (count == 1) return fmt::format("{}", start + 1);
  if (count == 0) return fmt::format("{},0", start);
  return fmt::format("{},{}", start + 1, count);
}

}  // namespace

std::string unified_diff(const std::string& a, const std::string& b, const std::string& a_label,
                         const std::string& b_label, bool color) {
  if (a == b) return {};
  auto la = split_lines(a);
  auto lb = split_lines(b);
  std::vector<Edit> edits = myers(la, lb);
  const char* red = color ? "\033[31m" : "";
  const char* green = color ? "\033[32m" : "";
  const char* cyan = color ? "\033[36m" : "";
  const char* bold = color ? "\033[1m" : "";
  const char* reset = color ? "\033[0m" : "";

  std::string out = fmt::format("{}--- {}\n+++ {}{}\n", bold, a_label, b_label, reset);
  constexpr int kContext = 3;
  size_t i = 0;
  while (i < edits.size()) {
    if (edits[i].op == Op::Keep) {
      ++i;
      continue;
    }
    // A hunk: from kContext lines before this change to kContext after the last change that is
    // within 2*kContext of the previous one.
    size_t start = i >= kContext ? i - kContext : 0;
    size_t end = i;
    size_t last_change = i;
    while (end < edits.size()) {
      if (edits[end].op != Op::Keep) last_change = end;
      if (end - last_change > 2 * kContext) break;
      ++end;
    }
    end = std::min(edits.size(), last_change + kContext + 1);
    int a_start = edits[start].a, b_start = edits[start].b, a_count = 0, b_count = 0;
    std::string body;
    for (size_t k = start; k < end; ++k) {
      const Edit& e = edits[k];
      if (e.op == Op::Keep) {
        body += fmt::format(" {}\n", la[e.a]);
        ++a_count, ++b_count;
      } else if (e.op == Op::Del) {
        body += fmt::format("{}-{}{}\n", red, la[e.a], reset);
        ++a_count;
      } else {
        body += fmt::format("{}+{}{}\n", green, lb[e.b], reset);
        ++b_count;
      }
    }
    out += fmt::format("{}@@ -{} +{} @@{}\n", cyan, range(a_start, a_count),
                       range(b_start, b_count), reset);
    out += body;
    i = end;
  }
  return out;
}

}  // namespace orch::cli
