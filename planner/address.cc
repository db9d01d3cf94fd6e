// Resource addresses: a small recursive-descent parser, the canonical printer, natural order.
#include "planner/address.h"

#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "compiler/quote.h"

namespace orch {

namespace {

bool is_ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::strong_ordering order_of(int c) {
  return c < 0 ? std::strong_ordering::less
               : (c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal);
}

// Parses one address. Errors record the first problem with its offset.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  ParsedAddress parse(bool allow_module_only) {
    ResourceAddress addr;
    if (text_.empty()) return fail(0, "empty address");
    for (;;) {
      std::string word;
      if (!ident(word, "a resource type, `data` or `module`")) return result();
      if (word == "module") {
        if (!expect('.', "`.` and a module name after `module`")) return result();
        ModuleStep step;
        if (!ident(step.name, "a module name")) return result();
        if (!key(step.key)) return result();
        addr.module.push_back(std::move(step));
        if (at_end()) {
          if (allow_module_only) return ok(std::move(addr));
          return fail(pos_,
                      "expected `.` and a resource after the module path (a module path "
                      "alone selects no single resource)");
        }
        if (!expect('.', "`.` after the module path")) return result();
        continue;
      }
      if (word == "data") {
        if (!expect('.', "`.` and a data source type after `data`")) return result();
        addr.mode = ResourceMode::Data;
        if (!ident(word, "a data source type")) return result();
      }
      addr.type = std::move(word);
      if (!expect('.', "`.` and a resource name after the type")) return result();
      if (!ident(addr.name, "a resource name")) return result();
      if (!key(addr.key)) return result();
      if (!at_end()) {
        return fail(
            pos_, fmt::format("unexpected `{}` after the resource address", text_.substr(pos_, 1)));
      }
      return ok(std::move(addr));
    }
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }

  ParsedAddress ok(ResourceAddress a) {
    ParsedAddress r;
    r.address = std::move(a);
    return r;
  }
  ParsedAddress fail(size_t offset, std::string message) {
    error_ = AddressError{offset, std::move(message)};
    return result();
  }
  ParsedAddress result() {
    ParsedAddress r;
    r.error = error_;
    return r;
  }
  bool error(size_t offset, std::string message) {
    error_ = AddressError{offset, std::move(message)};
    return false;
  }
  std::string found() const {
    if (at_end()) return "the end of the address";
    return fmt::format("`{}`", text_.substr(pos_, 1));
  }

  bool expect(char c, std::string_view what) {
    if (!at_end() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return error(pos_, fmt::format("expected {}, found {}", what, found()));
  }

  bool ident(std::string& out, std::string_view what) {
    if (at_end() || !is_ident_start(text_[pos_])) {
      return error(pos_, fmt::format("expected {}, found {}", what, found()));
    }
    size_t start = pos_;
    while (!at_end() && is_ident_char(text_[pos_])) ++pos_;
    out = std::string(text_.substr(start, pos_ - start));
    return true;
  }

  // An optional `[123]` or `["key"]`.
  bool key(InstanceKey& out) {
    if (at_end() || text_[pos_] != '[') return true;
    ++pos_;
    if (!at_end() && is_digit(text_[pos_])) {
      size_t start = pos_;
      while (!at_end() && is_digit(text_[pos_])) ++pos_;
      int64_t v = 0;
      auto [p, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, v);
      if (ec != std::errc() || p != text_.data() + pos_) {
        return error(start, "instance index is too large");
      }
      out = InstanceKey::of(v);
    } else if (!at_end() && text_[pos_] == '"') {
      std::string s;
      if (!string(s)) return false;
      out = InstanceKey::of(std::move(s));
    } else if (!at_end() && text_[pos_] == '-') {
      return error(pos_, "instance index must not be negative");
    } else {
      return error(pos_, fmt::format("expected an index (0, 1, ...) or a quoted key (\"name\"), "
                                     "found {}",
                                     found()));
    }
    return expect(']', "`]` to close the instance key");
  }

  bool string(std::string& out) {
    size_t open = pos_++;
    while (!at_end()) {
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return error(pos_, "control character in a quoted key (write it as an escape: \\n, \\t)");
      }
      // `$${` and `%%{` are a literal `${` and `%{`, as in HCL strings (quote_hcl_string).
      if ((c == '$' || c == '%') && text_.compare(pos_ + 1, 2, std::string{c, '{'}) == 0) {
        out += c;
        out += '{';
        pos_ += 3;
        continue;
      }
      if (c != '\\') {
        out += c;
        ++pos_;
        continue;
      }
      size_t esc = pos_++;
      if (at_end()) break;
      char e = text_[pos_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          if (pos_ + 4 > text_.size()) return error(esc, "incomplete \\u escape");
          unsigned cp = 0;
          auto [p, ec] = std::from_chars(text_.data() + pos_, text_.data() + pos_ + 4, cp, 16);
          if (ec != std::errc() || p != text_.data() + pos_ + 4) {
            return error(esc, "\\u must be followed by four hex digits");
          }
          if (cp >= 0xD800 && cp <= 0xDFFF) {
            return error(esc, "\\u escapes of UTF-16 surrogates are not characters");
          }
          pos_ += 4;
          append_utf8(out, cp);
          break;
        }
        default:
          return error(
              esc,
              fmt::format("unknown escape `\\{}` (use \\\", \\\\, \\n, \\r, \\t, \\uXXXX)", e));
      }
    }
    return error(open, "unterminated quoted key");
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::optional<AddressError> error_;
};

}  // namespace

