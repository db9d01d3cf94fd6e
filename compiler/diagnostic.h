// Diagnostics: what went wrong, where, and what to do. Producing is separate from rendering.
#pragma once

#include <string>
#include <vector>

#include "compiler/source.h"

namespace orch {

enum class Severity { Error, Warning };

struct DiagnosticNote {
  std::string message;
  Range range;  // may be invalid (no location)
};

struct Diagnostic {
  Severity severity = Severity::Error;
  std::string summary;  // one line, no trailing period
  std::string detail;   // optional: explanation and what to do
  Range range;          // the exact subject; may be invalid for errors with no location
  std::vector<DiagnosticNote> notes;
};

// An ordered collection of diagnostics for one run.
class Diagnostics {
 public:
  Diagnostic& error(Range range, std::string summary, std::string detail = {});
  Diagnostic& warning(Range range, std::string summary, std::string detail = {});
  void add(Diagnostic d) { list_.push_back(std::move(d)); }
  void append(const Diagnostics& other);

  bool has_errors() const { return error_count() > 0; }
  int error_count() const;
  int warning_count() const;
  bool empty() const { return list_.empty(); }
  size_t size() const { return list_.size(); }
  const std::vector<Diagnostic>& list() const { return list_; }
  // Sorts by file, then position, keeping the original order for ties; drops exact duplicates.
  void sort_and_dedupe();

 private:
  std::vector<Diagnostic> list_;
};

}  // namespace orch
