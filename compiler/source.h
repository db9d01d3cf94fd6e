// Source files held in memory and positions/ranges inside them (1-based line and column, 0-based
// byte).
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace orch {

struct Pos {
  int line = 1;    // 1-based
  int column = 1;  // 1-based, counted in bytes like Terraform's ranges
  int64_t byte = 0;
};

// The name of a source file as ranges carry it: shared and immutable, so that copying one of
// the millions of ranges a large configuration has allocates nothing.
class FileName {
 public:
  FileName() = default;
  FileName(std::string name)  // NOLINT: implicit, names are written as strings everywhere
      : name_(name.empty() ? nullptr : std::make_shared<const std::string>(std::move(name))) {}
  FileName(const char* name) : FileName(std::string(name)) {}  // NOLINT: as above

  const std::string& str() const { return name_ ? *name_ : empty_name(); }
  operator const std::string&() const { return str(); }  // NOLINT: reads like a string
  bool empty() const { return !name_ || name_->empty(); }

  friend bool operator==(const FileName& a, const FileName& b) {
    return a.name_ == b.name_ || a.str() == b.str();
  }
  friend bool operator==(const FileName& a, std::string_view b) { return a.str() == b; }
  friend bool operator==(const FileName& a, const char* b) { return a.str() == b; }
  friend std::strong_ordering operator<=>(const FileName& a, const FileName& b) {
    return a.str() <=> b.str();
  }

 private:
  static const std::string& empty_name() {
    static const std::string empty;
    return empty;
  }
  std::shared_ptr<const std::string> name_;
};

inline std::ostream& operator<<(std::ostream& o, const FileName& f) {
  return o << f.str();
}

// A half-open byte range [start, end) in one file. `file` is the name as shown to users.
struct Range {
  FileName file;
  Pos start;
  Pos end;

  bool valid() const { return !file.empty(); }
};

// One source file's bytes plus a line index for snippets.
class SourceFile {
 public:
  SourceFile(std::string name, std::string text);

  const std::string& name() const { return name_.str(); }
  const FileName& file_name() const { return name_; }
  const std::string& text() const { return text_; }
  // Position of a byte offset (clamped to the text).
  Pos pos_at(int64_t byte) const;
  // The text of a 1-based line without its newline; empty when out of range.
  std::string_view line(int line) const;
  int line_count() const { return static_cast<int>(line_starts_.size()); }
  Range range(int64_t start_byte, int64_t end_byte) const;
  // Like pos_at(), starting the search at line `hint` (1-based): constant time when the byte is
  // on that line or the next, as when walking a file front to back.
  Pos pos_near(int64_t byte, int hint) const;

 private:
  FileName name_;
  std::string text_;
  std::vector<int64_t> line_starts_;
};

// Owns every file read during a run so that diagnostics can quote them later.
class SourceManager {
 public:
  // Adds a file with the given contents; the pointer stays valid for the manager's life.
  const SourceFile* add(std::string name, std::string text);
  // Reads a file from disk; returns nullptr and sets `error` when it cannot be read.
  const SourceFile* load(const std::string& path, std::string* error);
  const SourceFile* find(std::string_view name) const;

 private:
  std::vector<std::unique_ptr<SourceFile>> files_;
};

}  // namespace orch