std::strong_ordering natural_compare(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (is_digit(a[i]) && is_digit(b[j])) {
      size_t si = i, sj = j;
      while (i < a.size() && is_digit(a[i])) ++i;
      while (j < b.size() && is_digit(b[j])) ++j;
      std::string_view da = a.substr(si, i - si), db = b.substr(sj, j - sj);
      // Compare numerically without overflow: strip leading zeros, then length, then digits.
      size_t za = da.find_first_not_of('0'), zb = db.find_first_not_of('0');
      da = za == std::string_view::npos ? std::string_view() : da.substr(za);
      db = zb == std::string_view::npos ? std::string_view() : db.substr(zb);
      if (da.size() != db.size()) return da.size() <=> db.size();
      if (auto c = order_of(da.compare(db)); c != 0) return c;
      continue;
    }
    if (a[i] != b[j]) {
      return static_cast<unsigned char>(a[i]) <=> static_cast<unsigned char>(b[j]);
    }
    ++i;
    ++j;
  }
  if (auto c = (a.size() - i) <=> (b.size() - j); c != 0) return c;
  // Equal under natural order ("a01" vs "a1"): byte order keeps the order total.
  return order_of(a.compare(b));
}

std::string quote_key(std::string_view s) {
  return quote_hcl_string(s);
}

std::string InstanceKey::str() const {
  switch (kind) {
    case Kind::None:
      return "";
    case Kind::Int:
      return fmt::format("[{}]", index);
    case Kind::String:
      return "[" + quote_key(key) + "]";
  }
  return "";
}

std::strong_ordering InstanceKey::operator<=>(const InstanceKey& o) const {
  if (kind != o.kind) return static_cast<int>(kind) <=> static_cast<int>(o.kind);
  if (kind == Kind::Int) return index <=> o.index;
  if (kind == Kind::String) return natural_compare(key, o.key);
  return std::strong_ordering::equal;
}

std::strong_ordering ModuleStep::operator<=>(const ModuleStep& o) const {
  if (auto c = natural_compare(name, o.name); c != 0) return c;
  return key <=> o.key;
}

std::string ResourceAddress::module_str() const {
  std::string out;
  for (const auto& step : module) {
    if (!out.empty()) out += '.';
    out += "module." + step.name + step.key.str();
  }
  return out;
}

std::string ResourceAddress::str() const {
  std::string out = module_str();
  if (is_module_only()) return out;
  if (!out.empty()) out += '.';
  if (mode == ResourceMode::Data) out += "data.";
  out += type + "." + name + key.str();
  return out;
}

ResourceAddress ResourceAddress::resource() const {
  return with_key(InstanceKey::none());
}

ResourceAddress ResourceAddress::with_key(InstanceKey k) const {
  ResourceAddress a = *this;
  a.key = std::move(k);
  return a;
}

bool ResourceAddress::selects(const ResourceAddress& other) const {
  if (module.size() > other.module.size()) return false;
  if (!is_module_only() && module.size() != other.module.size()) return false;
  for (size_t i = 0; i < module.size(); ++i) {
    if (module[i].name != other.module[i].name) return false;
    if (!module[i].key.empty() && module[i].key != other.module[i].key) return false;
  }
  if (is_module_only()) return !other.is_module_only() || module.size() <= other.module.size();
  if (mode != other.mode || type != other.type || name != other.name) return false;
  return key.empty() || key == other.key;
}

std::strong_ordering ResourceAddress::operator<=>(const ResourceAddress& o) const {
  size_t n = std::min(module.size(), o.module.size());
  for (size_t i = 0; i < n; ++i) {
    if (auto c = module[i] <=> o.module[i]; c != 0) return c;
  }
  // Root-module resources come before those of child modules.
  if (auto c = module.size() <=> o.module.size(); c != 0) return c;
  if (auto c = static_cast<int>(mode) <=> static_cast<int>(o.mode); c != 0) return c;
  if (auto c = natural_compare(type, o.type); c != 0) return c;
  if (auto c = natural_compare(name, o.name); c != 0) return c;
  return key <=> o.key;
}

std::string AddressError::str(std::string_view text) const {
  return fmt::format("invalid address {}: column {}: {}", quote_key(text), offset + 1, message);
}

ParsedAddress parse_address(std::string_view text, bool allow_module_only) {
  return Parser(text).parse(allow_module_only);
}

}  // namespace orch
