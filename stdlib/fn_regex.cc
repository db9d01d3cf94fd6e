// Regular expression functions: regex regexall replace (plain or /regex/ substring).
// Patterns use RE2 syntax (Terraform's) translated onto std::regex's ECMAScript grammar:
// named groups (?P<name>...) and (?<name>...), a leading (?i)/(?m)/(?s) flag group, \A and \z.
#include <pthread.h>

#include <algorithm>
#include <exception>
#include <functional>
#include <regex>

#include <fmt/format.h>

#include "stdlib/fn_util.h"

namespace orch::fn {

namespace {

// std::regex matches recursively, about half a kilobyte of stack per input character for
// patterns with alternations: on the default 8 MiB stack, 20,000 characters crash the process.
// So matching runs on a thread with a large (lazily committed) stack, and inputs are capped.
constexpr size_t kMaxInput = 64 * 1024;
constexpr size_t kMaxPattern = 4096;
constexpr size_t kRegexStack = 256 * 1024 * 1024;

void run_on_big_stack(const std::function<void()>& fn) {
  struct Job {
    const std::function<void()>* fn;
    std::exception_ptr error;
  } job{&fn, nullptr};
  auto body = [](void* p) -> void* {
    auto* j = static_cast<Job*>(p);
    try {
      (*j->fn)();
    } catch (const std::regex_error& e) {
      j->error = std::make_exception_ptr(
          ArgError{-1, std::string("regular expression matching failed: ") + e.what()});
    } catch (...) {
      j->error = std::current_exception();
    }
    return nullptr;
  };
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kRegexStack);
  pthread_t thread;
  int rc = pthread_create(&thread, &attr, body, &job);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    fn();  // no thread available: run here (inputs are capped, so this stays bounded)
    return;
  }
  pthread_join(thread, nullptr);
  if (job.error) std::rethrow_exception(job.error);
}

void check_sizes(const std::string& pattern, int pattern_arg, std::string_view pattern_param,
                 const std::string& input, int input_arg, std::string_view input_param) {
  if (pattern.size() > kMaxPattern) {
    fail(pattern_arg, pattern_param,
         fmt::format("regular expressions are limited to {} bytes", kMaxPattern));
  }
  if (input.size() > kMaxInput) {
    fail(input_arg, input_param,
         fmt::format("regular expression matching is limited to strings of {} bytes", kMaxInput));
  }
}

struct Pattern {
  std::regex re;
  std::vector<std::string> names;  // per capture group (1-based index - 1); "" when unnamed
};

// Rewrites an RE2 pattern into ECMAScript, recording capture group names. Returns an error
// message, or "" on success.
std::string translate(const std::string& in, std::string* out, std::vector<std::string>* names,
                      std::regex::flag_type* flags) {
  size_t i = 0;
  bool dot_all = false;
  // A leading flag group such as (?i) or (?is).
  if (in.rfind("(?", 0) == 0) {
    size_t j = 2;
    while (j < in.size() && std::string_view("imsU").find(in[j]) != std::string_view::npos) ++j;
    if (j > 2 && j < in.size() && in[j] == ')') {
      for (size_t k = 2; k < j; ++k) {
        if (in[k] == 'i') *flags |= std::regex::icase;
        if (in[k] == 'm') *flags |= std::regex::multiline;
        if (in[k] == 's') dot_all = true;
        if (in[k] == 'U') return "the U (ungreedy) flag is not supported";
      }
      i = j + 1;
    }
  }
  bool in_class = false;
  for (; i < in.size(); ++i) {
    char c = in[i];
    if (c == '\\' && i + 1 < in.size()) {
      char n = in[i + 1];
      if (!in_class && n == 'A') {
        *out += '^';
      } else if (!in_class && n == 'z') {
        *out += '$';
      } else if (n == 'p' || n == 'P' || n == 'Q' || n == 'C') {
        return fmt::format("\\{} is not supported", n);
      } else {
        *out += c;
        *out += n;
      }
      ++i;
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      *out += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      *out += c;
      // A ']' right after '[' or '[^' is literal.
      if (i + 1 < in.size() && in[i + 1] == '^') *out += in[++i];
      if (i + 1 < in.size() && in[i + 1] == ']') *out += "\\]", ++i;
      continue;
    }
    if (c == '.' && dot_all) {
      *out += "[\\s\\S]";
      continue;
    }
    if (c == '(') {
      if (in.compare(i, 4, "(?P<") == 0 ||
          (in.compare(i, 3, "(?<") == 0 && in.compare(i, 4, "(?<=") != 0 &&
           in.compare(i, 4, "(?<!") != 0)) {
        size_t start = in.find('<', i) + 1;
        size_t end = in.find('>', start);
        if (end == std::string::npos) return "unterminated capture group name";
        names->push_back(in.substr(start, end - start));
        *out += '(';
        i = end;
        continue;
      }
      if (in.compare(i, 2, "(?") != 0) names->push_back("");
    }
    *out += c;
  }
  return "";
}

