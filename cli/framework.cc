// Helpers shared by the orch commands: flag spelling, colour and width detection, suggestions.
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "cli/commands.h"

namespace orch::cli {

void add_json_flag(CLI::App* app, CliContext& ctx, const std::string& what) {
  app->add_flag("--json", ctx.global.json, what);
}

bool use_color(const GlobalOptions& global, std::FILE* stream) {
  if (global.no_color || global.json) return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  const char* term = std::getenv("TERM");
  if (term && std::strcmp(term, "dumb") == 0) return false;
  return isatty(fileno(stream)) != 0;
}

RenderOptions render_options(const GlobalOptions& global, std::FILE* stream) {
  RenderOptions opts;
  opts.color = use_color(global, stream);
  // Only a terminal changes the width, so that piped output is the same everywhere.
  struct winsize ws {};
  if (isatty(fileno(stream)) && ioctl(fileno(stream), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) {
    opts.width = ws.ws_col;
  }
  return opts;
}

void print_diagnostics(const Diagnostics& diags, const SourceManager& sources,
                       const GlobalOptions& global) {
  std::cout.flush();
  std::cerr << render_diagnostics(diags, sources, render_options(global, stderr));
  std::cerr.flush();
}

void exit_now(int code) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(code);
}

std::vector<std::string> normalise_args(int argc, char** argv) {
  std::vector<std::string> out;
  bool verbatim = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (verbatim) {
      out.push_back(a);
      continue;
    }
    if (a == "--") verbatim = true;
    bool single_dash_long = a.size() > 2 && a[0] == '-' &&
                            std::isalpha(static_cast<unsigned char>(a[1])) && a[2] != '=';
    out.push_back(single_dash_long ? "-" + a : a);
  }
  return out;
}

namespace {

// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string suggest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t dist = edit_distance(word, c);
    if (dist < best_distance) {
      best_distance = dist;
      best = c;
    }
  }
  return best;
}

namespace {

// "--json" → "-json"; "-h,--help" → "-h, -help".
std::string one_dash(std::string names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names.compare(i, 2, "--") == 0) {
      out += '-';
      ++i;
    } else if (names[i] == ',') {
      out += ", ";
    } else {
      out += names[i];
    }
  }
  return out;
}

}  // namespace

std::string HelpFormatter::make_option_name(const CLI::Option* opt, bool is_positional) const {
  return one_dash(CLI::Formatter::make_option_name(opt, is_positional));
}

std::string HelpFormatter::make_usage(const CLI::App* app, std::string name) const {
  return one_dash(CLI::Formatter::make_usage(app, std::move(name)));
}

}  // namespace orch::cli
