// Source files held in memory and positions/ranges inside them (1-based line and column, 0-based byte).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace orch {

struct Pos {
  int line = 1;    // 1-based
  int column = 1;  // 1-based, counted in bytes like Terraform's ranges
  int64_t byte = 0;
};

// A half-open byte range [start, end) in one file. `file` is the name as shown to users.
struct Range {
  std::string file;
  Pos start;
  Pos end;

  bool valid() const { return !file.empty(); }
};

// One source file's bytes plus a line index for snippets.
class SourceFile {
 public:
  SourceFile(std::string name, std::string text);

  const std::string& name() const { return name_; }
  const std::string& text() const { return text_; }
  // Position of a byte offset (clamped to the text).
  Pos pos_at(int64_t byte) const;
  // The text of a 1-based line without its newline; empty when out of range.
  std::string_view line(int line) const;
  int line_count() const { return static_cast<int>(line_starts_.size()); }
  Range range(int64_t start_byte, int64_t end_byte) const;

 private:
  std::string name_;
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