Pattern compile(const std::string& pattern, int arg, std::string_view param) {
  Pattern p;
  std::string ecma;
  std::regex::flag_type flags = std::regex::ECMAScript;
  std::string err = translate(pattern, &ecma, &p.names, &flags);
  if (!err.empty()) fail(arg, param, "invalid regular expression: " + err);
  try {
    p.re = std::regex(ecma, flags);
  } catch (const std::regex_error& e) {
    fail(arg, param, fmt::format("invalid regular expression: {}", e.what()));
  }
  return p;
}

// The result for one match: the whole match, a list of groups, or an object of named groups.
Value match_value(const Pattern& p, const std::smatch& m) {
  if (p.names.empty()) return Value::string(m.str(0));
  bool named = !p.names[0].empty();
  for (const auto& n : p.names) {
    if (n.empty() == named) {
      fail(0, "pattern", "must use either all named or all unnamed capture groups");
    }
  }
  auto group = [&](size_t i) {
    return m[i + 1].matched ? Value::string(m.str(i + 1)) : Value::null(Type::string());
  };
  if (named) {
    ValueMap attrs;
    for (size_t i = 0; i < p.names.size(); ++i) attrs[p.names[i]] = group(i);
    return Value::object(std::move(attrs));
  }
  ValueList groups;
  for (size_t i = 0; i < p.names.size(); ++i) groups.push_back(group(i));
  return Value::list(std::move(groups), Type::string());
}

Value regex_fn(const Args& a, const CallContext&) {
  std::string pattern = str(a, 0, "pattern");
  std::string s = str(a, 1, "string");
  check_sizes(pattern, 0, "pattern", s, 1, "string");
  Value out;
  run_on_big_stack([&]() {
    Pattern p = compile(pattern, 0, "pattern");
    std::smatch m;
    if (!std::regex_search(s, m, p.re)) {
      fail(1, "string", "pattern did not match any part of the given string");
    }
    out = match_value(p, m);
  });
  return out;
}

Value regexall_fn(const Args& a, const CallContext&) {
  std::string pattern = str(a, 0, "pattern");
  std::string s = str(a, 1, "string");
  check_sizes(pattern, 0, "pattern", s, 1, "string");
  ValueList out;
  run_on_big_stack([&]() {
    Pattern p = compile(pattern, 0, "pattern");
    for (auto it = std::sregex_iterator(s.begin(), s.end(), p.re); it != std::sregex_iterator();
         ++it) {
      out.push_back(match_value(p, *it));
    }
  });
  return make_list(std::move(out));
}

// Go-style replacement ($1, ${1}, ${name}, $$) into ECMAScript format ($1, $$).
std::string replacement_format(const std::string& r, const Pattern& p) {
  std::string out;
  for (size_t i = 0; i < r.size(); ++i) {
    if (r[i] != '$' || i + 1 == r.size()) {
      out += r[i];
      continue;
    }
    if (r[i + 1] == '$') {
      out += "$$";
      ++i;
      continue;
    }
    std::string name;
    size_t j = i + 1;
    if (r[j] == '{') {
      size_t end = r.find('}', j);
      if (end == std::string::npos) {
        out += "$$";
        continue;
      }
      name = r.substr(j + 1, end - j - 1);
      j = end + 1;
    } else {
      while (j < r.size() && (std::isalnum(static_cast<unsigned char>(r[j])) || r[j] == '_')) {
        name += r[j++];
      }
    }
    i = j - 1;
    if (name.empty()) {
      out += "$$";
      continue;
    }
    if (std::all_of(name.begin(), name.end(), [](char c) { return std::isdigit(c); })) {
      out += "$" + name;
      continue;
    }
    for (size_t k = 0; k < p.names.size(); ++k) {
      if (p.names[k] == name) out += "$" + std::to_string(k + 1);
    }
  }
  return out;
}

Value replace_fn(const Args& a, const CallContext&) {
  std::string s = str(a, 0, "str");
  std::string sub = str(a, 1, "substr");
  std::string rep = str(a, 2, "replace");
  if (sub.size() >= 2 && sub.front() == '/' && sub.back() == '/') {
    std::string pattern = sub.substr(1, sub.size() - 2);
    check_sizes(pattern, 1, "substr", s, 0, "str");
    std::string out;
    run_on_big_stack([&]() {
      Pattern p = compile(pattern, 1, "substr");
      out = std::regex_replace(s, p.re, replacement_format(rep, p));
    });
    return Value::string(out);
  }
  if (sub.empty()) return Value::string(s);
  std::string out;
  size_t start = 0;
  for (size_t pos = s.find(sub); pos != std::string::npos; pos = s.find(sub, start)) {
    out += s.substr(start, pos - start) + rep;
    start = pos + sub.size();
  }
  return Value::string(out + s.substr(start));
}

}  // namespace

void add_regex(Functions& f) {
  f.add(make("regex", 2, 2, "regex(pattern, string)", returns(Type::any()), regex_fn));
  f.add(make("regexall", 2, 2, "regexall(pattern, string)", returns(Type::list(Type::any())),
             regexall_fn));
  f.add(
      make("replace", 3, 3, "replace(str, substr, replace)", returns(Type::string()), replace_fn));
}

}  // namespace orch::fn
