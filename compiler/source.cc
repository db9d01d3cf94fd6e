// Source files and line indexes.
#include "compiler/source.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace orch {

SourceFile::SourceFile(std::string name, std::string text)
    : name_(std::move(name)), text_(std::move(text)) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') line_starts_.push_back(static_cast<int64_t>(i + 1));
  }
}

Pos SourceFile::pos_at(int64_t byte) const {
  byte = std::clamp<int64_t>(byte, 0, static_cast<int64_t>(text_.size()));
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), byte);
  int line = static_cast<int>(it - line_starts_.begin());
  Pos p;
  p.line = line;
  p.column = static_cast<int>(byte - line_starts_[line - 1]) + 1;
  p.byte = byte;
  return p;
}

Pos SourceFile::pos_near(int64_t byte, int hint) const {
  byte = std::clamp<int64_t>(byte, 0, static_cast<int64_t>(text_.size()));
  int n = line_count();
  for (int line = std::max(hint, 1); line <= std::min(hint + 1, n); ++line) {
    if (byte >= line_starts_[line - 1] && (line == n || byte < line_starts_[line])) {
      return Pos{line, static_cast<int>(byte - line_starts_[line - 1]) + 1, byte};
    }
  }
  return pos_at(byte);
}

std::string_view SourceFile::line(int line) const {
  if (line < 1 || line > line_count()) return {};
  int64_t start = line_starts_[line - 1];
  int64_t end = line < line_count() ? line_starts_[line] - 1 : static_cast<int64_t>(text_.size());
  if (end > start && text_[end - 1] == '\r') --end;
  return std::string_view(text_).substr(start, end - start);
}

Range SourceFile::range(int64_t start_byte, int64_t end_byte) const {
  return Range{name_, pos_at(start_byte), pos_at(end_byte)};
}

const SourceFile* SourceManager::add(std::string name, std::string text) {
  files_.push_back(std::make_unique<SourceFile>(std::move(name), std::move(text)));
  return files_.back().get();
}

const SourceFile* SourceManager::load(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (error) *error = "cannot read " + path;
    return nullptr;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    if (error) *error = "error while reading " + path;
    return nullptr;
  }
  return add(path, buf.str());
}

const SourceFile* SourceManager::find(std::string_view name) const {
  for (const auto& f : files_) {
    if (f->name() == name) return f.get();
  }
  return nullptr;
}

}  // namespace orch
