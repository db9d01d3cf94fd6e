// String functions: chomp indent join lower upper split strrev substr title trim trimprefix
// trimsuffix trimspace startswith endswith strcontains.
#include <algorithm>
#include <clocale>
#include <cwctype>

#include <locale.h>

#include <fmt/format.h>

#include "stdlib/fn_util.h"

namespace orch::fn {

namespace {

// A UTF-8 C locale for Unicode case mapping; created once, never modified.
locale_t utf8_locale() {
  static const locale_t kLocale = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  return kLocale;
}

char32_t map_case(char32_t c, bool upper) {
  if (c < 0x80) {
    if (upper && c >= 'a' && c <= 'z') return c - 32;
    if (!upper && c >= 'A' && c <= 'Z') return c + 32;
    return c;
  }
  locale_t loc = utf8_locale();
  if (!loc) return c;
  auto w = static_cast<wint_t>(c);
  return static_cast<char32_t>(upper ? towupper_l(w, loc) : towlower_l(w, loc));
}

std::string change_case(const std::string& s, bool upper) {
  std::string out;
  for (char32_t c : utf8_decode(s)) out += utf8_encode(map_case(c, upper));
  return out;
}

bool is_space(char32_t c) {
  if (c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xA0) return true;
  if (c < 0x80) return false;
  locale_t loc = utf8_locale();
  return loc && iswspace_l(static_cast<wint_t>(c), loc);
}

bool is_letter_or_digit(char32_t c) {
  if (c < 0x80) return std::isalnum(static_cast<int>(c)) || c == '_';
  locale_t loc = utf8_locale();
  return loc && iswalnum_l(static_cast<wint_t>(c), loc);
}

std::string encode_all(const std::vector<char32_t>& cs, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i) out += utf8_encode(cs[i]);
  return out;
}

Value chomp_fn(const Args& a, const CallContext&) {
  std::string s = str(a, 0, "str");
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return Value::string(s);
}

Value indent_fn(const Args& a, const CallContext&) {
  int64_t n = whole(a, 0, "spaces");
  if (n < 0) fail(0, "spaces", "must not be negative");
  if (n > 10000) fail(0, "spaces", "must not be greater than 10000");
  std::string s = str(a, 1, "str");
  std::string pad(static_cast<size_t>(n), ' ');
  std::string out;
  for (char c : s) {
    out += c;
    if (c == '\n') out += pad;
  }
  return Value::string(out);
}

Value join_fn(const Args& a, const CallContext&) {
  std::string sep = str(a, 0, "separator");
  std::string out;
  bool first = true;
  for (size_t i = 1; i < a.size(); ++i) {
    for (const auto& s : strings(a, static_cast<int>(i), "lists")) {
      if (!first) out += sep;
      first = false;
      out += s;
    }
  }
  return Value::string(out);
}

Value split_fn(const Args& a, const CallContext&) {
  std::string sep = str(a, 0, "separator");
  std::string s = str(a, 1, "str");
  ValueList parts;
  if (sep.empty()) {
    for (auto& ch : utf8_chars(s)) parts.push_back(Value::string(ch));
  } else {
    size_t start = 0;
    for (size_t pos = s.find(sep); pos != std::string::npos; pos = s.find(sep, start)) {
      parts.push_back(Value::string(s.substr(start, pos - start)));
      start = pos + sep.size();
    }
    parts.push_back(Value::string(s.substr(start)));
  }
  return Value::list(std::move(parts), Type::string());
}

Value strrev_fn(const Args& a, const CallContext&) {
  auto chars = utf8_chars(str(a, 0, "str"));
  std::string out;
  for (auto it = chars.rbegin(); it != chars.rend(); ++it) out += *it;
  return Value::string(out);
}

Value substr_fn(const Args& a, const CallContext&) {
  auto chars = utf8_chars(str(a, 0, "str"));
  int64_t offset = whole(a, 1, "offset");
  int64_t length = whole(a, 2, "length");
  auto total = static_cast<int64_t>(chars.size());
  if (offset < 0) offset = std::max<int64_t>(0, total + offset);
  if (offset >= total) return Value::string("");
  int64_t end = (length < 0 || length > total - offset) ? total : offset + length;
  std::string out;
  for (int64_t i = offset; i < end; ++i) out += chars[static_cast<size_t>(i)];
  return Value::string(out);
}

Value title_fn(const Args& a, const CallContext&) {
  std::string out;
  bool at_word_start = true;
  for (char32_t c : utf8_decode(str(a, 0, "str"))) {
    out += utf8_encode(at_word_start ? map_case(c, true) : c);
    at_word_start = !is_letter_or_digit(c);
  }
  return Value::string(out);
}

Value trim_fn(const Args& a, const CallContext&) {
  auto cs = utf8_decode(str(a, 0, "str"));
  auto cut = utf8_decode(str(a, 1, "cutset"));
  auto in_cut = [&](char32_t c) { return std::find(cut.begin(), cut.end(), c) != cut.end(); };
  size_t b = 0, e = cs.size();
  while (b < e && in_cut(cs[b])) ++b;
  while (e > b && in_cut(cs[e - 1])) --e;
  return Value::string(encode_all(cs, b, e));
}

Value trimspace_fn(const Args& a, const CallContext&) {
  auto cs = utf8_decode(str(a, 0, "str"));
  size_t b = 0, e = cs.size();
  while (b < e && is_space(cs[b])) ++b;
  while (e > b && is_space(cs[e - 1])) --e;
  return Value::string(encode_all(cs, b, e));
}

Value trimprefix_fn(const Args& a, const CallContext&) {
  std::string s = str(a, 0, "str");
  std::string p = str(a, 1, "prefix");
  return Value::string(s.rfind(p, 0) == 0 ? s.substr(p.size()) : s);
}

Value trimsuffix_fn(const Args& a, const CallContext&) {
  std::string s = str(a, 0, "str");
  std::string p = str(a, 1, "suffix");
  bool has = s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
  return Value::string(has ? s.substr(0, s.size() - p.size()) : s);
}

}  // namespace

