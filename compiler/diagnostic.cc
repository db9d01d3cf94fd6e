// Diagnostics collection.
#include "compiler/diagnostic.h"

#include <algorithm>
#include <tuple>

namespace orch {

Diagnostic& Diagnostics::error(Range range, std::string summary, std::string detail) {
  list_.push_back(Diagnostic{Severity::Error, std::move(summary), std::move(detail),
                             std::move(range), {}});
  return list_.back();
}

Diagnostic& Diagnostics::warning(Range range, std::string summary, std::string detail) {
  list_.push_back(Diagnostic{Severity::Warning, std::move(summary), std::move(detail),
                             std::move(range), {}});
  return list_.back();
}

void Diagnostics::append(const Diagnostics& other) {
  list_.insert(list_.end(), other.list_.begin(), other.list_.end());
}

int Diagnostics::error_count() const {
  return static_cast<int>(std::count_if(list_.begin(), list_.end(), [](const Diagnostic& d) {
    return d.severity == Severity::Error;
  }));
}

int Diagnostics::warning_count() const {
  return static_cast<int>(list_.size()) - error_count();
}

void Diagnostics::sort_and_dedupe() {
  std::stable_sort(list_.begin(), list_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.range.file, a.range.start.byte) < std::tie(b.range.file, b.range.start.byte);
  });
  auto same = [](const Diagnostic& a, const Diagnostic& b) {
    return a.severity == b.severity && a.summary == b.summary && a.detail == b.detail &&
           a.range.file == b.range.file && a.range.start.byte == b.range.start.byte &&
           a.range.end.byte == b.range.end.byte;
  };
  list_.erase(std::unique(list_.begin(), list_.end(), same), list_.end());
}

}  // namespace orch
