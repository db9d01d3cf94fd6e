// Syntax errors in words people understand: an ANTLR error strategy that turns "mismatched
// input" into "expected `=` or a block body after `foo`", one error per line.
#include "compiler/parse_errors.h"

#include <fmt/format.h>

#include <algorithm>

namespace orch::parse_detail {
namespace {

using P = grammar::OrchParser;

std::string type_name(size_t type) {
  switch (type) {
    case P::NL:
      return "a newline";
    case P::IDENT:
      return "a name";
    case P::FUNCTION_NAME:
      return "a function call";
    case P::STRING:
      return "a string";
    case P::NUMBER:
      return "a number";
    case P::OQUOTE:
      return "a string";
    case P::CQUOTE:
      return "`\"`";
    case P::OHEREDOC:
      return "a heredoc";
    case P::CHEREDOC:
      return "the heredoc's end marker";
    case P::TEMPLATE_LIT:
      return "text";
    case P::TEMPLATE_INTERP:
      return "`${`";
    case P::TEMPLATE_SEAL:
      return "`}`";
    case P::LBRACE:
      return "`{`";
    case P::RBRACE:
      return "`}`";
    case P::LBRACK:
      return "`[`";
    case P::RBRACK:
      return "`]`";
    case P::LPAREN:
      return "`(`";
    case P::RPAREN:
      return "`)`";
    case P::COMMA:
      return "`,`";
    case P::DOT:
      return "`.`";
    case P::ELLIPSIS:
      return "`...`";
    case P::COLON:
      return "`:`";
    case P::QUESTION:
      return "`?`";
    case P::ASSIGN:
      return "`=`";
    case P::ARROW:
      return "`=>`";
    case P::FOR:
      return "`for`";
    case P::IN:
      return "`in`";
    case P::IF:
      return "`if`";
    case P::CTRL_IF:
      return "`%{if`";
    case P::CTRL_ELSE:
      return "`%{else}`";
    case P::CTRL_ENDIF:
      return "`%{endif}`";
    case P::CTRL_FOR:
      return "`%{for`";
    case P::CTRL_ENDFOR:
      return "`%{endfor}`";
    case antlr4::Token::EOF:
      return "the end of the file";
    default:
      return {};
  }
}

bool expects_expression(const antlr4::misc::IntervalSet& s) {
  return s.contains(size_t{P::NUMBER}) && s.contains(size_t{P::OQUOTE}) &&
         s.contains(size_t{P::LBRACK});
}

}  // namespace

void FriendlyErrors::reportNoViableAlternative(antlr4::Parser* p,
                                               const antlr4::NoViableAltException& e) {
  report(p, e.getOffendingToken(), e.getStartToken());
}

void FriendlyErrors::reportInputMismatch(antlr4::Parser* p,
                                         const antlr4::InputMismatchException& e) {
  report(p, e.getOffendingToken(), nullptr);
}

void FriendlyErrors::reportFailedPredicate(antlr4::Parser* p,
                                           const antlr4::FailedPredicateException& e) {
  report(p, e.getOffendingToken(), nullptr);
}

void FriendlyErrors::reportUnwantedToken(antlr4::Parser* p) {
  if (inErrorRecoveryMode(p)) return;
  beginErrorCondition(p);
  report(p, p->getCurrentToken(), nullptr);
}

void FriendlyErrors::reportMissingToken(antlr4::Parser* p) {
  if (inErrorRecoveryMode(p)) return;
  beginErrorCondition(p);
  report(p, p->getCurrentToken(), nullptr);
}

antlr4::Token* FriendlyErrors::getMissingSymbol(antlr4::Parser* p) {
  antlr4::Token* cur = p->getCurrentToken();
  antlr4::misc::IntervalSet expected = getExpectedTokens(p);
  size_t type = expected.isEmpty() ? antlr4::Token::INVALID_TYPE
                                   : static_cast<size_t>(expected.getMinElement());
  auto tok = std::make_unique<antlr4::CommonToken>(type);
  tok->setStartIndex(cur->getStartIndex());
  tok->setStopIndex(cur->getStartIndex() - 1);  // zero width
  conjured_.push_back(std::move(tok));
  return conjured_.back().get();
}

void FriendlyErrors::report(antlr4::Parser* p, antlr4::Token* off, antlr4::Token* start) {
  if (!off) return;
  size_t idx = off->getTokenIndex();
  idx = idx == INVALID_INDEX ? t_.types.size() - 1 : std::min(base_ + idx, t_.types.size() - 1);
  // After repaired brackets, later errors are usually consequences: keep only the first.
  if (t_.structure_errors && (reported_ > 0 || t_.origin[idx] < 0)) return;
  antlr4::misc::IntervalSet expected;
  try {
    expected = p->getExpectedTokens();
  } catch (...) {
  }
  std::string found = describe_token(t_, idx);
  std::string summary, detail;
  size_t rule = p->getContext() ? p->getContext()->getRuleIndex() : 0;
  size_t prev = idx > 0 ? idx - 1 : idx;
  std::string prev_text = describe_token(t_, prev);
  bool in_body = rule == P::RuleConfigFile || rule == P::RuleBlockBody;
  (void)start;
  if (rule == P::RuleBodyItem && expected.contains(size_t{P::ASSIGN})) {
    // Right after an item's name: neither `=` nor a block followed.
    summary = fmt::format("expected `=` or a block body after {}, found {}", prev_text, found);
    detail = "An attribute is `name = value`; a block is `type \"label\" { ... }`.";
  } else if (rule == P::RuleBodyItem && expected.contains(size_t{P::LBRACE}) &&
             !expected.contains(size_t{P::RBRACE})) {
    summary = fmt::format("expected a block label or `{{` after {}, found {}", prev_text, found);
    detail = "Block labels are quoted strings or names, followed by the block body in braces.";
  } else if (rule == P::RuleBodyItem && expected.contains(size_t{P::NL}) &&
             t_.types[idx] != P::NL) {
    summary = fmt::format("newline required after an attribute, found {}", found);
    detail =
        "Each attribute and block ends at the end of its line; put the next one on a new line.";
    if (t_.types[idx] == P::RBRACE) {
      summary = "newline required before `}`";
      detail = "A block written on one line holds a single attribute: `b { a = 1 }`.";
    }
  } else if (rule == P::RuleBodyItem && t_.types[idx] == P::NL &&
             expected.contains(size_t{P::RBRACE})) {
    summary = "a one-line block must end with `}` right after its attribute";
    detail = "Put a line break after `{` to write a block over several lines.";
  } else if (in_body && (expected.contains(size_t{P::IDENT}) || expected.isEmpty())) {
    summary = fmt::format("expected an attribute or a block, found {}", found);
    detail = "A body holds attributes (`name = value`) and blocks (`type \"label\" { ... }`).";
  } else if (rule == P::RuleOperand && t_.types[prev] == P::DOT && idx > 0) {
    summary = fmt::format("expected an attribute name after `.`, found {}", found);
    detail = "After `.` comes an attribute name, an index number (`.0`) or a splat (`.*`).";
  } else if (expects_expression(expected)) {
    std::string after = idx > 0 && t_.types[prev] != P::NL ? " after " + prev_text : "";
    summary = fmt::format("expected an expression{}, found {}", after, found);
  } else if (rule == P::RulePrimary && expected.contains(size_t{P::RBRACE}) &&
             expected.contains(size_t{P::NL})) {
    summary = fmt::format("expected a newline, `}}` or `,`, found {}", found);
  } else {
    std::vector<std::string> names;
    for (size_t type : expected.toList()) {
      std::string n = type_name(type);
      if (!n.empty() && std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    }
    if (names.empty() || names.size() > 5) {
      summary = fmt::format("unexpected {}", found);
    } else {
      std::string list = names[0];
      for (size_t i = 1; i < names.size(); ++i) {
        list += (i + 1 == names.size() ? " or " : ", ") + names[i];
      }
      summary = fmt::format("expected {}, found {}", list, found);
    }
  }
  int64_t s = t_.start[idx], e = t_.end[idx];
  if (e <= s) e = s;
  // An error at the end of a line usually makes the parser misread the next line: keep quiet there.
  int line = sink_.source().pos_at(s).line;
  if (line == quiet_line_) return;
  if (t_.types[idx] == P::NL) quiet_line_ = line + 1;
  if (sink_.error(s, e, summary, detail)) ++reported_;
}

}  // namespace orch::parse_detail