void add_string(Functions& f) {
  Type s = Type::string();
  Type b = Type::boolean();
  f.add(make("chomp", 1, 1, "chomp(str)", returns(s), chomp_fn));
  f.add(make("indent", 2, 2, "indent(spaces, str)", returns(s), indent_fn));
  f.add(make("join", 2, -1, "join(separator, lists...)", returns(s), join_fn));
  f.add(make("lower", 1, 1, "lower(str)", returns(s), [](const Args& a, const CallContext&) {
    return Value::string(change_case(str(a, 0, "str"), false));
  }));
  f.add(make("upper", 1, 1, "upper(str)", returns(s), [](const Args& a, const CallContext&) {
    return Value::string(change_case(str(a, 0, "str"), true));
  }));
  f.add(make("split", 2, 2, "split(separator, str)", returns(Type::list(s)), split_fn));
  f.add(make("strrev", 1, 1, "strrev(str)", returns(s), strrev_fn));
  f.add(make("substr", 3, 3, "substr(str, offset, length)", returns(s), substr_fn));
  f.add(make("title", 1, 1, "title(str)", returns(s), title_fn));
  f.add(make("trim", 2, 2, "trim(str, cutset)", returns(s), trim_fn));
  f.add(make("trimprefix", 2, 2, "trimprefix(str, prefix)", returns(s), trimprefix_fn));
  f.add(make("trimsuffix", 2, 2, "trimsuffix(str, suffix)", returns(s), trimsuffix_fn));
  f.add(make("trimspace", 1, 1, "trimspace(str)", returns(s), trimspace_fn));
  f.add(make("startswith", 2, 2, "startswith(str, prefix)", returns(b),
             [](const Args& a, const CallContext&) {
               std::string s = str(a, 0, "str");
               return Value::boolean(s.rfind(str(a, 1, "prefix"), 0) == 0);
             }));
  f.add(make("endswith", 2, 2, "endswith(str, suffix)", returns(b),
             [](const Args& a, const CallContext&) {
               std::string s = str(a, 0, "str");
               std::string x = str(a, 1, "suffix");
               return Value::boolean(s.size() >= x.size() &&
                                     s.compare(s.size() - x.size(), x.size(), x) == 0);
             }));
  f.add(make("strcontains", 2, 2, "strcontains(str, substr)", returns(b),
             [](const Args& a, const CallContext&) {
               return Value::boolean(str(a, 0, "str").find(str(a, 1, "substr")) !=
                                     std::string::npos);
             }));
}

}  // namespace orch::fn
