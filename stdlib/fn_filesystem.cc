// Filesystem functions: file fileexists templatefile abspath basename dirname pathexpand.
// Relative paths given to file/fileexists/templatefile resolve against ctx.base_dir.
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "stdlib/fn_util.h"

namespace orch::fn {

namespace {

// Lexical path cleaning as Go's filepath.Clean does: no ".", resolved "..", single slashes.
std::string clean(const std::string& p) {
  if (p.empty()) return ".";
  bool rooted = p[0] == '/';
  std::vector<std::string> parts;
  std::stringstream ss(p);
  std::string part;
  while (std::getline(ss, part, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back("..");
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "/" : "") + parts[i];
  return out.empty() ? "." : out;
}

std::string basename_of(std::string p) {
  if (p.empty()) return ".";
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p == "/") return "/";
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

std::string dirname_of(const std::string& p) {
  size_t slash = p.rfind('/');
  if (slash == std::string::npos) return ".";
  return clean(p.substr(0, slash + 1));
}

const char* get_env(const CallContext& ctx, const char* name) {
  return ctx.getenv ? ctx.getenv(name) : std::getenv(name);
}

std::string expand(const std::string& p, const CallContext& ctx, int arg) {
  if (p.empty() || p[0] != '~') return p;
  if (p.size() > 1 && p[1] != '/') return p;  // ~user is not expanded
  const char* home = get_env(ctx, "HOME");
  if (!home || !*home) fail(arg, "path", "cannot expand \"~\": HOME is not set");
  return std::string(home) + p.substr(1);
}

std::string resolve(const std::string& p, const CallContext& ctx, int arg) {
  std::string e = expand(p, ctx, arg);
  if (!e.empty() && e[0] == '/') return e;
  return ctx.base_dir.empty() ? e : ctx.base_dir + "/" + e;
}

std::string read_text(const std::string& given, const CallContext& ctx, int arg) {
  std::string path = resolve(given, ctx, arg);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    fail(arg, "path", fmt::format("no file exists at \"{}\"", given));
  }
  if (!S_ISREG(st.st_mode)) fail(arg, "path", fmt::format("\"{}\" is not a regular file", given));
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(arg, "path", fmt::format("cannot read \"{}\"", given));
  std::ostringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  if (!utf8_valid(text)) {
    fail(arg, "path", fmt::format("contents of \"{}\" are not valid UTF-8", given));
  }
  return text;
}

Value fileexists_fn(const Args& a, const CallContext& ctx) {
  std::string given = str(a, 0, "path");
  std::string path = resolve(given, ctx, 0);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Value::boolean(false);
  if (!S_ISREG(st.st_mode)) fail(0, "path", fmt::format("\"{}\" is not a regular file", given));
  return Value::boolean(true);
}

Value templatefile_fn(const Args& a, const CallContext& ctx) {
  std::string given = str(a, 0, "path");
  ValueMap vars = mapping(a, 1, "vars");
  std::string text = read_text(given, ctx, 0);
  if (!ctx.render_template) fail_call("templatefile is not available in this context");
  std::string error;
  Value out = ctx.render_template(given, text, vars, &error);
  if (!error.empty()) fail_call(error);
  return out;
}

Value abspath_fn(const Args& a, const CallContext&) {
  std::string p = str(a, 0, "path");
  if (p.empty() || p[0] != '/') {
    std::error_code ec;
    std::string cwd = std::filesystem::current_path(ec).string();
    if (ec) fail_call("cannot determine the current directory: " + ec.message());
    p = cwd + "/" + p;
  }
  return Value::string(clean(p));
}

}  // namespace

void add_filesystem(Functions& f) {
  Type s = Type::string();
  f.add(make("file", 1, 1, "file(path)", returns(s), [](const Args& a, const CallContext& ctx) {
    return Value::string(read_text(str(a, 0, "path"), ctx, 0));
  }));
  f.add(make("fileexists", 1, 1, "fileexists(path)", returns(Type::boolean()), fileexists_fn));
  f.add(make("templatefile", 2, 2, "templatefile(path, vars)", returns(Type::any()),
             templatefile_fn));
  f.add(make("abspath", 1, 1, "abspath(path)", returns(s), abspath_fn));
  f.add(make("basename", 1, 1, "basename(path)", returns(s), [](const Args& a, const CallContext&) {
    return Value::string(basename_of(str(a, 0, "path")));
  }));
  f.add(make("dirname", 1, 1, "dirname(path)", returns(s), [](const Args& a, const CallContext&) {
    return Value::string(dirname_of(str(a, 0, "path")));
  }));
  f.add(make("pathexpand", 1, 1, "pathexpand(path)", returns(s),
             [](const Args& a, const CallContext& ctx) {
               return Value::string(expand(str(a, 0, "path"), ctx, 0));
             }));
}

}  // namespace orch::fn
